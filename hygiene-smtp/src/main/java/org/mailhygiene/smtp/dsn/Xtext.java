package org.mailhygiene.smtp.dsn;

import java.util.Locale;

/**
 * The xtext encoding of RFC 3461 §4 ({@code ENVID}, {@code ORCPT}) and the {@code utf-8} address forms of RFC 6533
 * §3 ({@code \x{HEX}}). Stateless and thread-safe; every method runs in time linear in its input.
 *
 * <p>xtext: the characters {@code !} to {@code ~} except {@code +} and {@code =} stand for themselves; any other octet
 * is {@code +} followed by two upper-case hex digits. Decoding is strict: a {@code +} must be followed by two
 * upper-case hex digits (RFC 3461's {@code hexchar}), and a character outside {@code !}..{@code ~}, or a bare
 * {@code =}, is an error.
 */
public final class Xtext {
    private static final String HEX = "0123456789ABCDEF";

    private Xtext() {}

    /**
     * Encodes text as xtext. Characters above U+007F are encoded as their UTF-8 octets, each {@code +HH} (RFC 3461
     * allows only ASCII there; the DSN parameters the relay passes on are ASCII, and the {@code utf-8} address type
     * uses {@link #encodeUtf8Address} instead).
     *
     * @param text the text; may be empty
     * @return its xtext form
     * @throws NullPointerException if {@code text} is {@code null}
     */
    public static String encode(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= '!' && c <= '~' && c != '+' && c != '=') {
                sb.append((char) c);
            } else {
                sb.append('+').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
            }
        }
        return sb.toString();
    }

    /**
     * Decodes xtext into the octets it stands for, read as ISO-8859-1 characters (one char per octet).
     *
     * @param xtext the encoded text
     * @return the decoded text
     * @throws IllegalArgumentException if {@code xtext} is not valid xtext
     * @throws NullPointerException if {@code xtext} is {@code null}
     */
    public static String decode(String xtext) {
        StringBuilder sb = new StringBuilder(xtext.length());
        int n = xtext.length();
        for (int i = 0; i < n; i++) {
            char c = xtext.charAt(i);
            if (c == '+') {
                if (i + 2 >= n) {
                    throw new IllegalArgumentException("xtext: '+' needs two hex digits");
                }
                int hi = hexDigit(xtext.charAt(i + 1));
                int lo = hexDigit(xtext.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("xtext: '+' needs two upper-case hex digits");
                }
                sb.append((char) (hi << 4 | lo));
                i += 2;
            } else if (c >= '!' && c <= '~' && c != '=') {
                sb.append(c);
            } else {
                throw new IllegalArgumentException("xtext: character not allowed: U+"
                        + Integer.toHexString(c).toUpperCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }

    /**
     * Whether {@code s} is valid xtext ({@link #decode} would succeed).
     *
     * @param s the text
     * @return {@code true} for valid xtext
     * @throws NullPointerException if {@code s} is {@code null}
     */
    public static boolean isValid(String s) {
        try {
            decode(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Encodes an address for the {@code utf-8} address type in its ASCII form (RFC 6533 §3,
     * {@code utf-8-addr-xtext}): every character outside {@code !}..{@code ~}, and {@code \}, {@code +} and
     * {@code =}, as {@code \x{HEX}} with its code point in upper-case hex.
     *
     * @param address the address
     * @return its {@code utf-8-addr-xtext} form, all ASCII
     * @throws NullPointerException if {@code address} is {@code null}
     */
    public static String encodeUtf8Address(String address) {
        StringBuilder sb = new StringBuilder(address.length() + 8);
        address.codePoints().forEach(cp -> {
            if (cp > 0x7e || cp < 0x21 || cp == '\\' || cp == '+' || cp == '=') {
                sb.append("\\x{")
                        .append(Integer.toHexString(cp).toUpperCase(Locale.ROOT))
                        .append('}');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    /**
     * Decodes a {@code utf-8} address type's value (RFC 6533 §3): {@code utf-8-addr-xtext}, or with {@code unitext}
     * also {@code utf-8-addr-unitext} (non-ASCII characters as themselves, as an SMTPUTF8 transaction may send them).
     * {@code \x{HEX}} takes 1 to 6 hex digits (either case) naming a Unicode scalar value.
     *
     * @param value the encoded address
     * @param unitext whether raw non-ASCII characters are allowed
     * @return the address
     * @throws IllegalArgumentException if {@code value} is not of that form
     * @throws NullPointerException if {@code value} is {@code null}
     */
    public static String decodeUtf8Address(String value, boolean unitext) {
        StringBuilder sb = new StringBuilder(value.length());
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                if (i + 3 >= n || value.charAt(i + 1) != 'x' || value.charAt(i + 2) != '{') {
                    throw new IllegalArgumentException("utf-8 address: '\\' must start \\x{HEX}");
                }
                int j = i + 3;
                int cp = 0;
                while (j < n && j - (i + 3) < 7 && value.charAt(j) != '}') {
                    char h = value.charAt(j);
                    int d = h >= 'a' && h <= 'f' ? h - 'a' + 10 : hexDigit(h);
                    if (d < 0) {
                        throw new IllegalArgumentException("utf-8 address: bad hex digit in \\x{...}");
                    }
                    cp = cp << 4 | d;
                    j++;
                }
                int digits = j - (i + 3);
                if (j >= n || value.charAt(j) != '}' || digits < 1 || digits > 6) {
                    throw new IllegalArgumentException("utf-8 address: \\x{...} needs 1 to 6 hex digits and '}'");
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    throw new IllegalArgumentException("utf-8 address: \\x{...} is not a Unicode scalar value");
                }
                sb.appendCodePoint(cp);
                i = j;
            } else if (c >= '!' && c <= '~' && c != '+' && c != '=') {
                sb.append(c);
            } else if (c > 0x7f && unitext && !Character.isISOControl(c) && c != '\uFFFD') {
                if (Character.isHighSurrogate(c)) {
                    if (i + 1 >= n || !Character.isLowSurrogate(value.charAt(i + 1))) {
                        throw new IllegalArgumentException("utf-8 address: unpaired surrogate");
                    }
                    sb.append(c).append(value.charAt(++i));
                } else if (Character.isLowSurrogate(c)) {
                    throw new IllegalArgumentException("utf-8 address: unpaired surrogate");
                } else {
                    sb.append(c);
                }
            } else {
                throw new IllegalArgumentException("utf-8 address: character not allowed: U+"
                        + Integer.toHexString(c).toUpperCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
