package org.mailhygiene.api.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicyValuesTest {

    @Test
    void smtpReplyValidatesCodeStatusClassAndText() {
        qt().forAll(
                        integers().between(200, 599),
                        integers().between(0, 999),
                        integers().between(0, 999))
                .checkAssert((code, subject, detail) -> {
                    int cls = code / 100;
                    String status = cls + "." + subject + "." + detail;
                    if (cls == 3) {
                        assertThatThrownBy(() -> new SmtpReply(code, status, "x"))
                                .isInstanceOf(IllegalArgumentException.class);
                        return;
                    }
                    SmtpReply r = new SmtpReply(code, status, "text");
                    assertThat(r.toString()).isEqualTo(code + " " + status + " text");
                    assertThat(r.isPositive()).isEqualTo(cls == 2);
                    assertThat(r.isTransient()).isEqualTo(cls == 4);
                    assertThat(r.isPermanent()).isEqualTo(cls == 5);
                    int other = cls == 2 ? 5 : 2;
                    assertThatThrownBy(() -> new SmtpReply(code, other + "." + subject + "." + detail, "x"))
                            .hasMessageContaining("does not match the class");
                });
        assertThatThrownBy(() -> new SmtpReply(199, "2.0.0", "x")).hasMessageContaining("200..599");
        assertThatThrownBy(() -> new SmtpReply(600, "5.0.0", "x")).hasMessageContaining("200..599");
        assertThatThrownBy(() -> new SmtpReply(250, "2.0", "x")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> new SmtpReply(250, "2.0.0000", "x")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> new SmtpReply(250, "2.0.0", "a\r\nRCPT TO:<x>"))
                .hasMessageContaining("printable");
        assertThatThrownBy(() -> new SmtpReply(250, "2.0.0", "caf\u00e9")).hasMessageContaining("printable");
    }

    @Test
    void sanitizeAlwaysGivesAcceptableReplyText() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 600)).checkAssert(raw -> {
            String s = SmtpReply.sanitize(raw);
            assertThat(s.length()).isLessThanOrEqualTo(400);
            assertThat(new SmtpReply(550, "5.7.1", s).text()).isEqualTo(s);
            assertThat(new Header("X-Test", s).value()).isEqualTo(s);
        });
    }

    @Test
    void headerValidation() {
        assertThat(new Header("X-Spam-Status", "Yes,\tscore=7.0").value()).contains("\t");
        for (String badName : List.of("", "X Spam", "X-Spam:", "X-\u00e9", "X-\u007f")) {
            assertThatThrownBy(() -> new Header(badName, "v")).as(badName).isInstanceOf(IllegalArgumentException.class);
        }
        for (String badValue : List.of("a\r\nBcc: x@y", "a\nb", "\u00e9", "\u007f", "\u0000")) {
            assertThatThrownBy(() -> new Header("X-A", badValue)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new Header(null, "v")).isInstanceOf(NullPointerException.class);
    }

    @Test
    void dispositionRepliesMustFitActions() {
        SmtpReply ok = SmtpReply.OK;
        SmtpReply temp = new SmtpReply(451, "4.3.0", "later");
        SmtpReply perm = new SmtpReply(554, "5.7.1", "no");
        for (Action a : Action.values()) {
            SmtpReply fitting = switch (a) {
                case REJECT -> perm;
                case TEMPFAIL -> temp;
                default -> ok;
            };
            assertThat(new Disposition(a, fitting, "r", Optional.empty(), List.of(), List.of()).action())
                    .isEqualTo(a);
            for (SmtpReply r : List.of(ok, temp, perm)) {
                if (r != fitting) {
                    assertThatThrownBy(() -> new Disposition(a, r, "r", Optional.empty(), List.of(), List.of()))
                            .hasMessageContaining("does not fit action " + a);
                }
            }
            if (a != Action.TAG) {
                assertThatThrownBy(() -> new Disposition(a, fitting, "r", Optional.of("[SPAM]"), List.of(), List.of()))
                        .hasMessageContaining("subject tag");
            }
        }
        assertThat(Action.QUARANTINE.acceptsMessage()).isTrue();
        assertThat(Action.QUARANTINE.delivers()).isFalse();
        assertThat(Action.TEMPFAIL.acceptsMessage()).isFalse();
    }
}
