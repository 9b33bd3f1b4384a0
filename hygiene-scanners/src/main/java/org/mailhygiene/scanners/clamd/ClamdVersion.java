package org.mailhygiene.scanners.clamd;

import java.util.Objects;
import java.util.Optional;

/**
 * A parsed clamd {@code VERSION} reply: {@code ClamAV 1.4.6} when only local databases are loaded, or
 * {@code ClamAV 1.4.6/27000/Thu Nov 26 09:27:01 2026} with official databases.
 *
 * <p>Immutable and thread-safe.
 *
 * @param engine the engine part, e.g. {@code ClamAV 1.4.6}
 * @param databaseVersion the database version, e.g. {@code 27000}, when clamd reports one
 * @param databaseDate the database date text, when clamd reports one
 * @param raw the whole reply without its terminator
 */
public record ClamdVersion(String engine, Optional<String> databaseVersion, Optional<String> databaseDate, String raw) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public ClamdVersion {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(databaseVersion, "databaseVersion");
        Objects.requireNonNull(databaseDate, "databaseDate");
        Objects.requireNonNull(raw, "raw");
    }

    /**
     * Parses a VERSION reply.
     *
     * @param reply the reply, with or without its terminator
     * @return the version
     * @throws IllegalArgumentException if the reply does not start with {@code ClamAV } followed by a version
     */
    public static ClamdVersion parse(String reply) {
        String r = ClamdScanReply.stripTerminators(Objects.requireNonNull(reply, "reply"));
        if (!r.startsWith("ClamAV ") || r.length() == "ClamAV ".length()) {
            throw new IllegalArgumentException("not a clamd VERSION reply: '" + r + "'");
        }
        String[] parts = r.split("/", 3);
        Optional<String> db = parts.length > 1 && !parts[1].isBlank() ? Optional.of(parts[1]) : Optional.empty();
        Optional<String> date = parts.length > 2 && !parts[2].isBlank() ? Optional.of(parts[2]) : Optional.empty();
        return new ClamdVersion(parts[0], db, date, r);
    }
}
