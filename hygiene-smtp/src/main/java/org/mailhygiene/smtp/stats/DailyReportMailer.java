package org.mailhygiene.smtp.stats;

import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mails the statistics report to an administrator once a day at a configured local time, through the relay itself:
 * the message is submitted over SMTP to the relay's own listener, so it is scanned, spooled and delivered like any
 * other mail.
 *
 * <p>The report covers the current month up to now (on the first of a month, the month just ended), as plain text
 * with the HTML report as an alternative part. Failures are logged and retried at the next scheduled time; they never
 * affect mail flow.
 *
 * <p>Thread-safe. Defaults: SMTP connect and read timeouts 30 s.
 */
public final class DailyReportMailer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DailyReportMailer.class);

    private final Path dataDir;
    private final NodeStatistics statistics;
    private final String from;
    private final String to;
    private final String nodeName;
    private final InetSocketAddress relay;
    private final LocalTime at;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private volatile ScheduledFuture<?> next;
    private volatile boolean closed;

    /**
     * Creates a mailer that reports one node's own statistics under its name: the days on disk and the counts still in
     * memory (those since the last flush included). This is what a node uses. Call {@link #start()} to schedule it.
     *
     * @param statistics the node's statistics
     * @param nodeName the node's name, for the Subject and the tables
     * @param from the sender address of the report
     * @param to the administrator's address
     * @param relay where to submit the report (the relay's own listener)
     * @param at the local time of day to send at
     * @param clock the clock (its zone decides the local time)
     * @param scheduler runs the daily job; not shut down by {@link #close()}
     */
    public DailyReportMailer(
            NodeStatistics statistics,
            String nodeName,
            String from,
            String to,
            InetSocketAddress relay,
            LocalTime at,
            Clock clock,
            ScheduledExecutorService scheduler) {
        this(null, Objects.requireNonNull(statistics, "statistics"), nodeName, from, to, relay, at, clock, scheduler);
    }

    /**
     * Creates a mailer that reports the statistics files under a data directory (as {@code hygiene report --data DIR}
     * reads them: nodes named by their directories, the counts since a running node's last flush not included); call
     * {@link #start()} to schedule it.
     *
     * @param dataDir the statistics' data directory (as for {@link StatisticsReport#load})
     * @param nodeName the node's name, for the Subject
     * @param from the sender address of the report
     * @param to the administrator's address
     * @param relay where to submit the report (the relay's own listener)
     * @param at the local time of day to send at
     * @param clock the clock (its zone decides the local time)
     * @param scheduler runs the daily job; not shut down by {@link #close()}
     */
    public DailyReportMailer(
            Path dataDir,
            String nodeName,
            String from,
            String to,
            InetSocketAddress relay,
            LocalTime at,
            Clock clock,
            ScheduledExecutorService scheduler) {
        this(Objects.requireNonNull(dataDir, "dataDir"), null, nodeName, from, to, relay, at, clock, scheduler);
    }

    private DailyReportMailer(
            Path dataDir,
            NodeStatistics statistics,
            String nodeName,
            String from,
            String to,
            InetSocketAddress relay,
            LocalTime at,
            Clock clock,
            ScheduledExecutorService scheduler) {
        this.dataDir = dataDir;
        this.statistics = statistics;
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.from = Objects.requireNonNull(from, "from");
        this.to = Objects.requireNonNull(to, "to");
        this.relay = Objects.requireNonNull(relay, "relay");
        this.at = Objects.requireNonNull(at, "at");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Schedules the next run at the configured time of day. */
    public void start() {
        schedule();
    }

    private void schedule() {
        if (closed) {
            return;
        }
        Duration delay = delayUntilNext(ZonedDateTime.now(clock), at);
        next = scheduler.schedule(this::runAndReschedule, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The time from {@code now} to the next occurrence of {@code at} (tomorrow if it has passed today).
     *
     * @param now the current time
     * @param at the time of day
     * @return a positive duration of at most one day
     */
    static Duration delayUntilNext(ZonedDateTime now, LocalTime at) {
        ZonedDateTime target = now.with(at);
        if (!target.isAfter(now)) {
            target = now.toLocalDate().plusDays(1).atTime(at).atZone(now.getZone());
        }
        return Duration.between(now, target);
    }

    private void runAndReschedule() {
        try {
            sendNow();
        } catch (IOException | MessagingException | RuntimeException e) {
            LOG.warn("daily report for {} to {} failed: {}", nodeName, to, e.toString());
        } finally {
            schedule();
        }
    }

    /**
     * Composes and submits the report now.
     *
     * @throws IOException if the statistics cannot be read
     * @throws MessagingException if the relay refuses the message or cannot be reached
     */
    public void sendNow() throws IOException, MessagingException {
        byte[] mail = compose(report());
        Properties p = new Properties();
        p.setProperty("mail.smtp.connectiontimeout", "30000");
        p.setProperty("mail.smtp.timeout", "30000");
        p.setProperty("mail.smtp.writetimeout", "30000");
        // Submit from the relay's own address, so its access rules see the node itself, not some other local client.
        p.setProperty("mail.smtp.localaddress", relay.getAddress().getHostAddress());
        Session session = Session.getInstance(p);
        MimeMessage m = new MimeMessage(session, new java.io.ByteArrayInputStream(mail));
        try (Transport t = session.getTransport("smtp")) {
            t.connect(relay.getHostString(), relay.getPort(), null, null);
            t.sendMessage(m, InternetAddress.parse(to));
        }
        LOG.info("daily report for {} sent to {}", nodeName, to);
    }

    /**
     * The report {@link #sendNow()} mails: the month {@link #reportMonth} of today.
     *
     * @return the report
     * @throws IOException if the statistics cannot be read
     */
    StatisticsReport report() throws IOException {
        Optional<YearMonth> month = Optional.of(reportMonth(LocalDate.now(clock)));
        if (statistics != null) {
            // Named as the Subject names it, not after the data directory (which the tables showed, "data" for a node
            // whose data is /var/lib/hygiene/data, under a Subject naming the node: audit, session 39), and with the
            // counts since the last flush.
            return StatisticsReport.ofNode(nodeName, statistics.history(), month);
        }
        return StatisticsReport.load(dataDir, month);
    }

    static YearMonth reportMonth(LocalDate today) {
        YearMonth ym = YearMonth.from(today);
        return today.getDayOfMonth() == 1 ? ym.minusMonths(1) : ym;
    }

    /**
     * Builds the report message: text/plain with the tables, and the HTML report as an alternative.
     *
     * @param report the report
     * @return the RFC 5322 message bytes, CRLF line ends
     * @throws IOException never in practice (in-memory)
     * @throws MessagingException if an address is malformed
     */
    public byte[] compose(StatisticsReport report) throws IOException, MessagingException {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
        m.setFrom(new InternetAddress(from));
        m.setRecipients(RecipientType.TO, InternetAddress.parse(to));
        m.setSubject("Mail Hygiene daily report: " + nodeName + " " + LocalDate.now(clock), "UTF-8");
        m.setSentDate(Date.from(clock.instant()));
        MimeMultipart alt = new MimeMultipart("alternative");
        MimeBodyPart text = new MimeBodyPart();
        text.setText(report.text(), "UTF-8");
        MimeBodyPart html = new MimeBodyPart();
        html.setText(report.html(), "UTF-8", "html");
        alt.addBodyPart(text);
        alt.addBodyPart(html);
        m.setContent(alt);
        m.saveChanges();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }

    /** Cancels the next run; a run in progress finishes. */
    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> f = next;
        if (f != null) {
            f.cancel(false);
        }
    }
}
