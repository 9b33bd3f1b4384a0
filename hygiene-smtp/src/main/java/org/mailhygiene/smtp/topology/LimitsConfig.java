package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.delivery.RetrySchedule;
import org.mailhygiene.smtp.delivery.SmtpTimeouts;
import org.mailhygiene.smtp.server.ReloadableTls;
import org.mailhygiene.smtp.server.SmtpLimits;
import org.mailhygiene.smtp.server.TlsFileException;

/**
 * The limit keys of a node's configuration file: SMTP limits and timeouts ({@link SmtpLimits}), stress behaviour, the
 * greet delay, the free-space minimum, the queue's lifetime, retry schedule and delay warning time, and the
 * delivery timeouts. Every value is validated here, by
 * building the objects it configures, so {@code --check} finds what start would refuse. Documented in
 * {@code docs/node-config.md}. Package-private; stateless.
 */
final class LimitsConfig {
    private LimitsConfig() {}

    /**
     * Reads the limit keys into the node builder.
     *
     * @param c the file
     * @param b the node builder
     * @param warnings where findings that are not errors are added (a certificate out of its validity period)
     * @return the SMTP limits given to the node
     * @throws ConfigException naming the line and the problem
     */
    static SmtpLimits read(ConfigFile c, Node.Builder b, Path base, List<String> warnings) throws ConfigException {
        tls(c, b, base, warnings);
        SmtpLimits.Builder l = SmtpLimits.builder();
        String key = null;
        try {
            key = "max-message-size";
            Optional<Long> size = size(c, key);
            if (size.isPresent()) {
                l.maxMessageSize(size.get());
            }
            key = "max-recipients";
            c.integer(key, 1, 100_000).ifPresent(l::maxRecipients);
            key = "max-connections";
            c.integer(key, 1, 100_000).ifPresent(l::maxConnections);
            key = "max-connections-per-ip";
            c.integer(key, 1, 100_000).ifPresent(l::maxConnectionsPerIp);
            key = "max-errors";
            c.integer(key, 1, 10_000).ifPresent(l::maxErrors);
            key = "connection-rate";
            Optional<Rate> cr = rate(c, key);
            if (cr.isPresent()) {
                l.connectionRatePerIp(cr.get().count(), cr.get().window());
            }
            key = "message-rate";
            Optional<Rate> mr = rate(c, key);
            if (mr.isPresent()) {
                l.messageRatePerIp(mr.get().count(), mr.get().window());
            }
            key = "idle-timeout";
            c.duration(key).ifPresent(l::idleTimeout);
            key = "command-timeout";
            c.duration(key).ifPresent(l::commandTimeout);
            key = "data-timeout";
            c.duration(key).ifPresent(l::dataTimeout);
            key = "stress-sessions";
            c.integer(key, 1, 100_000).ifPresent(l::stressSessions);
            key = "stress-idle-timeout";
            c.duration(key).ifPresent(l::stressIdleTimeout);
            key = "stress-min-data-rate";
            c.integer(key, 1, 100_000_000).ifPresent(l::stressMinDataRate);
            key = "stress-connections-per-ip";
            c.integer(key, 1, 100_000).ifPresent(l::stressConnectionsPerIp);
            key = "stress-max-errors";
            c.integer(key, 1, 10_000).ifPresent(l::stressMaxErrors);
            key = "greet-delay";
            c.durationOrZero(key).ifPresent(l::greetDelay);
        } catch (IllegalArgumentException e) {
            throw error(c, key, e.getMessage());
        }
        SmtpLimits limits = l.build();
        if (limits.stressSessions() > limits.maxConnections()) {
            throw error(c, "stress-sessions", "must not exceed max-connections (" + limits.maxConnections() + ")");
        }
        b.server(sb -> sb.limits(limits));
        c.bool("dsn").ifPresent(on -> b.server(sb -> sb.dsn(on)));
        Optional<Long> minFree = c.string("min-free-space").isPresent()
                ? Optional.of(sizeOrZero(c, "min-free-space"))
                : Optional.empty();
        b.minFreeSpace(minFree.orElse(limits.maxMessageSize() + limits.maxMessageSize() / 2));

        Optional<Duration> lifetime = c.duration("queue-lifetime", MIN_QUEUE_LIFETIME, MAX_QUEUE_LIFETIME);
        Optional<RetrySchedule> retry = retry(c, "retry-schedule");
        // 0 (the default) sends no delay notices, as Postfix's delay_warning_time = 0h
        Optional<Duration> delayWarning = c.durationOrZero("delay-warning").filter(d -> !d.isZero());
        if (delayWarning.isPresent()
                && !delayWarning
                        .get()
                        .minus(lifetime.orElse(Duration.ofDays(7)))
                        .isNegative()) {
            throw error(
                    c,
                    "delay-warning",
                    "must be shorter than queue-lifetime ("
                            + ConfigFile.format(lifetime.orElse(Duration.ofDays(7)))
                            + "); a message that waited that long bounces");
        }
        if (lifetime.isPresent() || retry.isPresent() || delayWarning.isPresent()) {
            b.delivery(db -> {
                lifetime.ifPresent(db::queueLifetime);
                retry.ifPresent(db::retrySchedule);
                delayWarning.ifPresent(db::delayWarning);
            });
        }
        deliveryTimeouts(c).ifPresent(b::deliveryTimeouts);
        c.bool("mime-output-conversion").ifPresent(b::mimeOutputConversion);
        return limits;
    }

