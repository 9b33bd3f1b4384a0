package org.mailhygiene.internal;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.mailhygiene.api.Rule;

/**
 * The length bound on a threat name a scanner daemon or program reports. Nothing in clamd's protocol or a command-line
 * scanner's output limits a name: a daemon that is not what it claims, or a broken one, can send a name of a megabyte,
 * which would then be copied into every verdict, header, log line and statistics key. Real names are short: ClamAV's
 * official ones ({@code Win.Trojan.Agent-1234567-0}) stay under 100 characters, third-party databases and YARA rules
 * (whose identifiers YARA caps at 128 characters, plus the {@code YARA.} prefix and a {@code .UNOFFICIAL} suffix) under
 * 150. {@value #MAX_LENGTH} characters keep every real one whole.
 *
 * <p>Internal: not part of the stable API. Stateless and thread-safe.
 */
public final class ThreatNames {
    /** The longest threat name kept whole: 256 characters. */
    public static final int MAX_LENGTH = 256;

    /**
     * The most threat names one verdict keeps: 100. A command-line scanner's output (capped at 1 MiB) can name tens of
     * thousands, every one of which went into the verdict, its headers, log lines and statistics.
     */
    public static final int MAX_COUNT = 100;

    /** The name of the rule that says how many threat names a verdict did not keep ({@link #omitted}). */
    public static final String OMITTED_RULE = "threats-omitted";

    /**
     * How names are bounded, for the cache identity of a scanner whose verdicts carry them: a verdict cached before the
     * bound, with a longer name (1) or more names (2), must not be served after it.
     */
    public static final int VERSION = 2;

    private ThreatNames() {}

    /**
     * The name itself when it has at most {@value #MAX_LENGTH} characters; else its first {@value #MAX_LENGTH}
     * characters, {@code ...} and the original length: {@code Win.Trojan.AAAA...AAA... (900000 characters)}. The result
     * is never blank when the name is not. Linear in the kept part.
     *
     * @param name the name as reported
     * @return the bounded name
     * @throws NullPointerException if {@code name} is {@code null}
     */
    public static String bounded(String name) {
        if (name.length() <= MAX_LENGTH) {
            return name;
        }
        int end = MAX_LENGTH;
        if (Character.isHighSurrogate(name.charAt(end - 1))) {
            end--; // do not split a character outside the BMP
        }
        return name.substring(0, end) + "... (" + name.length() + " characters)";
    }

    /**
     * The names a verdict keeps: the first {@value #MAX_COUNT} of {@code names}, in their order (all of them when there
     * are no more). Linear in the kept part.
     *
     * @param names the names found, without duplicates
     * @return at most {@value #MAX_COUNT} names, unmodifiable
     * @throws NullPointerException if {@code names} or one of the kept names is {@code null}
     */
    public static List<String> kept(Collection<String> names) {
        return names.stream().limit(MAX_COUNT).toList();
    }

    /**
     * The rule that says a verdict keeps only some of what a scanner reported, when it does: named
     * {@value #OMITTED_RULE}, no score, {@code 12345 more threat names not kept (12445 in all; a verdict keeps the
     * first 100)}, and as many findings (a name in a file) beyond 100 as {@code N more findings not listed by file (M in
     * all)}. The outcome is not changed: the kept names are reported, never none.
     *
     * @param names how many distinct threat names the scanner reported
     * @param hits how many findings (a name in a file) it reported
     * @return the rule, or empty when every name and finding is kept
     */
    public static Optional<Rule> omitted(int names, int hits) {
        if (names <= MAX_COUNT && hits <= MAX_COUNT) {
            return Optional.empty();
        }
        List<String> parts = new java.util.ArrayList<>(2);
        if (names > MAX_COUNT) {
            parts.add((names - MAX_COUNT) + " more threat names not kept (" + names
                    + " in all; a verdict keeps the first " + MAX_COUNT + ")");
        }
        if (hits > MAX_COUNT) {
            parts.add((hits - MAX_COUNT) + " more findings not listed by file (" + hits + " in all)");
        }
        String text = String.join("; ", parts);
        return Optional.of(new Rule(OMITTED_RULE, OptionalDouble.empty(), text));
    }
}
