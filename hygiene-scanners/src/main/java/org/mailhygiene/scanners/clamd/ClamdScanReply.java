package org.mailhygiene.scanners.clamd;

import java.util.Objects;
import org.mailhygiene.internal.ThreatNames;

/**
 * One clamd {@code INSTREAM} reply, classified. {@link #parse(String)} is total: every string maps to exactly one
 * {@link Status}, and only the exact text {@code stream: OK} maps to {@link Status#CLEAN}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param status the class of reply
 * @param detail the threat name for {@link Status#FOUND} and {@link Status#LIMITS_EXCEEDED} (as clamd gave it, e.g.
 *     {@code Local.Eicar.NDB.UNOFFICIAL}; a name longer than 256 characters, which no signature database has, is cut
 *     there and ends {@code ... (N characters)} with its length); otherwise the reply text without its terminator
 * @param raw the reply as received, without its terminator
 */
public record ClamdScanReply(Status status, String detail, String raw) {

    /** The reply classes. */
    public enum Status {
        /** {@code stream: OK}. */
        CLEAN,
        /** {@code stream: NAME FOUND}, including {@code .UNOFFICIAL} and other {@code Heuristics.*} names. */
        FOUND,
        /**
         * {@code stream: Heuristics.Limits.Exceeded.* FOUND} (with {@code AlertExceedsMax yes}): clamd stopped looking
         * because of a scan limit; the content was not fully scanned. Not a virus.
         */
        LIMITS_EXCEEDED,
        /** {@code INSTREAM size limit exceeded. ERROR}: the stream passed clamd's StreamMaxLength. */
        SIZE_LIMIT,
        /** {@code COMMAND READ TIMED OUT}: clamd gave up waiting for the client. */
        TIMED_OUT,
        /** Any other {@code ... ERROR} reply. */
        ERROR,
        /** Anything else: not a clamd INSTREAM reply. */
        GARBAGE
    }

    /** The prefix of a threat name that means a scan limit was hit, not a virus. */
    public static final String LIMITS_EXCEEDED_PREFIX = "Heuristics.Limits.Exceeded";

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public ClamdScanReply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(raw, "raw");
    }

    /**
     * Classifies an INSTREAM reply. A trailing NUL or newline (one or more) is removed first; nothing else is trimmed,
     * so {@code " stream: OK"} is garbage.
     *
     * @param reply the reply text as received
     * @return the classified reply; never {@code null}, never throws
     */
    public static ClamdScanReply parse(String reply) {
        Objects.requireNonNull(reply, "reply");
        String r = stripTerminators(reply);
        if (r.equals("stream: OK")) {
            return new ClamdScanReply(Status.CLEAN, r, r);
        }
        if (r.startsWith("stream: ") && r.endsWith(" FOUND") && r.length() > "stream: ".length() + " FOUND".length()) {
            String name = r.substring("stream: ".length(), r.length() - " FOUND".length());
            if (!name.isBlank() && name.equals(name.strip()) && name.indexOf('\0') < 0 && name.indexOf('\n') < 0) {
                Status s = name.startsWith(LIMITS_EXCEEDED_PREFIX) ? Status.LIMITS_EXCEEDED : Status.FOUND;
                return new ClamdScanReply(s, ThreatNames.bounded(name), r);
            }
            return new ClamdScanReply(Status.GARBAGE, r, r);
        }
        if (r.equals("INSTREAM size limit exceeded. ERROR")) {
            return new ClamdScanReply(Status.SIZE_LIMIT, r, r);
        }
        if (r.equals("COMMAND READ TIMED OUT")) {
            return new ClamdScanReply(Status.TIMED_OUT, r, r);
        }
        if (r.endsWith(" ERROR") && r.length() > " ERROR".length() && r.indexOf('\0') < 0) {
            return new ClamdScanReply(Status.ERROR, r, r);
        }
        return new ClamdScanReply(Status.GARBAGE, r, r);
    }

    static String stripTerminators(String reply) {
        int end = reply.length();
        while (end > 0 && (reply.charAt(end - 1) == '\0' || reply.charAt(end - 1) == '\n')) {
            end--;
        }
        return reply.substring(0, end);
    }
}
