package org.mailhygiene.benchmarks;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.HopFailedException;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.server.SmtpLimits;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The paper's virus storm replayed into the gateway: {@code COPIES} identical copies of one infected message (the
 * EICAR attachment sample) from a single client (127.0.0.11, where an edge would be), over real SMTP, one connection
 * per message from {@code CONC} parallel senders, into a {@link Role#GATEWAY} {@link Node} scanning with a real clamd
 * (started here with a generated database). Meanwhile another client (127.0.0.12) sends one clean message every
 * 100 ms. Prints the wall time, the storm's replies by class, how many scans reached clamd (the pipeline's
 * {@code scanStarted} events for clamd; verdict-cache hits do not reach it), and the other client's results and
 * latencies. The gateway runs with its default limits, or with the per-IP rates lifted when the third argument is
 * {@code unlimited}.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.StormBenchmark [COPIES [CONC]]}
 * (defaults 3898 and 4).
 */
public final class StormBenchmark {
    private StormBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args optional copies and concurrency
     * @throws Exception on any failure to start
     */
    public static void main(String[] args) throws Exception {
        int copies = args.length > 0 ? Integer.parseInt(args[0]) : 3898;
        int conc = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        // "unlimited" lifts the per-IP connection and message rates, to measure what the gateway can process rather
        // than how the default flood protection answers.
        boolean unlimited = args.length > 2 && args[2].equals("unlimited");
        Path data = TempDirs.create("storm-");
        AtomicInteger clamdScans = new AtomicInteger();
        AtomicInteger cacheHits = new AtomicInteger();
        HygieneListener counter = new HygieneListener() {
            @Override
            public void scanStarted(String scanner, Message message) {
                clamdScans.incrementAndGet();
            }

            @Override
            public void cacheHit(Verdict verdict, Message message) {
                cacheHits.incrementAndGet();
            }
        };
        try (RealClamd clamd = RealClamd.builder(RealBinaries.require("clamd", "clamav-daemon"))
                        .start();
                SmtpSink internal = SmtpSink.builder()
                        .bindAddress(InetAddress.getByName("127.0.0.21"))
                        .start()) {
            ClamdScanner clamdScanner =
                    ClamdScanner.builder().address(clamd.tcpAddress()).build();
            Node gateway = Node.builder(Role.GATEWAY, "gateway")
                    .listen(InetAddress.getByName("127.0.0.13"), 0)
                    .relayClients("127.0.0.11", "127.0.0.12")
                    .router(StaticRouter.parse(":127.0.0.21:" + internal.port()))
                    .scanners(List.of(clamdScanner))
                    .listener(counter)
                    .dataDirectory(data)
                    .server(b -> {
                        if (unlimited) {
                            b.limits(SmtpLimits.builder()
                                    .connectionRatePerIp(1_000_000, Duration.ofMinutes(1))
                                    .messageRatePerIp(1_000_000, Duration.ofMinutes(1))
                                    .build());
                        }
                    })
                    .build();
            System.out.println("gateway limits: " + (unlimited ? "per-IP rates lifted" : "defaults"));
            gateway.start();
            try {
                run(gateway, clamdScanner, copies, conc, clamdScans, cacheHits, internal);
            } finally {
                gateway.close();
            }
        }
    }

