package org.mailhygiene.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.FileTrees;
import org.mailhygiene.scanners.cli.CommandLineScanner;
import org.mailhygiene.scanners.cli.CommandProfile;
import org.mailhygiene.scanners.cli.ExitClass;
import org.mailhygiene.scanners.cli.ExitStatusRule;
import org.mailhygiene.scanners.cli.InputMode;
import org.mailhygiene.scanners.cli.Profiles;
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
 * Per-scan cost of {@link CommandLineScanner} against running the program directly with {@link ProcessBuilder} on a
 * file already on disk: {@code /bin/true} isolates the adapter's own overhead (private directory, writing the message,
 * output reader, clean-up); {@code clamscan} (with a one-signature database in a temporary directory) shows it next to
 * a real scanner's start-up. The {@code ...Shm} variants put the adapter's private directories on tmpfs
 * ({@code /dev/shm}) instead of {@code java.io.tmpdir}. Needs {@code /usr/bin/clamscan}. One thread; a 10 KB message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CommandLineScannerBenchmark {
    private Path root;
    private Path file;
    private Message message;
    private List<String> clamscanDirect;
    private CommandLineScanner clamscanAdapter;
    private CommandLineScanner trueAdapter;
    private CommandLineScanner clamscanAdapterShm;
    private CommandLineScanner trueAdapterShm;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        root = Files.createTempDirectory("cli-bench-");
        Path db = Files.createDirectory(root.resolve("db"));
        Files.writeString(
                db.resolve("t.ndb"),
                "Bench.Eicar:0:*:"
                        + HexFormat.of()
                                .formatHex("EICAR-STANDARD-ANTIVIRUS-TEST-FILE".getBytes(StandardCharsets.US_ASCII))
                        + "\n");
        StringBuilder body = new StringBuilder("From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n");
        while (body.length() < 10_000) {
            body.append("The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.US_ASCII);
        message = Message.of(bytes);
        file = Files.write(root.resolve("message.eml"), bytes);
        clamscanDirect = List.of("/usr/bin/clamscan", "-d", db.toString(), "--no-summary", "--stdout", file.toString());
        clamscanAdapter = CommandLineScanner.builder(
                        Profiles.clamscan().withLeadingArguments(List.of("-d", db.toString())))
                .executable(Path.of("/usr/bin/clamscan"))
                .build();
        CommandProfile trueProfile = new CommandProfile(
                "true",
                "/bin/true",
                List.of(CommandProfile.FILES),
                InputMode.MESSAGE,
                List.of(ExitStatusRule.of(0, ExitClass.CLEAN, "ok")),
                List.of(java.util.regex.Pattern.compile("(x)")),
                List.of());
        trueAdapter = CommandLineScanner.builder(trueProfile).build();
        Path shm = Path.of("/dev/shm");
        trueAdapterShm =
                CommandLineScanner.builder(trueProfile).temporaryDirectory(shm).build();
        clamscanAdapterShm = CommandLineScanner.builder(
                        Profiles.clamscan().withLeadingArguments(List.of("-d", db.toString())))
                .executable(Path.of("/usr/bin/clamscan"))
                .temporaryDirectory(shm)
                .build();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        FileTrees.deleteTree(root);
    }

    private static int direct(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @Benchmark
    public int trueDirect() throws Exception {
        return direct(List.of("/bin/true", file.toString()));
    }

    @Benchmark
    public Verdict trueAdapter() throws Exception {
        return trueAdapter.scan(message);
    }

    @Benchmark
    public int clamscanDirect() throws Exception {
        return direct(clamscanDirect);
    }

    @Benchmark
    public Verdict clamscanAdapter() throws Exception {
        return clamscanAdapter.scan(message);
    }

    @Benchmark
    public Verdict trueAdapterShm() throws Exception {
        return trueAdapterShm.scan(message);
    }

    @Benchmark
    public Verdict clamscanAdapterShm() throws Exception {
        return clamscanAdapterShm.scan(message);
    }
}
