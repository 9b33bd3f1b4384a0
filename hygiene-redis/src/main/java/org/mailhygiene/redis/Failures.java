package org.mailhygiene.redis;

import java.util.LinkedHashSet;
import java.util.Set;
import redis.clients.jedis.exceptions.JedisBroadcastException;

/** Turns a client exception into one line for a log: its message and the messages of what caused it. Stateless. */
final class Failures {
    /** The hint of {@link #describe(Throwable, boolean)}, once in a message that wraps another's. */
    private static final String WANTS_TLS = "a port that wants TLS does that";

    private Failures() {}

    /**
     * Describes a failure with its causes and suppressed exceptions (Jedis hides the reason of a failed cluster call,
     * e.g. "connection refused" or "cluster support disabled", in them), each message once.
     *
     * @param e the failure
     * @return e.g. {@code Could not initialize cluster slots cache. (ERR This instance has cluster support disabled)};
     *     a TLS server's refusal of a client without a certificate says what to change
     */
    static String describe(Throwable e) {
        Set<String> all = new LinkedHashSet<>();
        collect(e, all, 0);
        String first = message(e);
        Set<String> reasons = new LinkedHashSet<>();
        for (String r : all) {
            // "java.net.SocketTimeoutException: Read timed out" already says "Read timed out"
            if (!first.contains(r) && reasons.stream().noneMatch(x -> x.contains(r))) {
                reasons.add(r);
            }
        }
        String text = reasons.isEmpty() ? first : first + " (" + String.join("; ", reasons) + ")";
        if (text.contains("certificate_required")) {
            // TLS 1.3: the server's refusal arrives after the handshake, at the first reply, as a bare alert
            text += " (the server asks for a client certificate, which this client does not present: set the"
                    + " server's tls-auth-clients to no or optional)";
        }
        return text;
    }

    /**
     * {@link #describe(Throwable)} for a call over a connection with or without TLS: without, a connection the server
     * reset or ended at the first command (what a TLS-only port does with a command in plain text) says that the port
     * may want TLS.
     *
     * @param e the failure
     * @param tls whether the connection used TLS
     * @return the description
     */
    static String describe(Throwable e, boolean tls) {
        String text = describe(e);
        if (!tls
                && (text.contains("Connection reset") || text.contains("Unexpected end of stream"))
                && !text.contains(WANTS_TLS)) {
            text += " (the server closed the connection: " + WANTS_TLS + "; if so, use rediss://, rediss-sentinel://"
                    + " or rediss-cluster://)";
        }
        return text;
    }

    private static void collect(Throwable t, Set<String> out, int depth) {
        if (t == null || depth > 4) {
            return;
        }
        if (depth > 0) {
            out.add(message(t));
        }
        if (t instanceof JedisBroadcastException b) {
            // a command sent to every master (PING on a cluster): the failed masters' errors are its replies
            b.getReplies().forEach((node, reply) -> {
                if (reply instanceof Throwable r) {
                    out.add(node + ": " + describe(r));
                }
            });
        }
        collect(t.getCause(), out, depth + 1);
        for (Throwable s : t.getSuppressed()) {
            collect(s, out, depth + 1);
        }
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
    }
}
