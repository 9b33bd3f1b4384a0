package org.mailhygiene.benchmarks.spamd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.FileTrees;
import org.mailhygiene.scanners.spamd.SpamdClient;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.testkit.spamd.FakeSpamd;
import org.mailhygiene.testkit.spamd.RealSpamd;

/**
 * Load benchmark: the spamd adapter against {@code spamc} on the same spamd, at concurrency 1 and 4.
 *
 * <p>Four clients send the same message to the same spamd:
 * <ul>
 *   <li>{@code raw}: a minimal in-process socket client (CHECK, write, half-close, read to EOF); this is spamd's own
 *       time plus loopback, the baseline for the adapter's overhead;
 *   <li>{@code adapter-check}: {@link SpamdClient#check(MessageContent)} (same request as {@code spamc -c});
 *   <li>{@code adapter-scan}: {@link SpamdScanner#scan(Message)} with its defaults (REPORT, rules with scores,
 *       failover group);
 *   <li>{@code spamc}: the {@code spamc -c} process per message.
 * </ul>
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.spamd.SpamdVsSpamc
 * [messages-per-run] [HOST:PORT|fake]}; without an address it starts {@code /usr/sbin/spamd} itself (4 children) in
 * a temporary directory and stops it at the end; {@code fake} uses an in-process {@link FakeSpamd}, which answers in
 * microseconds, so that the clients' own per-message cost shows. Prints one line per client and concurrency.
 */
public final class SpamdVsSpamc {
    private SpamdVsSpamc() {}

    /** A client under test. */
    private interface Client {
        void send(byte[] message) throws Exception;
    }

    /**
     * Runs the benchmark.
     *
     * @param args optional message count per run and spamd address
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        RealSpamd started = null;
        FakeSpamd fake = null;
        Path dir = null;
        String address;
        if (args.length > 1 && args[1].equals("fake")) {
            fake = FakeSpamd.start();
            address = fake.address();
        } else if (args.length > 1) {
            address = args[1];
        } else {
            dir = Files.createTempDirectory("spamd-bench-");
            started = RealSpamd.start(Path.of("/usr/sbin/spamd"), dir, 4, List.of());
            address = started.address();
        }
        try {
            run(address, count);
        } finally {
            if (started != null) {
                started.stop();
            }
            if (fake != null) {
                fake.close();
            }
            if (dir != null) {
                FileTrees.deleteTreeQuietly(dir);
            }
        }
    }

    private static void run(String address, int count) throws Exception {
        String host = address.substring(0, address.lastIndexOf(':'));
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        byte[] message = ham();
        SpamdClient client = SpamdClient.builder(address).build();
        SpamdScanner scanner = SpamdScanner.builder().server(address).build();
        MessageContent content = MessageContent.ofBytes(message);
        Message msg = Message.of(content);
        List<String> names = List.of("raw", "adapter-check", "adapter-scan", "spamc");
        List<Client> clients = List.of(
                m -> raw(host, port, m), m -> client.check(content), m -> scanner.scan(msg), m -> spamc(host, port, m));
        System.out.printf(
                Locale.ROOT, "message %d bytes, %d messages per run, spamd %s%n", message.length, count, address);
        System.out.printf(
                Locale.ROOT, "%-14s %3s %9s %9s %9s %9s%n", "client", "c", "msgs/s", "mean ms", "p50 ms", "p90 ms");
        for (int concurrency : new int[] {1, 4}) {
            for (int i = 0; i < clients.size(); i++) {
                measure(clients.get(i), message, 4 * concurrency, concurrency); // warm-up
                double[] r = measure(clients.get(i), message, count, concurrency);
                System.out.printf(
                        Locale.ROOT,
                        "%-14s %3d %9.2f %9.1f %9.1f %9.1f%n",
                        names.get(i),
                        concurrency,
                        r[0],
                        r[1],
                        r[2],
                        r[3]);
            }
        }
    }

    /** Returns msgs/s, mean, p50 and p90 latency in ms. */
    private static double[] measure(Client c, byte[] message, int count, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<Long>> futures = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < count; i++) {
                futures.add(pool.submit(() -> {
                    long t = System.nanoTime();
                    c.send(message);
                    return System.nanoTime() - t;
                }));
            }
            List<Long> lat = new ArrayList<>();
            for (Future<Long> f : futures) {
                lat.add(f.get());
            }
            long wall = System.nanoTime() - start;
            Collections.sort(lat);
            double mean = lat.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            return new double[] {
                count / (wall / 1e9), mean, lat.get(lat.size() / 2) / 1e6, lat.get(lat.size() * 9 / 10) / 1e6
            };
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private static void raw(String host, int port, byte[] message) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(("CHECK SPAMC/1.5\r\nContent-length: " + message.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(message);
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] reply = in.readAllBytes();
            if (reply.length < 20 || reply[0] != 'S') {
                throw new IOException("bad reply");
            }
        }
    }

    private static void spamc(String host, int port, byte[] message) throws Exception {
        Process p = new ProcessBuilder("spamc", "-d", host, "-p", String.valueOf(port), "-c")
                .redirectErrorStream(true)
                .start();
        try (OutputStream out = p.getOutputStream()) {
            out.write(message);
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        p.getInputStream().transferTo(o);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("spamc hung");
        }
        if (o.toString(StandardCharsets.US_ASCII).startsWith("0/0")) {
            throw new IOException("spamc could not reach spamd");
        }
    }

    /** A 5 KB plain ham message, like the anchor measurements in real-daemons.md. */
    private static byte[] ham() {
        StringBuilder sb = new StringBuilder("Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
                + "\tby mx.example.net with ESMTP id 4AB12; Fri, 27 Nov 2026 10:00:00 +0000\r\n"
                + "From: Alice Example <alice@example.org>\r\nTo: Bob Example <bob@example.net>\r\n"
                + "Subject: Minutes of the faculty meeting\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
                + "Message-ID: <20261127.4711.bench@mail.example.org>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        int i = 0;
        while (sb.length() < 5000) {
            sb.append(String.format(
                    Locale.ROOT,
                    "Item %d: we agreed to review the laboratory schedule and the seminar rooms.\r\n",
                    i++));
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
