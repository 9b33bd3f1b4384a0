package org.mailhygiene.milter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * A private Postfix whose smtpd listeners each call another of our milters, relaying to an in-process
 * {@link SmtpSink}. Listeners: {@code main} (built-in scanner, default policy), {@code quarantine} (viruses held),
 * {@code slow} (a scanner with a settable delay, Postfix {@code milter_content_timeout=3s}, progress every 500 ms,
 * pipeline deadline 8 s), {@code clamd-down} (clamd at a port where nothing listens), {@code stopped} (the milter
 * address has no milter; {@code milter_default_action=tempfail}). Test support.
 */
final class PostfixRig implements AutoCloseable {
    static final Duration SLOW_DEADLINE = Duration.ofSeconds(8);

    /** A scanner that waits {@link #delay} and then says clean. */
    static final class Slow implements Scanner {
        volatile Duration delay = Duration.ZERO;

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public Verdict scan(Message message) throws InterruptedException {
            Thread.sleep(delay.toMillis());
            return Verdict.clean(name(), delay);
        }
    }

    final SmtpSink sink;
    final PrivatePostfix postfix;
    final Map<String, Integer> ports = new LinkedHashMap<>();
    final Map<String, MilterServer> milters = new LinkedHashMap<>();
    final List<MilterOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    final Slow slow = new Slow();
    private final List<AutoCloseable> open = new ArrayList<>();

    PostfixRig() throws Exception {
        try {
            sink = SmtpSink.builder().maxSize(0).start();
            open.add(sink);
            milter(
                    "main",
                    ScanPipeline.builder().scanner(SignatureScanner.create()).build(),
                    Duration.ofSeconds(10));
            milter(
                    "quarantine",
                    ScanPipeline.builder()
                            .scanner(SignatureScanner.create())
                            .policy(DefaultPolicy.builder()
                                    .onVirus(Action.QUARANTINE)
                                    .build())
                            .build(),
                    Duration.ofSeconds(10));
            milter(
                    "classifier",
                    ScanPipeline.builder()
                            .scanner(org.mailhygiene.scanners.bayes.BayesModels.scanner(
                                    org.mailhygiene.scanners.bayes.BayesModels.DEFAULT, List.of()))
                            .build(),
                    Duration.ofSeconds(10));
            milter(
                    "slow",
                    ScanPipeline.builder()
                            .scanner(slow)
                            .noCache()
                            .deadline(SLOW_DEADLINE)
                            .build(),
                    Duration.ofMillis(500));
            java.net.Socket deadSocket = PrivatePostfix.deadPort(); // held: refused, and no one else's
            open.add(deadSocket);
            int dead = deadSocket.getLocalPort();
            milter(
                    "clamd-down",
                    ScanPipeline.builder()
                            .scanner(ClamdScanner.builder()
                                    .address("127.0.0.1:" + dead)
                                    .build())
                            .build(),
                    Duration.ofSeconds(10));
            List<String> names = new ArrayList<>();
            List<List<String>> options = new ArrayList<>();
            for (Map.Entry<String, MilterServer> m : milters.entrySet()) {
                List<String> o = new ArrayList<>();
                o.add("smtpd_milters=" + m.getValue().socketSpec());
                if (m.getKey().equals("slow")) {
                    o.add("milter_content_timeout=3s");
                }
                names.add(m.getKey());
                options.add(o);
            }
            names.add("stopped");
            java.net.Socket noMilter = PrivatePostfix.deadPort();
            open.add(noMilter);
            options.add(List.of("smtpd_milters=inet:127.0.0.1:" + noMilter.getLocalPort()));
            postfix = PrivatePostfix.startOnFreePorts(sink.port(), Map.of(), options);
            open.add(postfix);
            for (int i = 0; i < names.size(); i++) {
                ports.put(names.get(i), postfix.ports().get(i));
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private void milter(String name, ScanPipeline pipeline, Duration progress) throws IOException {
        open.add(pipeline);
        MilterServer s = MilterServer.builder()
                .pipeline(pipeline)
                .progressInterval(progress)
                .listener((env, content, report, outcome) -> outcomes.add(outcome))
                .build();
        s.start();
        open.add(s);
        milters.put(name, s);
    }

    int port(String listener) {
        return ports.get(listener);
    }

    /** Waits for the n-th message at the sink (generous: the machine is busy). */
    SinkMessage awaitDelivery(int count) throws InterruptedException {
        List<SinkMessage> got = sink.awaitMessages(count, Duration.ofMinutes(3));
        if (got.size() < count) {
            throw new AssertionError(
                    "only " + got.size() + " of " + count + " messages reached the sink; maillog:\n" + postfix.log());
        }
        return got.get(count - 1);
    }

    /** The delivered bytes without Postfix's own Received header (its first field, with continuation lines). */
    static byte[] withoutFirstReceived(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        if (!text.startsWith("Received:")) {
            return data;
        }
        int end = text.indexOf("\r\n");
        while (end >= 0 && end + 2 < text.length() && (text.charAt(end + 2) == ' ' || text.charAt(end + 2) == '\t')) {
            end = text.indexOf("\r\n", end + 2);
        }
        return java.util.Arrays.copyOfRange(data, end + 2, data.length);
    }

    @Override
    public void close() {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        open.clear();
    }
}
