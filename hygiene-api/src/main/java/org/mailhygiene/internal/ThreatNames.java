package org.mailhygiene.internal;

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
     * How names are bounded, for the cache identity of a scanner whose verdicts carry them: a verdict cached before the
     * bound, with a longer name, must not be served after it.
     */
    public static final int VERSION = 1;

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
}
