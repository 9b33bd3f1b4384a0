package org.mailhygiene.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.scanners.bayes.BounceDetector;

/**
 * The settings of {@code hygiene scan} that are not scanners: the DNS server for {@code --auth} ({@code --dns}), the
 * SMTP context given to every message ({@code --client-ip}, {@code --helo}, {@code --mail-from}), our mail domains
 * for the classifier's backscatter detection ({@code --local-domains}) and whether the classifier tests the From
 * field for brand impersonation ({@code --no-brand-check} turns it off).
 *
 * <p>Immutable and thread-safe.
 *
 * @param dns the DNS server to ask, empty for the system's
 * @param clientIp the SMTP client's address, empty if not given
 * @param helo the HELO name, empty if not given
 * @param mailFrom the reverse path, empty if not given (the null sender)
 * @param localDomains our mail domains ({@code --local-domains}), empty for no backscatter detection
 * @param brandCheck whether the classifier ({@code --bayes}, the one of {@code --builtin}) calls a From display name
 *     naming a brand over a stranger's address spam ({@code BAYES_BRAND_SPOOF}); {@code false} with {@code
 *     --no-brand-check}
 * @param workDirectory where command-line scanners make their private directories (a copy of the message for the
 *     program to read), empty for the system's temporary directory; {@code hygiene scan} gives its own, removed when the
 *     scan ends or is stopped by a signal
 */
