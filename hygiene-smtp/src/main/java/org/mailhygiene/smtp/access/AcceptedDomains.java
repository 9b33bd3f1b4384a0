package org.mailhygiene.smtp.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The domains the relay accepts mail for, with the semantics of qmail's {@code control/rcpthosts}.
 *
 * <p>An entry {@code example.com} accepts exactly that domain; an entry {@code .example.com} accepts every subdomain of
 * it ({@code a.example.com}, {@code b.a.example.com}) but not {@code example.com} itself. Matching ignores case and a
 * trailing dot, and compares internationalised names by their A-labels: {@code bücher.example} accepts
 * {@code xn--bcher-kva.example}, the only form a client without SMTPUTF8 can write, and the other way round. An address literal such as {@code [192.0.2.1]} is accepted only when listed as written. Unlike qmail,
 * an empty set accepts nothing (qmail treats a missing rcpthosts as an open relay; this class never does).
 *
 * <p>Immutable and thread-safe.
 */
public final class AcceptedDomains {
    private final Set<String> entries;

    private AcceptedDomains(Set<String> entries) {
        this.entries = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(entries));
    }

    /**
     * No accepted domains: only relay clients can send anywhere, and everyone may send to {@code postmaster}.
     *
     * @return the empty set
     */
    public static AcceptedDomains none() {
        return new AcceptedDomains(Set.of());
    }

    /**
     * The given entries ({@code example.com} or {@code .example.com}).
     *
     * @param domains the entries
     * @return the set
     * @throws IllegalArgumentException if an entry is blank, holds whitespace or {@code @}, or has an empty label
     *     ({@code bad..example}; one leading dot is the subdomain form)
     */
    public static AcceptedDomains of(Collection<String> domains) {
        Set<String> set = new LinkedHashSet<>();
        for (String d : domains) {
            set.add(normalise(d));
        }
        return new AcceptedDomains(set);
    }

    /**
     * The given entries.
     *
     * @param domains the entries
     * @return the set
     * @throws IllegalArgumentException as {@link #of(Collection)}
     */
    public static AcceptedDomains of(String... domains) {
        return of(List.of(domains));
    }

    /**
     * Parses rcpthosts text: one entry per line; blank lines and lines starting with {@code #} are ignored.
     *
     * @param text the file's text
     * @return the set
     * @throws IllegalArgumentException naming the line number of a malformed entry
     */
    public static AcceptedDomains parse(String text) {
        Set<String> set = new LinkedHashSet<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                set.add(normalise(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return new AcceptedDomains(set);
    }

    /**
     * Reads and {@linkplain #parse(String) parses} an rcpthosts file (UTF-8).
     *
     * @param file the file
     * @return the set
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if an entry is malformed
     */
    public static AcceptedDomains parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static String normalise(String entry) {
        String d = entry.trim().toLowerCase(Locale.ROOT);
        while (d.endsWith(".") && d.length() > 1) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty() || d.equals(".")) {
            throw new IllegalArgumentException("empty domain entry");
        }
        for (int i = 0; i < d.length(); i++) {
            char c = d.charAt(i);
            if (Character.isWhitespace(c) || c == '@' || c == ',' || c < 0x20) {
                throw new IllegalArgumentException("invalid character '" + c + "' in domain entry '" + entry + "'");
            }
        }
        // one leading dot is qmail's "every subdomain"; any other empty label matches no domain (until session 41
        // "bad..example" was taken, and accepted nothing)
        if (!d.startsWith("[") && (d.substring(d.startsWith(".") ? 1 : 0).startsWith(".") || d.contains(".."))) {
            throw new IllegalArgumentException("empty label in domain entry '" + entry.trim() + "'");
        }
        return org.mailhygiene.internal.Domains.ascii(d);
    }

    /**
     * Whether mail for {@code domain} is accepted.
     *
     * @param domain a domain or address literal, any case, with or without a trailing dot
     * @return {@code true} if an entry accepts it
     */
    public boolean accepts(String domain) {
        String d = org.mailhygiene.internal.Domains.ascii(domain);
        if (d.isEmpty()) {
            return false;
        }
        if (entries.contains(d)) {
            return true;
        }
        for (int i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
            if (entries.contains(d.substring(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The entries, normalised to lower case and A-labels, in the order given (a repeated entry where it first appeared).
     *
     * @return an unmodifiable set
     */
    public Set<String> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return "AcceptedDomains" + entries;
    }
}
