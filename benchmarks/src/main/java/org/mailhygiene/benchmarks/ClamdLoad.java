package org.mailhygiene.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.testkit.clamd.RealClamd;

/**
 * Load benchmark for the clamd adapter: the same clamd is driven by (1) {@link ClamdScanner}, (2) a minimal
 * raw-socket INSTREAM client (blocking {@link Socket}, one connection per scan, 64 KiB chunks), (3) the same raw client
 * keeping one IDSESSION connection per thread (connection reuse), and (4) {@code clamdscan --stream} run once per
 * message. Messages are 10 KB and 1 MB mails with a unique header each (clamd caches clean results by hash), at
 * concurrency 1 and 8. Each cell runs a warm-up and then a timed window; every reply is checked to be
 * {@code stream: OK}.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.ClamdLoad [seconds-per-cell]
 * [clients] [sizes] [concurrencies] [rounds]} where clients is a comma list of
 * {@code adapter,raw,raw-session,clamdscan} (default all), sizes of {@code 10KB,1MB}, concurrencies of {@code 1,8}
 * (the defaults), and rounds repeats the whole grid (default 1; ratios use the mean rate). It starts its
 * own clamd from {@code /usr/sbin/clamd} (StreamMaxLength 25M, MaxThreads 8) and stops it at the end.
 */
public final class ClamdLoad {
    private static final AtomicLong UNIQUE = new AtomicLong();

    private ClamdLoad() {}

    /**
     * Runs the benchmark and prints a Markdown table.
     *
     * @param args optional seconds per cell and client list
     * @throws Exception on setup failure
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> clients = args.length > 1
                ? Arrays.asList(args[1].split(","))
                : List.of("adapter", "raw", "raw-session", "clamdscan");
        Path clamdBin = Path.of("/usr/sbin/clamd");
        try (RealClamd clamd = RealClamd.builder(clamdBin).maxThreads(8).start()) {
            System.out.println("clamd " + clamd + ", " + seconds + " s per cell, "
                    + Runtime.getRuntime().availableProcessors() + " CPUs");
            List<String> sizes = args.length > 2 ? Arrays.asList(args[2].split(",")) : List.of("10KB", "1MB");
            List<Integer> concurrencies = args.length > 3
                    ? Arrays.stream(args[3].split(",")).map(Integer::valueOf).toList()
                    : List.of(1, 8);
            int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
            Map<String, byte[]> bodies = new LinkedHashMap<>();
            if (sizes.contains("10KB")) {
                bodies.put("10KB", body(10 * 1024));
            }
            if (sizes.contains("1MB")) {
                bodies.put("1MB", body(1024 * 1024));
            }
            System.out.println("| size | conc | client | scans/s | p50 ms | p99 ms | client CPU us/scan |");
            System.out.println("|---|---|---|---|---|---|---|");
            Map<String, Double> rates = new LinkedHashMap<>();
            // JIT warm-up of every client before anything is measured (the first seconds of a JVM are not its speed).
            for (String client : clients) {
                run(clamd, client, bodies.values().iterator().next(), 1, Math.max(3, seconds));
            }
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, byte[]> b : bodies.entrySet()) {
                    for (int conc : concurrencies) {
                        for (String client : clients) {
                            Result r = run(clamd, client, b.getValue(), conc, seconds);
                            rates.merge(b.getKey() + "/" + conc + "/" + client, r.rate / rounds, Double::sum);
                            System.out.printf(
                                    Locale.ROOT,
                                    "| %s | %d | %s | %.1f | %.2f | %.2f | %.0f |%n",
                                    b.getKey(),
                                    conc,
                                    client,
                                    r.rate,
                                    r.p50,
                                    r.p99,
                                    r.cpuMicrosPerScan);
                        }
                    }
                }
            }
            System.out.println();
            System.out.println("Ratios of mean scans/s over " + rounds + " round(s):");
            System.out.println();
            System.out.println("| size | conc | adapter/raw | adapter/raw-session | adapter/clamdscan |");
            System.out.println("|---|---|---|---|---|");
            for (String size : bodies.keySet()) {
                for (int conc : concurrencies) {
                    String k = size + "/" + conc + "/";
                    Double a = rates.get(k + "adapter");
                    System.out.printf(
                            Locale.ROOT,
                            "| %s | %d | %s | %s | %s |%n",
                            size,
                            conc,
                            ratio(a, rates.get(k + "raw")),
                            ratio(a, rates.get(k + "raw-session")),
                            ratio(a, rates.get(k + "clamdscan")));
                }
            }
        }
    }

    private static String ratio(Double a, Double b) {
        return a == null || b == null || b == 0 ? "-" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    /** A mail body of about {@code size} bytes: a text part and a base64 attachment of random bytes. */
    static byte[] body(int size) {
        Random rnd = new Random(42);
        byte[] data = new byte[Math.max(16, (size - 600) * 3 / 4)];
        rnd.nextBytes(data);
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(data);
        String m = "From: bench@example.org\r\nTo: rcpt@example.com\r\nSubject: load\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                + "Benchmark message.\r\n--b\r\nContent-Type: application/octet-stream; name=\"r.bin\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }

    /** The body with a unique first header, so clamd's clean cache never answers. */
    static byte[] unique(byte[] body) {
        byte[] h = ("X-Bench-Id: " + UNIQUE.incrementAndGet() + "-" + System.nanoTime() + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] m = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, m, h.length, body.length);
        return m;
    }

    record Result(double rate, double p50, double p99, double cpuMicrosPerScan) {}

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    interface Client extends AutoCloseable {
        void scan(byte[] message) throws Exception;

        @Override
        default void close() {}
    }

