package org.mailhygiene.benchmarks.relay;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.HopFailedException;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.delivery.TransactionResult;

/**
 * An SMTP load generator like Postfix's {@code smtp-source}, but able to use STARTTLS: {@code -s} sessions in
 * parallel, one message per connection (connection reuse off), every message the same body of {@code -l} bytes.
 * With {@code --tls} each connection does STARTTLS (certificate not verified, as a sending MTA's opportunistic TLS)
 * and fails when it is not offered. With {@code --log}, one line per message is printed: epoch milliseconds of the
 * reply, the reply code (or {@code ERR}) and the text, for outage measurements; {@code --seconds} then bounds the run
 * instead of {@code -m}.
 *
 * <pre>
 * java -cp benchmarks.jar org.mailhygiene.benchmarks.relay.SmtpLoad [-s SESSIONS] [-m MESSAGES] [-l BYTES]
 *     [--tls] [--log] [--seconds S] HOST:PORT
 * </pre>
 *
 * Prints a summary on stderr ({@code sent=N ok=N temp=N perm=N err=N seconds=S}); exit status 0 when every message got
 * a 2xx reply, 1 otherwise.
 */
public final class SmtpLoad {
    private SmtpLoad() {}

    /**
     * Runs the load.
     *
     * @param args see the class description
     * @throws Exception on bad arguments or when interrupted
     */
    public static void main(String[] args) throws Exception {
        int sessions = 10;
        int messages = 1000;
        int bytes = 1024;
        boolean tls = false;
        boolean log = false;
        double seconds = 0;
        String target = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-s" -> sessions = Integer.parseInt(args[++i]);
                case "-m" -> messages = Integer.parseInt(args[++i]);
                case "-l" -> bytes = Integer.parseInt(args[++i]);
                case "--tls" -> tls = true;
                case "--log" -> log = true;
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                default -> target = args[i];
            }
        }
        if (target == null || target.lastIndexOf(':') < 0) {
            System.err.println("usage: SmtpLoad [-s N] [-m N] [-l BYTES] [--tls] [--log] [--seconds S] HOST:PORT");
            System.exit(2);
        }
        int colon = target.lastIndexOf(':');
        Endpoint endpoint = new Endpoint(
                new NextHop(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))),
                new java.net.InetSocketAddress(
                        InetAddress.getByName(target.substring(0, colon)),
                        Integer.parseInt(target.substring(colon + 1))));
        SmtpClient client = SmtpClient.builder()
                .heloName("load.example.net")
                .tls(
                        tls
                                ? new TlsPolicy(
                                        TlsPolicy.Mode.REQUIRED,
                                        TlsPolicy.opportunistic().context())
                                : TlsPolicy.disabled())
                .connectionReuse(Duration.ofSeconds(1), 1)
                .build();
        byte[] body = body(bytes);
        long deadline = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
        int limit = seconds > 0 ? Integer.MAX_VALUE : messages;
        AtomicInteger next = new AtomicInteger();
        AtomicLong ok = new AtomicLong();
        AtomicLong temp = new AtomicLong();
        AtomicLong perm = new AtomicLong();
        AtomicLong err = new AtomicLong();
        boolean logLines = log;
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        for (int s = 0; s < sessions; s++) {
            pool.execute(() -> {
                while (next.getAndIncrement() < limit && System.nanoTime() < deadline) {
                    String code;
                    String text;
                    try {
                        TransactionResult r = client.deliver(
                                endpoint,
                                "bench@example.net",
                                List.of("user@example.test"),
                                MessageContent.ofBytes(body),
                                Duration.ofSeconds(120));
                        RecipientResult rr = r.recipients().get(0);
                        switch (rr.outcome()) {
                            case DELIVERED -> ok.incrementAndGet();
                            case TEMPORARY -> temp.incrementAndGet();
                            default -> perm.incrementAndGet();
                        }
                        code = rr.diagnostic().length() >= 3 ? rr.diagnostic().substring(0, 3) : "?";
                        text = rr.diagnostic();
                    } catch (HopFailedException e) {
                        // a 4xx at MAIL/DATA/the final dot, or a dropped connection
                        String m = e.reply().map(Object::toString).orElse("");
                        code = m.length() >= 3 ? m.substring(0, 3) : "ERR";
                        if (code.startsWith("4")) {
                            temp.incrementAndGet();
                        } else {
                            err.incrementAndGet();
                        }
                        text = e.getMessage();
                    } catch (Exception e) {
                        err.incrementAndGet();
                        code = "ERR";
                        text = e.toString();
                    }
                    if (logLines) {
                        System.out.println(Instant.now().toEpochMilli() + " " + code + " "
                                + text.replace('\n', ' ').replace('\r', ' '));
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.DAYS);
        double took = (System.nanoTime() - t0) / 1e9;
        long sent = ok.get() + temp.get() + perm.get() + err.get();
        System.out.flush();
        System.err.printf(
                Locale.ROOT,
                "sent=%d ok=%d temp=%d perm=%d err=%d seconds=%.3f%n",
                sent,
                ok.get(),
                temp.get(),
                perm.get(),
                err.get(),
                took);
        System.exit(ok.get() == sent ? 0 : 1);
    }

    private static byte[] body(int bytes) {
        StringBuilder sb =
                new StringBuilder("From: bench@example.net\r\nTo: user@example.test\r\nSubject: load\r\n\r\n");
        while (sb.length() < bytes) {
            sb.append("abcdefghijklmnopqrstuvwxyz0123456789 the quick brown fox jumps over the lazy dog\r\n");
        }
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
