package org.mailhygiene.smtp.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The session's buffered view of the client's byte stream: reads command lines with a length limit and single bytes
 * for the DATA reader, applies the idle timeout and a per-phase deadline, tells whether the client has sent bytes that
 * were not asked for yet (pipelining sync points), and can drop them (after STARTTLS). While a message's data is
 * {@linkplain #startPacing paced} it also keeps the allowance of time its reads may still wait, which the server's
 * stress check ({@link #cutIfTooSlow}, from another thread) enforces. Package-private; used by one session thread (and
 * {@link #wake()} and {@link #cutIfTooSlow} by the server's).
 */
final class SmtpInput {
    /** Thrown when the phase deadline passed or the client stayed silent for the idle timeout. */
    static final class TimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        TimeoutException(String message) {
            super(message);
        }
    }

    /**
     * Thrown by a paced read ({@link #startPacing}) after the server found the message's data too slow while under
     * stress ({@link #cutIfTooSlow}).
     */
    static final class TooSlowException extends IOException {
        private static final long serialVersionUID = 1L;
        /** The octets read since the pacing started. */
        final long octets;
        /** How long the pacing had lasted, in nanoseconds. */
        final long elapsedNanos;

        TooSlowException(long octets, long elapsedNanos) {
            super("message data too slow under stress (" + octets + " octets in "
                    + TimeUnit.NANOSECONDS.toMillis(elapsedNanos) + " ms)");
            this.octets = octets;
            this.elapsedNanos = elapsedNanos;
        }
    }

    /** What {@link #readLine} found. */
    enum LineStatus {
        OK,
        TOO_LONG,
        BARE_CR_OR_LF,
        NUL
    }

    /**
     * The longest single wait of a read on plain TCP: how soon a {@link #wake()} is seen. A read waits in such slices
     * until input, the idle timeout, the phase deadline or a wake.
     */
    static final int WAKE_SLICE_MILLIS = 500;

    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int lim;
    private Socket socket;
    private InputStream in;
    private final long idleMillis;
    private long deadlineNanos = Long.MAX_VALUE;
    private int currentTimeout = -1;
    /** Set by {@link #wake()} from another thread: reads end as at the end of the stream. */
    private volatile boolean woken;
    /** Whether reads wait in {@link #WAKE_SLICE_MILLIS} slices: on the plain TCP socket, not under TLS. */
    private volatile boolean sliced;

    // Pacing of a message's data (Postfix's smtpd_per_request_deadline with smtpd_min_data_rate): the time reads may
    // still wait, refilled by each octet read. Kept by the session thread; enforced by the server, under stress only.
    private boolean pacing;
    private long paceAllowance;
    private long paceCap;
    private long paceNanosPerOctet;
    private long pacedOctets;
    private long pacedSince;
    /** While a paced read waits: the {@link System#nanoTime()} at which its allowance runs out; otherwise none. */
    private volatile long paceDeadline = NO_DEADLINE;
    /** The {@link #paceDeadline} the server found passed ({@link #cutIfTooSlow}); {@link #NO_DEADLINE} if none. */
    private final AtomicLong cutAt = new AtomicLong(NO_DEADLINE);

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    SmtpInput(Socket socket, Duration idle) throws IOException {
        this.idleMillis = idle.toMillis();
        switchTo(socket);
        this.sliced = !(socket instanceof javax.net.ssl.SSLSocket);
    }

    /** For tests: reads a plain stream; timeouts are not applied. */
    SmtpInput(InputStream in) {
        this.idleMillis = Long.MAX_VALUE;
        this.in = in;
    }

    /**
     * Reads from another socket from now on (after the TLS handshake), dropping everything buffered. Reads on a TLS
     * socket are not sliced (that the JDK resumes a TLS read after a timeout in the middle of a record is not relied
     * on): a {@link #wake()} then reaches
     * only the next read, and the caller must wake a pending one by other means.
     */
    void switchTo(Socket s) throws IOException {
        this.sliced = false; // set again by the constructor for the plain socket
        this.socket = s;
        this.in = s.getInputStream();
        this.currentTimeout = -1;
        discardBuffered();
    }

    /** Drops the bytes already read from the socket but not consumed. */
    void discardBuffered() {
        pos = 0;
        lim = 0;
    }

    /**
     * Starts pacing a message's data: from now on, the time reads wait for input is taken from an allowance of
     * {@code allowance}, and each octet read puts {@code 1/octetsPerSecond} s back, up to {@code allowance} again
     * (Postfix's {@code smtpd_per_request_deadline} with {@code smtpd_min_data_rate}). Only the waits count, not the
     * time the session spends on what it read. The allowance is only kept here; the server enforces it, under stress,
     * with {@link #cutIfTooSlow}. Does nothing while pacing already.
     *
     * @param allowance the longest total wait without input, and the most the octets can build up
     * @param octetsPerSecond the least average rate, {@code >= 1}
     */
    void startPacing(Duration allowance, int octetsPerSecond) {
        if (pacing) {
            return;
        }
        pacing = true;
        paceCap = allowance.toNanos();
        paceAllowance = paceCap;
        paceNanosPerOctet = Math.max(1, 1_000_000_000L / octetsPerSecond);
        pacedOctets = 0;
        pacedSince = System.nanoTime();
    }

    /**
     * The allowance after one paced wait (Postfix's {@code smtpd_min_data_rate} rule): {@code allowance} less the time
     * waited (not below 0: a wait past the allowance outside stress is not held against the octets that end it), plus
     * {@code nanosPerOctet} for each octet read, up to {@code cap}. Never overflows.
     *
     * @param allowance the allowance before the wait, {@code 0..cap}
     * @param waited how long the read waited, in nanoseconds (negative counts as 0)
     * @param octets the octets it read, {@code >= 0}
     * @param nanosPerOctet the allowance one octet buys, {@code >= 1}
     * @param cap the largest allowance, {@code >= 1}
     * @return the new allowance, {@code 0..cap}
     */
    static long nextAllowance(long allowance, long waited, long octets, long nanosPerOctet, long cap) {
        long credit = octets > cap / nanosPerOctet ? cap : octets * nanosPerOctet; // saturated: no overflow
        long left = waited <= 0 ? allowance : Math.max(0, allowance - waited);
        return left >= cap - credit ? cap : left + credit;
    }

    /** Ends the pacing: the message's data is complete (or abandoned). Idempotent. */
    void stopPacing() {
        pacing = false;
        paceDeadline = NO_DEADLINE;
    }

    /** Whether the data is paced now ({@link #startPacing}). */
    boolean pacing() {
        return pacing;
    }

    /**
     * From the server's thread, under stress: when a paced read has waited past its allowance at {@code now}, ends it
     * with a {@link TooSlowException}: at once under TLS (the socket's input is shut down with {@code shutdownInput}),
     * within {@link #WAKE_SLICE_MILLIS} on plain TCP, where the connection stays readable so the session can answer
     * and drain it. A read that got its input meanwhile is not ended (the cut is dropped).
     *
     * @param now {@link System#nanoTime()}
     * @param shutdownInput shuts the connection's input down (under TLS)
     * @return {@code true} if this call cut the read; {@code false} if it was within its allowance or already cut
     */
    boolean cutIfTooSlow(long now, Runnable shutdownInput) {
        long d = paceDeadline;
        if (d == NO_DEADLINE || now - d <= 0 || cutAt.get() == d) {
            return false;
        }
        cutAt.set(d);
        if (!sliced) {
            shutdownInput.run();
        }
        return true;
    }

    /** Throws the {@link TooSlowException} when the server cut this wait, the one that ends at {@code deadline}. */
    private void checkCut(long deadline) throws TooSlowException {
        long c = cutAt.get();
        if (c == NO_DEADLINE) {
            return;
        }
        if (c == deadline) {
            throw new TooSlowException(pacedOctets, System.nanoTime() - pacedSince);
        }
        cutAt.compareAndSet(c, NO_DEADLINE); // a cut of an earlier wait that got its input in time
    }

    /**
     * Sets the deadline of the current phase (a command line, the whole DATA transfer).
     *
     * @param timeout how long from now the phase may take
     */
    void deadlineIn(Duration timeout) {
        long now = System.nanoTime();
        long t = timeout.toNanos();
        deadlineNanos = t > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + t;
    }

    /**
     * Whether the client has sent bytes beyond what was consumed: in the buffer or already in the socket.
     *
     * @return {@code true} if more input is waiting
     * @throws IOException if the socket fails
     */
    boolean hasPending() throws IOException {
        return pos < lim || in.available() > 0;
    }

    /**
     * Waits up to {@code wait} for the client to send something; what arrives stays buffered.
     *
     * @param wait how long to wait
     * @return {@code true} if input is buffered, {@code false} after the wait or at the end of input
     * @throws IOException if the socket fails
     */
    boolean inputWithin(Duration wait) throws IOException {
        if (pos < lim) {
            return true;
        }
        deadlineIn(wait);
        try {
            return fill();
        } catch (TimeoutException e) {
            return false;
        }
    }

    /**
     * Whether consumed input is exhausted and the next read will block: the moment to flush replies.
     *
     * @return {@code true} if nothing is buffered
     */
    boolean bufferEmpty() {
        return pos >= lim;
    }

    /**
     * Ends reading from another thread (a server stop): the pending read, if it waits on plain TCP, returns within
     * {@link #WAKE_SLICE_MILLIS} as at the end of the stream, and so does every later one. Unlike shutting the socket's
     * input down, this leaves the socket readable, so the session can answer, then read and discard what its client
     * still sends before it closes (a close with unread input would send the client a reset instead of the reply).
     *
     * @return whether a pending read sees the wake by itself; {@code false} under TLS, where only the next read does
     */
    boolean wake() {
        woken = true;
        return sliced;
    }

    /**
     * Reads the next input into the buffer. While {@linkplain #startPacing pacing}, the wait is taken from the
     * allowance and the octets read refill it; constant work per read.
     */
    private boolean fill() throws IOException {
        if (!pacing) {
            return fillUnpaced(NO_DEADLINE);
        }
        long start = System.nanoTime();
        long allowance = paceAllowance;
        long deadline = start + allowance;
        paceDeadline = deadline;
        boolean got = false;
        long end = start;
        try {
            got = fillUnpaced(deadline);
        } finally {
            paceDeadline = NO_DEADLINE;
            end = System.nanoTime();
            long read = got ? lim : 0;
            pacedOctets += read;
            paceAllowance = nextAllowance(allowance, end - start, read, paceNanosPerOctet, paceCap);
        }
        if (end - deadline > 0 || !sliced) {
            checkCut(deadline); // the input came after the allowance ran out and the server cut the wait: too late
        }
        return got;
    }

    /**
     * Reads into the buffer, waiting in slices on plain TCP.
     *
     * @param cutDeadline the deadline of this paced wait, the one a cut by the server names ({@link #checkCut});
     *     {@link #NO_DEADLINE} when not pacing
     */
    private boolean fillUnpaced(long cutDeadline) throws IOException {
        long start = System.nanoTime();
        long idleNanos = idleMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : idleMillis * 1_000_000L;
        for (; ; ) {
            checkCut(cutDeadline);
            if (woken) {
                return false;
            }
            long now = System.nanoTime();
            long remaining = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - now;
            if (remaining <= 0) {
                throw new TimeoutException("deadline passed");
            }
            long idleLeft = idleNanos == Long.MAX_VALUE ? Long.MAX_VALUE : idleNanos - (now - start);
            if (idleLeft <= 0) {
                throw new TimeoutException("idle timeout");
            }
            boolean idleBound = idleLeft <= remaining;
            long millis = Math.max(1, Math.min(idleLeft, remaining) / 1_000_000L);
            boolean slice = sliced && millis > WAKE_SLICE_MILLIS;
            if (slice) {
                millis = WAKE_SLICE_MILLIS;
            }
            int timeout = (int) Math.min(Integer.MAX_VALUE, millis);
            if (socket != null && timeout != currentTimeout) {
                socket.setSoTimeout(timeout);
                currentTimeout = timeout;
            }
            int n;
            try {
                n = in.read(buf, 0, buf.length);
            } catch (SocketTimeoutException e) {
                if (slice) {
                    continue; // a slice ended: look at the cut, the wake, the idle timeout and the deadline again
                }
                checkCut(cutDeadline);
                throw new TimeoutException(idleBound ? "idle timeout" : "deadline passed");
            } catch (IOException e) {
                checkCut(cutDeadline); // under TLS the cut shuts the input down under the read
                throw e;
            }
            if (n <= 0) {
                checkCut(cutDeadline);
                return false;
            }
            pos = 0;
            lim = n;
            return true;
        }
    }

    /**
     * Reads one byte.
     *
     * @return the byte, or -1 at the end of the stream
     * @throws IOException on failure or timeout
     */
    int read() throws IOException {
        if (pos >= lim && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    /**
     * Reads up to {@code len} raw bytes (a BDAT chunk): what is buffered, or one read from the socket.
     *
     * @param b the destination
     * @param off where to start in it
     * @param len the most bytes to read, {@code >= 1}
     * @return the number of bytes read, or -1 at the end of the stream
     * @throws IOException on failure or timeout
     */
    /**
     * Copies buffered bytes up to (not including) the next CR or LF, at most {@code max}; never reads the socket.
     *
     * @return the number of bytes copied; 0 if nothing is buffered or the next byte is CR or LF
     */
    int readPlain(byte[] b, int off, int max) {
        int p = pos;
        int end = Math.min(lim, pos + max);
        while (p < end) {
            byte c = buf[p];
            if (c == '\r' || c == '\n') {
                break;
            }
            p++;
        }
        int k = p - pos;
        System.arraycopy(buf, pos, b, off, k);
        pos = p;
        return k;
    }

    int read(byte[] b, int off, int len) throws IOException {
        if (pos >= lim && !fill()) {
            return -1;
        }
        int n = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    /**
     * Reads a command line terminated by LF into {@code out} (without the line end). A line longer than
     * {@code max} octets including CRLF is consumed to its end and reported as {@link LineStatus#TOO_LONG}; a line
     * ending in a bare LF or holding a bare CR as {@link LineStatus#BARE_CR_OR_LF}; a NUL as {@link LineStatus#NUL}.
     *
     * @param out receives the line's bytes (up to {@code max})
     * @param max the maximum line length including CRLF
     * @return the status, or {@code null} at the end of the stream
     * @throws IOException on failure or timeout
     */
    LineStatus readLine(LineBuffer out, int max) throws IOException {
        out.reset();
        boolean tooLong = false;
        boolean bad = false;
        boolean nul = false;
        boolean cr = false;
        for (; ; ) {
            if (pos >= lim && !fill()) {
                return null;
            }
            int b = buf[pos++] & 0xff;
            if (b == '\n') {
                if (!cr) {
                    bad = true;
                }
                break;
            }
            if (cr) {
                bad = true; // CR not followed by LF
                if (!tooLong) {
                    out.append('\r');
                }
            }
            cr = b == '\r';
            if (cr) {
                continue;
            }
            if (b == 0) {
                nul = true;
            }
            if (!tooLong) {
                if (out.length() + 1 + 2 > max) {
                    tooLong = true;
                } else {
                    out.append(b);
                }
            }
        }
        if (tooLong) {
            return LineStatus.TOO_LONG;
        }
        if (bad) {
            return LineStatus.BARE_CR_OR_LF;
        }
        return nul ? LineStatus.NUL : LineStatus.OK;
    }

    /** A growable byte buffer for one line. */
    static final class LineBuffer {
        private byte[] data = new byte[600];
        private int len;

        void reset() {
            len = 0;
        }

        void append(int b) {
            if (len == data.length) {
                data = java.util.Arrays.copyOf(data, len * 2);
            }
            data[len++] = (byte) b;
        }

        int length() {
            return len;
        }

        String toString(java.nio.charset.Charset cs) {
            return new String(data, 0, len, cs);
        }
    }
}
