package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quicktheories.core.Gen;

class CommandParsingTest {
    private static final String ATEXT = "abcxyzABCXYZ0189!#$%&'*+-/=?^_`{|}~";

    private static Gen<String> atom() {
        return lists().of(integers().between(0, ATEXT.length() - 1))
                .ofSizeBetween(1, 8)
                .map(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(ATEXT.charAt(i)));
                    return sb.toString();
                });
    }

    private static Gen<String> label() {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        return lists().of(integers().between(0, chars.length() - 1))
                .ofSizeBetween(1, 10)
                .map(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(chars.charAt(i)));
                    return sb.toString();
                });
    }

    private static Gen<String> dotString(Gen<String> part, int max) {
        return lists().of(part).ofSizeBetween(1, max).map(l -> String.join(".", l));
    }

    @Test
    void commandParsingNeverThrowsAndIgnoresVerbCase() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 80)).checkAssert(s -> {
            SmtpCommand c = SmtpCommand.parse(s);
            assertThat(c).isNotNull();
            assertThat(c.name().length()).isLessThanOrEqualTo(Math.max(16, 8));
        });
        qt().forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 40)).checkAssert(arg -> {
            SmtpCommand upper = SmtpCommand.parse("MAIL " + arg);
            SmtpCommand lower = SmtpCommand.parse("mail " + arg);
            assertThat(upper.verb()).isEqualTo(SmtpCommand.Verb.MAIL).isEqualTo(lower.verb());
            assertThat(upper.argument())
                    .isEqualTo(lower.argument())
                    .isEqualTo(arg.stripTrailing().replaceAll("[ \t]+$", ""));
        });
    }

    /** Letters whose Unicode upper case is ASCII (dotless i, long s) make no verb (found by fuzzing, session 25). */
    @Test
    void aVerbOfNonAsciiLettersIsUnknownEvenWhenItsUpperCaseIsAscii() {
        for (String line :
                java.util.List.of("MA\u0131L FROM:<a@b.example>", "\u017fTARTTLS", "QU\u0131T", "HELO\u0000 x")) {
            assertThat(SmtpCommand.parse(line).verb()).as(line).isEqualTo(SmtpCommand.Verb.UNKNOWN);
        }
        assertThat(SmtpCommand.parse("quit").verb()).isEqualTo(SmtpCommand.Verb.QUIT);
    }

    @Test
    void validMailboxesRoundTrip() {
        qt().forAll(dotString(atom(), 3), dotString(label(), 4), longs().between(0, 1_000_000_000L))
                .checkAssert((local, domain, size) -> {
                    String address = local + "@" + domain;
                    try {
                        PathParser.Parsed p = PathParser.parse(
                                "FROM:<" + address + "> SIZE=" + size + " body=8bitmime", "FROM", true, false, false);
                        assertThat(p.mailbox().address()).isEqualTo(address);
                        assertThat(p.mailbox().localPart()).isEqualTo(local);
                        assertThat(p.mailbox().domain()).isEqualTo(domain);
                        assertThat(p.params())
                                .containsEntry("SIZE", Long.toString(size))
                                .containsEntry("BODY", "8bitmime");
                        PathParser.Parsed routed = PathParser.parse(
                                "to:<@relay.example,@b.example:" + address + ">", "TO", false, true, false);
                        assertThat(routed.sourceRoute()).isTrue();
                        assertThat(routed.mailbox().address()).isEqualTo(address);
                    } catch (PathParser.PathException e) {
                        throw new AssertionError(address + ": " + e.getMessage(), e);
                    }
                });
    }

    @Test
    void quotedLocalPartsAreUnescaped() {
        qt().forAll(strings().ascii().ofLengthBetween(1, 30)).checkAssert(raw -> {
            String content = raw.chars()
                    .filter(c -> c >= 32 && c < 127)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                    .toString();
            if (content.isEmpty()) {
                return;
            }
            String escaped = content.replace("\\", "\\\\").replace("\"", "\\\"");
            try {
                PathParser.Parsed p =
                        PathParser.parse("TO:<\"" + escaped + "\"@example.org>", "TO", false, true, false);
                assertThat(p.mailbox().quoted()).isTrue();
                assertThat(p.mailbox().localPart()).isEqualTo(content);
                assertThat(p.mailbox().domain()).isEqualTo("example.org");
            } catch (PathParser.PathException e) {
                // only the length limit may refuse it
                assertThat(PathParser.utf8Length(content)).isGreaterThan(PathParser.MAX_LOCAL);
            }
        });
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void arbitraryArgumentsEitherParseOrGiveASyntaxReply() {
        qt().withExamples(2000)
                .forAll(strings().allPossible().ofLengthBetween(0, 300))
                .checkAssert(s -> {
                    for (String arg : new String[] {s, "FROM:" + s, "FROM:<" + s, "TO:<" + s + ">"}) {
                        try {
                            PathParser.parse(
                                    arg,
                                    arg.toUpperCase(Locale.ROOT).startsWith("TO") ? "TO" : "FROM",
                                    true,
                                    true,
                                    true);
                        } catch (PathParser.PathException e) {
                            assertThat(e.code).isIn(501, 553);
                        }
                    }
                });
    }

    @Test
    void lengthLimits() {
        assertThatThrownBy(
                        () -> PathParser.parse("FROM:<" + "a".repeat(65) + "@example.org>", "FROM", true, false, false))
                .hasMessageContaining("64");
        String longDomain = ("a".repeat(60) + ".").repeat(5) + "example";
        assertThatThrownBy(() -> PathParser.parse("FROM:<a@" + longDomain + ">", "FROM", true, false, false))
                .isInstanceOf(PathParser.PathException.class);
        assertThat(PathParser.isAddressLiteral("[IPv6:2001:db8::1]")).isTrue();
        assertThat(PathParser.isAddressLiteral("[192.0.2.300]")).isFalse();
        assertThat(PathParser.isDomain("-bad.example", false)).isFalse();
        assertThat(PathParser.isDomain("example.", false)).isFalse();
    }
}
