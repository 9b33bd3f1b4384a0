package org.mailhygiene.scanners.auth.dns;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One resource record of an answer. TXT data is the character-strings of one record concatenated (as SPF, DKIM and
 * DMARC read them; bytes taken as ISO-8859-1); CNAME, PTR and MX carry their target name in {@link #text()}, MX also
 * its {@link #preference()}; A and AAAA carry {@link #address()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the owner name, lower case, without the trailing dot
 * @param type the type
 * @param ttl the time to live the server gave
 * @param text TXT data or a target name (lower case, no trailing dot); empty for A and AAAA
 * @param address the address for A and AAAA, empty for other types
 * @param preference the MX preference, 0 for other types
 */
public record DnsRecord(
        String name, DnsType type, Duration ttl, String text, Optional<InetAddress> address, int preference) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if an A or AAAA record has no address
     */
    public DnsRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(address, "address");
        if ((type == DnsType.A || type == DnsType.AAAA) && address.isEmpty()) {
            throw new IllegalArgumentException(type + " record without address");
        }
    }
}
