package org.mailhygiene.smtp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.mailhygiene.internal.Checks;

/**
 * The server side of STARTTLS (RFC 3207): JDK TLS with a certificate from a key store or from PEM files.
 *
 * <p>Only TLS 1.2 and 1.3 are offered. The whole handshake (every read and write of it together) must finish within
 * {@link #handshakeTimeout()} (default 30 seconds), or a watchdog closes the connection. Immutable and thread-safe.
 */
public final class TlsConfig {
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final SSLContext context;
    private final Duration handshakeTimeout;

    private TlsConfig(SSLContext context, Duration handshakeTimeout) {
        this.context = Objects.requireNonNull(context, "context");
        this.handshakeTimeout = Checks.requirePositive(handshakeTimeout, "handshakeTimeout");
    }

    /**
     * TLS from a ready {@link SSLContext} (already initialised with the server's key managers).
     *
     * @param context the context
     * @return the configuration
     */
    public static TlsConfig of(SSLContext context) {
        return new TlsConfig(context, Duration.ofSeconds(30));
    }

    /**
     * TLS from a key store file holding one private key entry (PKCS12 or JKS, detected by the JDK).
     *
     * @param keyStore the key store file
     * @param storePassword its password
     * @param keyPassword the key entry's password (often the same)
     * @return the configuration
     * @throws IOException if the file cannot be read
     * @throws GeneralSecurityException if the key store or key cannot be loaded
     */
    public static TlsConfig fromKeyStore(Path keyStore, char[] storePassword, char[] keyPassword)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(keyStore.toFile(), storePassword);
        return fromKeyStore(ks, keyPassword);
    }

    /**
     * TLS from a loaded key store.
     *
     * @param keyStore the key store
     * @param keyPassword the key entry's password
     * @return the configuration
     * @throws GeneralSecurityException if the key cannot be used
     */
    public static TlsConfig fromKeyStore(KeyStore keyStore, char[] keyPassword) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, keyPassword);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return of(ctx);
    }

    /**
     * TLS from PEM files: a certificate chain (server certificate first) and an unencrypted PKCS#8 private key
     * ({@code -----BEGIN PRIVATE KEY-----}, RSA or EC; convert PKCS#1/SEC1 keys with {@code openssl pkcs8 -topk8
     * -nocrypt}). One file may hold both, in either order, and be given twice; text outside the PEM blocks is
     * ignored.
     *
     * @param certificateChain PEM certificates
     * @param privateKey the PEM private key
     * @return the configuration
     * @throws IOException if a file cannot be read (the message names it)
     * @throws GeneralSecurityException if the certificates or the key cannot be parsed ({@link TlsFileException},
     *     naming the file and the line of the block), or the key does not belong to the first certificate
     */
    public static TlsConfig fromPem(Path certificateChain, Path privateKey)
            throws IOException, GeneralSecurityException {
        return fromKeyStore(pemKeyStore(certificateChain, privateKey), PEM_PASSWORD);
    }

    private static final char[] PEM_PASSWORD = "hygiene".toCharArray();

    /** The (fixed, in-memory only) password of the key stores {@link #pemKeyStore} makes. */
    static char[] pemPassword() {
        return PEM_PASSWORD.clone();
    }

    /** The alias of the one entry in a key store made by {@link #pemKeyStore}. */
    static final String PEM_ALIAS = "server";

    /**
     * Reads a PEM certificate chain and key into a key store with one entry ({@link #PEM_ALIAS}); each file is read
     * once. Only the {@code CERTIFICATE} blocks of the certificate file count and only the private key block of the key
     * file, so one file may hold both (the chain and the key, in either order) and be named twice; text around the
     * blocks ({@code openssl x509 -text}) is ignored. Every problem names its file.
     */
    static KeyStore pemKeyStore(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        List<Certificate> certs = certificates(certificateChain);
        PrivateKey key = privateKey(privateKey);
        requireMatchingKey(certs.get(0), key, certificateChain, privateKey);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException ex) {
            throw new GeneralSecurityException(ex);
        }
        ks.setKeyEntry(PEM_ALIAS, key, PEM_PASSWORD, certs.toArray(new Certificate[0]));
        return ks;
    }

    private static final String BEGIN = "-----BEGIN ";
    private static final String DASHES = "-----";

    /** One PEM block: its label ({@code CERTIFICATE}), its headers and base64 text, and its place in the file. */
    private record PemBlock(String label, String body, int line) {}

    /** The PEM blocks of a file, in order; an unterminated block ends the list. */
    private static List<PemBlock> blocks(String text) {
        List<PemBlock> out = new ArrayList<>();
        int from = 0;
        int line = 1; // of position counted
        int counted = 0;
        while (true) {
            int b = text.indexOf(BEGIN, from);
            if (b < 0) {
                return out;
            }
            int labelEnd = text.indexOf(DASHES, b + BEGIN.length());
            if (labelEnd < 0) {
                return out;
            }
            String label = text.substring(b + BEGIN.length(), labelEnd);
            String endMarker = "-----END " + label + DASHES;
            int e = text.indexOf(endMarker, labelEnd);
            if (e < 0) {
                return out;
            }
            for (; counted < b; counted++) {
                if (text.charAt(counted) == '\n') {
                    line++; // counted on from the last block: once over the file, however many blocks it holds
                }
            }
            out.add(new PemBlock(label, text.substring(labelEnd + DASHES.length(), e), line));
            from = e + endMarker.length();
        }
    }

    /** A PEM file as text; any byte is a character (ISO 8859-1), so a comment in UTF-8 cannot fail the read. */
    private static String readPem(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IOException(org.mailhygiene.internal.IoErrors.describe(file, e), e);
        }
    }

    private static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        List<PemBlock> blocks = blocks(readPem(file));
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<Certificate> certs = new ArrayList<>();
        for (PemBlock block : blocks) {
            if (!block.label().equals("CERTIFICATE")) {
                continue;
            }
            try {
                byte[] der = Base64.getMimeDecoder().decode(block.body().strip());
                certs.add(factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (IllegalArgumentException | GeneralSecurityException e) {
                throw new TlsFileException(
                        file,
                        "the certificate at line " + block.line() + " of " + file + " cannot be read: "
                                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                        e);
            }
        }
        if (certs.isEmpty()) {
            boolean key = blocks.stream().anyMatch(b -> b.label().endsWith("PRIVATE KEY"));
            throw new TlsFileException(
                    file,
                    file + " holds no certificate (-----BEGIN CERTIFICATE-----)"
                            + (key ? "; it holds a private key: is it the tls-key file?" : ""),
                    null);
        }
        return certs;
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        List<PemBlock> blocks = blocks(readPem(file));
        String convert = "; the relay reads unencrypted PKCS#8 keys only: openssl pkcs8 -topk8 -nocrypt -in " + file
                + " -out NEW-FILE converts it";
        PemBlock found = null;
        for (PemBlock block : blocks) {
            if (block.label().endsWith("PRIVATE KEY")) {
                found = block;
                break;
            }
        }
        if (found == null) {
            throw new TlsFileException(
                    file,
                    file + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)"
                            + (blocks.stream().anyMatch(b -> b.label().equals("CERTIFICATE"))
                                    ? "; it holds a certificate: is it the tls-certificate file?"
                                    : "")
                            + convert.replace("converts it", "converts another key"),
                    null);
        }
        String where = " at line " + found.line() + " of " + file;
        boolean encrypted = found.body().contains("ENCRYPTED");
        switch (found.label()) {
            case "PRIVATE KEY" -> {}
            case "RSA PRIVATE KEY" ->
                throw new TlsFileException(
                        file,
                        "the key" + where + " is " + (encrypted ? "an encrypted" : "a")
                                + " PKCS#1 RSA key (-----BEGIN RSA" + " PRIVATE KEY-----)" + convert
                                + (encrypted ? " (it asks for the passphrase)" : ""),
                        null);
            case "EC PRIVATE KEY" ->
                throw new TlsFileException(
                        file,
                        "the key" + where + " is " + (encrypted ? "an encrypted" : "a") + " SEC1 EC key (-----BEGIN EC"
                                + " PRIVATE KEY-----)" + convert + (encrypted ? " (it asks for the passphrase)" : ""),
                        null);
            case "ENCRYPTED PRIVATE KEY" ->
                throw new TlsFileException(
                        file,
                        "the key" + where + " is encrypted (-----BEGIN ENCRYPTED PRIVATE KEY-----) and the relay cannot"
                                + " ask for a passphrase" + convert + " (it asks for the passphrase)",
                        null);
            default ->
                throw new TlsFileException(
                        file,
                        "the key" + where + " is a " + found.label() + " (-----BEGIN " + found.label() + "-----)"
                                + convert,
                        null);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(found.body().strip());
        } catch (IllegalArgumentException e) {
            throw new TlsFileException(file, "the key" + where + " is not valid base64: " + e.getMessage(), e);
        }
        GeneralSecurityException last = null;
        for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ex) {
                last = ex;
            }
        }
        throw new TlsFileException(
                file,
                "cannot read the private key" + where
                        + (last == null || last.getMessage() == null ? "" : ": " + last.getMessage()),
                last);
    }

    /**
     * Checks that the key belongs to the certificate: signs a random challenge with the key and verifies it with the
     * certificate's public key (a renewal caught between writing the new certificate and the new key would otherwise
     * pair one with the other, and every handshake would fail).
     */
    private static void requireMatchingKey(Certificate cert, PrivateKey key, Path certFile, Path keyFile)
            throws GeneralSecurityException {
        java.security.PublicKey pub = cert.getPublicKey();
        String mismatch = "the private key in " + keyFile + " does not belong to the first certificate in " + certFile;
        if (!pub.getAlgorithm().equals(key.getAlgorithm())
                && !(isEdDsa(pub.getAlgorithm()) && isEdDsa(key.getAlgorithm()))) {
            throw new GeneralSecurityException(mismatch + " (" + article(key.getAlgorithm()) + " key for "
                    + article(pub.getAlgorithm()) + " certificate)");
        }
        java.security.Signature signer;
        switch (key.getAlgorithm()) {
            case "RSA" -> signer = java.security.Signature.getInstance("SHA256withRSA");
            case "EC" -> signer = java.security.Signature.getInstance("SHA256withECDSA");
            case "RSASSA-PSS" -> {
                signer = java.security.Signature.getInstance("RSASSA-PSS");
                signer.setParameter(new java.security.spec.PSSParameterSpec(
                        "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            default -> signer = java.security.Signature.getInstance(key.getAlgorithm());
        }
        byte[] challenge = new byte[32];
        new java.security.SecureRandom().nextBytes(challenge);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();
        signer.initVerify(pub);
        signer.update(challenge);
        if (!signer.verify(signature)) {
            throw new GeneralSecurityException(mismatch);
        }
    }

    /** {@code an EC}, {@code an RSA}, {@code an Ed25519}: the article as an algorithm's name is read out. */
    private static String article(String algorithm) {
        return (algorithm.isEmpty() || "AEFHILMNORSX".indexOf(algorithm.charAt(0)) < 0 ? "a " : "an ") + algorithm;
    }

    private static boolean isEdDsa(String algorithm) {
        return algorithm.equals("EdDSA") || algorithm.equals("Ed25519") || algorithm.equals("Ed448");
    }

    /**
     * A copy with another handshake timeout.
     *
     * @param timeout the longest handshake, positive
     * @return a new configuration
     * @throws IllegalArgumentException if not positive
     */
    public TlsConfig withHandshakeTimeout(Duration timeout) {
        return new TlsConfig(context, timeout);
    }

    /** @return the SSL context */
    public SSLContext context() {
        return context;
    }

    /** @return the longest a handshake may take */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** @return the protocols offered, newest first */
    public List<String> protocols() {
        return PROTOCOLS;
    }
}
