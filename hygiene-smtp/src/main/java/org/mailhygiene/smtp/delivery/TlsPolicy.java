package org.mailhygiene.smtp.delivery;

import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Whether and how the {@link SmtpClient} uses STARTTLS.
 *
 * <p>{@link Mode#OPPORTUNISTIC} (the default) uses STARTTLS when the server offers it; the server's certificate chain
 * is checked against the context's trust managers (the JDK's {@code cacerts} for the default context), and when the
 * handshake fails (for example an untrusted certificate) the client logs it and delivers over a new plaintext
 * connection, as Postfix's {@code smtp_tls_security_level = may} does. {@link Mode#REQUIRED} refuses to send without
 * TLS: no STARTTLS offered or a failed handshake is a temporary failure of that next hop. {@link Mode#DISABLED} never
 * sends STARTTLS. Host names are not verified: next hops are often IP literals; trust comes from the chain alone.
 *
 * <p>Immutable and thread-safe.
 *
 * @param mode when to use TLS
 * @param context where trust managers and protocols come from
 */
public record TlsPolicy(Mode mode, SSLContext context) {

    /** When to use TLS. */
    public enum Mode {
        /** Never send STARTTLS. */
        DISABLED,
        /** STARTTLS when offered; fall back to plaintext when the handshake fails. */
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
     * Opportunistic TLS with the JDK's default context (trust from {@code cacerts}).
     *
     * @return the default policy
     * @throws IllegalStateException if the JDK has no default TLS context
     */
    public static TlsPolicy opportunistic() {
        return new TlsPolicy(Mode.OPPORTUNISTIC, defaultContext());
    }

    /**
     * Opportunistic TLS trusting what {@code context} trusts.
     *
     * @param context a client context, e.g. initialised from a trust store holding a private CA
     * @return the policy
     */
    public static TlsPolicy opportunistic(SSLContext context) {
        return new TlsPolicy(Mode.OPPORTUNISTIC, context);
    }

    /**
     * TLS required, trusting what {@code context} trusts.
     *
     * @param context a client context
     * @return the policy
     */
    public static TlsPolicy required(SSLContext context) {
        return new TlsPolicy(Mode.REQUIRED, context);
    }

    /**
     * No TLS.
     *
     * @return the policy
     */
    public static TlsPolicy disabled() {
        return new TlsPolicy(Mode.DISABLED, defaultContext());
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
    }
}
