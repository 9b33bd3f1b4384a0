package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.clamd.ClamdAddress;
import org.mailhygiene.scanners.clamd.ClamdScanner;

/**
 * The {@code --clamd ADDRESS} option of {@code hygiene scan}: {@code ADDRESS} is {@code HOST:PORT} or
 * {@code unix:/path}; repeating the option forms a failover group in the order given (the first is preferred, the
 * others take over when it fails). Builds one {@link ClamdScanner} (named {@code clamd}) with the adapter's defaults.
 *
 * <p>Both {@code --clamd ADDR} and {@code --clamd=ADDR} are accepted. Not thread-safe; one instance per command line.
 */
public final class ClamdOption {
    /** The option name. */
    public static final String NAME = "--clamd";

    /** One line for the command's usage text. */
    public static final String USAGE =
            "  --clamd ADDRESS    scan with clamd at HOST:PORT or unix:/path; repeat for a failover group";

    private final List<ClamdAddress> addresses = new ArrayList<>();

    /**
     * Consumes a {@code --clamd} occurrence at the head of {@code args}, if there is one.
     *
     * @param args the remaining arguments; the option (and its value) are removed when consumed
     * @return whether the head was a {@code --clamd} option
     * @throws IllegalArgumentException if the value is missing or malformed, or an address repeats; the message
     *     names the option
     */
    public boolean consume(Deque<String> args) {
        Objects.requireNonNull(args, "args");
        String head = args.peekFirst();
        if (head == null) {
            return false;
        }
        String value;
        if (head.equals(NAME)) {
            args.removeFirst();
            value = args.pollFirst();
            if (value == null || value.startsWith("--")) {
                throw new IllegalArgumentException(NAME + " needs an address: HOST:PORT or unix:/path");
            }
        } else if (head.startsWith(NAME + "=")) {
            args.removeFirst();
            value = head.substring(NAME.length() + 1);
        } else {
            return false;
        }
        add(value);
        return true;
    }

    /**
     * Adds one address.
     *
     * @param value {@code HOST:PORT} or {@code unix:/path}
     * @throws IllegalArgumentException if malformed or repeated
     */
    public void add(String value) {
        ClamdAddress a;
        try {
            a = ClamdAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(NAME + ": " + e.getMessage(), e);
        }
        if (addresses.contains(a)) {
            throw new IllegalArgumentException(NAME + ": address " + a + " given twice");
        }
        addresses.add(a);
    }

    /**
     * The addresses given, in order.
     *
     * @return an unmodifiable list
     */
    public List<ClamdAddress> addresses() {
        return List.copyOf(addresses);
    }

    /**
     * The scanner for the addresses given.
     *
     * @return a clamd scanner over all addresses (a failover group when more than one), or empty when the option was
     *     not given
     */
    public Optional<Scanner> scanner() {
        if (addresses.isEmpty()) {
            return Optional.empty();
        }
        ClamdScanner.Builder b = ClamdScanner.builder();
        addresses.forEach(b::address);
        return Optional.of(b.build());
    }
}
