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
import org.mailhygiene.smtp.dsn.DsnParameters;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.smtp.dsn.Xtext;
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

    /**
     * Any DSN request written as RCPT and MAIL parameters (the way the relay passes them on) parses back to itself:
     * PathParser splits the parameters, DsnParameters decodes them.
     */
    @Test
    void dsnParametersWrittenAsTheRelayPassesThemOnParseBack() {
        DsnRequest.Notify[] all = {DsnRequest.Notify.SUCCESS, DsnRequest.Notify.FAILURE, DsnRequest.Notify.DELAY};
        qt().forAll(
                        integers().between(0, 8),
                        // addresses of characters an ORCPT may hold, drawn directly: filtering arbitrary strings by
                        // the assumption below left too few examples for some seeds ("Gave up after 678")
                        strings()
                                .betweenCodePoints(0x20, 0xD7FF)
                                .ofLengthBetween(1, 40)
                                .map(o -> o.codePoints()
                                        .map(c -> c == 0x7f || (c >= 0x80 && c < 0xa0) ? 'x' : c)
                                        .collect(
                                                StringBuilder::new,
                                                StringBuilder::appendCodePoint,
                                                StringBuilder::append)
                                        .toString()),
                        strings().betweenCodePoints(0x20, 0x7e).ofLengthBetween(1, 30),
                        integers().between(0, 2))
                .assuming((mask, orcpt, envid, ret) -> orcpt.codePoints()
                        .allMatch(c ->
                                c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0) && !(c >= 0xD800 && c <= 0xDFFF)))
                .checkAssert((mask, orcpt, envid, ret) -> {
                    java.util.Set<DsnRequest.Notify> conditions = java.util.EnumSet.noneOf(DsnRequest.Notify.class);
                    if (mask == 8) {
                        conditions.add(DsnRequest.Notify.NEVER);
                    } else {
                        for (int i = 0; i < 3; i++) {
                            if ((mask & (1 << i)) != 0) {
                                conditions.add(all[i]);
                            }
                        }
                    }
                    boolean ascii = orcpt.chars().allMatch(c -> c < 0x80);
                    DsnRequest.Recipient want = new DsnRequest.Recipient(
                            conditions, java.util.Optional.of(new DsnRequest.Orcpt(ascii ? "rfc822" : "utf-8", orcpt)));
                    String rcpt = "TO:<u@example.org>"
                            + want.notifyParameter().map(n -> " NOTIFY=" + n).orElse("")
                            + " ORCPT=" + want.orcpt().orElseThrow().parameter();
                    String mail = "FROM:<a@example.net>"
                            + (ret == 0 ? "" : " RET=" + (ret == 1 ? "FULL" : "HDRS"))
                            + " ENVID=" + Xtext.encode(envid);
                    try {
                        PathParser.Parsed r = PathParser.parse(rcpt, "TO", false, true, false);
                        java.util.Set<DsnRequest.Notify> gotConditions = r.params()
                                        .containsKey("NOTIFY")
                                ? DsnParameters.notifyConditions(r.params().get("NOTIFY"))
                                : java.util.Set.of();
                        DsnRequest.Recipient got = new DsnRequest.Recipient(
                                gotConditions,
                                java.util.Optional.of(
                                        DsnParameters.orcpt(r.params().get("ORCPT"), false)));
                        assertThat(got).isEqualTo(want);
                        PathParser.Parsed m = PathParser.parse(mail, "FROM", true, false, false);
                        assertThat(DsnParameters.envelopeId(m.params().get("ENVID")))
                                .isEqualTo(envid);
                        if (ret != 0) {
                            assertThat(DsnParameters.ret(m.params().get("RET")).name())
                                    .isEqualTo(ret == 1 ? "FULL" : "HDRS");
                        }
                    } catch (PathParser.PathException | DsnParameters.InvalidParameterException e) {
                        // only the length limits may refuse it (ORCPT 500, ENVID 100 characters of xtext)
                        assertThat(want.orcpt().orElseThrow().parameter().length() > DsnParameters.MAX_ORCPT
                                        || Xtext.encode(envid).length() > DsnRequest.MAX_ENVID)
                                .as(rcpt + " / " + mail + ": " + e.getMessage())
                                .isTrue();
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