    private static void run(
            Node gateway,
            ClamdScanner clamdScanner,
            int copies,
            int conc,
            AtomicInteger clamdScans,
            AtomicInteger cacheHits,
            SmtpSink internal)
            throws Exception {
        Endpoint to =
                Endpoint.literal(new NextHop("127.0.0.13", gateway.address().getPort()));
        // The clamd adapter caches no verdict until it knows clamd's version (checked in the background after its
        // first scan): one clean message of its own first, so the storm measures the cache, not that start (as
        // ClusterStormBenchmark does). It is delivered, so the internal server's count below leaves it out.
        send(
                client("127.0.0.12"),
                to,
                ("From: warm@sender.test\r\nTo: user@dept-a.example\r\nSubject: warm-up " + System.nanoTime()
                                + "\r\n\r\nA clean message before the storm.\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        long ready = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (clamdScanner.cacheIdentity().isEmpty() && System.nanoTime() < ready) {
            Thread.sleep(20);
        }
        internal.awaitMessages(1, Duration.ofSeconds(60));
        clamdScans.set(0);
        cacheHits.set(0);
        byte[] worm = SampleMessages.eicarAttachment();
        byte[] clean = SampleMessages.clean();
        Map<String, AtomicInteger> replies = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stormOver = new AtomicBoolean();
        List<Long> otherLatencies = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicInteger> otherReplies = new ConcurrentHashMap<>();
        AtomicLong stormEnd = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(conc + 1);
        long start = System.nanoTime();
        pool.submit(() -> {
            SmtpClient c = client("127.0.0.12");
            while (!stormOver.get()) {
                long t0 = System.nanoTime();
                String r = send(c, to, clean);
                otherLatencies.add(System.nanoTime() - t0);
                otherReplies
                        .computeIfAbsent(r.substring(0, 1) + "xx", k -> new AtomicInteger())
                        .incrementAndGet();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return null;
                }
            }
            return null;
        });
        List<java.util.concurrent.Future<?>> senders = new ArrayList<>();
        for (int i = 0; i < conc; i++) {
            senders.add(pool.submit(() -> {
                SmtpClient c = client("127.0.0.11");
                while (next.getAndIncrement() < copies) {
                    String r = send(c, to, worm);
                    replies.computeIfAbsent(r.length() >= 3 ? r.substring(0, 3) : r, k -> new AtomicInteger())
                            .incrementAndGet();
                }
                return null;
            }));
        }
        for (java.util.concurrent.Future<?> f : senders) {
            f.get();
        }
        stormEnd.set(System.nanoTime());
        stormOver.set(true);
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        double wall = (stormEnd.get() - start) / 1e9;
        List<Long> lat = new ArrayList<>(otherLatencies);
        Collections.sort(lat);
        System.out.printf(
                Locale.ROOT,
                "storm: %d copies, %d senders from 127.0.0.11: %.2f s wall (%.0f msg/s); replies %s%n",
                copies,
                conc,
                wall,
                copies / wall,
                new java.util.TreeMap<>(replies));
        System.out.printf(
                Locale.ROOT,
                "scans reaching clamd: %d; verdict-cache hits: %d; quarantined: %d%n",
                clamdScans.get(),
                cacheHits.get(),
                gateway.quarantine().list().size());
        if (!lat.isEmpty()) {
            System.out.printf(
                    Locale.ROOT,
                    "other client 127.0.0.12: %d clean messages, replies %s, latency p50 %.1f ms, max %.1f ms;"
                            + " delivered to the internal server: %d%n",
                    lat.size(),
                    new java.util.TreeMap<>(otherReplies),
                    lat.get(lat.size() / 2) / 1e6,
                    lat.get(lat.size() - 1) / 1e6,
                    internal.awaitMessages(lat.size() + 1, Duration.ofSeconds(20))
                                    .size()
                            - 1);
        }
    }

    private static SmtpClient client(String address) throws Exception {
        return SmtpClient.builder()
                .heloName("client-" + address)
                .localAddress(InetAddress.getByName(address))
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofSeconds(1), 1) // a worm's copies arrive one connection each
                .build();
    }

    private static String send(SmtpClient c, Endpoint to, byte[] message) {
        try {
            return c.deliver(
                            to,
                            "sender@example.net",
                            List.of("user@dept-a.example"),
                            MessageContent.ofBytes(message),
                            Duration.ofSeconds(60))
                    .recipients()
                    .get(0)
                    .diagnostic();
        } catch (HopFailedException e) {
            return e.reply().map(Object::toString).orElse("err " + e.getMessage());
        } catch (Exception e) {
            return "err " + e;
        }
    }
}
