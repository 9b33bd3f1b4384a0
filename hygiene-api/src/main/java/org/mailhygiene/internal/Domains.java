package org.mailhygiene.internal;

import java.net.IDN;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;

/**
 * Domain names as the project compares and looks them up: lower case, and internationalised labels as A-labels (RFC
 * 5890), so {@code bücher.example} and {@code xn--bcher-kva.example} are one domain wherever a configuration names it
 * and whichever form a client wrote (a client without SMTPUTF8 can only write the A-labels).
 *
 * <p>The JDK's {@link IDN} implements IDNA2003, which maps the "deviation" characters {@code ß} (U+00DF) and {@code ς}
 * (U+03C2) to other letters ({@code ss}, {@code σ}) and deletes the joiners U+200C and U+200D: it turned
 * {@code straße.example} into {@code strasse.example}, another domain with another owner (so a message from
 * {@code ceo@straße.example} was checked against {@code strasse.example}'s SPF and DMARC records, session 38). Here a
 * label with {@code ß} or {@code ς} is encoded as written (Punycode, RFC 3492), as IDNA2008 (RFC 5891), registries and
 * mail clients do: {@code straße.example} is {@code xn--strae-oqa.example}; a label with a joiner is refused, as IDNA2008
 * refuses a joiner outside the few scripts whose rules allow it. Every other label goes through {@link IDN} (its case
 * and compatibility mapping, its checks). IDNA's other full stops (U+3002, U+FF0E, U+FF61) separate labels too.
 * Stateless and thread-safe.
 */
public final class Domains {
    private Domains() {}

    /** The longest label DNS allows (RFC 1035 section 2.3.4). */
    private static final int MAX_LABEL = 63;

    /**
     * The A-label form of a domain name, lower case, strictly: what SPF and DMARC look up.
     *
     * @param domain a domain name, U-labels or A-labels
     * @return the name with every label in ASCII, lower case
     * @throws IllegalArgumentException if the name is no valid internationalised domain name (as {@link
     *     IDN#toASCII(String, int)} with {@link IDN#USE_STD3_ASCII_RULES} says: an empty label, a label over 63
     *     characters, a character no host name holds), or a label holds a joiner (U+200C, U+200D)
     * @throws NullPointerException if {@code domain} is {@code null}
     */
    public static String aLabels(String domain) {
        return convert(Objects.requireNonNull(domain, "domain"), IDN.USE_STD3_ASCII_RULES);
    }

