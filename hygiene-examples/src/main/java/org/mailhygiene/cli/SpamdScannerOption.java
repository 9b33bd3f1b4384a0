package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.spamd.SpamdScanner;

/**
 * {@code --spamd HOST:PORT[,HOST:PORT...]}: a {@link SpamdScanner} asking SpamAssassin's spamd. Several addresses
 * (comma-separated, or collected from repeated flags with {@link #group(List)}) form one failover group, preferred in
 * the order given. The verdict carries spamd's score, its threshold and the rules that fired with their scores, which
 * {@code hygiene scan} prints as {@code FILE: SPAM score/threshold [rules]}.
 *
 * <p>The scanner uses the {@link SpamdScanner} defaults: spamd's own threshold, the 512000-byte size limit (larger
 * files are reported as errors, "too large", never as clean), connect 5 s, read 30 s, 60 s per scan.
 *
 * <p>Shaped like the {@code ScannerOption} of {@code hygiene scan} ({@link #flag()}, {@link #argumentName()},
 * {@link #description()}, {@link #create(Optional)}). Thread-safe; stateless.
 */
public final class SpamdScannerOption {

    /** Creates the option. */
    public SpamdScannerOption() {}

    /**
     * The flag.
     *
     * @return {@code --spamd}
     */
    public String flag() {
        return "--spamd";
    }

    /**
     * The argument's name in the help text.
     *
     * @return {@code HOST:PORT}
     */
    public Optional<String> argumentName() {
        return Optional.of("HOST:PORT");
    }

    /**
     * One line of help.
     *
     * @return the description
     */
    public String description() {
        return "SpamAssassin spamd at HOST:PORT; a comma-separated list (or the flag repeated) is a failover group";
    }

    /**
     * Builds the scanner for one occurrence of the flag.
     *
     * @param argument {@code HOST:PORT}, or several separated by commas
     * @return a spamd scanner over the listed instances
     * @throws IllegalArgumentException if the argument is missing or an address is malformed; the message names
     *     {@code --spamd} and the address
     */
    public Scanner create(Optional<String> argument) {
        Objects.requireNonNull(argument, "argument");
        String text = argument.orElseThrow(() -> new IllegalArgumentException("--spamd needs HOST:PORT"));
        return group(List.of(text.split(",", -1)));
    }

    /**
     * Builds one scanner over every address given, for a command line that collects repeated {@code --spamd} flags.
     *
     * @param addresses {@code HOST:PORT} values (each may itself be a comma-separated list), in preference order
     * @return a spamd scanner over all of them
     * @throws IllegalArgumentException if the list is empty, an address is malformed or repeated
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
        return b.build();
    }
}
