package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.spamd.SpamdScanner;

/**
 * {@code --spamd HOST:PORT}: a {@link SpamdScanner} asking SpamAssassin's spamd. The flag may be repeated, and an
 * argument may list several addresses separated by commas: all of them form one failover group, preferred in the
 * order given (one scanner named {@code spamd}). The verdict carries spamd's score, its threshold and the rules that
 * fired with their scores, which {@code hygiene scan} prints as {@code FILE: SPAM score/threshold [rules]}.
 *
 * <p>The scanner uses the {@link SpamdScanner} defaults: spamd's own threshold, the 512000-byte size limit (a larger
 * file is an error, "too large", never clean), connect timeout 5 s, read timeout 30 s, 60 s per scan. An instance of a
 * group that failed is skipped for the adapter's back-off (30 s doubling); a single address is tried again for each
 * file, as {@code spamc} does: with nothing to fail over to, a back-off would only turn every file after one failure
 * into an error.
 *
 * <p>Thread-safe; stateless.
 */
public final class SpamdScannerOption implements ScannerOption {
    /** The back-off of a lone spamd: the least there is, so the next scan tries it again (as for a lone clamd). */
    private static final java.time.Duration SINGLE_BACKOFF = java.time.Duration.ofNanos(1);

    /** Creates the option. */
    public SpamdScannerOption() {}

    @Override
    public String flag() {
        return "--spamd";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.of("HOST:PORT");
    }

    @Override
    public String description() {
        return "SpamAssassin spamd at HOST:PORT; repeat the flag (or list A,B) for a failover group";
    }

    /**
     * Builds the scanner for one occurrence of the flag.
     *
     * @param argument {@code HOST:PORT}, or several separated by commas
     * @return a spamd scanner over the listed instances
     * @throws UsageException if the argument is missing or an address is malformed or repeated; the message names
     *     {@code --spamd} and the address
     */
    @Override
    public Scanner create(Optional<String> argument) throws UsageException {
        return createAll(List.of(argument)).get(0);
    }

    /**
     * Builds one scanner over the addresses of every occurrence of the flag.
     *
     * @param arguments the occurrences' arguments, each {@code HOST:PORT} or a comma-separated list
     * @return a single spamd scanner
     * @throws UsageException if an argument is missing or an address is malformed or repeated
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments) throws UsageException {
        Objects.requireNonNull(arguments, "arguments");
        List<String> addresses = new ArrayList<>();
        for (Optional<String> a : arguments) {
            addresses.add(a.orElseThrow(() -> new UsageException("--spamd needs HOST:PORT")));
        }
        try {
            return List.of(group(addresses));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Builds one scanner over every address given.
     *
     * @param addresses {@code HOST:PORT} values (each may itself be a comma-separated list), in preference order
     * @return a spamd scanner over all of them
     * @throws IllegalArgumentException if the list is empty, or an address is malformed or repeated; the message names
     *     {@code --spamd} and the address
     */
    public static SpamdScanner group(List<String> addresses) {
        List<String> all = new ArrayList<>();
        for (String a : addresses) {
            for (String part : a.split(",", -1)) {
                all.add(part.strip());
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("--spamd needs HOST:PORT");
        }
        SpamdScanner.Builder b = SpamdScanner.builder();
        for (String address : all) {
            try {
                b.server(address);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--spamd " + address + ": " + e.getMessage(), e);
            }
        }
        if (all.size() == 1) {
            // nothing to fail over to: each file (each message of a milter) tries the one spamd, as spamc does and
            // --clamd does for a lone clamd; with the adapter's 30 s back-off one failed scan made every scan after it
            // "all members are down" for 30 s, doubling, whether spamd was back or not (session 43)
            b.initialBackoff(SINGLE_BACKOFF).maxBackoff(SINGLE_BACKOFF);
        }
        return b.build();
    }
}
