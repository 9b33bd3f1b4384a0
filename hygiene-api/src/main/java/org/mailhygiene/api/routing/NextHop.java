package org.mailhygiene.api.routing;

import java.util.Locale;
import java.util.Objects;

/**
 * A relay to connect to: a host name or IP literal and a port.
 *
 * <p>Immutable and thread-safe. {@link #toString()} gives the parseable form: {@code host:port},
 * {@code 192.0.2.1:25} or {@code [2001:db8::1]:25}.
 *
 * @param host a host name (lower-cased, internationalised labels as A-labels: {@code mx.bücher.example} is kept as
 *     {@code mx.xn--bcher-kva.example}) or an IP address literal without brackets
 * @param port the TCP port, 1 to 65535
 */
public record NextHop(String host, int port) {
    /** The SMTP port. */
    public static final int SMTP_PORT = 25;

    /**
     * Validates and normalises the components.
     *
     * @throws NullPointerException if {@code host} is {@code null}
     * @throws IllegalArgumentException if the host is empty, holds characters that are neither a host name's nor an
     *     IP literal's, or is a dotted number that is no IPv4 address ({@code 127.0.0.300}, {@code 10.1.2}: RFC 1123
     *     section 2.1, a host name is never all numeric, so such a hop was looked up in DNS at every attempt until its
     *     mail bounced), or an IPv4 address with a number with a leading zero ({@code 127.0.0.013}: octal to some
     *     programs), or the port is outside 1..65535
     */
    public NextHop {
        Objects.requireNonNull(host, "host");
        host = host.toLowerCase(Locale.ROOT);
        if (host.indexOf(':') < 0) {
            host = org.mailhygiene.internal.Domains.ascii(host);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '_';
            if (!ok) {
                throw new IllegalArgumentException("invalid character '" + c + "' in host " + host);
            }
        }
        if (host.indexOf(':') < 0 && host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')) && !isIpv4(host)) {
            throw new IllegalArgumentException(host + " is no IPv4 address (four numbers 0 to 255) and no host name");
        }
        String leadingZero = org.mailhygiene.internal.Ipv4.leadingZeroProblem(host);
        if (leadingZero != null) {
            // delivered to 127.0.0.13 for 127.0.0.013, where qmail's or inet_aton's reading is another host
            throw new IllegalArgumentException(leadingZero);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, was " + port);
        }
    }

    /**
     * Parses {@code host}, {@code host:port}, {@code 192.0.2.1}, {@code [192.0.2.1]:2525}, {@code [2001:db8::1]} or
     * {@code [2001:db8::1]:25}. A bare IPv6 address without brackets is accepted only without a port.
     *
     * @param text the text
     * @param defaultPort the port when none is given
     * @return the next hop
     * @throws IllegalArgumentException if the text is malformed
     */
    public static NextHop parse(String text, int defaultPort) {
        Objects.requireNonNull(text, "text");
        String t = text.trim();
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in " + text);
            }
            String host = t.substring(1, close);
            String rest = t.substring(close + 1);
            if (rest.isEmpty()) {
                return new NextHop(host, defaultPort);
            }
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("expected ':port' after ']' in " + text);
            }
            return new NextHop(host, parsePort(rest.substring(1), text));
        }
        int first = t.indexOf(':');
        if (first < 0) {
            return new NextHop(t, defaultPort);
        }
        if (t.indexOf(':', first + 1) >= 0) {
            return new NextHop(t, defaultPort); // bare IPv6 literal
        }
        return new NextHop(t.substring(0, first), parsePort(t.substring(first + 1), text));
    }

    private static int parsePort(String p, String text) {
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port '" + p + "' in " + text, e);
        }
    }

    /**
     * Whether the host is an IP address literal (IPv4 dotted quad or IPv6), so no DNS is needed.
     *
     * @return {@code true} for an IP literal
     */
    public boolean isIpLiteral() {
        return host.indexOf(':') >= 0 || isIpv4(host);
    }

    private static boolean isIpv4(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return org.mailhygiene.internal.HostPorts.of(host, port);
    }
}
