package org.mailhygiene.smtp.delivery;

import java.time.Duration;
import org.mailhygiene.internal.Checks;

/**
 * How long the {@link SmtpClient} waits at each step of a transaction. The defaults are those of RFC 5321
 * §4.5.3.2, plus a connect timeout (qmail's {@code timeoutconnect}) and timeouts for the steps the RFC does not name:
 *
 * <ul>
 *   <li>{@code connect}: PT1M</li>
 *   <li>{@code greeting}: PT5M</li>
 *   <li>{@code ehlo}: PT5M</li>
 *   <li>{@code starttls}: PT5M</li>
 *   <li>{@code mail}: PT5M</li>
 *   <li>{@code rcpt}: PT5M</li>
 *   <li>{@code dataInit}: PT2M</li>
 *   <li>{@code dataBlock}: PT3M</li>
 *   <li>{@code dataTermination}: PT10M</li>
 *   <li>{@code quit}: PT30S</li>
 * </ul>
 *
 * <p>A reply timeout bounds the whole reply, every line of a multi-line reply together, not each read.
 * {@code starttls} bounds the STARTTLS reply and, once more, the whole TLS handshake. {@code dataBlock} bounds each write of up to
 * 64 KiB of content. Every step is further capped by the time left before the delivery's whole-operation deadline.
 * Immutable and thread-safe.
 *
 * @param connect TCP connect
 * @param greeting waiting for the 220 greeting
 * @param ehlo the EHLO/HELO reply
 * @param starttls the STARTTLS reply and handshake
 * @param mail the MAIL FROM reply
 * @param rcpt each RCPT TO reply
 * @param dataInit the reply to DATA (354)
 * @param dataBlock each block of content written
 * @param dataTermination the reply after the final dot
 * @param quit the QUIT reply, and the RSET reply after a transaction that took no message
 */
public record SmtpTimeouts(
        Duration connect,
        Duration greeting,
        Duration ehlo,
        Duration starttls,
        Duration mail,
        Duration rcpt,
        Duration dataInit,
        Duration dataBlock,
        Duration dataTermination,
        Duration quit) {

    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if a component is zero or negative (the message names it)
     */
    public SmtpTimeouts {
        check(connect, "connect");
        check(greeting, "greeting");
        check(ehlo, "ehlo");
        check(starttls, "starttls");
        check(mail, "mail");
        check(rcpt, "rcpt");
        check(dataInit, "dataInit");
        check(dataBlock, "dataBlock");
        check(dataTermination, "dataTermination");
        check(quit, "quit");
    }

    private static void check(Duration d, String name) {
        Checks.requirePositive(d, name + " timeout");
    }

    /**
     * The defaults listed in the class description.
     *
     * @return RFC 5321 §4.5.3.2 timeouts
     */
    public static SmtpTimeouts defaults() {
        return new SmtpTimeouts(
                Duration.ofMinutes(1),
                Duration.ofMinutes(5),
                Duration.ofMinutes(5),
                Duration.ofMinutes(5),
                Duration.ofMinutes(5),
                Duration.ofMinutes(5),
                Duration.ofMinutes(2),
                Duration.ofMinutes(3),
                Duration.ofMinutes(10),
                Duration.ofSeconds(30));
    }

    /**
     * Every step set to the same value (handy in tests).
     *
     * @param all the timeout for every step
     * @return the timeouts
     * @throws IllegalArgumentException if not positive
     */
    public static SmtpTimeouts uniform(Duration all) {
        return new SmtpTimeouts(all, all, all, all, all, all, all, all, all, all);
    }
}
