package org.mailhygiene.scanners.clamd;

import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a clamd listens: a TCP host and port, or a unix-domain socket path.
 *
 * <p>The text form, accepted by {@link #parse(String)} and produced by {@link #toString()}, is {@code HOST:PORT}
 * ({@code [v6]:PORT} for IPv6 literals) or {@code unix:/path/to/clamd.ctl}; {@link #parse(String)} also takes an
 * absolute socket path alone ({@code /run/clamav/clamd.ctl}), as clamd's own {@code LocalSocket} setting is written. TCP host names are resolved at each
 * connect, not here. Immutable and thread-safe.
 *
 * @param host the TCP host, or empty for a unix socket
 * @param port the TCP port (1..65535), or 0 for a unix socket
 * @param socketPath the unix socket path, or {@code null} for TCP
 */
public record ClamdAddress(String host, int port, Path socketPath) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if neither or both of a TCP address and a socket path are given, or the port is
     *     out of range
     */
    public ClamdAddress {
        Objects.requireNonNull(host, "host");
        if (socketPath == null) {
            if (host.isBlank()) {
                throw new IllegalArgumentException("a TCP clamd address needs a host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("clamd TCP port must be 1..65535, was " + port);
            }
        } else if (!host.isEmpty() || port != 0) {
            throw new IllegalArgumentException("a unix-socket clamd address has no host or port");
        }
    }

    /**
     * A TCP address.
     *
     * @param host a host name or IP literal
     * @param port 1..65535
     * @return the address
     * @throws IllegalArgumentException if the host is blank or the port out of range
     */
    public static ClamdAddress tcp(String host, int port) {
        return new ClamdAddress(host, port, null);
    }

    /**
     * A unix-domain socket address.
     *
     * @param path the socket file, e.g. {@code /run/clamav/clamd.ctl}
     * @return the address
     */
    public static ClamdAddress unix(Path path) {
        return new ClamdAddress("", 0, Objects.requireNonNull(path, "path"));
    }

    /**
     * Parses {@code HOST:PORT}, {@code [IPV6]:PORT}, {@code unix:/path} or an absolute path ({@code /path}, a unix
     * socket).
     *
     * @param text the address text
     * @return the address
     * @throws IllegalArgumentException naming what is wrong with the text (an IPv4 host with a leading zero in a
     *     number, {@code 127.0.0.01}, included: octal to some programs; clamav-milter's {@code tcp:HOST:PORT} form is
     *     refused with the {@code HOST:PORT} to write instead)
     */
    public static ClamdAddress parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.strip();
        if (t.startsWith("unix:")) {
            String p = t.substring(5);
            if (p.isEmpty()) {
                throw new IllegalArgumentException("clamd address '" + text + "': unix: needs a socket path");
            }
            return unix(Path.of(p));
        }
        if (t.startsWith("/")) {
            return unix(Path.of(t));
        }
        if (t.regionMatches(true, 0, "tcp:", 0, 4) && !t.substring(4).chars().allMatch(c -> c >= '0' && c <= '9')) {
            // clamav-milter's ClamdSocket form, tcp:HOST[:PORT] (port 3310 when left out); "tcp:3310" is the host
            // named tcp, port 3310 (a host of digits alone is no name: the property test met "tcp:1" and refused it)
            String rest = t.substring(4);
            boolean hasPort = rest.startsWith("[") ? rest.lastIndexOf("]:") > 0 : rest.indexOf(':') >= 0;
            throw new IllegalArgumentException(
                    "clamd address '" + text + "': write HOST:PORT without clamav-milter's tcp: prefix, here " + rest
                            + (hasPort ? "" : ":3310"));
        }
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException(
                    "clamd address '" + text + "' is neither HOST:PORT, [IPV6]:PORT, unix:/path nor /path");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException(
                    "clamd address '" + text + "': write IPv6 literals in brackets, e.g. [::1]:3310");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("clamd address '" + text + "': port is not a number", e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("clamd address '" + text + "': port must be 1..65535");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("clamd address '" + text + "': host is empty");
        }
        String leadingZero = org.mailhygiene.internal.Ipv4.leadingZeroProblem(host);
        if (leadingZero != null) {
            throw new IllegalArgumentException("clamd address " + leadingZero);
        }
        return tcp(host, port);
    }

    /**
     * Whether this is a unix-domain socket address.
     *
     * @return {@code true} for {@code unix:} addresses
     */
    public boolean isUnix() {
        return socketPath != null;
    }

    /**
     * What is wrong with a unix socket path that exists but is no socket: a directory (the directory of clamd's
     * {@code LocalSocket} instead of the socket in it) or a regular file (clamd's configuration, or a socket path
     * someone wrote a file to). A connect to either fails with "Connection refused", as if clamd were only stopped,
     * though no clamd can ever listen there. A path that does not exist is not named: clamd makes the socket when it
     * starts. Looks at the file system each time it is called.
     *
     * @return why the path cannot be clamd's socket; empty for a TCP address, a socket, or a path with nothing there
     */
    public Optional<String> notASocket() {
        if (!isUnix()) {
            return Optional.empty();
        }
        if (Files.isDirectory(socketPath)) {
            return Optional.of("is a directory, not a socket: name the socket in it, clamd's LocalSocket setting"
                    + " (Debian: /run/clamav/clamd.ctl)");
        }
        if (Files.isRegularFile(socketPath)) {
            return Optional.of("is a regular file, not a socket (no clamd can listen there): name clamd's LocalSocket"
                    + " (Debian: /run/clamav/clamd.ctl)");
        }
        return Optional.empty();
    }

    /**
     * The protocol family to open a channel with.
     *
     * @return {@link StandardProtocolFamily#UNIX} or {@link StandardProtocolFamily#INET} (IPv6 is chosen by the
     *     resolved address)
     */
    ProtocolFamily family() {
        return isUnix() ? StandardProtocolFamily.UNIX : null;
    }

    /**
     * A socket address to connect to; resolves TCP host names now.
     *
     * @return the socket address
     */
    SocketAddress toSocketAddress() {
        return isUnix() ? UnixDomainSocketAddress.of(socketPath) : new InetSocketAddress(host, port);
    }

    /**
     * The text form accepted by {@link #parse(String)}.
     *
     * @return {@code HOST:PORT}, {@code [V6]:PORT} or {@code unix:/path}
     */
    @Override
    public String toString() {
        if (isUnix()) {
            return "unix:" + socketPath;
        }
        return org.mailhygiene.internal.HostPorts.of(host, port);
    }
}
