package org.mailhygiene.scanners.auth;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** SPF macro expansion (RFC 7208 section 7). Stateless; linear in the macro string. */
final class Macros {
    private Macros() {}

    /**
     * What macros expand to; {@code receiver} is the {@code r} macro (explanations only), the checking host's
     * domain.
     */
    record Context(
            InetAddress ip,
            String sender,
            String domain,
            String helo,
            java.util.function.Supplier<String> ptr,
            String receiver) {}

    static boolean validMacroString(String s) {
        return validMacroString(s, false);
    }

    /** Whether s is a macro-string ({@code spaces}: an explanation string, where SP may appear too). */
    static boolean validMacroString(String s, boolean spaces) {
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '%') {
                if ((c < 0x21 || c > 0x7e) && !(spaces && c == ' ')) {
                    return false;
                }
                i++;
                continue;
            }
            if (i + 1 >= s.length()) {
                return false;
            }
            char n = s.charAt(i + 1);
            if (n == '%' || n == '_' || n == '-') {
                i += 2;
                continue;
            }
            if (n != '{') {
                return false;
            }
            int close = s.indexOf('}', i);
            if (close < 0 || !validMacro(s.substring(i + 2, close))) {
                return false;
            }
            i = close + 1;
        }
        return true;
    }

    /** Whether a valid macro string uses c, r or t, which only explanations may. */
    static boolean hasExplanationOnlyMacro(String s) {
        int i = s.indexOf("%{");
        while (i >= 0) {
            if (i + 2 < s.length() && "crtCRT".indexOf(s.charAt(i + 2)) >= 0 && (i == 0 || s.charAt(i - 1) != '%')) {
                return true;
            }
            i = s.indexOf("%{", i + 2);
        }
        return false;
    }

    private static boolean validMacro(String body) {
        if (body.isEmpty() || "slodiphcrtvSLODIPHCRTV".indexOf(body.charAt(0)) < 0) {
            return false;
        }
        int i = 1;
        while (i < body.length() && Character.isDigit(body.charAt(i))) {
            i++;
        }
        if (i < body.length() && (body.charAt(i) == 'r' || body.charAt(i) == 'R')) {
            i++;
        }
        while (i < body.length()) {
            if (".-+,/_=".indexOf(body.charAt(i)) < 0) {
                return false;
            }
            i++;
        }
        return true;
    }

    /**
     * Expands a macro string.
     *
     * @param s a string that passed {@link #validMacroString}
     * @param exp whether c, r and t are allowed (explanations only)
     * @return the expansion, or {@code null} if a macro is not allowed here
     */
    static String expand(String s, Context ctx, boolean exp) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '%') {
                out.append(c);
                i++;
                continue;
            }
            char n = s.charAt(i + 1);
            if (n == '%') {
                out.append('%');
                i += 2;
                continue;
            }
            if (n == '_') {
                out.append(' ');
                i += 2;
                continue;
            }
            if (n == '-') {
                out.append("%20");
                i += 2;
                continue;
            }
            int close = s.indexOf('}', i);
            String body = s.substring(i + 2, close);
            i = close + 1;
            char letter = body.charAt(0);
            char lower = Character.toLowerCase(letter);
            String value;
            switch (lower) {
                case 's' -> value = ctx.sender();
                case 'l' -> value = ctx.sender().substring(0, ctx.sender().lastIndexOf('@'));
                case 'o' -> value = ctx.sender().substring(ctx.sender().lastIndexOf('@') + 1);
                case 'd' -> value = ctx.domain();
                case 'i' -> value = dotted(ctx.ip());
                case 'p' -> value = ctx.ptr().get();
                case 'v' -> value = ctx.ip() instanceof Inet4Address ? "in-addr" : "ip6";
                case 'h' -> value = ctx.helo();
                case 'c' -> {
                    if (!exp) {
                        return null;
                    }
                    value = readable(ctx.ip());
                }
                case 'r' -> {
                    if (!exp) {
                        return null;
                    }
                    value = ctx.receiver();
                }
                case 't' -> {
                    if (!exp) {
                        return null;
                    }
                    value = Long.toString(System.currentTimeMillis() / 1000);
                }
                default -> value = "";
            }
            int k = 1;
            int digits = 0;
            boolean hasDigits = false;
            while (k < body.length() && Character.isDigit(body.charAt(k))) {
                hasDigits = true;
                digits = Math.min(1000, digits * 10 + (body.charAt(k) - '0'));
                k++;
            }
            boolean reverse = false;
            if (k < body.length() && (body.charAt(k) == 'r' || body.charAt(k) == 'R')) {
                reverse = true;
                k++;
            }
            String delims = k < body.length() ? body.substring(k) : ".";
            List<String> parts = split(value, delims);
            if (reverse) {
                Collections.reverse(parts);
            }
            if (hasDigits) {
                if (digits == 0) {
                    return null;
                }
                if (parts.size() > digits) {
                    parts = parts.subList(parts.size() - digits, parts.size());
                }
            }
            String joined = String.join(".", parts);
            if (Character.isUpperCase(letter)) {
                joined = urlEncode(joined);
            }
            out.append(joined);
        }
        return out.toString();
    }

    private static List<String> split(String value, String delims) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            if (delims.indexOf(value.charAt(i)) >= 0) {
                parts.add(value.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(value.substring(start));
        return parts;
    }

    private static String urlEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

    /** The "c" macro: dotted quad, or the RFC 5952 text form of an IPv6 address (lower case, longest zero run as ::). */
    static String readable(InetAddress ip) {
        String text = org.mailhygiene.internal.HostPorts.address(ip);
        int zone = text.indexOf('%');
        return zone >= 0 ? text.substring(0, zone) : text;
    }

    /** The "i" macro: dotted quad, or 32 dot-separated nibbles for IPv6. */
    static String dotted(InetAddress ip) {
        byte[] a = ip.getAddress();
        if (a.length == 4) {
            return ip.getHostAddress();
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : a) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append('.').append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    /** The reverse-lookup name of an address. */
    static String reverseName(InetAddress ip) {
        List<String> parts = split(dotted(ip), ".");
        Collections.reverse(parts);
        return String.join(".", parts) + (ip instanceof Inet4Address ? ".in-addr.arpa" : ".ip6.arpa");
    }
}
