package org.mailhygiene.internal;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code HOST:PORT} as configuration files, URLs and messages write it: an IPv6 address in brackets
 * ({@code [::1]:783}), since {@code ::1:783} reads as one IPv6 address. Stateless; thread-safe.
 */
public final class HostPorts {
    private HostPorts() {}

    /**
     * {@code host:port}, the host in brackets when it holds a colon (an IPv6 literal).
     *
     * @param host a host name or IP literal without brackets
     * @param port the port
     * @return the text
     * @throws NullPointerException if {@code host} is {@code null}
     */
    public static String of(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * {@code host:port} of a socket address, its address written by {@link #address}
     * ({@code [::1]:2525}, {@code 127.0.0.1:25}); an unresolved address keeps its host name.
     *
     * @param a the socket address
     * @return the text
     * @throws NullPointerException if {@code a} is {@code null}
     */
    public static String of(InetSocketAddress a) {
        return of(a.getAddress() != null ? address(a.getAddress()) : a.getHostString(), a.getPort());
    }

    /**
     * A listening socket bound to an address (with {@code SO_REUSEADDR}, so that a restart does not wait for the old
     * connections' TIME_WAIT), closed again when binding fails, which then names the address ({@link #cannotListen}).
     *
     * @param address the address to bind
     * @param port its port, 0 for any free one
     * @param backlog the queue of connections not yet accepted
     * @return the bound socket
     * @throws java.net.BindException naming the address when it cannot be bound
     * @throws IOException if the socket cannot be made or set up
     */
    public static java.net.ServerSocket listen(InetAddress address, int port, int backlog) throws IOException {
        java.net.ServerSocket ss = new java.net.ServerSocket();
        try {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(address, port), backlog);
            return ss;
        } catch (java.net.BindException e) {
            ss.close();
            // the JDK's message names no address: "Address already in use"
            throw cannotListen(address, port, e);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
    }

    /**
     * A bind failure that names the address: the JDK's says only {@code Address already in use}, which left an
     * administrator to guess which of a program's addresses (its listener, its admin endpoint) was taken.
     *
     * @param address the address that could not be bound
     * @param port its port
     * @param e the JDK's exception (the cause of the one returned)
     * @return {@code cannot listen on 127.0.0.1:8891: Address already in use}, as a {@link java.net.BindException}
     * @throws NullPointerException if {@code address} or {@code e} is {@code null}
     */
    public static java.net.BindException cannotListen(InetAddress address, int port, java.net.BindException e) {
        java.net.BindException named =
                new java.net.BindException("cannot listen on " + of(address(address), port) + ": " + e.getMessage());
        named.initCause(e);
        return named;
    }

    /**
     * A connection's peer as a log line writes it ({@code 192.0.2.7:40112}, {@code [::1]:40112}), not the JDK's
     * {@code /192.0.2.7:40112}; for use where nothing may throw (an accept loop's error path).
     *
     * @param s a socket
     * @return the text; {@code null} written as such when the socket was never connected
     */
    public static String peer(java.net.Socket s) {
        return s.getRemoteSocketAddress() instanceof InetSocketAddress a
                ? of(a)
                : String.valueOf(s.getRemoteSocketAddress());
    }

    /**
     * The text of an IP address as people and other MTAs write it: an IPv4 address dotted, an IPv6 address in the
     * RFC 5952 form ({@code ::1}, {@code 2001:db8::1}: lower-case hex, no leading zeros, the longest run of two or
     * more zero groups, the first of equal runs, as {@code ::}) rather than the JDK's full form
     * ({@code 0:0:0:0:0:0:0:1}); a zone ({@code %eth0}) is kept. {@link InetAddress#getByName} reads the text back to
     * the same address.
     *
     * @param a the address
     * @return the text, without brackets
     * @throws NullPointerException if {@code a} is {@code null}
     */
    public static String address(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is written as 0, not ::
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        String full = a.getHostAddress();
        int zone = full.indexOf('%');
        return zone >= 0 ? sb + full.substring(zone) : sb.toString();
    }
}
