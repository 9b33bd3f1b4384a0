package org.mailhygiene.scanners.clamd;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few fields of a clamd {@code STATS} reply that are stable enough to use (clamd's manual says the format may
 * change): thread counts and queue length. Everything else stays in {@link #raw()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param liveThreads threads busy scanning, when reported
 * @param idleThreads idle threads, when reported
 * @param maxThreads the thread limit, when reported
 * @param queuedItems requests waiting for a thread, when reported
 * @param raw the whole reply without its terminator
 */
public record ClamdStats(
        OptionalInt liveThreads, OptionalInt idleThreads, OptionalInt maxThreads, OptionalInt queuedItems, String raw) {

    private static final Pattern THREADS = Pattern.compile("(?m)^THREADS: live (\\d+)\\s+idle (\\d+)\\s+max (\\d+)");
    private static final Pattern QUEUE = Pattern.compile("(?m)^QUEUE: (\\d+) items");

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public ClamdStats {
        Objects.requireNonNull(liveThreads, "liveThreads");
        Objects.requireNonNull(idleThreads, "idleThreads");
        Objects.requireNonNull(maxThreads, "maxThreads");
        Objects.requireNonNull(queuedItems, "queuedItems");
        Objects.requireNonNull(raw, "raw");
    }

    /**
     * Parses a STATS reply defensively: fields that are missing or malformed stay empty.
     *
     * @param reply the reply
     * @return the statistics
     * @throws IllegalArgumentException if the reply does not end with the {@code END} line clamd sends
     */
    public static ClamdStats parse(String reply) {
        String r = ClamdScanReply.stripTerminators(Objects.requireNonNull(reply, "reply"));
        if (!r.endsWith("END")) {
            throw new IllegalArgumentException("not a clamd STATS reply (no END line): '" + abbreviate(r) + "'");
        }
        OptionalInt live = OptionalInt.empty();
        OptionalInt idle = OptionalInt.empty();
        OptionalInt max = OptionalInt.empty();
        OptionalInt queue = OptionalInt.empty();
        Matcher t = THREADS.matcher(r);
        if (t.find()) {
            live = parseInt(t.group(1));
            idle = parseInt(t.group(2));
            max = parseInt(t.group(3));
        }
        Matcher q = QUEUE.matcher(r);
        if (q.find()) {
            queue = parseInt(q.group(1));
        }
        return new ClamdStats(live, idle, max, queue, r);
    }

    private static OptionalInt parseInt(String digits) {
        try {
            return OptionalInt.of(Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