    static Client client(RealClamd clamd, String name) throws IOException {
        switch (name) {
            case "adapter": {
                ClamdScanner s =
                        ClamdScanner.builder().address(clamd.tcpAddress()).build();
                return m -> {
                    Verdict v = s.scan(Message.of(m));
                    if (v.outcome() != Outcome.CLEAN) {
                        throw new IllegalStateException("unexpected " + v);
                    }
                };
            }
            case "raw":
                return m -> check(rawScan(clamd.port(), m));
            case "raw-session":
                return new SessionClient(clamd.port());
            case "clamdscan": {
                Path dir = Files.createTempDirectory("clamdscan-bench");
                return new Client() {
                    @Override
                    public void scan(byte[] m) throws Exception {
                        Path f = Files.createTempFile(dir, "m", ".eml");
                        try {
                            Files.write(f, m);
                            Process p = new ProcessBuilder(
                                            "clamdscan",
                                            "-c",
                                            clamd.configFile().toString(),
                                            "--stream",
                                            "--no-summary",
                                            "--quiet",
                                            f.toString())
                                    .redirectErrorStream(true)
                                    .start();
                            p.getInputStream().readAllBytes();
                            int exit = p.waitFor();
                            if (exit != 0) {
                                throw new IllegalStateException("clamdscan exit " + exit);
                            }
                        } finally {
                            Files.deleteIfExists(f);
                        }
                    }

                    @Override
                    public void close() {
                        try {
                            Files.deleteIfExists(dir);
                        } catch (IOException ignored) {
                            // best effort
                        }
                    }
                };
            }
            default:
                throw new IllegalArgumentException("unknown client " + name);
        }
    }

    static void check(String reply) {
        if (!reply.endsWith("stream: OK")) {
            throw new IllegalStateException("unexpected reply " + reply);
        }
    }

    /** The minimal raw client: blocking socket, one connection, 64 KiB chunks, read to NUL. */
    static String rawScan(int port, byte[] m) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            writeInstream(out, m);
            return readReply(s.getInputStream());
        }
    }

    static void writeInstream(OutputStream out, byte[] m) throws IOException {
        DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(out, 65536 + 64));
        d.write("zINSTREAM\0".getBytes(StandardCharsets.US_ASCII));
        for (int off = 0; off < m.length; off += 65536) {
            int n = Math.min(65536, m.length - off);
            d.writeInt(n);
            d.write(m, off, n);
        }
        d.writeInt(0);
        d.flush();
    }

    static String readReply(InputStream in) throws IOException {
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        byte[] buf = new byte[256];
        int n;
        while ((n = in.read(buf)) > 0) {
            int nul = -1;
            for (int i = 0; i < n; i++) {
                if (buf[i] == 0) {
                    nul = i;
                    break;
                }
            }
            if (nul >= 0) {
                r.write(buf, 0, nul);
                break;
            }
            r.write(buf, 0, n);
        }
        return r.toString(StandardCharsets.US_ASCII);
    }

    /** One IDSESSION connection per thread, one command in flight; reconnects when clamd closes it. */
    static final class SessionClient implements Client {
        private final int port;
        private final ThreadLocal<Socket> socket = new ThreadLocal<>();
        private final List<Socket> all = new ArrayList<>();

        SessionClient(int port) {
            this.port = port;
        }

        @Override
        public void scan(byte[] m) throws IOException {
            for (int attempt = 0; ; attempt++) {
                Socket s = socket.get();
                try {
                    if (s == null) {
                        s = new Socket(InetAddress.getLoopbackAddress(), port);
                        s.setSoTimeout(30_000);
                        s.setTcpNoDelay(true);
                        s.getOutputStream().write("zIDSESSION\0".getBytes(StandardCharsets.US_ASCII));
                        socket.set(s);
                        synchronized (all) {
                            all.add(s);
                        }
                    }
                    writeInstream(s.getOutputStream(), m);
                    check(readReply(s.getInputStream()));
                    return;
                } catch (IOException e) {
                    socket.remove();
                    if (s != null) {
                        s.close();
                    }
                    if (attempt > 0) {
                        throw e;
                    }
                }
            }
        }

        @Override
        public void close() {
            synchronized (all) {
                for (Socket s : all) {
                    try {
                        s.getOutputStream().write("zEND\0".getBytes(StandardCharsets.US_ASCII));
                        s.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }
    }

    static Result run(RealClamd clamd, String name, byte[] body, int conc, int seconds) throws Exception {
        try (Client c = client(clamd, name)) {
            long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, seconds / 3));
            long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService pool = Executors.newFixedThreadPool(conc);
            AtomicLong scans = new AtomicLong();
            long cpu0 = processCpuNanos();
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int i = 0; i < conc; i++) {
                futures.add(pool.submit(() -> {
                    List<Long> lat = new ArrayList<>();
                    while (true) {
                        byte[] m = unique(body);
                        long t0 = System.nanoTime();
                        if (t0 >= end) {
                            return lat;
                        }
                        c.scan(m);
                        scans.incrementAndGet();
                        long t1 = System.nanoTime();
                        if (t0 >= warmEnd && t1 <= end) {
                            lat.add(t1 - t0);
                        }
                    }
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> f : futures) {
                all.addAll(f.get());
            }
            long cpu = processCpuNanos() - cpu0;
            pool.shutdown();
            all.sort(null);
            double rate = all.size() / (double) Duration.ofSeconds(seconds).toNanos() * 1e9;
            double p50 = all.isEmpty() ? 0 : all.get(all.size() / 2) / 1e6;
            double p99 = all.isEmpty() ? 0 : all.get(Math.min(all.size() - 1, (int) (all.size() * 0.99))) / 1e6;
            return new Result(rate, p50, p99, cpu / 1e3 / Math.max(1, scans.get()));
        }
    }
}
