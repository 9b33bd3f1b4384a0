package org.mailhygiene.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Placeholder that proves the JMH build works; replace with real benchmarks. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PlaceholderBenchmark {
    private final String line = "220 localhost ESMTP ready";

    @Benchmark
    public int replyCode() {
        return Integer.parseInt(line.substring(0, 3));
    }

    @Benchmark
    public byte[] encodeLine() {
        return line.getBytes(StandardCharsets.US_ASCII);
    }
}
