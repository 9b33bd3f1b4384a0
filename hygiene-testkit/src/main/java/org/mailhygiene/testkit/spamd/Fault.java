package org.mailhygiene.testkit.spamd;

import java.time.Duration;
import java.util.Objects;
import org.mailhygiene.internal.Checks;

/**
 * A misbehaviour {@link FakeSpamd} injects instead of a normal reply (the older fault model of this fake).
 *
 * <p>Immutable and thread-safe.
 *
 * @deprecated use {@link org.mailhygiene.testkit.server.Fault}, the fault model every fake shares, with
 *     {@link FakeSpamd#enqueue(FakeSpamd.Method, org.mailhygiene.testkit.server.Fault)}; {@link #toFault()} converts
 */
@Deprecated(since = "0.2.0")
public sealed interface Fault {

    /**
     * The same fault in the shared model: StallReading and Stall keep their names, Close is {@code Close}, Error is a
     * {@code Reply} of {@code SPAMD/1.0 CODE TEXT} and CRLF, Slow is {@code Delay}, Garbage is a {@code Reply} of its
     * bytes.
     *
     * @return the shared fault
     */
    default org.mailhygiene.testkit.server.Fault toFault() {
        if (this instanceof StallReading) {
            return org.mailhygiene.testkit.server.Fault.stallReading();
        }
        if (this instanceof Stall) {
            return org.mailhygiene.testkit.server.Fault.stall();
        }
        if (this instanceof Close) {
            return org.mailhygiene.testkit.server.Fault.close();
        }
        if (this instanceof Error e) {
            return org.mailhygiene.testkit.server.Fault.reply("SPAMD/1.0 " + e.code() + " " + e.text() + "\r\n");
        }
        if (this instanceof Slow s) {
            return org.mailhygiene.testkit.server.Fault.delay(s.delay());
        }
        return org.mailhygiene.testkit.server.Fault.reply(((Garbage) this).reply());
    }

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
            Checks.requireNonNegative(delay, "delay");
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