    /**
     * The comparable form of a domain as configurations and envelopes give it: lower case, trailing dots removed,
     * internationalised labels as A-labels ({@link #aLabels(String)}, without its host-name character rules, so an
     * underscore is kept). A name that cannot be converted (a joiner, a label too long once encoded) and an address
     * literal in brackets are only lower-cased, so they still match only themselves; a suffix pattern keeps its
     * leading dot ({@code .bücher.example} is {@code .xn--bcher-kva.example}). Linear in the length of the text.
     *
     * @param domain a domain name or pattern, possibly empty
     * @return its comparable form
     * @throws NullPointerException if {@code domain} is {@code null}
     */
    public static String ascii(String domain) {
        Objects.requireNonNull(domain, "domain");
        String d = domain.strip();
        int end = d.length();
        while (end > 0 && d.charAt(end - 1) == '.') {
            end--;
        }
        d = d.substring(0, end);
        if (isAscii(d) || d.startsWith("[")) {
            return d.toLowerCase(Locale.ROOT);
        }
        boolean suffix = d.startsWith(".");
        try {
            return (suffix ? "." : "") + convert(suffix ? d.substring(1) : d, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            return d.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A host name as a greeting, EHLO or a mailbox needs it: one with labels outside ASCII as its A-labels
     * ({@link #aLabels(String)}: {@code mail.bücher.example} is {@code mail.xn--bcher-kva.example}, which every client
     * and server reads); an ASCII name, or one that is no valid internationalised name (for the caller's own check
     * to refuse), exactly as given.
     *
     * @param name a host name
     * @return the name, internationalised labels as A-labels
     * @throws NullPointerException if {@code name} is {@code null}
     */
    public static String hostName(String name) {
        if (isAscii(Objects.requireNonNull(name, "name"))) {
            return name;
        }
        try {
            return aLabels(name.strip());
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    /**
     * A mailbox with its domain (after the last {@code @}) as {@link #hostName(String)} gives it, so that any next hop
     * takes it without SMTPUTF8 ({@code admin@bücher.example} is {@code admin@xn--bcher-kva.example}); the local part
     * as given.
     *
     * @param address a mailbox
     * @return the mailbox, its domain's internationalised labels as A-labels
     * @throws NullPointerException if {@code address} is {@code null}
     */
    public static String mailbox(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at + 1) + hostName(address.substring(at + 1));
    }

    private static String convert(String domain, int flags) {
        if (isAscii(domain)) {
            return IDN.toASCII(domain, flags).toLowerCase(Locale.ROOT);
        }
        String dotted = domain.replace('\u3002', '.').replace('\uff0e', '.').replace('\uff61', '.');
        StringBuilder out = new StringBuilder(dotted.length() + 16);
        int start = 0;
        while (true) {
            int dot = dotted.indexOf('.', start);
            out.append(label(dotted.substring(start, dot < 0 ? dotted.length() : dot), flags));
            if (dot < 0) {
                break;
            }
            out.append('.');
            start = dot + 1;
        }
        // the whole name through the JDK once more: its length and label rules (every label is ASCII now)
        return IDN.toASCII(out.toString(), flags).toLowerCase(Locale.ROOT);
    }

    private static String label(String label, int flags) {
        if (label.indexOf('\u200c') >= 0 || label.indexOf('\u200d') >= 0) {
            throw new IllegalArgumentException("a joiner (U+200C, U+200D) in the label " + label);
        }
        if (label.indexOf('\u00df') < 0 && label.indexOf('\u03c2') < 0) {
            return IDN.toASCII(label, flags); // IDNA2003's mapping and checks, where it agrees with IDNA2008
        }
        // a deviation character: encoded as written, after the same case and compatibility mapping for the rest
        String unicode = Normalizer.normalize(
                Normalizer.normalize(label, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT), Normalizer.Form.NFC);
        if (isAscii(unicode)) {
            return unicode;
        }
        if (unicode.codePointCount(0, unicode.length()) > MAX_LABEL) {
            throw new IllegalArgumentException("label longer than 63 characters: " + label);
        }
        String encoded = "xn--" + punycode(unicode);
        if (encoded.length() > MAX_LABEL) {
            throw new IllegalArgumentException("label longer than 63 characters once encoded: " + label);
        }
        return encoded;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    // RFC 3492 section 5: the parameters for IDNA
    private static final int BASE = 36;
    private static final int TMIN = 1;
    private static final int TMAX = 26;
    private static final int SKEW = 38;
    private static final int DAMP = 700;
    private static final int INITIAL_BIAS = 72;
    private static final int INITIAL_N = 0x80;

    /**
     * The Punycode encoding of a label (RFC 3492 section 6.3), without the {@code xn--} prefix. Quadratic in the
     * label's code points, which callers hold to 63; its arithmetic cannot overflow for so few.
     *
     * @param label the label, code points
     * @return its encoding, ASCII
     */
    static String punycode(String label) {
        int[] cps = label.codePoints().toArray();
        StringBuilder out = new StringBuilder(cps.length + 8);
        for (int c : cps) {
            if (c < 0x80) {
                out.append((char) c);
            }
        }
        int basic = out.length();
        int handled = basic;
        if (basic > 0) {
            out.append('-');
        }
        int n = INITIAL_N;
        long delta = 0;
        int bias = INITIAL_BIAS;
        while (handled < cps.length) {
            int m = Integer.MAX_VALUE;
            for (int c : cps) {
                if (c >= n && c < m) {
                    m = c;
                }
            }
            delta += (long) (m - n) * (handled + 1);
            n = m;
            for (int c : cps) {
                if (c < n) {
                    delta++;
                } else if (c == n) {
                    long q = delta;
                    for (int k = BASE; ; k += BASE) {
                        int t = k <= bias ? TMIN : Math.min(k - bias, TMAX);
                        if (q < t) {
                            break;
                        }
                        out.append(digit((int) (t + (q - t) % (BASE - t))));
                        q = (q - t) / (BASE - t);
                    }
                    out.append(digit((int) q));
                    bias = adapt(delta, handled + 1, handled == basic);
                    delta = 0;
                    handled++;
                }
            }
            delta++;
            n++;
        }
        return out.toString();
    }

    private static char digit(int d) {
        return (char) (d < 26 ? 'a' + d : '0' + d - 26);
    }

    private static int adapt(long delta, int points, boolean first) {
        long dl = first ? delta / DAMP : delta / 2;
        dl += dl / points;
        int k = 0;
        while (dl > ((BASE - TMIN) * TMAX) / 2) {
            dl /= BASE - TMIN;
            k += BASE;
        }
        return (int) (k + (BASE - TMIN + 1) * dl / (dl + SKEW));
    }
}
