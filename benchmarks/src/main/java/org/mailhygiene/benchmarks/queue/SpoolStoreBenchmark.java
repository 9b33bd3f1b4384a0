package org.mailhygiene.benchmarks.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.FileTrees;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.Spool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Durable spool stores per second: every store writes and forces the message file and the envelope record, renames
 * both and forces the queue directory. {@code groupCommit=true} shares directory forces between concurrent stores;
 * {@code false} forces the directory once per store. Run with {@code -t 1} and {@code -t 8} (threads = concurrent SMTP
 * sessions). The spool directory is under {@code java.io.tmpdir} (set {@code -Djava.io.tmpdir} to the disk to
 * measure).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SpoolStoreBenchmark {
    @Param({"true", "false"})
    public boolean groupCommit;

    @Param({"1024", "10240"})
    public int size;

    private Path dir;
    private Spool spool;
    private MessageContent content;
    private final Envelope envelope = Envelope.of("sender@example.org", List.of("rcpt@example.net"));

    @Setup(Level.Iteration)
    public void open() throws IOException {
        dir = Files.createTempDirectory("spool-bench");
        spool = Spool.builder(dir).groupCommit(groupCommit).build();
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) ((i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : 'a' + i % 26);
        }
        content = MessageContent.ofBytes(body);
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        spool.close();
        FileTrees.deleteTree(dir);
    }

    @Benchmark
    public QueueId store() throws IOException {
        return spool.store(envelope, content).id();
    }
}
