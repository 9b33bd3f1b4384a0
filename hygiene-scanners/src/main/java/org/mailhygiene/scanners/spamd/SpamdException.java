package org.mailhygiene.scanners.spamd;

import java.util.Objects;
import java.util.OptionalInt;
import org.mailhygiene.api.ScanFailure;

/**
 * A spamd request that did not produce a usable reply: the connection failed, a timeout or the deadline passed, the
 * reply broke the protocol, or spamd answered with a non-zero response code.
 *
 * <p>The {@linkplain #kind() kind} says which {@link ScanFailure.Kind} the failure becomes; {@link #responseCode()}
 * holds spamd's {@code EX_*} code when spamd answered with one (see {@link #kindForCode(int)} for the mapping);
 * {@link #retryable()} says whether another spamd instance might do better (connection problems, timeouts and server
 * errors) or not (the message is too large, the message could not be read, spamd rejected our request as malformed).
 */
public final class SpamdException extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@code EX_USAGE}: command line usage error. */
    public static final int EX_USAGE = 64;
    /** {@code EX_DATAERR}: data format error. */
    public static final int EX_DATAERR = 65;
    /** {@code EX_NOINPUT}: cannot open input. */
    public static final int EX_NOINPUT = 66;
    /** {@code EX_NOUSER}: addressee unknown. */
    public static final int EX_NOUSER = 67;
    /** {@code EX_NOHOST}: host name unknown. */
    public static final int EX_NOHOST = 68;
    /** {@code EX_UNAVAILABLE}: service unavailable (spamd sends it for disabled TELL, for example). */
    public static final int EX_UNAVAILABLE = 69;
    /** {@code EX_SOFTWARE}: internal software error. */
    public static final int EX_SOFTWARE = 70;
    /** {@code EX_OSERR}: system error. */
    public static final int EX_OSERR = 71;
    /** {@code EX_OSFILE}: critical OS file missing. */
    public static final int EX_OSFILE = 72;
    /** {@code EX_CANTCREAT}: cannot create (user) output file. */
    public static final int EX_CANTCREAT = 73;
    /** {@code EX_IOERR}: input/output error. */
    public static final int EX_IOERR = 74;
    /** {@code EX_TEMPFAIL}: temporary failure, the client should retry. */
    public static final int EX_TEMPFAIL = 75;
    /** {@code EX_PROTOCOL}: remote error in protocol (spamd's "Bad header line"). */
    public static final int EX_PROTOCOL = 76;
    /** {@code EX_NOPERM}: permission denied. */
    public static final int EX_NOPERM = 77;
    /** {@code EX_CONFIG}: configuration error. */
    public static final int EX_CONFIG = 78;
    /** {@code EX_TIMEOUT}: spamd's own code for its read or child timeouts (not in sysexits.h). */
    public static final int EX_TIMEOUT = 79;
    /** {@code EX_TOOBIG}: message too big; documented by spamc, never sent by spamd 4.0. */
    public static final int EX_TOOBIG = 98;

    private final ScanFailure.Kind kind;
    private final int responseCode;
    private final boolean retryable;

    /**
     * Creates an exception.
     *
     * @param kind the failure class
     * @param message what happened, naming the spamd address where known
     * @param responseCode spamd's non-zero response code, or {@code -1} when spamd did not send one
     * @param retryable whether another spamd instance might succeed
     * @param cause the underlying exception, or {@code null}
     */
    public SpamdException(ScanFailure.Kind kind, String message, int responseCode, boolean retryable, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.responseCode = responseCode;
        this.retryable = retryable;
    }

    /**
     * The exception for a non-zero response code: kind from {@link #kindForCode(int)}; retryable unless the code says
     * our request was at fault ({@link #EX_PROTOCOL}, {@link #EX_USAGE}, {@link #EX_DATAERR}, {@link #EX_NOINPUT},
     * {@link #EX_NOUSER}, {@link #EX_TOOBIG}).
     *
     * @param code the code, not 0
     * @param text spamd's text after the code
     * @param server the server's address, for the message
     * @return a new exception
     */
    public static SpamdException forResponseCode(int code, String text, String server) {
        boolean ourFault = code == EX_PROTOCOL
                || code == EX_USAGE
                || code == EX_DATAERR
                || code == EX_NOINPUT
                || code == EX_NOUSER
                || code == EX_TOOBIG;
        return new SpamdException(
                kindForCode(code), "spamd " + server + " replied " + code + " " + text, code, !ourFault, null);
    }

    /**
     * Maps a spamd response code to a failure kind: {@link #EX_UNAVAILABLE}, {@link #EX_TEMPFAIL} and
     * {@link #EX_NOHOST} become {@link ScanFailure.Kind#UNAVAILABLE}; {@link #EX_TIMEOUT} becomes
     * {@link ScanFailure.Kind#TIMED_OUT}; {@link #EX_TOOBIG} becomes {@link ScanFailure.Kind#TOO_LARGE};
     * {@link #EX_SOFTWARE}, {@link #EX_OSERR}, {@link #EX_OSFILE}, {@link #EX_CANTCREAT}, {@link #EX_IOERR},
     * {@link #EX_NOPERM} and {@link #EX_CONFIG} become {@link ScanFailure.Kind#SCANNER_ERROR}; everything else
     * ({@link #EX_PROTOCOL}, {@link #EX_USAGE}, {@link #EX_DATAERR}, {@link #EX_NOINPUT}, {@link #EX_NOUSER} and
     * unknown codes) becomes {@link ScanFailure.Kind#PROTOCOL_ERROR}.
     *
     * @param code a non-zero response code
     * @return the kind
     */
    public static ScanFailure.Kind kindForCode(int code) {
        return switch (code) {
            case EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOHOST -> ScanFailure.Kind.UNAVAILABLE;
            case EX_TIMEOUT -> ScanFailure.Kind.TIMED_OUT;
            case EX_TOOBIG -> ScanFailure.Kind.TOO_LARGE;
            case EX_SOFTWARE, EX_OSERR, EX_OSFILE, EX_CANTCREAT, EX_IOERR, EX_NOPERM, EX_CONFIG ->
                ScanFailure.Kind.SCANNER_ERROR;
            default -> ScanFailure.Kind.PROTOCOL_ERROR;
        };
    }

    /**
     * The failure class.
     *
     * @return the kind
     */
    public ScanFailure.Kind kind() {
        return kind;
    }

    /**
     * spamd's non-zero response code, when the failure is an error reply.
     *
     * @return the code, or empty for connection, timeout and parse failures
     */
    public OptionalInt responseCode() {
        return responseCode > 0 ? OptionalInt.of(responseCode) : OptionalInt.empty();
    }

    /**
     * Whether another spamd instance might succeed where this one failed.
     *
     * @return {@code true} for connection failures, timeouts, server errors and unparsable replies
     */
    public boolean retryable() {
        return retryable;
    }
}
