package org.mailhygiene.internal;

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
}
