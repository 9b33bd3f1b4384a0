package org.mailhygiene.smtp.server;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * STARTTLS from PEM files that can be re-read while the server runs: {@link #config()} is a {@link TlsConfig} whose
 * key manager serves the certificate and key loaded last, so after {@link #reload()} every new handshake presents the
 * new certificate, and sessions already encrypted keep theirs. Meant for a certificate renewal ({@code certbot})
 * followed by a reload signal.
 *
 * <p>A reload is atomic: both files are read, the key is checked against the certificate (a signature made with the
 * key must verify with the certificate's public key), and only then is one immutable holder of the pair swapped in. A
 * handshake that started before the swap finishes with the pair it started with: the alias the key manager hands to
 * the handshake names the holder, and the chain and the key are looked up in that same holder (a handshake never
 * combines the old chain with the new key). A reload that fails (a file missing, a key that does not parse, a key that
 * does not belong to the certificate, for example a renewal caught between writing the two files) throws and leaves
 * the old pair in use. Thread-safe.
 */
public final class ReloadableTls {
    /** Holders kept for handshakes that chose one just before a swap; older ones are dropped. */
    private static final int KEPT_GENERATIONS = 4;

    private final Path certificateChain;
    private final Path privateKey;
    private final Serving keyManager;
    private final TlsConfig config;

    private ReloadableTls(Path certificateChain, Path privateKey, KeyStore first) throws GeneralSecurityException {
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.keyManager = new Serving(first);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new KeyManager[] {keyManager}, null, null);
        this.config = TlsConfig.of(ctx);
    }

    /**
     * Loads the PEM files (the format of {@link TlsConfig#fromPem}).
     *
     * @param certificateChain PEM certificates, the server's first
     * @param privateKey an unencrypted PKCS#8 PEM key
     * @return the reloadable configuration
     * @throws IOException if a file cannot be read
     * @throws GeneralSecurityException if the certificates or the key cannot be used, or the key does not belong to
     *     the certificate
     */
    public static ReloadableTls fromPem(Path certificateChain, Path privateKey)
            throws IOException, GeneralSecurityException {
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        return new ReloadableTls(certificateChain, privateKey, TlsConfig.pemKeyStore(certificateChain, privateKey));
    }

    /**
     * The configuration to give the server; the same object before and after reloads.
     *
     * @return the configuration
     */
    public TlsConfig config() {
        return config;
    }

    /**
     * The certificate chain file.
     *
     * @return the path given to {@link #fromPem}
     */
    public Path certificateFile() {
        return certificateChain;
    }

    /**
     * The private key file.
     *
     * @return the path given to {@link #fromPem}
     */
    public Path keyFile() {
        return privateKey;
    }

    /**
     * Re-reads both files, checks that the key belongs to the certificate, and swaps the pair in at once; new
     * handshakes use it from now on.
     *
     * @throws IOException if a file cannot be read (the old pair stays in use)
     * @throws GeneralSecurityException if the new files cannot be used or do not belong together (the old pair stays
     *     in use)
     */
    public void reload() throws IOException, GeneralSecurityException {
        keyManager.swap(TlsConfig.pemKeyStore(certificateChain, privateKey));
    }

    /**
     * The certificate now presented.
     *
     * @return the server certificate (the first of the chain)
     */
    public X509Certificate certificate() {
        return keyManager.current.chain()[0];
    }

    /** The key manager inside {@link #config()}; for tests. */
    X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** One certificate chain and its key, read together; immutable. */
    private record Pair(String alias, X509Certificate[] chain, PrivateKey key, String keyType) {}

    /**
     * Serves the pair loaded last to new handshakes; the alias it chooses ({@code gN}) names the pair, so the chain
     * and key of one handshake always come from the same pair.
     */
    static final class Serving extends X509ExtendedKeyManager {
        private final AtomicLong generations = new AtomicLong();
        private final Map<String, Pair> recent = new ConcurrentHashMap<>();
        volatile Pair current;

        Serving(KeyStore first) throws GeneralSecurityException {
            swap(first);
        }

        void swap(KeyStore store) throws GeneralSecurityException {
            PrivateKey key = (PrivateKey) store.getKey(TlsConfig.PEM_ALIAS, TlsConfig.pemPassword());
            java.security.cert.Certificate[] certs = store.getCertificateChain(TlsConfig.PEM_ALIAS);
            X509Certificate[] chain = new X509Certificate[certs.length];
            for (int i = 0; i < certs.length; i++) {
                chain[i] = (X509Certificate) certs[i];
            }
            long g = generations.incrementAndGet();
            Pair p = new Pair("g" + g, chain, key, key.getAlgorithm());
            recent.put(p.alias(), p);
            current = p;
            recent.remove("g" + (g - KEPT_GENERATIONS));
        }

        private String serverAlias(String keyType) {
            Pair p = current;
            return matches(p, keyType) ? p.alias() : null;
        }

        private static boolean matches(Pair p, String keyType) {
            if (keyType == null) {
                return true;
            }
            // TLS 1.2 key types may carry the signature algorithm too ("EC_EC", "RSA"); TLS 1.3 names the key only.
            String k = keyType.contains("_") ? keyType.substring(0, keyType.indexOf('_')) : keyType;
            String a = p.keyType();
            return k.equals(a)
                    || (k.equals("EdDSA") && (a.equals("Ed25519") || a.equals("Ed448")))
                    || (a.equals("EdDSA") && (k.equals("Ed25519") || k.equals("Ed448")));
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            String a = serverAlias(keyType);
            return a == null ? null : new String[] {a};
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return serverAlias(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return serverAlias(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Pair p = alias == null ? null : recent.get(alias);
            return p == null ? null : p.chain().clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Pair p = alias == null ? null : recent.get(alias);
            return p == null ? null : p.key();
        }
    }
}
