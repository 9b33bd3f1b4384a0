package org.mailhygiene.smtp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {

    @Test
    void readsTypedValuesListsAndComments() throws Exception {
        ConfigFile f = ConfigFile.parse("edge-1.conf", """
                # an edge relay
                node.name = edge-1
                listen.port = 2525
                spam.threshold = 6.8
                tls.required = no
                timeout.idle = 5m
                accepted.domain = dept-a.example, dept-b.example
                accepted.domain = .example.ac.jp
                """);
        assertThat(f.required("node.name")).isEqualTo("edge-1");
        assertThat(f.integer("listen.port", 0, 65535)).contains(2525);
        assertThat(f.decimal("spam.threshold")).contains(6.8);
        assertThat(f.bool("tls.required")).contains(false);
        assertThat(f.duration("timeout.idle")).contains(Duration.ofMinutes(5));
        assertThat(f.list("accepted.domain")).containsExactly("dept-a.example", "dept-b.example", ".example.ac.jp");
        f.rejectUnknownKeys();
    }

    /**
     * A file saved as Latin-1 was refused as "cannot read ...: Input length = 1", naming neither the line nor the
     * problem (on a reload too, where the node's log is the administrator's only clue).
     */
    @Test
    void aFileThatIsNotUtf8IsAnErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("node.conf");
        Files.write(f, "role = edge\nname = n1\n# caf\u00e9 ok\nhostname = caf\u00e9\n".getBytes("ISO-8859-1"));
        assertThatThrownBy(() -> ConfigFile.read(f))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + " line 3: not UTF-8 text (byte 0xE9); save the file as UTF-8");
        Files.writeString(f, "role = edge\n# caf\u00e9 \uD83D\uDCE8\nname = n1\n");
        assertThat(ConfigFile.read(f).required("name")).isEqualTo("n1");
        assertThat(ConfigFile.decode("x", new byte[0])).isEmpty();
        assertThatThrownBy(() -> ConfigFile.decode("x.conf", new byte[] {'a', '\n', 'b', (byte) 0xC3}))
                .hasMessage("x.conf line 2: not UTF-8 text (byte 0xC3); save the file as UTF-8");
    }

    @Test
    void errorsNameTheFileTheLineAndTheProblem() throws Exception {
        assertThatThrownBy(() -> ConfigFile.parse("a.conf", "ok = 1\nno equals sign here\n"))
                .hasMessage("a.conf line 2: expected 'key = value', got 'no equals sign here'");
        ConfigFile f = ConfigFile.parse("b.conf", "\nlisten.port = 99999\nname = x\nname = y\ntypo.key = 1\n");
        assertThatThrownBy(() -> f.integer("listen.port", 0, 65535))
                .hasMessage("b.conf line 2: listen.port: must be between 0 and 65535, was 99999");
        assertThatThrownBy(() -> f.string("name"))
                .hasMessage("b.conf line 4: name: given more than once (first on line 3)");
        assertThatThrownBy(f::rejectUnknownKeys).hasMessage("b.conf line 5: unknown key 'typo.key'");
        assertThatThrownBy(() -> f.required("missing")).hasMessage("b.conf: required key 'missing' is missing");
    }

    @Test
    void durationsInEveryUnit() {
        assertThat(ConfigFile.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigFile.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(ConfigFile.parseDuration("PT30S")).isEqualTo(Duration.ofSeconds(30));
        qt().forAll(integers().between(1, 1_000_000))
                .checkAssert(n -> assertThat(ConfigFile.parseDuration(n + "s")).isEqualTo(Duration.ofSeconds(n)));
        assertThatThrownBy(() -> ConfigFile.parseDuration("5 minutes")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDurationTooLargeForJavaIsAnErrorNamingTheLine() throws Exception {
        // 999999999999999d overflows Duration.ofDays: it must be reported like any bad value, not escape as an
        // ArithmeticException with a stack trace.
        ConfigFile f = ConfigFile.parse("d.conf", "name = x\nqueue-lifetime = 999999999999999d\n");
        assertThatThrownBy(() -> f.duration("queue-lifetime"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("d.conf line 2: queue-lifetime: too long (at most 36500d): '999999999999999d'");
        assertThatThrownBy(() -> ConfigFile.parseDuration("9223372036854775807h"))
                .isInstanceOf(IllegalArgumentException.class);
        // Within Duration's range but past what an Instant or a nanosecond count holds: the relay failed at run time
        // (queue-lifetime = 999999999999d passed --check, then no message was ever delivered).
        ConfigFile g = ConfigFile.parse("e.conf", "queue-lifetime = 999999999999d\ndata-timeout = P200000D\n");
        assertThatThrownBy(() -> g.duration("queue-lifetime"))
                .hasMessageContaining("e.conf line 1: queue-lifetime: too long");
        assertThatThrownBy(() -> g.duration("data-timeout"))
                .hasMessageContaining("e.conf line 2: data-timeout: too long");
        assertThat(ConfigFile.parseDuration("36500d")).isEqualTo(ConfigFile.MAX_DURATION);
    }

    @Test
    void blankLinesAndCrLfAreFine() throws Exception {
        ConfigFile f = ConfigFile.parse("c.conf", "a = 1\r\n\r\n  # c\r\nb = two words \r\n");
        assertThat(f.string("b")).contains("two words");
        assertThat(f.lines("a")).isEqualTo(List.of(java.util.Map.entry("1", 1)));
    }

    /** A UTF-8 file with a byte order mark (Notepad's) was refused as "line 1: malformed key 'role'" (session 39). */
    @Test
    void aByteOrderMarkAtTheStartIsSkipped(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("node.conf");
        Files.write(f, "\uFEFFrole = edge\r\nname = n1\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        ConfigFile c = ConfigFile.read(f);
        assertThat(c.required("role")).isEqualTo("edge");
        assertThat(c.required("name")).isEqualTo("n1");
        c.rejectUnknownKeys();
        // only at the start: elsewhere it is no white space, and the key is malformed as before
        assertThatThrownBy(() -> ConfigFile.parse("x.conf", "a = 1\n\uFEFFb = 2\n"))
                .hasMessageStartingWith("x.conf line 2: malformed key");
    }

    /** An unknown key close to a known one names it (session 39: it said only "unknown key 'acept-domain'"). */
    @Test
    void anUnknownKeyNearAKnownOneSuggestsIt() throws Exception {
        ConfigFile f = ConfigFile.parse("e.conf", "accept-domain = a.example\nacept-domain = b.example\n");
        f.list("accept-domain");
        assertThatThrownBy(f::rejectUnknownKeys)
                .hasMessage("e.conf line 2: unknown key 'acept-domain' (did you mean 'accept-domain'?)");
        ConfigFile swapped = ConfigFile.parse("e.conf", "max-recipeints = 5\n");
        swapped.integer("max-recipients", 1, 100);
        assertThatThrownBy(swapped::rejectUnknownKeys)
                .hasMessage("e.conf line 1: unknown key 'max-recipeints' (did you mean 'max-recipients'?)");
        ConfigFile family = ConfigFile.parse("e.conf", "clamd.reject-score = 1\nclmd.deadline = 5s\n");
        family.string("spamd.reject-score");
        assertThatThrownBy(family::rejectUnknownKeys).hasMessage("e.conf line 1: unknown key 'clamd.reject-score'");
        ConfigFile prefixTypo = ConfigFile.parse("e.conf", "clmd.deadline = 5s\n");
        prefixTypo.string("clamd.deadline");
        assertThatThrownBy(prefixTypo::rejectUnknownKeys)
                .hasMessage("e.conf line 1: unknown key 'clmd.deadline' (did you mean 'clamd.deadline'?)");
        ConfigFile far = ConfigFile.parse("e.conf", "colour = blue\nxy = 1\n");
        far.string("color");
        far.string("xz");
        // 'colour' is one letter from 'color', but 'xy' is too short to be a typo of 'xz'
        assertThatThrownBy(far::rejectUnknownKeys)
                .hasMessage("e.conf line 1: unknown key 'colour' (did you mean 'color'?)");
        ConfigFile shortKey = ConfigFile.parse("e.conf", "xy = 1\n");
        shortKey.string("xz");
        assertThatThrownBy(shortKey::rejectUnknownKeys).hasMessage("e.conf line 1: unknown key 'xy'");
        // no near key, but known ones after the same last dot: listed (session 40: 'on-failure.too-big' said nothing)
        ConfigFile kinds = ConfigFile.parse("e.conf", "on-failure.too-big = accept\n");
        kinds.string("on-failure.too-large");
        kinds.string("on-failure.timed-out");
        kinds.string("on-failure.too-large.x");
        kinds.string("spamd.on-failure.unavailable");
        assertThatThrownBy(kinds::rejectUnknownKeys)
                .hasMessage("e.conf line 1: unknown key 'on-failure.too-big' (known: on-failure.timed-out,"
                        + " on-failure.too-large)");
        ConfigFile none = ConfigFile.parse("e.conf", "frobnicate = 1\n");
        none.string("listen");
        assertThatThrownBy(none::rejectUnknownKeys).hasMessage("e.conf line 1: unknown key 'frobnicate'");
    }

    /**
     * Zero in any unit switches off what {@link ConfigFile#durationOrZero} reads: {@code 0h} (Postfix's way of writing
     * {@code delay_warning_time = 0h}) was refused as "must be positive" while {@code 0} was documented as off.
     */
    @Test
    void zeroInAnyUnitIsZeroWhereZeroIsAllowed() throws Exception {
        for (String zero : List.of("0", "0s", "0ms", "0h", "0d", "PT0S")) {
            assertThat(ConfigFile.parse("z.conf", "k = " + zero + "\n").durationOrZero("k"))
                    .as(zero)
                    .contains(Duration.ZERO);
        }
        assertThat(ConfigFile.parse("z.conf", "k = 4h\n").durationOrZero("k")).contains(Duration.ofHours(4));
        assertThat(ConfigFile.parse("z.conf", "\n").durationOrZero("k")).isEmpty();
        assertThatThrownBy(() -> ConfigFile.parse("z.conf", "k = PT-5S\n").durationOrZero("k"))
                .hasMessage("z.conf line 1: k: must be positive");
        assertThatThrownBy(() -> ConfigFile.parse("z.conf", "k = soon\n").durationOrZero("k"))
                .hasMessage("z.conf line 1: k: not a duration (e.g. 30s, 5m, 2h, 7d): 'soon'");
        // the others still refuse zero
        assertThatThrownBy(() -> ConfigFile.parse("z.conf", "k = 0h\n").duration("k"))
                .hasMessage("z.conf line 1: k: must be positive");
    }

    /** A whole number too long for an int was "not a whole number"; it is out of range (session 39). */
    @Test
    void aWholeNumberPastTheRangeIsOutOfRangeNotMalformed() throws Exception {
        assertThatThrownBy(() -> ConfigFile.parse("n.conf", "k = 99999999999\n").integer("k", 1, 100_000))
                .hasMessage("n.conf line 1: k: must be between 1 and 100000, was 99999999999");
        assertThatThrownBy(
                        () -> ConfigFile.parse("n.conf", "k = -99999999999\n").integer("k", 1, 100_000))
                .hasMessage("n.conf line 1: k: must be between 1 and 100000, was -99999999999");
        assertThatThrownBy(() -> ConfigFile.parse("n.conf", "k = 1e3\n").integer("k", 1, 100_000))
                .hasMessage("n.conf line 1: k: not a whole number: '1e3'");
    }

    /** A required key given with nothing after '=' was "required key 'listen' is missing", with no line. */
    @Test
    void aRequiredKeyWithAnEmptyValueNamesItsLine() throws Exception {
        assertThatThrownBy(() -> ConfigFile.parse("r.conf", "a = 1\nlisten =\n").required("listen"))
                .hasMessage("r.conf line 2: listen: needs a value (the line is empty after '=')");
        assertThatThrownBy(() -> ConfigFile.parse("r.conf", "a = 1\n").required("listen"))
                .hasMessage("r.conf: required key 'listen' is missing");
    }

    /**
     * A file saved with CR-only line ends (old Mac) was read as one line: the first key's value was the whole file. A
     * lone CR is refused with its line and the problem named; CRLF keeps working.
     */
    @Test
    void aCarriageReturnAloneIsRefusedNamingTheProblem() throws Exception {
        assertThatThrownBy(() -> ConfigFile.parse("mac.conf", "role = edge\rname = n1\rlisten = 127.0.0.1:25\r"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("mac.conf line 1: the lines end with a carriage return (CR) alone, as old Mac"
                        + " editors wrote them, so the whole file is one line; save it with LF (Unix) or CRLF (Windows)"
                        + " line ends");
        assertThatThrownBy(() -> ConfigFile.parse("stray.conf", "a = 1\r\nb = 2\n# c\nd = x\ry\n"))
                .hasMessage("stray.conf line 4: a carriage return (CR) that is not part of a CRLF line end; save the"
                        + " file with LF (Unix) or CRLF (Windows) line ends");
        ConfigFile crlf = ConfigFile.parse("crlf.conf", "a = 1\r\nb = 2\r\n");
        assertThat(crlf.string("b")).contains("2");
    }

    /** A 10 KB value was quoted whole in its error, burying the file and line; it is cut, with its length. */
    @Test
    void aLongValueIsQuotedShortWithItsLength() throws Exception {
        String longValue = "x".repeat(10_240);
        assertThat(ConfigFile.quote("short")).isEqualTo("'short'");
        assertThat(ConfigFile.quote("y".repeat(ConfigFile.QUOTE_LIMIT))).hasSize(ConfigFile.QUOTE_LIMIT + 2);
        assertThat(ConfigFile.quote(longValue)).isEqualTo("'" + "x".repeat(120) + "...' (10240 characters)");

        ConfigFile f = ConfigFile.parse("l.conf", "\nport = " + longValue + "\nlimit = " + longValue + "\n");
        assertThatThrownBy(() -> f.integer("port", 1, 2))
                .hasMessage("l.conf line 2: port: not a whole number: '" + "x".repeat(120) + "...' (10240 characters)");
        assertThatThrownBy(() -> f.duration("limit"))
                .hasMessage("l.conf line 3: limit: not a duration (e.g. 30s, 5m, 2h, 7d): '" + "x".repeat(120)
                        + "...' (10240 characters)");
        assertThatThrownBy(() -> ConfigFile.parse("l.conf", "a = 1\n" + longValue + "\n"))
                .hasMessage(
                        "l.conf line 2: expected 'key = value', got '" + "x".repeat(120) + "...' (10240 characters)");
        // what a component's message says of the value, bare or quoted, or of a long part of it
        assertThat(f.shorten("l.conf line 3: limit: bad: " + longValue))
                .isEqualTo("l.conf line 3: limit: bad: " + "x".repeat(120) + "... (10240 characters)");
        assertThat(f.shorten("l.conf line 3: limit: bad '" + longValue + "'"))
                .isEqualTo("l.conf line 3: limit: bad '" + "x".repeat(120) + "...' (10240 characters)");
        assertThat(f.shorten("l.conf line 3: limit: part '" + "z".repeat(500) + "' is bad"))
                .isEqualTo("l.conf line 3: limit: part '" + "z".repeat(120) + "...' (500 characters) is bad");
        assertThat(f.shorten("l.conf line 3: limit: short 'v'")).isEqualTo("l.conf line 3: limit: short 'v'");
    }

    /** A bounded duration names its bounds in the file's units and the value as written. */
    @Test
    void aBoundedDurationNamesItsBoundsAndTheValue() throws Exception {
        ConfigFile f = ConfigFile.parse("b.conf", "a = 101d\nb = 59s\nc = 100d\nd = PT0.0005S\ne = 0s\n");
        assertThatThrownBy(() -> f.duration("a", Duration.ofMinutes(1), Duration.ofDays(100)))
                .hasMessage("b.conf line 1: a: must be between 1m and 100d, was 101d");
        assertThatThrownBy(() -> f.duration("b", Duration.ofMinutes(1), Duration.ofDays(100)))
                .hasMessage("b.conf line 2: b: must be between 1m and 100d, was 59s");
        assertThat(f.duration("c", Duration.ofMinutes(1), Duration.ofDays(100))).contains(Duration.ofDays(100));
        assertThatThrownBy(() -> f.duration("d", Duration.ofMillis(1), Duration.ofSeconds(10)))
                .hasMessage("b.conf line 4: d: must be between 1ms and 10s, was PT0.0005S");
        assertThatThrownBy(() -> f.duration("e", Duration.ofMillis(1), Duration.ofSeconds(10)))
                .hasMessage("b.conf line 5: e: must be between 1ms and 10s, was 0s");
        assertThat(f.duration("absent", Duration.ofMillis(1), Duration.ofSeconds(10)))
                .isEmpty();
        assertThat(ConfigFile.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(ConfigFile.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(ConfigFile.format(Duration.ofHours(48))).isEqualTo("2d");
    }
}
