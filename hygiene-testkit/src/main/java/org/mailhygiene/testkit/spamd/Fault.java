package org.mailhygiene.testkit.spamd;

import java.time.Duration;
import java.util.Objects;

/**
 * A misbehaviour {@link FakeSpamd} injects instead of a normal reply.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Fault {

    /** Accept the connection but never read the request nor answer; holds until the fake is closed. */
    record StallReading() implements Fault {}

    /** Read the whole request, then never answer; holds until the fake is closed. */
    record Stall() implements Fault {}

    /** Read the whole request, then close the connection without a reply (like a child that died). */
    record Close() implements Fault {}

    /**
     * Read the whole request, then answer {@code SPAMD/1.0 <code> <text>} and close.
     *
     * @param code the response code, e.g. 76 or 79
     * @param text the text after the code
     */
    record Error(int code, String text) implements Fault {
        /**
         * Validates.
         *
         * @throws NullPointerException if the text is {@code null}
         */
        public Error {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * Read the whole request, wait, then answer normally.
     *
     * @param delay how long to wait
     */
    record Slow(Duration delay) implements Fault {
        /**
         * Validates.
         *
         * @throws IllegalArgumentException if the delay is negative
         */
        public Slow {
            if (Objects.requireNonNull(delay, "delay").isNegative()) {
                throw new IllegalArgumentException("delay must not be negative");
            }
        }
    }

    /**
     * Read the whole request, then send these bytes (ISO-8859-1) as the reply and close.
     *
     * @param reply the raw reply
     */
    record Garbage(String reply) implements Fault {
        /**
         * Validates.
         *
         * @throws NullPointerException if the reply is {@code null}
         */
        public Garbage {
            Objects.requireNonNull(reply, "reply");
        }
    }

    /**
     * Never read nor answer.
     *
     * @return the fault
     */
    static Fault stallReading() {
        return new StallReading();
    }

    /**
     * Read, then never answer.
     *
     * @return the fault
     */
    static Fault stall() {
        return new Stall();
    }

    /**
     * Read, then close without a reply.
     *
     * @return the fault
     */
    static Fault close() {
        return new Close();
    }

    /**
     * Read, then answer with an error code.
     *
     * @param code the code
     * @param text the text
     * @return the fault
     */
    static Fault error(int code, String text) {
        return new Error(code, text);
    }

    /**
     * Read, wait, then answer normally.
     *
     * @param delay the wait
     * @return the fault
     */
    static Fault slow(Duration delay) {
        return new Slow(delay);
    }

    /**
     * Read, then send a raw reply.
     *
     * @param reply the bytes to send
     * @return the fault
     */
    static Fault garbage(String reply) {
        return new Garbage(reply);
    }
}
