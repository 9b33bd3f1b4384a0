package org.mailhygiene.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the verdicts a node stores in Redis and checks those it reads: HMAC-SHA256 over the Redis key, the time the
 * verdict expires and the verdict text, with a shared secret read from a file ({@code ?verdict-key=FILE}, the node config's
 * {@code redis-verdict-key}), so that a client that can write under the prefix but has not the secret cannot make the
 * nodes believe a verdict, nor move a verdict to another content's or another scanner's key, nor keep a verdict
 * beyond its expiry ({@code PERSIST}, or the same value stored again later): the reader compares the signed expiry
 * with its clock. A second secret
 * ({@code ?verdict-key-previous=FILE}) is accepted for reading, never used for signing, during a change of secret.
 *
 * <p>A signed value is {@value #TAG} followed by the 64 hex digits of the tag, a line feed, the expiry in epoch
 * milliseconds (decimal), a line feed and the verdict text. Values of the earlier format {@value #OLD_TAG} (no expiry)
 * are refused by {@link #verify}. Tags are compared in constant time ({@link MessageDigest#isEqual}). Immutable; thread-safe (a {@link Mac} per call).
 */
final class VerdictSigner {
    /** What starts a signed value, before the tag's hex digits. */
    static final String TAG = "mhs2 ";

    /**
     * What started a signed value before the expiry was signed too (session 51): a tag over the key and the verdict
     * only. A node with a secret refuses such a value (a miss); a node without one reads it unchecked, as before.
     */
    static final String OLD_TAG = "mhs1 ";

    /** The most digits of a signed expiry (epoch milliseconds; {@link Long#MAX_VALUE} has 19). */
    static final int MAX_EXPIRY_DIGITS = 19;

    /** The shortest secret taken: 32 characters (e.g. {@code openssl rand -base64 32}, 44 characters). */
    static final int MIN_SECRET = 32;

    /** The largest key file read: a secret is one line; a larger file is a wrong path, not read into memory. */
    static final long MAX_FILE_SIZE = 4096;

    private static final String ALGORITHM = "HmacSHA256";
    private static final int TAG_HEX = 64;

    private final SecretKeySpec current;
    private final Optional<SecretKeySpec> previous;

    private VerdictSigner(SecretKeySpec current, Optional<SecretKeySpec> previous) {
        this.current = current;
        this.previous = previous;
    }

    /**
     * Reads the secrets.
     *
     * @param current the file of the secret that signs and verifies
     * @param previous the file of a secret that still verifies, during a change
     * @return the signer
     * @throws IllegalArgumentException naming the parameter, the file and the problem (unreadable, not a regular file,
     *     readable by other users, more than one line, shorter than {@value #MIN_SECRET} characters), or, for the
     *     previous secret, the same secret as the current one (the same file given twice, or a copy: no change of
     *     secret is under way, and the administrator who wrote both lines meant another file; until session 53 this
     *     passed {@code --check} silently)
     */
    static VerdictSigner read(Path current, Optional<Path> previous) {
        SecretKeySpec now = secret("verdict-key", current);
        Optional<SecretKeySpec> before = previous.map(p -> secret("verdict-key-previous", p));
        if (before.isPresent()
                && MessageDigest.isEqual(now.getEncoded(), before.get().getEncoded())) {
            throw SmallFiles.unreadable(
                    "verdict-key-previous file",
                    previous.get(),
                    "holds the same secret as verdict-key (" + current + "): during a change of secret verdict-key"
                            + " names the new secret and verdict-key-previous the old one; with no change under way,"
                            + " remove verdict-key-previous",
                    null);
        }
        return new VerdictSigner(now, before);
    }

    private static SecretKeySpec secret(String param, Path file) {
        String what = param + " file";
        SmallFiles.requireNotOthers(what, file);
        byte[] b = SmallFiles.read(what, file, MAX_FILE_SIZE);
        int end = b.length;
        if (end > 0 && b[end - 1] == '\n') {
            end--;
            if (end > 0 && b[end - 1] == '\r') {
                end--;
            }
        }
        int line = 1;
        for (int i = 0; i < end; i++) {
            if (b[i] == '\n') {
                line++;
            }
        }
        if (line > 1) {
            throw SmallFiles.unreadable(
                    what, file, "line " + line + ": the file holds one line, the secret (it has " + line + ")", null);
        }
        if (end < MIN_SECRET) {
            throw SmallFiles.unreadable(
                    what,
                    file,
                    "line 1: the secret is " + end + " characters, at least " + MIN_SECRET
                            + " are needed (make one with: openssl rand -base64 32)",
                    null);
        }
        byte[] secret = java.util.Arrays.copyOf(b, end);
        java.util.Arrays.fill(b, (byte) 0);
        return new SecretKeySpec(secret, ALGORITHM);
    }

    /**
     * A verdict read from Redis: its text and the time it was signed to expire.
     *
     * @param verdict the verdict text ({@link VerdictCodec#decode})
     * @param expiresAtMillis the expiry the writer signed, epoch milliseconds; {@link Long#MAX_VALUE} for a value that
     *     carries none (unsigned, or {@value #OLD_TAG}, read unchecked by a node without a secret)
     */
    record Signed(String verdict, long expiresAtMillis) {}

    /**
     * The value to store under {@code key}: the tag, the expiry, then the verdict text.
     *
     * @param key the Redis key, prefix included
     * @param verdict the verdict text ({@link VerdictCodec#encode})
     * @param expiresAtMillis when the verdict stops being believed, epoch milliseconds (the writer's clock plus the
     *     verdict-cache expiry); not negative
     * @return the signed value
     */
    String sign(String key, String verdict, long expiresAtMillis) {
        if (expiresAtMillis < 0) {
            throw new IllegalArgumentException("expiresAtMillis must not be negative, was " + expiresAtMillis);
        }
        return TAG + HexFormat.of().formatHex(tag(current, key, expiresAtMillis, verdict)) + "\n" + expiresAtMillis
                + "\n" + verdict;
    }

    /**
     * The verdict of a stored value whose tag verifies, for {@code key} and the expiry it carries, with the current or
     * the previous secret. The expiry is returned, not judged: the caller compares it with its clock.
     *
     * @param key the Redis key the value was read from
     * @param stored the value
     * @return the verdict and its signed expiry, or empty if the value is unsigned, of the format {@value #OLD_TAG}
     *     (which signs no expiry, see {@link #oldFormat}), or its tag does not verify
     */
    Optional<Signed> verify(String key, String stored) {
        Optional<Parsed> p = parse(stored);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        Parsed v = p.get();
        if (MessageDigest.isEqual(v.tag, tag(current, key, v.expiresAtMillis, v.verdict))
                || previous.isPresent()
                        && MessageDigest.isEqual(v.tag, tag(previous.get(), key, v.expiresAtMillis, v.verdict))) {
            return Optional.of(new Signed(v.verdict, v.expiresAtMillis));
        }
        return Optional.empty();
    }

    /**
     * Whether a stored value was signed by a version before expiries were signed ({@value #OLD_TAG}): a node with a
     * secret refuses it (its tag does not bind a time, so it could be kept for ever), and says why.
     *
     * @param stored the value
     * @return {@code true} for a value that starts with {@value #OLD_TAG} and a tag
     */
    static boolean oldFormat(String stored) {
        return stored.startsWith(OLD_TAG)
                && stored.length() > OLD_TAG.length() + TAG_HEX
                && stored.charAt(OLD_TAG.length() + TAG_HEX) == '\n';
    }

    /**
     * The verdict text of a stored value, its tag (if any) removed unchecked: what a node without a secret reads, so
     * that nodes given a secret one after another keep sharing with those not given one yet. The expiry of a signed
     * value is returned too (unchecked, as the tag is): a verdict past it is a miss on such a node as well.
     *
     * @param stored the value
     * @return the verdict text and its expiry ({@link Long#MAX_VALUE} if it carries none), or empty for a value of
     *     this format whose expiry is not a number
     */
    static Optional<Signed> withoutTag(String stored) {
        if (oldFormat(stored)) {
            return Optional.of(new Signed(stored.substring(OLD_TAG.length() + TAG_HEX + 1), Long.MAX_VALUE));
        }
        if (!stored.startsWith(TAG)) {
            return Optional.of(new Signed(stored, Long.MAX_VALUE));
        }
        return parse(stored).map(p -> new Signed(p.verdict, p.expiresAtMillis));
    }

    /** A value of this format taken apart, its tag not yet checked. */
    private record Parsed(byte[] tag, long expiresAtMillis, String verdict) {}

    /**
     * {@value #TAG}, 64 hex digits, a line feed, the expiry (1 to {@value #MAX_EXPIRY_DIGITS} digits), a line feed and
     * the verdict text; anything else is empty. Reads at most the tag and the expiry's digits before the verdict.
     */
    private static Optional<Parsed> parse(String stored) {
        int at = TAG.length() + TAG_HEX;
        if (!stored.startsWith(TAG) || stored.length() <= at || stored.charAt(at) != '\n') {
            return Optional.empty();
        }
        byte[] tag;
        try {
            tag = HexFormat.of().parseHex(stored, TAG.length(), at);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int start = at + 1;
        int end = start;
        while (end < stored.length()
                && end - start <= MAX_EXPIRY_DIGITS
                && stored.charAt(end) >= '0'
                && stored.charAt(end) <= '9') {
            end++;
        }
        if (end == start || end - start > MAX_EXPIRY_DIGITS || end >= stored.length() || stored.charAt(end) != '\n') {
            return Optional.empty();
        }
        long expires;
        try {
            expires = Long.parseLong(stored, start, end, 10);
        } catch (NumberFormatException e) { // 19 digits past Long.MAX_VALUE
            return Optional.empty();
        }
        return Optional.of(new Parsed(tag, expires, stored.substring(end + 1)));
    }

    /**
     * HMAC-SHA256 of {@value #TAG} (so that no tag of {@value #OLD_TAG}, which began with the key's length, verifies as
     * one of this format), the key's length (4 bytes), the key, the expiry (8 bytes) and the verdict text, strings in
     * UTF-8.
     */
    private static byte[] tag(SecretKeySpec secret, String key, long expiresAtMillis, String verdict) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(secret);
            mac.update(TAG.getBytes(StandardCharsets.US_ASCII));
            mac.update(ByteBuffer.allocate(4).putInt(k.length).array());
            mac.update(k);
            mac.update(ByteBuffer.allocate(8).putLong(expiresAtMillis).array());
            return mac.doFinal(verdict.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required on every Java platform", e);
        }
    }
}
