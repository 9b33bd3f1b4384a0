package org.mailhygiene.smtp.delivery;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whether and how the {@link SmtpClient} uses STARTTLS towards a next hop.
 *
 * <ul>
 *   <li>{@link Mode#DISABLED} never sends STARTTLS.
 *   <li>{@link Mode#OPPORTUNISTIC} uses STARTTLS when the server offers it and sends in plaintext when it does not.
 *       {@link #opportunistic()} verifies nothing (encryption against passive listening only, as Postfix's
 *       {@code smtp_tls_security_level = may}); {@link #opportunistic(SSLContext)} checks the chain against that
 *       context's trust managers. A failed handshake is logged and the message goes over a new plaintext connection.
 *   <li>{@link Mode#REQUIRED} refuses to send without TLS: STARTTLS not offered, refused, or a failed handshake or
 *       verification is a temporary failure of that next hop ({@link HopFailedException} at
 *       {@link HopFailedException.Stage#STARTTLS}); the message stays queued and nothing is sent in the clear. The
 *       chain is verified against the context's trust managers and, when {@link #verifyHostName()} (the default of
 *       {@link #required(SSLContext)}), the certificate must also name the next hop as it was configured or found:
 *       the route's relay host, or the MX host name (RFC 6125 rules as the JDK's {@code HTTPS} endpoint
 *       identification applies them: DNS names in the subject alternative names, a left-most {@code *} wildcard; an
 *       IP literal hop must be an IP address entry). {@link #withoutHostNameCheck()} skips only the name, when a
 *       configuration asks for it explicitly.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 *
 * @param mode when to use TLS
 * @param context where trust managers and protocols come from
 * @param verifyHostName whether the certificate must name the next hop (only meaningful with a verifying context)
 */
public record TlsPolicy(Mode mode, SSLContext context, boolean verifyHostName) {
    private static final SSLContext UNVERIFIED = unverifiedContext();

    /** When to use TLS. */
    public enum Mode {
        /** Never send STARTTLS. */
        DISABLED,
        /** STARTTLS when offered; fall back to plaintext when not offered or the handshake fails. */
        OPPORTUNISTIC,
        /** STARTTLS or no delivery through this next hop. */
        REQUIRED
    }

    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public TlsPolicy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(context, "context");
    }

    /**
     * A policy without host-name verification (the chain is still checked by the context's trust managers).
     *
     * @param mode when to use TLS
     * @param context where trust managers and protocols come from
     */
    public TlsPolicy(Mode mode, SSLContext context) {
        this(mode, context, false);
    }

    /**
     * Opportunistic TLS without any verification: STARTTLS when offered, any certificate accepted.
     *
     * @return the policy
     */
    public static TlsPolicy opportunistic() {
        return new TlsPolicy(Mode.OPPORTUNISTIC, UNVERIFIED, false);
    }

    /**
     * Opportunistic TLS trusting what {@code context} trusts (a chain it does not trust makes the client fall back to
     * plaintext).
     *
     * @param context a client context, e.g. initialised from a trust store holding a private CA
     * @return the policy
     */
    public static TlsPolicy opportunistic(SSLContext context) {
        return new TlsPolicy(Mode.OPPORTUNISTIC, context, false);
    }

    /**
     * TLS required: the chain verified against what {@code context} trusts and the host name against the next hop.
     *
     * @param context a client context ({@link SSLContext#getDefault()} for the JDK's {@code cacerts})
     * @return the policy
     */
    public static TlsPolicy required(SSLContext context) {
        return new TlsPolicy(Mode.REQUIRED, context, true);
    }

    /**
     * No TLS.
     *
     * @return the policy
     */
    public static TlsPolicy disabled() {
        return new TlsPolicy(Mode.DISABLED, defaultContext(), false);
    }

    /**
     * This policy with the host-name check turned off (the chain is still verified in {@link Mode#REQUIRED}).
     *
     * @return a copy without host-name verification
     */
    public TlsPolicy withoutHostNameCheck() {
        return new TlsPolicy(mode, context, false);
    }

    /**
     * A short description for logs and queue entries: {@code none}, {@code opportunistic}, {@code required} or
     * {@code required (chain only)}.
     *
     * @return the description
     */
    public String describe() {
        return switch (mode) {
            case DISABLED -> "none";
            case OPPORTUNISTIC -> "opportunistic";
            case REQUIRED -> verifyHostName ? "required" : "required (chain only)";
        };
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
    }

    private static SSLContext unverifiedContext() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {new AcceptAll()}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no TLS context", e);
        }
    }

    /** Trusts every server certificate: opportunistic encryption, as an MTA without verification does. */
    private static final class AcceptAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // opportunistic: any certificate
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            throw new UnsupportedOperationException("client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // opportunistic: any certificate
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // opportunistic: any certificate
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
