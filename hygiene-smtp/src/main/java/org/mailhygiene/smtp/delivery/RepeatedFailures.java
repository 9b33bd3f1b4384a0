package org.mailhygiene.smtp.delivery;

import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.Objects;
import org.mailhygiene.api.NanoClock;

/**
 * Decides how loudly to log a failure that may repeat for every message in the queue: a full disk fails each
 * message's pass the same way, once per pass, and an ERROR with a stack trace for each of 10,000 queued messages every
 * minute buries the one line that says what is wrong. The first failure with a given description is logged in full;
 * the same description again within the window is logged quietly (DEBUG) and counted; the first one after the window,
 * or the first with another description, is logged in full again with the count of the quiet ones. The relay uses it
 * too, for messages the spool or the quarantine cannot store (a full disk refuses each of a storm's messages alike).
 * Thread-safe.
 */
public final class RepeatedFailures {
    /** How loudly to log one failure. */
    public enum Level {
        /** ERROR with the stack trace: a new description, or the window passed. */
        FULL,
        /** DEBUG: the same description as the last full line, within the window. */
        QUIET
    }

    /**
     * What to log for one failure.
     *
     * @param level how loudly
     * @param quietBefore how many failures were logged quietly since the last full line (for a full one)
     */
    public record Decision(Level level, int quietBefore) {}

    private final NanoClock ticker;
    private final long windowNanos;
    private String last;
    private long loggedAt;
    private int quiet;

    /**
     * Creates one, with nothing recorded yet.
     *
     * @param ticker the interval source
     * @param window how long the same description stays quiet after a full line, positive
     * @throws NullPointerException if {@code ticker} is {@code null}
     */
    public RepeatedFailures(NanoClock ticker, Duration window) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.windowNanos = window.toNanos();
    }

    /**
     * Records one failure.
     *
     * @param description the failure as logged ({@code e.toString()}), the same text for the same cause
     * @return how to log it
     */
    public synchronized Decision record(String description) {
        long now = ticker.nanoTime();
        if (description.equals(last) && now - loggedAt >= 0 && now - loggedAt < windowNanos) {
            quiet++;
            return new Decision(Level.QUIET, 0);
        }
        Decision d = new Decision(Level.FULL, quiet);
        last = description;
        loggedAt = now;
        quiet = 0;
        return d;
    }

    /**
     * The description by which failures count as the same: {@code e.toString()}, but for a
     * {@link FileSystemException} (a read-only or refused spool: {@code FileSystemException: /spool/q/ID: Read-only
     * file system}) without the file, which names each message's own and would make every one of them new.
     *
     * @param e the failure
     * @return its description for {@link #record}
     */
    public static String describe(Throwable e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return e.getClass().getName() + ": " + f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return e.getClass().getName(); // the JDK gives it no reason, only the file (a spool whose owner changed)
        }
        return e.toString();
    }
}
