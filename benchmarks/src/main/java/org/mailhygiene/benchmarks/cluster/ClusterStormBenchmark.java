package org.mailhygiene.benchmarks.cluster;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.benchmarks.TempDirs;
import org.mailhygiene.redis.RedisSharedState;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
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
import org.mailhygiene.testkit.redis.RealRedis;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The paper's storm spread over two edge relays that use one real clamd, with and without a shared Redis: {@code
 * COPIES} byte-identical infected messages (the EICAR attachment sample), one SMTP connection each, from {@code CONC}
 * parallel senders alternating between the two edges (127.0.0.11 and 127.0.0.12, per-IP rates lifted). Prints the
 * wall time, the replies, and how many scans reached clamd (the pipelines' {@code scanStarted} events).
 *
 * <p>Then, on the same pair: the latency the shared cache and limiter add per message (p50/p99 of {@code N} unique
 * clean messages sent one at a time, with and without Redis; and the Redis round trips alone, timed in-process), and
 * relay throughput (unique clean messages from {@code CONC} senders) with and without Redis.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar
 * org.mailhygiene.benchmarks.cluster.ClusterStormBenchmark [COPIES [CONC [N]]]} (defaults 3898, 8, 2000).
 */
public final class ClusterStormBenchmark {
    private ClusterStormBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args optional copies, concurrency and message count
     * @throws Exception on any failure to start
     */
    public static void main(String[] args) throws Exception {
        int copies = args.length > 0 ? Integer.parseInt(args[0]) : 3898;
        int conc = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        Path work = TempDirs.create("cluster-storm-");
        try (RealClamd clamd = RealClamd.builder(RealBinaries.require("clamd", "clamav-daemon"))
                        .start();
                RealRedis redis = RealRedis.start(
                        RealBinaries.require("redis-server", "redis-server"), work.resolve("redis"), List.of());
                SmtpSink sink = SmtpSink.builder()
                        .bindAddress(InetAddress.getByName("127.0.0.21"))
                        .start()) {
            for (boolean shared : new boolean[] {false, true}) {
                Path data = Files.createTempDirectory(work, shared ? "shared-" : "alone-");
                AtomicInteger scans = new AtomicInteger();
                AtomicInteger hits = new AtomicInteger();
                HygieneListener counter = new HygieneListener() {
                    @Override
                    public void scanStarted(String scanner, Message message) {
                        scans.incrementAndGet();
                    }

                    @Override
                    public void cacheHit(Verdict verdict, Message message) {
                        hits.incrementAndGet();
                    }
                };
                List<Node> edges = new ArrayList<>();
                List<ClamdScanner> clamdScanners = new ArrayList<>();
                for (int i = 1; i <= 2; i++) {
                    ClamdScanner clamdScanner =
                            ClamdScanner.builder().address(clamd.tcpAddress()).build();
                    clamdScanners.add(clamdScanner);
                    Node.Builder b = Node.builder(Role.EDGE, "edge-" + i)
                            .listen(InetAddress.getByName("127.0.0.1" + i), 0)
                            .acceptedDomains(AcceptedDomains.of(List.of("example.org")))
                            .router(StaticRouter.parse(":127.0.0.21:" + sink.port()))
                            .scanners(List.of(clamdScanner))
                            .listener(counter)
                            .dataDirectory(data.resolve("edge-" + i))
                            .server(sb -> sb.limits(SmtpLimits.builder()
                                    .connectionRatePerIp(1_000_000, Duration.ofMinutes(1))
                                    .messageRatePerIp(1_000_000, Duration.ofMinutes(1))
                                    .build()));
                    if (shared) {
                        b.sharedState(RedisSharedState.open(redis.url(), Duration.ofMillis(250)));
                    }
                    Node node = b.build();
                    node.start();
                    edges.add(node);
                }
                String label = shared ? "two edges sharing Redis" : "two edges, nothing shared";
                try {
                    // The clamd adapter caches nothing until it knows clamd's version (checked in the background
                    // after the first scan): warm each edge up so the storm measures the caches, not that start.
                    for (int i = 0; i < 2; i++) {
                        send(client(), endpoint(edges.get(i)), unique(-1 - i));
                    }
                    long ready = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (clamdScanners.stream()
                                    .anyMatch(sc -> sc.cacheIdentity().isEmpty())
                            && System.nanoTime() < ready) {
                        Thread.sleep(20);
                    }
                    scans.set(0);
                    hits.set(0);
                    storm(label, edges, copies, conc, scans, hits);
                    latency(label, edges, n / 4);
                    throughput(label, edges, n, conc);
                } finally {
                    for (Node e : edges) {
                        e.close();
                    }
                }
            }
            try (SharedState state = RedisSharedState.open(redis.url(), Duration.ofMillis(250))) {
                roundTrips(state, n);
            }
        }
    }

