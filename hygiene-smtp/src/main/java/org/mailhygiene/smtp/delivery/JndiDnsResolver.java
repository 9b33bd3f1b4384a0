package org.mailhygiene.smtp.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Objects;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * {@link DnsResolver} over the JDK's JNDI DNS provider ({@code com.sun.jndi.dns.DnsContextFactory}, module
 * {@code jdk.naming.dns}): no extra dependency.
 *
 * <p>Defaults: the system's name servers (from {@code /etc/resolv.conf} on Linux), an initial timeout of 2 s per
 * query with 2 retries (the provider doubles the timeout per retry, so a lookup gives up after about 14 s). Host
 * names are queried for A and AAAA records through DNS too (not through {@code /etc/hosts}). A
 * {@link NameNotFoundException} (NXDOMAIN) is permanent; every other naming error is temporary. Thread-safe: each
 * lookup opens its own context.
 */
public final class JndiDnsResolver implements DnsResolver {
    private final String providerUrl;
    private final Duration initialTimeout;
    private final int retries;

    private JndiDnsResolver(String providerUrl, Duration initialTimeout, int retries) {
        this.providerUrl = providerUrl;
        this.initialTimeout = initialTimeout;
        this.retries = retries;
    }

    /**
     * A resolver using the system's name servers and the default timeouts.
     *
     * @return the resolver
     */
    public static JndiDnsResolver system() {
        return new JndiDnsResolver("dns:", Duration.ofSeconds(2), 2);
    }

    /**
     * A resolver asking one name server.
     *
     * @param server an IP literal or host name, optionally {@code :port}
     * @param initialTimeout the first query's timeout, positive; doubled per retry
     * @param retries further tries after the first, 0 to 10
     * @return the resolver
     * @throws IllegalArgumentException if a setting is out of range
     */
    public static JndiDnsResolver using(String server, Duration initialTimeout, int retries) {
        Objects.requireNonNull(server, "server");
        if (initialTimeout.isNegative() || initialTimeout.isZero()) {
            throw new IllegalArgumentException("initialTimeout must be positive, was " + initialTimeout);
        }
        if (retries < 0 || retries > 10) {
            throw new IllegalArgumentException("retries must be 0..10, was " + retries);
        }
        return new JndiDnsResolver("dns://" + server, initialTimeout, retries);
    }

    private DirContext context() throws NamingException {
        Hashtable<String, String> env = new Hashtable<>();
        env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
        env.put("java.naming.provider.url", providerUrl);
        env.put("com.sun.jndi.dns.timeout.initial", Long.toString(initialTimeout.toMillis()));
        env.put("com.sun.jndi.dns.timeout.retries", Integer.toString(retries));
        return new InitialDirContext(env);
    }

    private List<String> query(String name, String type) throws DnsException {
        DirContext ctx = null;
        try {
            ctx = context();
            Attributes attrs = ctx.getAttributes(name + ".", new String[] {type});
            Attribute a = attrs.get(type);
            List<String> out = new ArrayList<>();
            if (a != null) {
                NamingEnumeration<?> e = a.getAll();
                while (e.hasMore()) {
                    out.add(String.valueOf(e.next()));
                }
            }
            return out;
        } catch (NameNotFoundException e) {
            throw new DnsException(name + ": no such domain", true, e);
        } catch (NamingException e) {
            throw new DnsException(name + ": " + type + " lookup failed: " + e.getMessage(), false, e);
        } finally {
            if (ctx != null) {
                try {
                    ctx.close();
                } catch (NamingException ignored) {
                    // nothing held
                }
            }
        }
    }

    @Override
    public List<MxRecord> mx(String domain) throws DnsException {
        List<MxRecord> out = new ArrayList<>();
        for (String v : query(domain, "MX")) {
            String[] parts = v.trim().split("\\s+");
            if (parts.length != 2) {
                throw new DnsException(domain + ": malformed MX record '" + v + "'", false, null);
            }
            try {
                out.add(new MxRecord(Integer.parseInt(parts[0]), parts[1]));
            } catch (IllegalArgumentException e) {
                throw new DnsException(domain + ": malformed MX record '" + v + "'", false, e);
            }
        }
        return out;
    }

    @Override
    public List<InetAddress> addresses(String host) throws DnsException {
        List<InetAddress> out = new ArrayList<>();
        DnsException notFound = null;
        for (String type : new String[] {"A", "AAAA"}) {
            try {
                for (String v : query(host, type)) {
                    try {
                        out.add(InetAddress.getByAddress(
                                host, InetAddress.getByName(v.trim()).getAddress()));
                    } catch (UnknownHostException e) {
                        throw new DnsException(host + ": malformed " + type + " record '" + v + "'", false, e);
                    }
                }
            } catch (DnsException e) {
                if (!e.isPermanent()) {
                    throw e;
                }
                notFound = e;
            }
        }
        if (out.isEmpty() && notFound != null) {
            throw notFound;
        }
        return out;
    }
}
