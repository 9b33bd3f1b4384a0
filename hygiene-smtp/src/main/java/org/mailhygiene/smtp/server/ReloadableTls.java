package org.mailhygiene.smtp.server;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * STARTTLS from PEM files that can be re-read while the server runs: {@link #config()} is a {@link TlsConfig} whose
 * key manager delegates to the certificate and key loaded last, so after {@link #reload()} every new handshake
 * presents the new certificate, and sessions already encrypted keep theirs. A reload that fails (a file missing, a key
 * that does not parse) throws and leaves the old certificate in use. Meant for a certificate renewal ({@code certbot})
 * followed by a reload signal. Thread-safe.
 */
public final class ReloadableTls {
    private final Path certificateChain;
    private final Path privateKey;
    private final Delegating keyManager;
    private final TlsConfig config;

    private ReloadableTls(Path certificateChain, Path privateKey, X509ExtendedKeyManager first)
            throws GeneralSecurityException {
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.keyManager = new Delegating(first);
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
     * @throws GeneralSecurityException if the certificates or the key cannot be used
     */
    public static ReloadableTls fromPem(Path certificateChain, Path privateKey)
            throws IOException, GeneralSecurityException {
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        return new ReloadableTls(certificateChain, privateKey, TlsConfig.pemKeyManager(certificateChain, privateKey));
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
     * Re-reads both files; new handshakes use them from now on.
     *
     * @throws IOException if a file cannot be read (the old certificate stays in use)
     * @throws GeneralSecurityException if the new files cannot be used (the old certificate stays in use)
     */
    public void reload() throws IOException, GeneralSecurityException {
        keyManager.delegate = TlsConfig.pemKeyManager(certificateChain, privateKey);
    }

    /**
     * The certificate now presented.
     *
     * @return the server certificate (the first of the chain)
     */
    public X509Certificate certificate() {
        X509ExtendedKeyManager km = keyManager.delegate;
        String[] aliases = km.getServerAliases("RSA", null);
        if (aliases == null || aliases.length == 0) {
            aliases = km.getServerAliases("EC", null);
        }
        if (aliases == null || aliases.length == 0) {
            throw new IllegalStateException("no server key loaded");
        }
        return km.getCertificateChain(aliases[0])[0];
    }

    /** Delegates every call to the key manager loaded last. */
    private static final class Delegating extends X509ExtendedKeyManager {
        volatile X509ExtendedKeyManager delegate;

        Delegating(X509ExtendedKeyManager first) {
            this.delegate = first;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
