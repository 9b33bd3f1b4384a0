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
}
