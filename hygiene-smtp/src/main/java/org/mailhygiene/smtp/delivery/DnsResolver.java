package org.mailhygiene.smtp.delivery;

import java.net.InetAddress;
import java.util.List;

/**
 * The DNS lookups delivery needs. Tests pass a map-backed implementation; production uses
 * {@link JndiDnsResolver}. Implementations are thread-safe and bound every lookup by a timeout.
 */
public interface DnsResolver {

    /**
     * The MX records of a domain.
     *
     * @param domain the domain, without a trailing dot
     * @return the records in any order; empty when the domain exists but has no MX records
     * @throws DnsException permanent if the domain does not exist, temporary if no answer came
     */
    List<MxRecord> mx(String domain) throws DnsException;

    /**
     * The IPv4 and IPv6 addresses of a host (A and AAAA records).
     *
     * @param host a host name
     * @return the addresses, empty when the name exists but has none
     * @throws DnsException permanent if the name does not exist, temporary if no answer came
     */
    List<InetAddress> addresses(String host) throws DnsException;
}