public record ScanSettings(
        Optional<InetSocketAddress> dns,
        Optional<InetAddress> clientIp,
        Optional<String> helo,
        Optional<String> mailFrom,
        List<String> localDomains,
        boolean brandCheck,
        Optional<Path> workDirectory) {

    /** No DNS server, no SMTP context, no local domains, the brand check on. */
    public static final ScanSettings DEFAULTS =
            new ScanSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    /**
     * Settings whose command-line scanners use the system's temporary directory.
     *
     * @param dns the DNS server to ask, empty for the system's
     * @param clientIp the SMTP client's address, empty if not given
     * @param helo the HELO name, empty if not given
     * @param mailFrom the reverse path, empty if not given (the null sender)
     * @param localDomains our mail domains, empty for no backscatter detection
     * @param brandCheck whether the classifier tests the From field for brand impersonation
     */
    public ScanSettings(
            Optional<InetSocketAddress> dns,
            Optional<InetAddress> clientIp,
            Optional<String> helo,
            Optional<String> mailFrom,
            List<String> localDomains,
            boolean brandCheck) {
        this(dns, clientIp, helo, mailFrom, localDomains, brandCheck, Optional.empty());
    }

    /**
     * These settings with command-line scanners working under {@code directory}.
     *
     * @param directory an existing directory
     * @return the settings
     */
    public ScanSettings withWorkDirectory(Path directory) {
        return new ScanSettings(dns, clientIp, helo, mailFrom, localDomains, brandCheck, Optional.of(directory));
    }

    /**
     * Settings with the brand check on.
     *
     * @param dns the DNS server to ask, empty for the system's
     * @param clientIp the SMTP client's address, empty if not given
     * @param helo the HELO name, empty if not given
     * @param mailFrom the reverse path, empty if not given (the null sender)
     * @param localDomains our mail domains, empty for no backscatter detection
     */
    public ScanSettings(
            Optional<InetSocketAddress> dns,
            Optional<InetAddress> clientIp,
            Optional<String> helo,
            Optional<String> mailFrom,
            List<String> localDomains) {
        this(dns, clientIp, helo, mailFrom, localDomains, true);
    }

    /**
     * Settings without local domains, the brand check on.
     *
     * @param dns the DNS server to ask, empty for the system's
     * @param clientIp the SMTP client's address, empty if not given
     * @param helo the HELO name, empty if not given
     * @param mailFrom the reverse path, empty if not given (the null sender)
     */
    public ScanSettings(
            Optional<InetSocketAddress> dns,
            Optional<InetAddress> clientIp,
            Optional<String> helo,
            Optional<String> mailFrom) {
        this(dns, clientIp, helo, mailFrom, List.of());
    }

    /**
     * Parses {@code --local-domains}: domains separated by commas or blanks.
     *
     * @param flag the option's name, for the message
     * @param value the text
     * @return the domains
     * @throws UsageException if the list is empty or an entry is not a domain name
     */
    public static List<String> parseDomains(String flag, String value) throws UsageException {
        List<String> out;
        try {
            out = BounceDetector.parseDomainList(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + ": " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new UsageException(flag + " needs at least one domain, e.g. example.org");
        }
        return out;
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public ScanSettings {
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(clientIp, "clientIp");
        Objects.requireNonNull(helo, "helo");
        Objects.requireNonNull(mailFrom, "mailFrom");
        Objects.requireNonNull(workDirectory, "workDirectory");
        localDomains = List.copyOf(localDomains);
    }

    /**
     * Parses {@code IP:PORT} ({@code [v6]:PORT} for IPv6), as {@code --dns} and the node-config key {@code dns} take
     * it.
     *
     * @param flag the option's name, for the message
     * @param value the text
     * @return the address
     * @throws UsageException if the text is not an IP literal and a port
     */
    public static InetSocketAddress parseIpPort(String flag, String value) throws UsageException {
        requireBrackets(flag, value);
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException(flag + " wants IP:PORT, not " + value);
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " wants IP:PORT, not " + value);
        }
        if (port < 1 || port > 65535) {
            throw new UsageException(flag + ": port out of range in " + value);
        }
        return new InetSocketAddress(parseIp(flag, host), port);
    }

    /**
     * Refuses an {@code IP:PORT} value whose address is IPv6 without brackets ({@code ::1:8891} is itself an IPv6
     * address, so which colon starts the port would be a guess) or whose brackets do not enclose the address once
     * ({@code [::1:8891}, {@code ::1]:8891}, {@code [[::1]]:8891}, {@code [::1]]:8891}).
     *
     * @param flag the option's name, for the message
     * @param value the text
     * @throws UsageException naming the bracketed form, {@code [::1]:8891}, or the form expected
     */
    static void requireBrackets(String flag, String value) throws UsageException {
        int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : value;
        boolean enclosed = host.length() >= 2 && host.startsWith("[") && host.endsWith("]");
        String inside = enclosed ? host.substring(1, host.length() - 1) : host;
        if (inside.indexOf('[') >= 0 || inside.indexOf(']') >= 0) {
            // until session 46 only the first and last character were looked at: [[::1]]:8891 passed (the milter's
            // --listen strips every bracket), and ::1]:8891 was told to write [::1]]:8891
            throw new UsageException(flag + " expects IP:PORT, [IPV6]:PORT for IPv6, was '" + value + "'");
        }
        if (colon > 0 && !enclosed && host.indexOf(':') >= 0) {
            throw new UsageException(
                    flag + ": write an IPv6 address in brackets: [" + host + "]" + value.substring(colon));
        }
    }

    /**
     * Parses an IP literal (never a host name: nothing is looked up).
     *
     * @param flag the option's name, for the message
     * @param value the text
     * @return the address
     * @throws UsageException if the text is not an IPv4 or IPv6 literal (an IPv4 one is four numbers without leading
     *     zeros: {@code 127.1} and {@code 127.0.0.010} are refused)
     */
    public static InetAddress parseIp(String flag, String value) throws UsageException {
        if (!value.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw new UsageException(flag + " wants an IP address, not " + value);
        }
        if (value.matches("[0-9.]+")) {
            // the JDK takes 127.1 for 127.0.0.1 and 127.0.0.010 for 127.0.0.10, where inet_aton reads octal: the
            // configuration file refuses both (session 40), and so do the options
            if (value.split("\\.", -1).length != 4) {
                throw new UsageException(flag + " wants an IP address (four numbers 0 to 255), not " + value);
            }
            String leadingZero = org.mailhygiene.internal.Ipv4.leadingZeroProblem(value);
            if (leadingZero != null) {
                throw new UsageException(flag + " " + leadingZero);
            }
        }
        try {
            return InetAddress.getByName(value);
        } catch (java.io.IOException e) {
            throw new UsageException(flag + " wants an IP address, not " + value);
        }
    }
}
