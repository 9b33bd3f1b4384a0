package org.mailhygiene.testkit.server;

import java.time.Duration;
import java.util.Objects;
import org.mailhygiene.internal.Checks;

/**
 * What a fake does instead of its normal answer to one request: the one fault model of every fake in the testkit.
 *
 * <p>A fault is scripted for a command (see {@link FaultScript}) and applied when a request for that command arrives;
 * "the request" is the command and everything that belongs to it (the clamd INSTREAM chunks, the spamd headers and
 * body, the SMTP DATA content). Each fake documents how it frames a {@link Reply} and what the "payload" of
 * {@link CloseAfter} and {@link ReplyAfter} is for its protocol.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Fault {

    /** Close the connection as soon as the command is known, without reading the rest of the request. */
    record Refuse() implements Fault {}

    /** Stop reading after the command: hold the connection, unanswered, until the fake is closed. */
    record StallReading() implements Fault {}

    /** Read the whole request, then never answer: hold the connection (discarding input) until the fake is closed. */
    record Stall() implements Fault {}

    /** Read the whole request, then close the connection without a reply (a daemon child that died). */
    record Close() implements Fault {}

    /**
     * Close the connection without a reply once {@code bytes} payload bytes were read (a daemon that died mid-stream).
     *
     * @param bytes payload bytes accepted first, {@code >= 0}
     */
    record CloseAfter(long bytes) implements Fault {
        /**
         * Validates.
         *
         * @throws IllegalArgumentException if negative
         */
        public CloseAfter {
            Checks.requireAtLeast(bytes, 0, "bytes");
        }
    }

    /**
     * Read the whole request, then answer {@code text} instead of the normal reply (an error, garbage, a chosen
     * verdict). The fake frames it as its protocol frames replies.
     *
     * @param text the reply
     */
    record Reply(String text) implements Fault {
        /**
         * Validates.
         *
         * @throws NullPointerException if the text is {@code null}
         */
        public Reply {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * Stop reading once {@code bytes} payload bytes were read, answer {@code text} and close (clamd's size-limit
     * error: the client's next write breaks, but the reply can still be read).
     *
     * @param bytes payload bytes accepted first, {@code >= 0}
     * @param text the reply
     */
    record ReplyAfter(long bytes, String text) implements Fault {
        /**
         * Validates.
         *
         * @throws IllegalArgumentException if {@code bytes} is negative
         * @throws NullPointerException if the text is {@code null}
         */
        public ReplyAfter {
            Checks.requireAtLeast(bytes, 0, "bytes");
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * Read the whole request, wait, then answer normally. Closing the fake ends the wait (and the connection).
     *
     * @param delay how long to wait, not negative
     */
    record Delay(Duration delay) implements Fault {
        /**
         * Validates.
         *
         * @throws IllegalArgumentException if the delay is negative
         * @throws NullPointerException if it is {@code null}
         */
        public Delay {
            Checks.requireNonNegative(delay, "delay");
        }
    }

    /**
     * Close at once.
     *
     * @return a {@link Refuse}
     */
    static Fault refuse() {
        return new Refuse();
    }

    /**
     * Read the command, then nothing more, and never answer.
     *
     * @return a {@link StallReading}
     */
    static Fault stallReading() {
        return new StallReading();
    }

    /**
     * Read the request, never answer.
     *
     * @return a {@link Stall}
     */
    static Fault stall() {
        return new Stall();
    }

    /**
     * Read the request, close without a reply.
     *
     * @return a {@link Close}
     */
    static Fault close() {
        return new Close();
    }

    /**
     * Close after some payload bytes.
     *
     * @param bytes payload bytes accepted first
     * @return a {@link CloseAfter}
     */
    static Fault closeAfter(long bytes) {
        return new CloseAfter(bytes);
    }

    /**
     * Answer with a fixed text.
     *
     * @param text the reply
     * @return a {@link Reply}
     */
    static Fault reply(String text) {
        return new Reply(text);
    }

    /**
     * Answer with a fixed text after some payload bytes, then close.
     *
     * @param bytes payload bytes accepted first
     * @param text the reply
     * @return a {@link ReplyAfter}
     */
    static Fault replyAfter(long bytes, String text) {
        return new ReplyAfter(bytes, text);
    }

    /**
     * Answer normally after a delay.
     *
     * @param delay the delay
     * @return a {@link Delay}
     */
    static Fault delay(Duration delay) {
        return new Delay(delay);
    }
}