    private static Endpoint endpoint(Node node) {
        return Endpoint.literal(new NextHop(
                node.address().getAddress().getHostAddress(), node.address().getPort()));
    }

    private static SmtpClient client() throws Exception {
        return SmtpClient.builder()
                .heloName("client.test")
                .localAddress(InetAddress.getByName("127.0.0.1"))
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofSeconds(1), 1) // one connection per message, as a worm sends
                .build();
    }

    private static String send(SmtpClient c, Endpoint to, byte[] message) {
        try {
            return c.deliver(
                            to,
                            "worm@sender.test",
                            List.of("user@example.org"),
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

    private static void storm(
            String label, List<Node> edges, int copies, int conc, AtomicInteger scans, AtomicInteger hits)
            throws Exception {
        byte[] worm = SampleMessages.eicarAttachment();
        Map<String, AtomicInteger> replies = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < conc; t++) {
            fs.add(pool.submit(() -> {
                SmtpClient c = client();
                int i;
                while ((i = next.getAndIncrement()) < copies) {
                    String r = send(c, endpoint(edges.get(i % 2)), worm);
                    replies.computeIfAbsent(r.length() >= 3 ? r.substring(0, 3) : r, k -> new AtomicInteger())
                            .incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        System.out.printf(
                Locale.ROOT,
                "%s: storm of %d copies over 2 edges, %d senders: %.2f s wall (%.0f msg/s); replies %s;"
                        + " scans reaching clamd: %d; cache hits: %d%n",
                label,
                copies,
                conc,
                wall,
                copies / wall,
                new TreeMap<>(replies),
                scans.get(),
                hits.get());
    }

    private static byte[] unique(int i) {
        return ("From: a@sender.test\r\nTo: user@example.org\r\nSubject: message " + i + " " + System.nanoTime()
                        + "\r\n\r\nA clean message, number " + i + ".\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void latency(String label, List<Node> edges, int count) throws Exception {
        SmtpClient c = client();
        List<Long> lat = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            String r = send(c, endpoint(edges.get(i % 2)), unique(i));
            if (!r.startsWith("250")) {
                throw new IllegalStateException("unexpected reply " + r);
            }
            lat.add(System.nanoTime() - t0);
        }
        Collections.sort(lat);
        System.out.printf(
                Locale.ROOT,
                "%s: %d unique clean messages one at a time: latency p50 %.2f ms, p99 %.2f ms%n",
                label,
                count,
                lat.get(count / 2) / 1e6,
                lat.get(count * 99 / 100) / 1e6);
    }

    private static void throughput(String label, List<Node> edges, int count, int conc) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < conc; t++) {
            fs.add(pool.submit(() -> {
                SmtpClient c = client();
                int i;
                while ((i = next.getAndIncrement()) < count) {
                    if (send(c, endpoint(edges.get(i % 2)), unique(100_000 + i)).startsWith("250")) {
                        ok.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        System.out.printf(
                Locale.ROOT,
                "%s: %d unique clean messages, %d senders: %.2f s, %.0f msg/s (%d accepted)%n",
                label,
                count,
                conc,
                wall,
                count / wall,
                ok.get());
    }

    private static void roundTrips(SharedState state, int count) throws Exception {
        List<Long> cache = new ArrayList<>();
        List<Long> limiter = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String sha = String.format(Locale.ROOT, "%064x", i);
            long t0 = System.nanoTime();
            state.verdicts().get("clamd|bench", sha);
            long t1 = System.nanoTime();
            state.limiter().tryAcquire("conn:192.0.2." + (i % 250), 1_000_000, Duration.ofMinutes(1));
            long t2 = System.nanoTime();
            cache.add(t1 - t0);
            limiter.add(t2 - t1);
        }
        Collections.sort(cache);
        Collections.sort(limiter);
        System.out.printf(
                Locale.ROOT,
                "Redis round trips on loopback (%d each): verdict lookup p50 %.3f ms, p99 %.3f ms;"
                        + " rate-limit token p50 %.3f ms, p99 %.3f ms%n",
                count,
                cache.get(count / 2) / 1e6,
                cache.get(count * 99 / 100) / 1e6,
                limiter.get(count / 2) / 1e6,
                limiter.get(count * 99 / 100) / 1e6);
    }
}
