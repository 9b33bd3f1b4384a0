package org.mailhygiene.smtp.server;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.Base64;
import java.util.Collection;
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
     * -nocrypt}).
     *
     * @param certificateChain PEM certificates
     * @param privateKey the PEM private key
     * @return the configuration
     * @throws IOException if a file cannot be read
     * @throws GeneralSecurityException if the certificates or the key cannot be parsed, or the key does not belong to
     *     the first certificate, naming the problem
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
     * once.
     */
    static KeyStore pemKeyStore(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(certificateChain)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + certificateChain);
        }
        String pem = Files.readString(privateKey, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new GeneralSecurityException(privateKey + " holds no unencrypted PKCS#8 key (" + begin
                    + "); convert it with openssl pkcs8 -topk8 -nocrypt");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
        PrivateKey key = null;
        GeneralSecurityException last = null;
        for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
            try {
                key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException ex) {
                last = ex;
            }
        }
        if (key == null) {
            throw new GeneralSecurityException("cannot read the private key in " + privateKey, last);
        }
        requireMatchingKey(certs.iterator().next(), key, certificateChain, privateKey);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException ex) {
            throw new GeneralSecurityException(ex);
        }
        ks.setKeyEntry(PEM_ALIAS, key, PEM_PASSWORD, certs.toArray(new Certificate[0]));
        return ks;
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
            throw new GeneralSecurityException(
                    mismatch + " (a " + key.getAlgorithm() + " key for a " + pub.getAlgorithm() + " certificate)");
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
