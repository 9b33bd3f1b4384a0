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
 * Signs the verdicts a node stores in Redis and checks those it reads: HMAC-SHA256 over the Redis key and the verdict
 * text, with a shared secret read from a file ({@code ?verdict-key=FILE}, the node config's
 * {@code redis-verdict-key}), so that a client that can write under the prefix but has not the secret cannot make the
 * nodes believe a verdict, nor move a verdict to another content's or another scanner's key. A second secret
 * ({@code ?verdict-key-previous=FILE}) is accepted for reading, never used for signing, during a change of secret.
 *
 * <p>A signed value is {@value #TAG} followed by the 64 hex digits of the tag, a line feed and the verdict text. Tags
 * are compared in constant time ({@link MessageDigest#isEqual}). Immutable; thread-safe (a {@link Mac} per call).
 */
final class VerdictSigner {
    /** What starts a signed value, before the tag's hex digits. */
    static final String TAG = "mhs1 ";

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
     *     readable by other users, more than one line, shorter than {@value #MIN_SECRET} characters)
     */
    static VerdictSigner read(Path current, Optional<Path> previous) {
        return new VerdictSigner(secret("verdict-key", current), previous.map(p -> secret("verdict-key-previous", p)));
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
     * The value to store under {@code key}: the tag, then the verdict text.
     *
     * @param key the Redis key, prefix included
     * @param verdict the verdict text ({@link VerdictCodec#encode})
     * @return the signed value
     */
    String sign(String key, String verdict) {
        return TAG + HexFormat.of().formatHex(tag(current, key, verdict)) + "\n" + verdict;
    }

    /**
     * The verdict text of a stored value whose tag verifies for {@code key} with the current or the previous secret.
     *
     * @param key the Redis key the value was read from
     * @param stored the value
     * @return the verdict text, or empty if the value is unsigned or its tag does not verify
     */
    Optional<String> verify(String key, String stored) {
        if (!signed(stored)) {
            return Optional.empty();
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(stored, TAG.length(), TAG.length() + TAG_HEX);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String verdict = stored.substring(TAG.length() + TAG_HEX + 1);
        if (MessageDigest.isEqual(given, tag(current, key, verdict))) {
            return Optional.of(verdict);
        }
        if (previous.isPresent() && MessageDigest.isEqual(given, tag(previous.get(), key, verdict))) {
            return Optional.of(verdict);
        }
        return Optional.empty();
    }

    /**
     * The verdict text of a stored value, its tag (if any) removed unchecked: what a node without a secret reads, so
     * that nodes given a secret one after another keep sharing with those not given one yet.
     *
     * @param stored the value
     * @return the verdict text
     */
    static String withoutTag(String stored) {
        return signed(stored) ? stored.substring(TAG.length() + TAG_HEX + 1) : stored;
    }

    private static boolean signed(String stored) {
        return stored.startsWith(TAG)
                && stored.length() > TAG.length() + TAG_HEX
                && stored.charAt(TAG.length() + TAG_HEX) == '\n';
    }

    /** HMAC-SHA256 of the key's length (4 bytes), the key and the verdict text, all UTF-8. */
    private static byte[] tag(SecretKeySpec secret, String key, String verdict) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(secret);
            mac.update(ByteBuffer.allocate(4).putInt(k.length).array());
            mac.update(k);
            return mac.doFinal(verdict.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required on every Java platform", e);
        }
    }
}
