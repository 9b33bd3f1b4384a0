package org.mailhygiene.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * How a scanner's score and threshold are written in headers and log lines. spamd's scores ({@code 7.1}, {@code
 * 1000.0}) keep their one decimal; a classifier's probability keeps up to four ({@code 0.9724}), so a score just below
 * a threshold or in a band such as 0.8 to 0.99 is never shown rounded onto or past it ({@code 0.97} written as
 * {@code 1.0}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Scores {
    private Scores() {}

    /**
     * A score in plain decimal notation: rounded half up to four decimals, trailing zeros dropped, at least one
     * decimal ({@code 5.0}, {@code 7.1}, {@code 0.9724}, {@code 0.8}); {@code NaN} and infinities as Java writes them.
     *
     * @param score the score or threshold
     * @return its text
     */
    public static String format(double score) {
        if (!Double.isFinite(score)) {
            return Double.toString(score);
        }
        BigDecimal d =
                BigDecimal.valueOf(score).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
        if (d.scale() < 1) {
            d = d.setScale(1);
        }
        return d.toPlainString();
    }
}
