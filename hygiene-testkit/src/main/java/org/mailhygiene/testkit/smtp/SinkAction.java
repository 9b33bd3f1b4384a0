package org.mailhygiene.testkit.smtp;

import java.util.Objects;

/**
 * What an {@link SmtpSink} does in answer to one command: send a reply, close the connection, or stall.
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind what to do
 * @param reply the reply line(s) for {@link Kind#REPLY}, without the final CRLF; lines of a multi-line reply are
 *     separated by {@code \n} and written with CRLF and the continuation dash; empty for the other kinds
 */
public record SinkAction(Kind kind, String reply) {

    /** The kinds of action. */
    public enum Kind {
        /** Send {@link SinkAction#reply()}; a 421 reply also closes the connection. */
        REPLY,
        /** Close the connection without replying (a next hop that dies mid-transaction). */
        CLOSE,
        /** Never reply; keep the connection open until the client gives up or the sink closes (a hung next hop). */
        STALL
    }

    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if a REPLY does not start with a three-digit code from 200 to 599, or another
     *     kind carries reply text
     */
    public SinkAction {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reply, "reply");
        if (kind == Kind.REPLY) {
            if (reply.length() < 3 || !reply.substring(0, 3).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("a reply starts with a three-digit code: " + reply);
            }
            int code = Integer.parseInt(reply.substring(0, 3));
            if (code < 200 || code > 599) {
                throw new IllegalArgumentException("reply code must be 200..599: " + reply);
            }
            if (reply.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("separate reply lines with \\n only");
            }
        } else if (!reply.isEmpty()) {
            throw new IllegalArgumentException(kind + " carries no reply text");
        }
    }

    /**
     * Reply with the given text, e.g. {@code "451 4.3.0 try again later"}.
     *
     * @param text the reply, starting with its code
     * @return the action
     */
    public static SinkAction reply(String text) {
        return new SinkAction(Kind.REPLY, text);
    }

    /**
     * Close the connection without a reply.
     *
     * @return the action
     */
    public static SinkAction close() {
        return new SinkAction(Kind.CLOSE, "");
    }

    /**
     * Never answer.
     *
     * @return the action
     */
    public static SinkAction stall() {
        return new SinkAction(Kind.STALL, "");
    }

    /**
     * The reply code, or 0 for CLOSE and STALL.
     *
     * @return the code
     */
    public int code() {
        return kind == Kind.REPLY ? Integer.parseInt(reply.substring(0, 3)) : 0;
    }

    /**
     * The same action in the testkit's shared fault model: REPLY is {@code Fault.Reply}, CLOSE {@code Fault.Close},
     * STALL {@code Fault.Stall}.
     *
     * @return the fault
     */
    public org.mailhygiene.testkit.server.Fault toFault() {
        return switch (kind) {
            case REPLY -> org.mailhygiene.testkit.server.Fault.reply(reply);
            case CLOSE -> org.mailhygiene.testkit.server.Fault.close();
            case STALL -> org.mailhygiene.testkit.server.Fault.stall();
        };
    }
}
