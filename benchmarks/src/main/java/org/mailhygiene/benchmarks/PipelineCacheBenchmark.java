package org.mailhygiene.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Message;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The scan pipeline with the built-in signature scanner on a 10 KB multipart message: a verdict-cache hit (the same
 * message again, as in a virus storm) against a miss (every message different by one header, so it is digested and
 * scanned). {@code uncached} shows the scan alone, without digesting.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PipelineCacheBenchmark {
    private ScanPipeline cached;
    private ScanPipeline uncached;
    private Message same;
    private byte[] body;
    private final AtomicLong counter = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        body = message();
        same = Message.of(prefixed(0));
        // A cache big enough that misses never evict the hot entry.
        cached = ScanPipeline.builder()
                .scanner(SignatureScanner.create())
                .cache(VerdictCache.builder().maximumSize(1_000_000).build())
                .build();
        uncached = ScanPipeline.builder()
                .scanner(SignatureScanner.create())
                .noCache()
                .build();
        cached.scan(same);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cached.close();
        uncached.close();
    }

    /** A clean 10 KB message: a text part and a base64 attachment. */
    private static byte[] message() {
        byte[] attachment = new byte[5000];
        new Random(42).nextBytes(attachment);
        String b64 = java.util.Base64.getMimeEncoder().encodeToString(attachment);
        String text = "Dear colleague,\r\n" + "the minutes of the meeting are attached.\r\n".repeat(50);
        String msg = "From: a@example.org\r\nTo: b@example.ac.jp\r\nSubject: minutes\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                + text + "\r\n--b\r\nContent-Type: application/octet-stream; name=\"minutes.bin\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
        return msg.getBytes(StandardCharsets.US_ASCII);
    }

    private byte[] prefixed(long n) {
        byte[] header = ("X-Seq: " + n + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[header.length + body.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    @Benchmark
    public ScanReport cacheHit() throws InterruptedException {
        return cached.scan(same);
    }

    @Benchmark
    public ScanReport cacheMiss() throws InterruptedException {
        return cached.scan(Message.of(prefixed(counter.incrementAndGet())));
    }

    @Benchmark
    public ScanReport uncached() throws InterruptedException {
        return uncached.scan(Message.of(prefixed(counter.incrementAndGet())));
    }
}
