package org.mailhygiene.internal;

import java.io.Closeable;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What a server's accept loop does when {@code accept()} fails while the server runs, above all when the process is
 * out of file descriptors ({@code EMFILE}, {@code ENFILE}: "Too many open files"). Linux fails such an accept at once,
 * whether or not a connection waits, so a loop that logs and retries spins a core and writes a log line (with its
 * stack trace) per turn: measured in session 43 with {@code ulimit -n 128} and 200 idle connections, the relay logged
 * 364,563 such warnings (274 MB) in about a minute and the milter 2.4 million (1.8 GB) in 10 seconds, while the
 * clients beyond the limit waited unanswered in the listen backlog.
 *
 * <p>This class keeps one <b>spare descriptor</b> (an open {@code /dev/null}). When an accept fails for want of
 * descriptors, {@link #releaseSpare()} closes it, so the next accept can take one waiting connection and the server can
 * tell that client why it is refused (the relay answers {@code 421 4.3.2}, the milter closes it so that the MTA applies
 * its default action at once); {@link #restoreSpare()} then opens it again. Every other failure, and one when the spare
 * is gone (another thread took the freed descriptor), is met with a pause: {@link #FIRST_PAUSE} after the first failure,
 * doubling up to {@link #MAX_PAUSE} (as Go's {@code net/http} and Postfix's {@code master} back off), so nothing spins.
 * A successful accept ends the run of failures and resets the pause.
 *
 * <p>It also says what to log, so that a long shortage is a few lines, not millions: {@link #failed} returns a WARN
 * line for the first failure of a run and one a {@link #REPORT_EVERY minute} while it goes on, and {@link #succeeded}
 * an INFO line when accepting works again, with the counts.
 *
 * <p>Not thread-safe: owned by the one accepting thread. {@link #close()} when the loop ends.
 *
 * <p>Not final only so that the servers' tests can make its methods fail (an accept loop must survive that); it is not
 * meant to be extended otherwise.
 */
public class AcceptBackoff implements AutoCloseable {
    /** The pause after the first failed accept of a run. */
    public static final Duration FIRST_PAUSE = Duration.ofMillis(5);

    /** The longest pause between accepts while they fail. */
    public static final Duration MAX_PAUSE = Duration.ofSeconds(1);

    /** How often a run of failures that goes on is reported again. */
    public static final Duration REPORT_EVERY = Duration.ofMinutes(1);

    private final LongSupplier nanoTime;
    private final boolean keepSpare;
    private final SpareOpener opener;
    private Closeable spare;
    /** Whether the last failed open of the spare failed for want of a descriptor (not: no /dev/null at all). */
    private boolean spareShortOfDescriptors;

    private long pauseNanos;
    private long failures;
    private long refused;
    private long runStart;
    private long lastFailure;
    private long lastReport;
    private long failuresAtReport;

    /** A backoff with a spare descriptor, on {@link System#nanoTime()}. */
    public AcceptBackoff() {
        this(System::nanoTime, true);
    }

    /**
     * For tests: a backoff on the given clock.
     *
     * @param nanoTime the clock, in nanoseconds like {@link System#nanoTime()}
     * @param keepSpare whether to hold a spare descriptor
     */
    public AcceptBackoff(LongSupplier nanoTime, boolean keepSpare) {
        this(nanoTime, keepSpare, () -> new FileInputStream("/dev/null"));
    }

    /**
     * For tests: a backoff on the given clock whose spare descriptor comes from {@code opener}.
     *
     * @param nanoTime the clock, in nanoseconds like {@link System#nanoTime()}
     * @param opener opens the spare (throws as an open does when no descriptor is free)
     */
    AcceptBackoff(LongSupplier nanoTime, SpareOpener opener) {
        this(nanoTime, true, opener);
    }

    private AcceptBackoff(LongSupplier nanoTime, boolean keepSpare, SpareOpener opener) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.keepSpare = keepSpare;
        this.opener = Objects.requireNonNull(opener, "opener");
        restoreSpare();
    }

    /** Opens the spare descriptor. */
    @FunctionalInterface
    interface SpareOpener {
        /**
         * Opens it.
         *
         * @return the open spare
         * @throws IOException if it cannot be opened (no descriptor free)
         */
        Closeable open() throws IOException;
    }

    /**
     * Runs every path of this class once, so that its classes and the ones it uses are loaded before they are needed:
     * out of descriptors, a class not loaded yet may not be loadable (a class file in a directory needs a descriptor
     * to be read), and a failed load fails its call site for good ({@link NoClassDefFoundError}). Measured in session
     * 43: the first run of failures of a server started from class directories under {@code ulimit -n 128} ended its
     * accepting thread that way. Call it where the accept loop starts.
     */
    public static void warmUp() {
        // The JDK's socket classes too: out of descriptors, the first close of a socket failed to initialise
        // sun.nio.ch.FileDispatcherImpl (its static initialiser needs descriptors), and every later close in the
        // process failed with NoClassDefFoundError (measured in session 43 with the milter under ulimit -n 128).
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                java.net.Socket c = new java.net.Socket(ss.getInetAddress(), ss.getLocalPort());
                java.net.Socket a = ss.accept()) {
            a.setSoTimeout(1000);
            c.setSoTimeout(1000);
            a.getOutputStream().write('\n');
            a.shutdownOutput();
            c.getInputStream().read();
        } catch (IOException e) {
            // best effort: the loop works without it while descriptors last
        }
        try (AcceptBackoff b = new AcceptBackoff(System::nanoTime, true);
                java.net.ServerSocket closed = new java.net.ServerSocket()) {
            IOException e = new IOException("Too many open files");
            closed.close(); // its accept fails at once: handleFailure's path to the spare and back, then its pause
            Refusal refusal = Socket::close;
            b.handleFailure(closed, e, () -> false, line -> {}, refusal);
            b.handleFailure(closed, e, () -> true, line -> {}, refusal);
            outOfDescriptors(e);
            b.failed(e);
            b.failed(e);
            b.refused();
            b.nextPauseMillis();
            b.succeeded();
            b.releaseSpare();
            b.restoreSpare();
            b.holdsSpare();
            if (b.holdsSpare()) {
                b.refusedToKeepSpare(null, refusal); // the spare is held: admitted, nothing touched
            }
        } catch (IOException e) {
            // best effort, as above
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a server does with the one connection the spare descriptor let in: tells it why, and closes it. */
    @FunctionalInterface
    public interface Refusal {
        /**
         * Refuses and closes the connection.
         *
         * @param connection the connection
         * @throws IOException if telling it fails (it is closed anyway)
         */
        void refuse(Socket connection) throws IOException;
    }

    /**
     * Handles one failed accept of a server's loop, in the accepting thread: logs by {@link #failed} through
     * {@code warn}; out of descriptors, lets one waiting connection in with the spare descriptor and hands it to
     * {@code refusal} (the accept then waits for a client, as the loop's own would); otherwise, or without a spare,
     * pauses by {@link #nextPauseMillis()}. That accept may wait long, and the shortage may end meanwhile (the
     * sessions that held the descriptors end): when the spare can be opened again once the client came, descriptors
     * are free, and the connection is returned for the server to admit instead of refused (until session 45 the first
     * client after a shortage was refused {@code 421 4.3.2 Out of system resources} however long after it came).
     *
     * @param ss the server socket
     * @param e the failure of its accept
     * @param running whether the server still runs (a failed accept of a stopped server ends the handling)
     * @param warn where the WARN lines go
     * @param refusal what to do with the connection let in while descriptors are still short
     * @return a connection accepted after descriptors became free, for the server to admit (pass it to
     *     {@link #refusedToKeepSpare} and {@link #succeeded} as any accepted one); {@code null} if none
     * @throws InterruptedException if interrupted during the pause (the server is stopping)
     */
    public Socket handleFailure(
            ServerSocket ss, IOException e, BooleanSupplier running, Consumer<String> warn, Refusal refusal)
            throws InterruptedException {
        String line = failed(e);
        if (line != null) {
            warn.accept(line);
        }
        if (outOfDescriptors(e) && !holdsSpare() && restoreSpare()) {
            return null; // the spare was taken by another thread's open and is back: it lets the next accept in
        }
        if (outOfDescriptors(e) && releaseSpare()) {
            try {
                Socket s = ss.accept(); // the spare's descriptor: waits for the next client, to tell it why
                if (restoreSpare()) {
                    return s; // a descriptor was free besides: the shortage ended while the accept waited
                }
                refused();
                try {
                    refusal.refuse(s);
                } finally {
                    Closeables.closeQuietly(s);
                }
                return null;
            } catch (IOException again) {
                if (!running.getAsBoolean()) {
                    return null;
                }
                // another thread took the descriptor: pause as below
            } finally {
                restoreSpare();
            }
        }
        Thread.sleep(nextPauseMillis());
        return null;
    }

    /**
     * Takes the spare descriptor back if it was lost, with the connection just accepted if need be; call it with every
     * accepted connection, before the server admits it. The spare is lost when another thread takes the descriptor
     * {@link #handleFailure} freed before the spare is opened again (class loading, a log file, a scanner's socket).
     * While no descriptor is free to open it again, this connection holds the last one: it is refused as one let in by
     * the spare, and its descriptor becomes the spare. Without this a lost spare stayed lost while sessions held every
     * descriptor, and every client past the limit waited unanswered (seen in CI in session 44, and reproduced by a
     * thread that opens and closes a file in a loop).
     *
     * @param connection the connection just accepted
     * @param refusal what to do with it if it is refused (it is closed afterwards in any case)
     * @return {@code true} if the connection was refused and closed (the loop accepts the next one); {@code false} to
     *     admit it (the spare is held, or this backoff keeps none, or the spare cannot be opened for another reason
     *     than a want of descriptors, such as no {@code /dev/null}: then every connection would be refused)
     */
    public boolean refusedToKeepSpare(Socket connection, Refusal refusal) {
        if (!keepSpare || spare != null || restoreSpare() || !spareShortOfDescriptors) {
            return false; // held, back, or cannot be had at all (no /dev/null): nothing to take back
        }
        refused();
        try {
            refusal.refuse(connection);
        } catch (IOException e) {
            // telling it failed: it is closed below all the same
        } finally {
            Closeables.closeQuietly(connection);
        }
        restoreSpare();
        return true;
    }

    /**
     * Whether an accept failed because the process or the system is out of file descriptors.
     *
     * @param e the failure
     * @return {@code true} for {@code EMFILE} and {@code ENFILE} ("Too many open files", "... in system")
     */
    public static boolean outOfDescriptors(IOException e) {
        String m = e.getMessage();
        return m != null && m.toLowerCase(Locale.ROOT).contains("too many open files");
    }

    /**
     * Records a failed accept.
     *
     * @param e the failure
     * @return the line to log at WARN now (the first failure of a run, then one a {@link #REPORT_EVERY minute} while
     *     the failures go on), or {@code null}
     */
    public String failed(IOException e) {
        long now = nanoTime.getAsLong();
        failures++;
        lastFailure = now;
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        if (failures == 1) {
            runStart = now;
            lastReport = now;
            failuresAtReport = 1;
            return "accept failed: " + reason
                    + (outOfDescriptors(e)
                            ? " (the process's descriptor limit, ulimit -n, is reached: new connections are refused"
                                    + " until sessions end; raise the limit if this recurs)"
                            : "")
                    + "; retrying with a pause of up to " + MAX_PAUSE.toMillis() + " ms";
        }
        if (now - lastReport >= REPORT_EVERY.toNanos()) {
            String line = "accept still failing: " + (failures - failuresAtReport) + " more failures and " + refused
                    + " connections refused since the run began " + seconds(now - runStart) + " ago (last: " + reason
                    + ")";
            lastReport = now;
            failuresAtReport = failures;
            return line;
        }
        return null;
    }

    /**
     * Records a connection refused because of a failure run (accepted with the spare descriptor and told to go away).
     */
    public void refused() {
        refused++;
    }

    /**
     * The pause to make before the next accept: {@link #FIRST_PAUSE} after the first failure of a run, twice the last
     * one after each further call, at most {@link #MAX_PAUSE}.
     *
     * @return milliseconds to sleep, at least 1
     */
    public long nextPauseMillis() {
        pauseNanos = pauseNanos == 0 ? FIRST_PAUSE.toNanos() : Math.min(MAX_PAUSE.toNanos(), pauseNanos * 2);
        return Math.max(1, pauseNanos / 1_000_000L);
    }

    /**
     * Records a successful accept: ends a run of failures and resets the pause.
     *
     * @return the line to log at INFO now (accepting works again after a run of failures, which lasted from its first
     *     failure to its last), or {@code null}
     */
    public String succeeded() {
        pauseNanos = 0;
        if (failures == 0) {
            return null;
        }
        String line = "accepting again after " + failures + " failed accepts over " + seconds(lastFailure - runStart)
                + (refused > 0 ? " (" + refused + " connections refused meanwhile)" : "");
        failures = 0;
        refused = 0;
        return line;
    }

    /**
     * Closes the spare descriptor so that the next accept can take a connection when the process is out of
     * descriptors.
     *
     * @return {@code true} if a spare was held and is now closed; {@code false} if there was none
     */
    public boolean releaseSpare() {
        if (spare == null) {
            return false;
        }
        Closeables.closeQuietly(spare);
        spare = null;
        return true;
    }

    /**
     * Opens the spare descriptor again if it is not held (quietly: if no descriptor is free, there is no spare until a
     * later call).
     *
     * @return whether a spare is held now
     */
    public boolean restoreSpare() {
        if (!keepSpare) {
            return false;
        }
        if (spare == null) {
            try {
                spare = opener.open();
            } catch (IOException e) {
                spareShortOfDescriptors = outOfDescriptors(e);
                return false; // no /dev/null (not Unix) or no free descriptor: a plain pause then
            }
        }
        return true;
    }

    /**
     * Whether a spare descriptor is held.
     *
     * @return {@code true} if held
     */
    public boolean holdsSpare() {
        return spare != null;
    }

    /** Closes the spare descriptor. */
    @Override
    public void close() {
        releaseSpare();
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
