package org.mailhygiene.internal;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;

/**
 * Domain names as the project compares and looks them up: lower case, without a trailing dot, and internationalised
 * labels as A-labels (RFC 5890), so {@code bücher.example} and {@code xn--bcher-kva.example} are one domain wherever a
 * configuration names it and whichever form a client wrote (a client without SMTPUTF8 can only write the A-labels).
 *
 * <p>The mapping is that of UTS #46 without transitional processing, as browsers and current mail software use it, in
 * its common part: compatibility normalisation (NFKC: full-width letters become ASCII), lower case, the ideographic
 * full stop as a dot, then each label with a character outside ASCII encoded with Punycode (RFC 3492). Unlike
 * {@link java.net.IDN} (IDNA 2003), {@code ß} stays a letter of its own: {@code straße.example} is
 * {@code xn--strae-oqa.example}, never {@code strasse.example}, another domain with another owner. Stateless and
 * thread-safe.
 */
public final class Domains {
    private Domains() {}

    /** The longest label DNS allows (RFC 1035 section 2.3.4). */
    private static final int MAX_LABEL = 63;

    /**
     * The comparable form of a domain (see the class description); trailing dots removed; an ASCII name only
     * lower-cased. A name that cannot be converted (a label longer than 63 characters once encoded) and an address
     * literal in brackets are only lower-cased, so they still match only themselves; an empty label stays empty (a
     * suffix pattern {@code .bücher.example} keeps its leading dot). Linear in the length of the text.
     *
     * @param domain a domain name, possibly empty
     * @return its comparable form
     * @throws NullPointerException if {@code domain} is {@code null}
     */
    public static String ascii(String domain) {
        Objects.requireNonNull(domain, "domain");
        String d = domain.strip();
        if (isAscii(d) || d.startsWith("[")) {
            return withoutTrailingDots(d.toLowerCase(Locale.ROOT));
        }
        String mapped = Normalizer.normalize(d, Normalizer.Form.NFKC)
                .replace('\u3002', '.')
                .toLowerCase(Locale.ROOT);
        mapped = withoutTrailingDots(mapped);
        StringBuilder out = new StringBuilder(mapped.length() + 16);
        int start = 0;
        while (true) {
            int dot = mapped.indexOf('.', start);
            String label = mapped.substring(start, dot < 0 ? mapped.length() : dot);
            if (isAscii(label)) {
                out.append(label);
            } else if (label.codePointCount(0, label.length()) > MAX_LABEL) {
                return withoutTrailingDots(d.toLowerCase(Locale.ROOT)); // longer still once encoded
            } else {
                String encoded = "xn--" + punycode(label);
                if (encoded.length() > MAX_LABEL) {
                    return withoutTrailingDots(d.toLowerCase(Locale.ROOT));
                }
                out.append(encoded);
            }
            if (dot < 0) {
                return out.toString();
            }
            out.append('.');
            start = dot + 1;
        }
    }

    private static String withoutTrailingDots(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
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
     * label's code points, which the caller holds to 63; Punycode's arithmetic cannot overflow for so few.
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
        int delta = 0;
        int bias = INITIAL_BIAS;
        while (handled < cps.length) {
            int m = Integer.MAX_VALUE;
            for (int c : cps) {
                if (c >= n && c < m) {
                    m = c;
                }
            }
            delta += (m - n) * (handled + 1); // below 0x110000 * 64: no overflow
            n = m;
            for (int c : cps) {
                if (c < n) {
                    delta++;
                } else if (c == n) {
                    int q = delta;
                    for (int k = BASE; ; k += BASE) {
                        int t = k <= bias ? TMIN : Math.min(k - bias, TMAX);
                        if (q < t) {
                            break;
                        }
                        out.append(digit(t + (q - t) % (BASE - t)));
                        q = (q - t) / (BASE - t);
                    }
                    out.append(digit(q));
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

    private static int adapt(int delta, int points, boolean first) {
        int dl = first ? delta / DAMP : delta / 2;
        dl += dl / points;
        int k = 0;
        while (dl > ((BASE - TMIN) * TMAX) / 2) {
            dl /= BASE - TMIN;
            k += BASE;
        }
        return k + (BASE - TMIN + 1) * dl / (dl + SKEW);
    }
}
