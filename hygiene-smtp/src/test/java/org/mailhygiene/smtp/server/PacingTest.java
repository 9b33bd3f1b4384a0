package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/**
 * The allowance arithmetic of a paced message ({@link SmtpInput#nextAllowance}, Postfix's {@code smtpd_min_data_rate}
 * rule): what a client at, above and below the minimum rate keeps, and the bounds for any input.
 */
class PacingTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long CAP = 10 * SECOND;
    /** 500 octets per second. */
    private static final long PER_OCTET = SECOND / 500;

    @Test
    void aClientAtTheMinimumRateKeepsItsAllowanceAndAFasterOneRefillsIt() {
        assertThat(SmtpInput.nextAllowance(CAP, SECOND, 500, PER_OCTET, CAP)).isEqualTo(CAP);
        assertThat(SmtpInput.nextAllowance(4 * SECOND, SECOND, 500, PER_OCTET, CAP))
                .isEqualTo(4 * SECOND);
        assertThat(SmtpInput.nextAllowance(4 * SECOND, SECOND, 16_384, PER_OCTET, CAP))
                .isEqualTo(CAP);
    }

    /** One byte every 3 s from a full 10 s allowance: the fourth wait runs out, 10 s and 3 octets' worth in. */
    @Test
    void aDripperRunsOutAfterTheCapPlusWhatItsOctetsBought() {
        long allowance = CAP;
        long waited = 0;
        int octets = 0;
        while (allowance >= 3 * SECOND) {
            allowance = SmtpInput.nextAllowance(allowance, 3 * SECOND, 1, PER_OCTET, CAP);
            waited += 3 * SECOND;
            octets++;
        }
        assertThat(octets).isEqualTo(3);
        assertThat(waited + allowance).isEqualTo(CAP + 3 * PER_OCTET); // when the next wait is cut
    }

    @Test
    void hugeValuesDoNotOverflow() {
        assertThat(SmtpInput.nextAllowance(CAP, 0, Long.MAX_VALUE, SECOND, CAP)).isEqualTo(CAP);
        assertThat(SmtpInput.nextAllowance(CAP, Long.MAX_VALUE, Long.MAX_VALUE, 1, CAP))
                .isEqualTo(CAP);
        assertThat(SmtpInput.nextAllowance(0, Long.MAX_VALUE, 0, 1, Long.MAX_VALUE))
                .isZero();
        assertThat(SmtpInput.nextAllowance(Long.MAX_VALUE, -5, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE))
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theAllowanceStaysWithinItsBoundsAndGrowsWithOctetsAndShrinksWithWaiting() {
        qt().withExamples(2000)
                .forAll(
                        longs().between(1, Long.MAX_VALUE),
                        longs().all(),
                        longs().between(0, Long.MAX_VALUE),
                        longs().between(1, Long.MAX_VALUE))
                .checkAssert((cap, waited, octets, perOctet) -> {
                    // any allowance in 0..cap, the cap itself every fourth time
                    long allowance = (octets & 3) == 0 ? cap : Math.floorMod(Long.rotateLeft(waited, 17) ^ octets, cap);
                    long a = SmtpInput.nextAllowance(allowance, waited, octets, perOctet, cap);
                    assertThat(a).isBetween(0L, cap);
                    if (octets < Long.MAX_VALUE) {
                        assertThat(SmtpInput.nextAllowance(allowance, waited, octets + 1, perOctet, cap))
                                .isGreaterThanOrEqualTo(a);
                    }
                    if (waited < Long.MAX_VALUE) {
                        assertThat(SmtpInput.nextAllowance(allowance, waited + 1, octets, perOctet, cap))
                                .isLessThanOrEqualTo(a);
                    }
                    if (waited <= 0) {
                        assertThat(a).isGreaterThanOrEqualTo(allowance); // no wait takes nothing away
                    }
                });
    }
}