    /**
     * The bounds of {@code queue-lifetime}: a minute (mail tried about once, as Postfix's
     * {@code maximal_queue_lifetime = 0}) to 100 days (RFC 5321 asks for four or five; beyond months a sender learns
     * nothing from a bounce).
     */
    static final Duration MIN_QUEUE_LIFETIME = Duration.ofMinutes(1);

    /** See {@link #MIN_QUEUE_LIFETIME}. */
    static final Duration MAX_QUEUE_LIFETIME = Duration.ofDays(100);

    /** The {@code delivery.*-timeout} keys, in the order of {@link SmtpTimeouts}'s components. */
    static final List<String> DELIVERY_TIMEOUT_KEYS = List.of(
            "delivery.connect-timeout",
            "delivery.greeting-timeout",
            "delivery.ehlo-timeout",
            "delivery.starttls-timeout",
            "delivery.mail-timeout",
            "delivery.rcpt-timeout",
            "delivery.data-init-timeout",
            "delivery.data-block-timeout",
            "delivery.data-done-timeout",
            "delivery.quit-timeout");

    /** A delivery step's timeout above this would never be reached: a whole transaction is bounded by 30 minutes. */
    private static final Duration MAX_DELIVERY_TIMEOUT = Duration.ofMinutes(30);

    /**
     * The per-step timeouts of deliveries to next hops; the steps not named keep RFC 5321's defaults
     * ({@link SmtpTimeouts#defaults()}).
     */
    private static Optional<SmtpTimeouts> deliveryTimeouts(ConfigFile c) throws ConfigException {
        SmtpTimeouts d = SmtpTimeouts.defaults();
        Duration[] v = {
            d.connect(),
            d.greeting(),
            d.ehlo(),
            d.starttls(),
            d.mail(),
            d.rcpt(),
            d.dataInit(),
            d.dataBlock(),
            d.dataTermination(),
            d.quit()
        };
        boolean any = false;
        for (int i = 0; i < v.length; i++) {
            String key = DELIVERY_TIMEOUT_KEYS.get(i);
            Optional<Duration> given = c.duration(key);
            if (given.isPresent()) {
                if (given.get().compareTo(MAX_DELIVERY_TIMEOUT) > 0) {
                    throw error(
                            c,
                            key,
                            "must be at most 30m (a delivery's whole transaction is bounded by 30 minutes), was "
                                    + c.string(key).orElseThrow());
                }
                v[i] = given.get();
                any = true;
            }
        }
        if (!any) {
            return Optional.empty();
        }
        return Optional.of(new SmtpTimeouts(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]));
    }

    /** The shortest {@code tls-handshake-timeout}: 1 second. */
    static final Duration MIN_TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(1);

    /** The longest {@code tls-handshake-timeout}: 10 minutes (Postfix's smtpd_starttls_timeout is 300s). */
    static final Duration MAX_TLS_HANDSHAKE_TIMEOUT = Duration.ofMinutes(10);

    /** The shortest {@code tls-expiry-warning}: 1 day (the certificate is checked once a day). */
    static final Duration MIN_TLS_EXPIRY_WARNING = Duration.ofDays(1);

    /** The longest {@code tls-expiry-warning}: 365 days. */
    static final Duration MAX_TLS_EXPIRY_WARNING = Duration.ofDays(365);

    /**
     * {@code tls-certificate}, {@code tls-key}, {@code tls-required-for-relay}, {@code tls-handshake-timeout},
     * {@code tls-expiry-warning}; the outbound keys in
     * {@link OutboundTlsConfig}.
     */
    private static void tls(ConfigFile c, Node.Builder b, Path base, List<String> warnings) throws ConfigException {
        Optional<String> cert = c.string("tls-certificate");
        Optional<String> key = c.string("tls-key");
        Optional<Boolean> requireForRelay = c.bool("tls-required-for-relay");
        Optional<Duration> handshake =
                c.duration("tls-handshake-timeout", MIN_TLS_HANDSHAKE_TIMEOUT, MAX_TLS_HANDSHAKE_TIMEOUT);
        Optional<Duration> expiryWarning =
                c.duration("tls-expiry-warning", MIN_TLS_EXPIRY_WARNING, MAX_TLS_EXPIRY_WARNING);
        if (cert.isPresent() != key.isPresent()) {
            String given = cert.isPresent() ? "tls-certificate" : "tls-key";
            throw error(c, given, "needs " + (cert.isPresent() ? "tls-key" : "tls-certificate") + " too");
        }
        if (cert.isPresent()) {
            Path cf = base.resolve(cert.get());
            Path kf = base.resolve(key.get());
            ReloadableTls tls;
            try {
                tls = ReloadableTls.fromPem(cf, kf);
            } catch (IOException e) {
                // the message names the file that failed: point at the line that named it
                boolean keyFile =
                        !kf.equals(cf) && String.valueOf(e.getMessage()).startsWith(kf + ":");
                throw error(c, keyFile ? "tls-key" : "tls-certificate", "cannot read " + e.getMessage());
            } catch (TlsFileException e) {
                boolean keyFile = !kf.equals(cf) && e.file().equals(kf);
                throw error(c, keyFile ? "tls-key" : "tls-certificate", e.getMessage());
            } catch (GeneralSecurityException e) {
                throw error(c, "tls-certificate", e.getMessage());
            }
            b.tls(tls, requireForRelay.orElse(false));
            handshake.ifPresent(b::tlsHandshakeTimeout);
            expiryWarning.ifPresent(b::tlsExpiryWarning);
            validityWarning(tls.certificate(), Instant.now())
                    .ifPresent(w -> warnings.add("tls-certificate (" + c.source() + " line "
                            + c.lineOf("tls-certificate") + "): the certificate in " + cf + " " + w));
        } else if (requireForRelay.orElse(false)) {
            throw error(c, "tls-required-for-relay", "needs tls-certificate and tls-key");
        } else if (handshake.isPresent()) {
            throw error(c, "tls-handshake-timeout", "needs tls-certificate and tls-key");
        } else if (expiryWarning.isPresent()) {
            throw error(c, "tls-expiry-warning", "needs tls-certificate and tls-key");
        }
        OutboundTlsConfig.read(c, b, base);
    }

    /**
     * What is wrong with a server certificate's validity period at {@code now}: {@code expired on DATE (clients that
     * verify it refuse it; renew it)}, {@code is not valid before DATE (...)}, or empty when it is valid. Postfix uses
     * such a certificate without a word; opportunistic clients still encrypt with it, verifying ones give up.
     */
    static Optional<String> validityWarning(X509Certificate cert, Instant now) {
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return Optional.of("expired on " + cert.getNotAfter().toInstant()
                    + " (clients that verify certificates refuse the handshake; renew it and reload)");
        }
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return Optional.of("is not valid before " + cert.getNotBefore().toInstant()
                    + " (clients that verify certificates refuse the handshake until then; check the clock)");
        }
        return Optional.empty();
    }

    /** A count per window, {@code N/DURATION}. */
    record Rate(int count, Duration window) {}

    private static Optional<Rate> rate(ConfigFile c, String key) throws ConfigException {
        Optional<String> v = c.string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        String t = v.get().strip();
        int slash = t.indexOf('/');
        try {
            if (slash < 1) {
                throw new IllegalArgumentException("x");
            }
            int n = Integer.parseInt(t.substring(0, slash).strip());
            Duration w = ConfigFile.parseDuration(t.substring(slash + 1));
            if (n < 1 || w.isZero() || w.isNegative()) {
                throw new IllegalArgumentException("x");
            }
            return Optional.of(new Rate(n, w));
        } catch (RuntimeException e) {
            throw error(c, key, "expected COUNT/DURATION, e.g. 300/1m, was '" + t + "'");
        }
    }

    private static Optional<RetrySchedule> retry(ConfigFile c, String key) throws ConfigException {
        Optional<String> v = c.string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        String t = v.get().strip();
        try {
            if (t.equals("qmail")) {
                return Optional.of(RetrySchedule.qmail());
            }
            if (t.startsWith("qmail:")) {
                String skip = t.substring(6).strip();
                if (skip.matches("[0-9]{5,}")) {
                    // past the range (and maybe an int): said as RetrySchedule says it, not as "For input string"
                    throw new IllegalArgumentException("skip must be 1..1000, was " + skip);
                }
                return Optional.of(RetrySchedule.qmail(Integer.parseInt(skip)));
            }
            if (t.startsWith("exponential:")) {
                String[] mm = t.substring(12).split(",", -1);
                if (mm.length == 2) {
                    return Optional.of(RetrySchedule.exponential(
                            ConfigFile.parseDuration(mm[0]), ConfigFile.parseDuration(mm[1])));
                }
            }
        } catch (RuntimeException e) {
            throw error(c, key, e.getMessage() + " (expected qmail, qmail:SKIP or exponential:MIN,MAX)");
        }
        throw error(
                c, key, "expected qmail, qmail:SKIP or exponential:MIN,MAX (e.g. exponential:5m,1h), was '" + t + "'");
    }

    private static Optional<Long> size(ConfigFile c, String key) throws ConfigException {
        Optional<String> v = c.string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ScannerConfig.parseSize(v.get()));
        } catch (IllegalArgumentException e) {
            throw error(c, key, e.getMessage());
        }
    }

    private static long sizeOrZero(ConfigFile c, String key) throws ConfigException {
        Optional<String> v = c.string(key);
        if (v.isPresent() && v.get().strip().matches("0+[kKmMgG]?")) {
            return 0; // off, in any unit (0k refused as "must be positive" before)
        }
        return size(c, key).orElse(0L);
    }

    private static ConfigException error(ConfigFile c, String key, String problem) {
        return new ConfigException(c.source() + " line " + c.lineOf(key) + ": " + key + ": " + problem);
    }
}
