package org.mailhygiene.smtp.delivery;

import java.net.InetSocketAddress;
import java.util.Objects;
import org.mailhygiene.api.routing.NextHop;

/**
 * One address to connect to for a next hop: the configured or looked-up hop and one of its resolved addresses.
 *
 * <p>Immutable and thread-safe. {@link #toString()} is {@code host:port} for IP literals and
 * {@code host[ip]:port} otherwise.
 *
 * @param hop the next hop as configured (a relay) or found (an MX host)
 * @param address a resolved (never unresolved) socket address
 */
public record Endpoint(NextHop hop, InetSocketAddress address) {

    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the address is unresolved
     */
    public Endpoint {
        Objects.requireNonNull(hop, "hop");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("endpoint address must be resolved: " + address);
        }
    }

    /**
     * An endpoint for an IP literal hop, without any lookup.
     *
     * @param hop a hop whose host is an IP literal
     * @return the endpoint
     * @throws IllegalArgumentException if the hop's host is not an IP literal
     */
    public static Endpoint literal(NextHop hop) {
        if (!hop.isIpLiteral()) {
            throw new IllegalArgumentException(hop + " is not an IP literal");
        }
        try {
            // getByName on a literal parses it; it never queries DNS.
            return new Endpoint(hop, new InetSocketAddress(java.net.InetAddress.getByName(hop.host()), hop.port()));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("bad IP literal " + hop.host(), e);
        }
    }

    @Override
    public String toString() {
        String ip = org.mailhygiene.internal.HostPorts.address(address.getAddress());
        return hop.isIpLiteral()
                ? org.mailhygiene.internal.HostPorts.of(ip, address.getPort())
                : hop.host() + "[" + ip + "]:" + address.getPort();
    }
}
