package org.mailhygiene.scanners.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Canonicalizes a message body as it streams past (RFC 6376 section 3.4.3 and 3.4.4) and hashes it, optionally only
 * the first {@code limit} canonical bytes (the {@code l=} tag). It counts every canonical byte, so the caller can see
 * how much of the body a length limit left unsigned.
 *
 * <p>Memory is constant whatever the body. Line ends are CRLF; a bare LF is taken as a line end too (as mail stores
 * sometimes write), a bare CR is content. Not thread-safe.
 */
public final class BodyHasher {
    private final Canonicalization canon;
    private final MessageDigest digest;
    private final long limit;
    private final byte[] out = new byte[8192];
    private int outLen;
    private long total;
    private long hashed;
    private long pendingEmptyLines;
    private boolean lineHasContent;
    private boolean pendingSpace;
    private boolean sawCr;
    private boolean finished;
    private byte[] result;

    /**
     * Creates a hasher.
     *
     * @param canon the body canonicalization
     * @param algorithm the digest, e.g. {@code SHA-256}
     * @param limit how many canonical bytes to hash, or -1 for all
     * @throws IllegalArgumentException if the digest is not available
     */
    public BodyHasher(Canonicalization canon, String algorithm, long limit) {
        this.canon = canon;
        this.limit = limit;
        try {
            this.digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("no digest " + algorithm, e);
        }
    }

    /**
     * Feeds body bytes.
     *
     * @param b the buffer
     * @param off where the bytes start
     * @param len how many
     * @throws IllegalStateException after {@link #finish()}
     */
    public void update(byte[] b, int off, int len) {
        if (finished) {
            throw new IllegalStateException("finished");
        }
        boolean relaxed = canon == Canonicalization.RELAXED;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (sawCr) {
                sawCr = false;
                if (c == '\n') {
                    endLine();
                    continue;
                }
                content((byte) '\r');
            }
            if (c == '\r') {
                sawCr = true;
            } else if (c == '\n') {
                endLine();
            } else if (relaxed && (c == ' ' || c == '\t')) {
                pendingSpace = true;
            } else {
                content(c);
            }
        }
    }

    private void endLine() {
        if (lineHasContent) {
            emit((byte) '\r');
            emit((byte) '\n');
        } else {
            pendingEmptyLines++;
        }
        lineHasContent = false;
        pendingSpace = false;
    }

    private void content(byte c) {
        while (pendingEmptyLines > 0) {
            emit((byte) '\r');
            emit((byte) '\n');
            pendingEmptyLines--;
        }
        if (pendingSpace) {
            emit((byte) ' ');
            pendingSpace = false;
        }
        emit(c);
        lineHasContent = true;
    }

    private void emit(byte c) {
        total++;
        if (limit >= 0 && hashed >= limit) {
            return;
        }
        hashed++;
        out[outLen++] = c;
        if (outLen == out.length) {
            digest.update(out, 0, outLen);
            outLen = 0;
        }
    }

    /**
     * Ends the body and returns its hash. Idempotent.
     *
     * @return the digest of the canonical body (or of its first {@code limit} bytes)
     */
    public byte[] finish() {
        if (!finished) {
            if (sawCr) {
                content((byte) '\r');
                sawCr = false;
            }
            if (lineHasContent) {
                emit((byte) '\r');
                emit((byte) '\n');
            } else if (canon == Canonicalization.SIMPLE && total == 0) {
                emit((byte) '\r');
                emit((byte) '\n');
            }
            digest.update(out, 0, outLen);
            outLen = 0;
            result = digest.digest();
            finished = true;
        }
        return result.clone();
    }

    /**
     * Canonical bytes seen so far (all of them, hashed or not); final after {@link #finish()}.
     *
     * @return the canonical body length
     */
    public long canonicalLength() {
        return total;
    }

    /**
     * Canonical bytes that went into the hash; final after {@link #finish()}.
     *
     * @return at most the limit
     */
    public long hashedLength() {
        return hashed;
    }
}
