package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * Crash test: a relay process is killed with SIGKILL while thousands of messages flow through it, then restarted on
 * the same spool. Every message that got a 250 must arrive downstream (duplicates of messages in flight are allowed).
 */
class RelayCrashIT {
    private static final Pattern SEQ = Pattern.compile("X-Seq: (\\d+)");
    private static final int SENDERS = 8;
    private static final int TOTAL = 3000;
    private static final int KILL_AFTER = 1200;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private SmtpSink sink;

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (sink != null) {
            sink.close();
        }
    }

    private record Started(Process process, int port) {}

    private Started startRelay(String name) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(
                java.toString(),
                "-Xmx256m",
                "-cp",
                cp,
                "org.mailhygiene.smtp.RelayMain",
                "--spool",
                dir.resolve("spool").toString(),
                "--quarantine",
                dir.resolve("quarantine").toString(),
                "--routes",
                ":127.0.0.1:" + sink.port(),
                "--accept",
                "example.org",
                "--hostname",
                "crash.example.test");
        pb.redirectError(dir.resolve(name + ".log").toFile());
        Process p = pb.start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("LISTENING ")) {
                return new Started(p, Integer.parseInt(line.substring(10).trim()));
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        throw new IOException("relay did not start: " + Files.readString(dir.resolve(name + ".log")));
    }

    private static byte[] message(int seq) {
        return ("From: load@example.net\r\nTo: user@example.org\r\nSubject: load " + seq + "\r\nX-Seq: " + seq
                        + "\r\n\r\n" + "body line of the crash test message\r\n".repeat(25))
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends messages first..last-1 with SENDERS threads; records the sequence numbers that got a 250. */
    private void load(int port, int first, int last, Set<Integer> acked, Runnable afterEach) throws Exception {
        AtomicInteger next = new AtomicInteger(first);
        ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
        for (int t = 0; t < SENDERS; t++) {
            pool.execute(() -> {
                int seq;
                while ((seq = next.getAndIncrement()) < last) {
                    try (RelayTestClient c = new RelayTestClient(port)) {
                        String r = c.send("load@example.net", List.of("user@example.org"), message(seq));
                        if (r.startsWith("250")) {
                            acked.add(seq);
                        }
                    } catch (IOException dead) {
                        // no 250: the message is the client's to retry, not ours
                    }
                    afterEach.run();
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void everyAcknowledgedMessageArrivesAfterSigkill() throws Exception {
        sink = SmtpSink.start();
        long t0 = System.nanoTime();
        Set<Integer> acked = ConcurrentHashMap.newKeySet();
        Started first = startRelay("relay1");
        AtomicInteger killed = new AtomicInteger();
        load(first.port(), 0, TOTAL, acked, () -> {
            if (acked.size() >= KILL_AFTER && killed.compareAndSet(0, 1)) {
                first.process().destroyForcibly(); // SIGKILL on Linux: no shutdown hook runs
            }
        });
        assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.process().exitValue()).as("killed by SIGKILL").isEqualTo(137);
        int ackedBeforeCrash = acked.size();
        assertThat(ackedBeforeCrash).isGreaterThanOrEqualTo(KILL_AFTER).isLessThan(TOTAL);

        long t1 = System.nanoTime();
        Started second = startRelay("relay2");
        load(second.port(), TOTAL, TOTAL + 500, acked, () -> {});

        long t2 = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Set<Integer> delivered = Set.of();
        int copies = 0;
        while (System.nanoTime() < deadline) {
            List<SinkMessage> got = sink.messages();
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            for (SinkMessage m : got) {
                Matcher x = SEQ.matcher(new String(m.data(), StandardCharsets.US_ASCII));
                if (x.find()) {
                    seen.add(Integer.parseInt(x.group(1)));
                }
            }
            delivered = seen;
            copies = got.size();
            if (delivered.containsAll(acked)) {
                break;
            }
            Thread.sleep(200);
        }
        Set<Integer> missing = new java.util.TreeSet<>(acked);
        missing.removeAll(delivered);
        assertThat(missing).as("acknowledged but never delivered").isEmpty();
        System.out.printf(
                "crash test: %d acknowledged before SIGKILL, %d in total, %d delivered copies "
                        + "(%d duplicates); phases %d ms, %d ms, %d ms%n",
                ackedBeforeCrash,
                acked.size(),
                copies,
                copies - delivered.size(),
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                (System.nanoTime() - t2) / 1_000_000);
    }
}
