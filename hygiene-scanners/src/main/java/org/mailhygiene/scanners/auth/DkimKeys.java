package org.mailhygiene.scanners.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import org.mailhygiene.internal.IoErrors;

/**
 * DKIM keys: reading private keys from PEM files, generating key pairs, and the DNS TXT record that publishes a public
 * key. RSA and Ed25519 (RFC 8463) keys are supported.
 *
 * <p>Thread-safe (stateless).
 */
public final class DkimKeys {
    /** The smallest RSA key accepted for verification and signing (RFC 8301). */
    public static final int MIN_RSA_BITS = 1024;

    private static final byte[] ED25519_SPKI_PREFIX = hex("302a300506032b6570032100");
    private static final byte[] ED25519_PKCS8_PREFIX = hex("302e020100300506032b657004220420");
    private static final byte[] RSA_ALGORITHM_ID = hex("300d06092a864886f70d0101010500");

    private DkimKeys() {}

    /**
     * Reads a private key from a PEM file: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or Ed25519) or PKCS#1
     * ({@code BEGIN RSA PRIVATE KEY}, as OpenSSL and dkimpy's {@code dknewkey} write).
     *
     * @param file the PEM file
     * @return the key
     * @throws IOException if the file cannot be read
     * @throws GeneralSecurityException if it holds no usable key, or an RSA key under {@value #MIN_RSA_BITS} bits
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        return parsePrivateKey(Files.readString(file, StandardCharsets.US_ASCII));
    }

    /**
     * Parses a PEM private key (see {@link #readPrivateKey(Path)}).
     *
     * @param pem the PEM text
     * @return the key
     * @throws GeneralSecurityException if it holds no usable key, or an RSA key under {@value #MIN_RSA_BITS} bits
     */
    public static PrivateKey parsePrivateKey(String pem) throws GeneralSecurityException {
        java.util.regex.Matcher begin =
                java.util.regex.Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----").matcher(pem);
        if (!begin.find()) {
            throw new GeneralSecurityException("no '-----BEGIN PRIVATE KEY-----' line: not a PEM key file");
        }
        String label = begin.group(1);
        if (label.equals("ENCRYPTED PRIVATE KEY")) {
            throw new GeneralSecurityException("an encrypted key: the node cannot ask for a password; write it "
                    + "unencrypted (openssl pkey -in FILE -out NEW-FILE) with mode 0600");
        }
        if (!label.equals("PRIVATE KEY") && !label.equals("RSA PRIVATE KEY")) {
            throw new GeneralSecurityException("a PEM '" + label + "' block; a DKIM signing key is a 'PRIVATE KEY' "
                    + "(RSA or Ed25519) or an 'RSA PRIVATE KEY'");
        }
        String endLine = "-----END " + label + "-----";
        int end = pem.indexOf(endLine, begin.end());
        if (end < 0) {
            // a key file cut short, for example copied over while the node reloaded (audit, session 36: it said
            // "Last unit does not have enough valid bits")
            throw new GeneralSecurityException("no '" + endLine + "' line after its BEGIN line: the file is cut short "
                    + "(still being written?)");
        }
        boolean pkcs1 = label.equals("RSA PRIVATE KEY");
        String b64 = pem.substring(begin.end(), end).replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("broken base64 between the BEGIN and END lines: " + e.getMessage(), e);
        }
        if (pkcs1) {
            der = sequence(concat(hex("020100"), RSA_ALGORITHM_ID, tlv(0x04, der)));
            return bigEnough(KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der)));
        }
        for (String alg : new String[] {"RSA", "Ed25519"}) {
            PrivateKey k;
            try {
                k = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                continue; // try the next algorithm
            }
            return bigEnough(k);
        }
        throw new GeneralSecurityException(
                pkcs1 ? "not an RSA key" : "neither an RSA nor an Ed25519 PKCS#8 key (another algorithm, or damaged)");
    }

    /**
     * Why a key file could not be read, for an administrator: the JDK's messages for a missing file name only the file
     * ("cannot read key file F: F"), and for a binary file say "Input length = 1".
     *
     * @param e the failure of {@link #readPrivateKey(Path)}
     * @return a short reason
     */
    static String unreadable(IOException e) {
        if (e instanceof java.nio.charset.CharacterCodingException) {
            return "not a text (PEM) file; a DER key converts with openssl pkey -inform DER -in FILE -out NEW-FILE";
        }
        return IoErrors.reason(e); // "no such file", "permission denied", ... as every file of the project says it
    }

    /**
     * The key, unless it is an RSA key under {@value #MIN_RSA_BITS} bits (RFC 8301: verifiers, ours included, refuse
     * the signatures it makes; {@code dkim-sign} took a 512-bit key and passed {@code --check}).
     */
    private static PrivateKey bigEnough(PrivateKey k) throws GeneralSecurityException {
        if (k instanceof java.security.interfaces.RSAPrivateKey r
                && r.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new GeneralSecurityException("RSA keys need at least " + MIN_RSA_BITS
                    + " bits (RFC 8301); this one has " + r.getModulus().bitLength());
        }
        return k;
    }

    /**
     * Generates a key pair.
     *
     * @param type {@code rsa} or {@code ed25519}
     * @param rsaBits the RSA modulus size (ignored for Ed25519), at least {@value #MIN_RSA_BITS}
     * @return a new key pair
     * @throws GeneralSecurityException if the type is unknown or the size too small
     */
    public static KeyPair generate(String type, int rsaBits) throws GeneralSecurityException {
        if (type.equals("rsa")) {
            if (rsaBits < MIN_RSA_BITS) {
                throw new GeneralSecurityException("RSA keys need at least " + MIN_RSA_BITS + " bits");
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(rsaBits);
            return g.generateKeyPair();
        }
        if (type.equals("ed25519")) {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        }
        throw new GeneralSecurityException("unknown key type " + type + " (rsa or ed25519)");
    }

    /**
     * The private key as PKCS#8 PEM ({@code BEGIN PRIVATE KEY}).
     *
     * @param key the key
     * @return the PEM text, lines of 64 characters, ending with a newline
     */
    public static String toPem(PrivateKey key) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    }

    /**
     * The {@code k=} key type of a key.
     *
     * @param key an RSA or Ed25519 key
     * @return {@code rsa} or {@code ed25519}
     * @throws IllegalArgumentException for other keys
     */
    public static String keyType(java.security.Key key) {
        String alg = key.getAlgorithm();
        if (alg.equals("RSA")) {
            return "rsa";
        }
        if (alg.equals("EdDSA") || alg.equals("Ed25519")) {
            return "ed25519";
        }
        throw new IllegalArgumentException("not an RSA or Ed25519 key: " + alg);
    }

    /**
     * The {@code p=} value for a public key: base64 SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519.
     *
     * @param key the public key
     * @return base64 text
     */
    public static String publicKeyTag(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (keyType(key).equals("ed25519")) {
            byte[] raw = new byte[32];
            System.arraycopy(spki, spki.length - 32, raw, 0, 32);
            return Base64.getEncoder().encodeToString(raw);
        }
        return Base64.getEncoder().encodeToString(spki);
    }

    /**
     * The DNS record that publishes a public key, in zone-file syntax with the text split into quoted strings of at
     * most 255 characters.
     *
     * @param selector the selector
     * @param domain the signing domain
     * @param key the public key
     * @return for example {@code s1._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=..." )}
     */
    public static String dnsRecord(String selector, String domain, PublicKey key) {
        String text = "v=DKIM1; k=" + keyType(key) + "; p=" + publicKeyTag(key);
        StringBuilder sb = new StringBuilder();
        sb.append(selector).append("._domainkey.").append(domain).append(". IN TXT (");
        for (int i = 0; i < text.length(); i += 250) {
            sb.append(" \"").append(text, i, Math.min(text.length(), i + 250)).append('"');
        }
        return sb.append(" )").toString();
    }

    /**
     * Decodes a {@code p=} value into a key of the given type. Never throws.
     *
     * @param type {@code rsa} or {@code ed25519}
     * @param base64 the {@code p=} value without whitespace
     * @return the key, or empty with no usable key (bad base64, bad structure, RSA under {@value #MIN_RSA_BITS} bits)
     */
    public static Optional<PublicKey> decodePublicKey(String type, String base64) {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        try {
            if (type.equals("ed25519")) {
                if (der.length != 32) {
                    return Optional.empty();
                }
                return Optional.of(KeyFactory.getInstance("Ed25519")
                        .generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI_PREFIX, der))));
            }
            if (!type.equals("rsa")) {
                return Optional.empty();
            }
            PublicKey k;
            try {
                k = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // some publish a bare PKCS#1 RSAPublicKey
                byte[] bitString = concat(new byte[] {0}, der);
                k = KeyFactory.getInstance("RSA")
                        .generatePublic(
                                new X509EncodedKeySpec(sequence(concat(RSA_ALGORITHM_ID, tlv(0x03, bitString)))));
            }
            if (((RSAPublicKey) k).getModulus().bitLength() < MIN_RSA_BITS) {
                return Optional.empty();
            }
            return Optional.of(k);
        } catch (GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * An Ed25519 private key from its 32-byte seed (as RFC 8463's example gives it).
     *
     * @param seed the 32-byte private key
     * @return the key
     * @throws GeneralSecurityException if the seed is not 32 bytes
     */
    public static PrivateKey ed25519FromSeed(byte[] seed) throws GeneralSecurityException {
        if (seed.length != 32) {
            throw new GeneralSecurityException("an Ed25519 seed is 32 bytes");
        }
        return KeyFactory.getInstance("Ed25519")
                .generatePrivate(new PKCS8EncodedKeySpec(concat(ED25519_PKCS8_PREFIX, seed)));
    }

    static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >>> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >>> 16);
            out.write(len >>> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
