package org.mailhygiene.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.util.Objects;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The TLS sockets of the {@code rediss} schemes: each one's handshake is made when the socket is made (under the
 * connection's read timeout, which Jedis sets before), with the host-name check on, and a failed handshake is an
 * {@link SSLException} whose message names the server and says why in words: a certificate no trusted CA signed, one
 * that does not name the host, or a server that does not answer TLS at all (a plain Redis port behind a {@code rediss}
 * URL: Redis reads the handshake as the start of a command and waits for the rest, so the client's read times out).
 * Jedis would otherwise start the handshake at the first command, and report it as "Read timed out" or the JDK's
 * certificate-path text.
 *
 * <p>Thread-safe (the delegate is).
 */
final class TlsSockets extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    /**
     * Wraps a factory.
     *
     * @param delegate makes the TLS sockets (it holds the trusted CAs)
     */
    TlsSockets(SSLSocketFactory delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        int timeout = s.getSoTimeout();
        SSLSocket ssl = (SSLSocket) delegate.createSocket(s, host, port, autoClose);
        // Jedis sets its SSLParameters (the same check) only after this returns, so the handshake below checks here.
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
        } catch (IOException e) {
            closeQuietly(ssl);
            throw new SSLException(describe(host, port, timeout, e), e);
        }
        return ssl;
    }

    /**
     * Why a handshake with {@code host:port} failed, in words; the JDK's own message follows as the cause.
     *
     * @param timeoutMillis the read timeout the handshake had (0: none)
     */
    static String describe(String host, int port, int timeoutMillis, IOException e) {
        String at = org.mailhygiene.internal.HostPorts.of(host, port);
        if (e instanceof SocketTimeoutException) {
            // a slow server times out the same way: said, but the usual cause first
            return at + " did not complete the TLS handshake within " + timeoutMillis + " ms: a server without TLS"
                    + " on that port (Redis's plain port) never answers it; the rediss schemes need the servers'"
                    + " tls-port";
        }
        String all = messages(e);
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
            return "the TLS certificate of " + at + " does not name " + host
                    + " (a DNS name entry for a name, an IP address entry for an address)";
        }
        if (has(e, CertificateExpiredException.class)) {
            return "the TLS certificate of " + at + " has expired";
        }
        if (has(e, CertPathBuilderException.class) || all.contains("PKIX path")) {
            return "the TLS certificate of " + at + " is not signed by a trusted CA (?cacert= names the CA's PEM"
                    + " file; without it the JVM's trust store is used)";
        }
        if (all.contains("Unsupported or unrecognized SSL message") || all.contains("plaintext connection")) {
            return at + " answered the TLS handshake with something else than TLS (a port without TLS?)";
        }
        return "TLS handshake with " + at + " failed";
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            b.append(t.getMessage()).append('\n');
        }
        return b.toString();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // the handshake's failure is the one reported
        }
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return delegate.createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return delegate.createSocket(address, port, localAddress, localPort);
    }
}
