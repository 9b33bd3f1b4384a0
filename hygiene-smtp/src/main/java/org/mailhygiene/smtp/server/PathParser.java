package org.mailhygiene.smtp.server;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the argument of {@code MAIL FROM:} and {@code RCPT TO:} (RFC 5321 §4.1.2): a path in angle brackets followed
 * by ESMTP parameters. Package-private; stateless and thread-safe.
 *
 * <p>Accepted: {@code <>} (MAIL only), {@code <mailbox>}, {@code <@route,@route:mailbox>} (the route is dropped, RFC
 * 5321 Appendix C), and the bare {@code <postmaster>} (RCPT only). One optional space after the colon is tolerated, as
 * common clients send it. Non-ASCII characters are allowed in the local part and domain only when {@code utf8} is
 * set (SMTPUTF8). Lengths: local part 64 octets, domain 255, path 256 (RFC 5321 §4.5.3.1).
 */
final class PathParser {
    static final int MAX_LOCAL = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_PATH = 256;

    private PathParser() {}

    /** A syntax error, carrying the enhanced status detail and text for the 501/553 reply. */
    static final class PathException extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;
        final String status;

        PathException(int code, String status, String message) {
            super(message, null, false, false);
            this.code = code;
            this.status = status;
        }
    }

    /**
     * A parsed path and its parameters.
     *
     * @param mailbox the mailbox, {@code null} for the null path {@code <>}
     * @param sourceRoute whether a source route was given (and dropped)
     * @param params the ESMTP parameters, keywords upper-cased, values as written ({@code ""} when none)
     */
    record Parsed(Mailbox mailbox, boolean sourceRoute, Map<String, String> params) {}

    /**
     * Parses {@code FROM:<path> params} or {@code TO:<path> params}.
     *
     * @param argument the command argument
     * @param keyword {@code FROM} or {@code TO}
     * @param allowNull whether {@code <>} is allowed
     * @param allowBarePostmaster whether {@code <postmaster>} without a domain is allowed
     * @param utf8 whether SMTPUTF8 is in effect (non-ASCII allowed in the address)
     * @return the parsed path
     * @throws PathException with the reply code, status and text for a syntax error
     */
    static Parsed parse(String argument, String keyword, boolean allowNull, boolean allowBarePostmaster, boolean utf8)
            throws PathException {
        String prefix = keyword + ":";
        if (argument.length() < prefix.length() || !argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new PathException(
                    501, "5.5.4", "Syntax: " + (allowNull ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
        }
        int pos = prefix.length();
        if (pos < argument.length() && argument.charAt(pos) == ' ') {
            pos++;
        }
        if (pos >= argument.length() || argument.charAt(pos) != '<') {
            throw new PathException(501, "5.5.4", "Address must be in angle brackets");
        }
        int start = pos;
        pos++;
        boolean route = false;
        if (pos < argument.length() && argument.charAt(pos) == '@') {
            // A-d-l ":" : @dom,@dom:
            int colon = pos;
            while (colon < argument.length() && argument.charAt(colon) != ':' && argument.charAt(colon) != '>') {
                colon++;
            }
            if (colon >= argument.length() || argument.charAt(colon) != ':') {
                throw new PathException(501, "5.1.3", "Bad source route");
            }
            for (String hop : argument.substring(pos, colon).split(",", -1)) {
                if (hop.length() < 2 || hop.charAt(0) != '@' || !isDomain(hop.substring(1), false)) {
                    throw new PathException(501, "5.1.3", "Bad source route");
                }
            }
            route = true;
            pos = colon + 1;
        }
        Mailbox mailbox = null;
        int mbStart = pos;
        if (pos < argument.length() && argument.charAt(pos) == '>') {
            if (route || !allowNull) {
                throw new PathException(501, "5.1.3", "Empty address not allowed here");
            }
            pos++;
        } else {
            // local part
            boolean quoted = false;
            StringBuilder local = new StringBuilder();
            if (pos < argument.length() && argument.charAt(pos) == '"') {
                quoted = true;
                pos++;
                boolean closed = false;
                while (pos < argument.length()) {
                    char c = argument.charAt(pos++);
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (pos >= argument.length()) {
                            break;
                        }
                        c = argument.charAt(pos++);
                        if (c < 32 || c == 127 || (c > 127 && !utf8)) {
                            throw new PathException(501, "5.1.3", "Bad character in quoted local part");
                        }
                    } else if (c < 32 || c == 127 || (c > 127 && !utf8)) {
                        throw badChar(c, utf8);
                    }
                    local.append(c);
                }
                if (!closed) {
                    throw new PathException(501, "5.1.3", "Unterminated quoted local part");
                }
            } else {
                while (pos < argument.length()) {
                    char c = argument.charAt(pos);
                    if (c == '@' || c == '>') {
                        break;
                    }
                    if (!isAtext(c, utf8) && c != '.') {
                        throw badChar(c, utf8);
                    }
                    local.append(c);
                    pos++;
                }
                String l = local.toString();
                if (l.isEmpty() || l.startsWith(".") || l.endsWith(".") || l.contains("..")) {
                    throw new PathException(501, "5.1.3", "Bad local part");
                }
            }
            if (utf8Length(local) > MAX_LOCAL) {
                throw new PathException(501, "5.1.3", "Local part longer than 64 octets");
            }
            String domain;
            if (pos < argument.length() && argument.charAt(pos) == '@') {
                pos++;
                int dStart = pos;
                while (pos < argument.length() && argument.charAt(pos) != '>') {
                    pos++;
                }
                domain = argument.substring(dStart, pos);
                if (!isDomain(domain, utf8) && !isAddressLiteral(domain)) {
                    if (!utf8 && domain.chars().anyMatch(c -> c > 127)) {
                        throw new PathException(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
                    }
                    throw new PathException(501, "5.1.3", "Bad domain");
                }
                if (utf8Length(domain) > MAX_DOMAIN) {
                    throw new PathException(501, "5.1.3", "Domain longer than 255 octets");
                }
            } else {
                if (!allowBarePostmaster || quoted || !local.toString().equalsIgnoreCase("postmaster")) {
                    throw new PathException(501, "5.1.3", "Address needs a domain");
                }
                domain = "";
            }
            if (pos >= argument.length() || argument.charAt(pos) != '>') {
                throw new PathException(501, "5.1.3", "Missing '>'");
            }
            String address = argument.substring(mbStart, pos);
            mailbox = new Mailbox(local.toString(), quoted, domain, address);
            pos++;
        }
        if (utf8Length(argument.substring(start, pos)) > MAX_PATH) {
            throw new PathException(501, "5.1.3", "Path longer than 256 octets");
        }
        return new Parsed(mailbox, route, parseParams(argument.substring(pos), utf8));
    }

    private static PathException badChar(char c, boolean utf8) {
        if (c > 127 && !utf8) {
            return new PathException(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
        }
        return new PathException(501, "5.1.3", "Bad character in address");
    }

    /**
     * The ESMTP parameters: {@code KEY[=VALUE]} separated by spaces. A value is printable ASCII without {@code =}, and
     * with {@code utf8} (SMTPUTF8) may also hold non-ASCII characters (RFC 6531 §3.3 {@code esmtp-value}), as an
     * {@code ORCPT=utf-8;...} does.
     */
    private static Map<String, String> parseParams(String rest, boolean utf8) throws PathException {
        Map<String, String> params = new LinkedHashMap<>();
        if (rest.isEmpty()) {
            return params;
        }
        if (rest.charAt(0) != ' ') {
            throw new PathException(501, "5.5.4", "Expected a space before parameters");
        }
        for (String p : rest.trim().split(" +")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            boolean keyOk = !key.isEmpty()
                    && Character.isLetterOrDigit(key.charAt(0))
                    && key.chars().allMatch(c -> (c < 128 && Character.isLetterOrDigit(c)) || c == '-');
            boolean valueOk = value.chars()
                    .allMatch(c -> (c >= 33 && c <= 126 && c != '=') || (utf8 && c > 127 && c != '\uFFFD'));
            if (!keyOk || !valueOk || (eq >= 0 && value.isEmpty())) {
                throw new PathException(501, "5.5.4", "Bad parameter syntax");
            }
            if (params.put(key, value) != null) {
                throw new PathException(501, "5.5.4", "Duplicate parameter " + key);
            }
        }
        return params;
    }

    private static boolean isAtext(char c, boolean utf8) {
        if (c > 127) {
            return utf8 && c != '\uFFFD';
        }
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    /**
     * Whether {@code d} is a domain: dot-separated labels of letters, digits and inner hyphens (and, with
     * {@code utf8}, non-ASCII letters as in U-labels). Underscores are tolerated, as real host names carry them.
     *
     * @param d the text
     * @param utf8 whether non-ASCII labels are allowed
     * @return {@code true} for a syntactically valid domain
     */
    static boolean isDomain(String d, boolean utf8) {
        if (d.isEmpty() || d.length() > MAX_DOMAIN) {
            return false;
        }
        String[] labels = d.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            String l = labels[i];
            if (l.isEmpty()) {
                return false;
            }
            if (l.length() > 63 || l.charAt(0) == '-' || l.charAt(l.length() - 1) == '-') {
                return false;
            }
            for (int k = 0; k < l.length(); k++) {
                char c = l.charAt(k);
                boolean ok = (c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')
                        || c == '-'
                        || c == '_'
                        || (utf8 && c > 127 && c != '\uFFFD' && Character.isLetterOrDigit(c));
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether {@code d} is an address literal: {@code [dotted-quad]}, {@code [IPv6:...]} or a general literal
     * {@code [tag:content]} with printable content.
     *
     * @param d the text
     * @return {@code true} for a syntactically valid literal
     */
    static boolean isAddressLiteral(String d) {
        if (d.length() < 3 || d.charAt(0) != '[' || d.charAt(d.length() - 1) != ']') {
            return false;
        }
        String in = d.substring(1, d.length() - 1);
        if (in.regionMatches(true, 0, "IPv6:", 0, 5)) {
            String v6 = in.substring(5);
            return !v6.isEmpty()
                    && v6.indexOf(':') >= 0
                    && v6.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        String[] parts = in.split("\\.", -1);
        if (parts.length == 4 && in.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
            for (String p : parts) {
                if (p.isEmpty() || p.length() > 3 || Integer.parseInt(p) > 255) {
                    return false;
                }
            }
            return true;
        }
        int colon = in.indexOf(':');
        return colon > 0
                && isDomain(in.substring(0, colon), false)
                && in.substring(colon + 1)
                        .chars()
                        .allMatch(c -> c >= 33 && c <= 126 && c != '[' && c != ']' && c != '\\');
    }

    static int utf8Length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
