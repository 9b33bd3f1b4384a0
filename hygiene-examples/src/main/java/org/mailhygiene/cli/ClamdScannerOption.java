package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.clamd.ClamdAddress;
import org.mailhygiene.scanners.clamd.ClamdScanner;

/**
 * {@code --clamd ADDR}: scans with clamd at {@code HOST:PORT} or {@code unix:/path}, through a {@link ClamdScanner}
 * with the adapter's defaults (INSTREAM, 25 MiB stream limit, 5 s connect and 30 s read timeouts, 120 s scan
 * deadline). Repeating the option, or listing addresses separated by commas ({@code --clamd A,B}, as the node's
 * {@code scanner = clamd:A,B}), forms one failover group in command-line order: the first address is preferred and
 * the others take over when it fails (an instance that failed is skipped for the adapter's back-off, 30 s doubling).
 * A single address is tried again for each file, as {@code clamdscan} does: with nothing to fail over to, a back-off
 * would only turn every file after one failure into an error. Thread-safe; stateless.
 */
public final class ClamdScannerOption implements ScannerOption {
    /**
     * The back-off of a lone clamd: the least there is, so the next file tries it again. It was 1 ms, and a fast run
     * reached the next file within that millisecond ("all members are down", a verification run); the group's clock is
     * {@code System.nanoTime()}, which reading and parsing the next file always moves past one nanosecond.
     */
    private static final java.time.Duration SINGLE_BACKOFF = java.time.Duration.ofNanos(1);

    /** Creates the option. */
    public ClamdScannerOption() {}

    @Override
    public String flag() {
        return "--clamd";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.of("ADDR");
    }

    @Override
    public String description() {
        return "clamd at HOST:PORT or unix:/path; repeat the flag (or list A,B) for a failover group";
    }

    /**
     * Builds a scanner for one address.
     *
     * @param argument the address
     * @return the scanner
     * @throws UsageException if the address is malformed
     */
    @Override
    public Scanner create(Optional<String> argument) throws UsageException {
        return group(List.of(argument.orElseThrow()));
    }

    /**
     * Builds one scanner over every occurrence's address, preferred in the order given.
     *
     * @param arguments the addresses
     * @return a single scanner
     * @throws UsageException if an address is malformed or repeated; the message names the flag
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments) throws UsageException {
        List<String> addresses = new ArrayList<>();
        for (Optional<String> a : arguments) {
            addresses.add(a.orElseThrow());
        }
        return List.of(group(addresses));
    }

    private Scanner group(List<String> arguments) throws UsageException {
        List<ClamdAddress> addresses = new ArrayList<>();
        for (String argument : arguments) {
            // A,B as --spamd A,B and the node's scanner = clamd:A,B take it; until session 49 --clamd A,B said
            // "clamd address 'A,B': write IPv6 literals in brackets"
            for (String a : argument.split(",", -1)) {
                ClamdAddress address;
                try {
                    address = ClamdAddress.parse(a.strip());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(flag() + ": " + e.getMessage());
                }
                if (addresses.contains(address)) {
                    throw new UsageException(flag() + ": address " + address + " is given twice");
                }
                addresses.add(address);
            }
        }
        ClamdScanner.Builder b = ClamdScanner.builder();
        addresses.forEach(b::address);
        if (addresses.size() == 1) {
            // nothing to fail over to: each file tries the one clamd, as clamdscan does; with the adapter's 30 s
            // back-off one timed-out or garbled file made every file after it "all members are down" (audit)
            b.initialBackoff(SINGLE_BACKOFF).maxBackoff(SINGLE_BACKOFF);
        }
        return b.build();
    }
}
