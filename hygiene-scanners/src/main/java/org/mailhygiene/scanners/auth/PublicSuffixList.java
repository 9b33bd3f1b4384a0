package org.mailhygiene.scanners.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Public Suffix List (publicsuffix.org), used to find a domain's organizational domain for DMARC alignment (RFC
 * 7489 section 3.2).
 *
 * <p>We do not ship a copy: {@link #system()} reads the one the operating system keeps current (Debian's
 * {@code publicsuffix} package installs {@value #SYSTEM_FILE}). Without that file it falls back to the list's default
 * rule alone ({@code *}: the top-level label is the public suffix), which is right for {@code example.com} but treats
 * {@code example.co.uk} as its own organization's parent ({@code co.uk}); {@link #isFallback()} tells, and the auth
 * scanner names it in its health.
 *
 * <p>Immutable and thread-safe. Lookups are linear in the number of labels.
 */
public final class PublicSuffixList {
    /** Where Debian's {@code publicsuffix} package installs the list. */
    public static final String SYSTEM_FILE = "/usr/share/publicsuffix/public_suffix_list.dat";

    private final Set<String> rules;
    private final Set<String> wildcards;
    private final Set<String> exceptions;
    private final boolean fallback;

    private PublicSuffixList(Set<String> rules, Set<String> wildcards, Set<String> exceptions, boolean fallback) {
        this.rules = Set.copyOf(rules);
        this.wildcards = Set.copyOf(wildcards);
        this.exceptions = Set.copyOf(exceptions);
        this.fallback = fallback;
    }

    /**
     * The system's list ({@value #SYSTEM_FILE}), or the fallback if it cannot be read.
     *
     * @return the list
     */
    public static PublicSuffixList system() {
        try {
            return load(Path.of(SYSTEM_FILE));
        } catch (IOException e) {
            return fallback();
        }
    }

    /**
     * Reads a list in the publicsuffix.org format (one rule per line, {@code //} comments, {@code *.} wildcards,
     * {@code !} exceptions).
     *
     * @param file the list
     * @return the list
     * @throws IOException if the file cannot be read
     */
    public static PublicSuffixList load(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /**
     * Parses list lines.
     *
     * @param lines the lines of a list
     * @return the list
     */
    public static PublicSuffixList parse(List<String> lines) {
        Set<String> rules = new HashSet<>();
        Set<String> wild = new HashSet<>();
        Set<String> exc = new HashSet<>();
        for (String line : lines) {
            String l = line.strip();
            int sp = l.indexOf(' ');
            if (sp >= 0) {
                l = l.substring(0, sp);
            }
            if (l.isEmpty() || l.startsWith("//")) {
                continue;
            }
            l = org.mailhygiene.internal.Domains.ascii(l);
            if (l.startsWith("!")) {
                exc.add(l.substring(1));
            } else if (l.startsWith("*.")) {
                wild.add(l.substring(2));
            } else {
                rules.add(l);
            }
        }
        return new PublicSuffixList(rules, wild, exc, false);
    }

    /**
     * The default rule alone (the last label is the public suffix).
     *
     * @return the fallback list
     */
    public static PublicSuffixList fallback() {
        return new PublicSuffixList(Set.of(), Set.of(), Set.of(), true);
    }

    /**
     * Whether this is the fallback (no list file was available).
     *
     * @return {@code true} for the fallback
     */
    public boolean isFallback() {
        return fallback;
    }

    /**
     * The organizational domain: the public suffix plus one label, or the domain itself if it is a public suffix or
     * has a single label.
     *
     * @param domain a domain name (any case, with or without the trailing dot)
     * @return the organizational domain, lower case
     */
    public String organizationalDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        while (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        String[] labels = d.split("\\.", -1);
        int n = labels.length;
        int suffixLabels = 1; // the default rule "*"
        for (int i = 0; i < n; i++) {
            String candidate = join(labels, i);
            int len = n - i;
            if (exceptions.contains(candidate)) {
                suffixLabels = Math.max(suffixLabels, len - 1);
                break;
            }
            if (rules.contains(candidate)) {
                suffixLabels = Math.max(suffixLabels, len);
            }
            if (i + 1 < n && wildcards.contains(join(labels, i + 1))) {
                suffixLabels = Math.max(suffixLabels, len);
            }
        }
        if (suffixLabels >= n) {
            return d;
        }
        return join(labels, n - suffixLabels - 1);
    }

    private static String join(String[] labels, int from) {
        return String.join(".", java.util.Arrays.asList(labels).subList(from, labels.length));
    }
}
