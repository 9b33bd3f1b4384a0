package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.junit.RealBinaries;

/** Postfix's smtp-source feeds the assembled relay, which delivers to Postfix's smtp-sink: real programs both sides. */
class RelayRealProgramsTest {
    private static final Pattern MESSAGES = Pattern.compile("mesg=(\\d+)");

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Process sink;

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (sink != null) {
            sink.destroy();
            if (!sink.waitFor(10, TimeUnit.SECONDS)) {
                sink.destroyForcibly();
            }
        }
    }

    /**
     * Starts smtp-sink on a free port and returns the port once this sink (known by a greeting name of its own)
     * answers there. The port is found free and released before smtp-sink binds it: another process (the suite run
     * twice at once) can take it in between, and then smtp-sink exits ("Address already in use") while the relay
     * would deliver to the other process. Such an attempt is retried on another port.
     */
    private int startSink(Path sinkBin, Path sinkOut, String... options) throws Exception {
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            String name = "sink-" + java.util.UUID.randomUUID() + ".example";
            List<String> cmd = new ArrayList<>(List.of(sinkBin.toString()));
            if ("root".equals(System.getProperty("user.name"))) {
                cmd.addAll(List.of("-u", "postfix")); // smtp-sink refuses to run as root without it
            }
            cmd.addAll(List.of(options));
            cmd.addAll(List.of("-h", name, "-c", "127.0.0.1:" + port, "100"));
            sink = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(sinkOut.toFile())
                    .start();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (sink.isAlive() && System.nanoTime() < end) {
                if (greets(port, name)) {
                    return port;
                }
                Thread.sleep(20);
            }
            sink.destroy();
            sink.waitFor(10, TimeUnit.SECONDS);
            String out = Files.readString(sinkOut, StandardCharsets.ISO_8859_1);
            if (attempt == 5 || !out.contains("in use")) {
                throw new AssertionError("smtp-sink did not start on 127.0.0.1:" + port + ": " + out);
            }
        }
    }

    /** Whether the SMTP server on {@code port} greets with {@code name}. */
    private static boolean greets(int port, String name) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            String greeting = in.readLine();
            s.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            return greeting != null && greeting.startsWith("220 " + name);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts a relay for {@code example.org} with the signature scanner, delivering everything to the sink. */
    private Relay startRelay(Spool spool, int sinkPort) throws Exception {
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        closeables.add(pipeline);
        Relay relay = Relay.builder()
                .server(b ->
                        b.port(0).hostname("relay.example.test").acceptedDomains(AcceptedDomains.of("example.org")))
                .delivery(b -> b.hostname("relay.example.test"))
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(Quarantine.builder(dir.resolve("quarantine")).build())
                .router(StaticRouter.parse(":127.0.0.1:" + sinkPort))
                .build();
        closeables.add(relay);
        relay.start();
        return relay;
    }

    private int sinkCount(Path out) throws Exception {
        Matcher m = MESSAGES.matcher(Files.readString(out, StandardCharsets.ISO_8859_1));
        int last = 0;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    @Test
    void smtpSourceThroughTheRelayToSmtpSink() throws Exception {
        Path source = RealBinaries.require("smtp-source", "postfix");
        Path sinkBin = RealBinaries.require("smtp-sink", "postfix");
        Path sinkOut = dir.resolve("sink.out");
        int sinkPort = startSink(sinkBin, sinkOut);

        Spool spool = Spool.open(dir.resolve("spool"));
        closeables.add(spool);
        Relay relay = startRelay(spool, sinkPort);

        Process p = new ProcessBuilder(
                        source.toString(),
                        "-s",
                        "5",
                        "-m",
                        "100",
                        "-l",
                        "4096",
                        "-f",
                        "a@example.net",
                        "-t",
                        "u@example.org",
                        "127.0.0.1:" + relay.port())
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isZero();

        int received = Await.value(
                Duration.ofSeconds(120), "smtp-sink counted 100 messages", () -> sinkCount(sinkOut), n -> n >= 100);
        assertThat(received).isEqualTo(100);
        // the last completions are recorded after the sink's 250
        Await.until("every message delivered and completed", () -> spool.size() == 0);
    }

    /**
     * A {@code Return-Path} field the client sent (one plain, one folded over two lines) does not reach the next hop:
     * a final delivery writes it from the envelope (RFC 5321 4.4), and Postfix's cleanup drops a sender's. The rest
     * of the message passes as it was: the other fields, a {@code Return-Path} line in the body. Sent with swaks,
     * delivered to smtp-sink, which writes what it received to a file. Until session 55 both fields went on.
     */
    @Test
    void aSendersReturnPathFieldIsNotPassedOn() throws Exception {
        Path swaks = RealBinaries.require("swaks", "swaks");
        Path sinkBin = RealBinaries.require("smtp-sink", "postfix");
        Path dumps = Files.createDirectories(dir.resolve("dumps"));
        // smtp-sink writes as the user it switched to (postfix, when the test runs as root)
        dir.toFile().setExecutable(true, false);
        dumps.toFile().setWritable(true, false);
        dumps.toFile().setExecutable(true, false);
        int sinkPort = startSink(sinkBin, dir.resolve("sink.out"), "-d", dumps + "/%M.");

        Spool spool = Spool.open(dir.resolve("spool"));
        closeables.add(spool);
        Relay relay = startRelay(spool, sinkPort);

        Path message = Files.writeString(
                dir.resolve("m.eml"),
                "Return-Path: <forged@evil.example>\r\n"
                        + "From: a@example.net\r\n"
                        + "RETURN-PATH :\r\n <second@evil.example>\r\n"
                        + "Subject: hello\r\n"
                        + "\r\n"
                        + "Return-Path: <in-the-body@example.net>\r\n"
                        + "text\r\n",
                StandardCharsets.US_ASCII);
        Process p = new ProcessBuilder(
                        swaks.toString(),
                        "--server",
                        "127.0.0.1:" + relay.port(),
                        "--from",
                        "a@example.net",
                        "--to",
                        "u@example.org",
                        "--data",
                        "@" + message)
                .redirectErrorStream(true)
                .start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(said).isZero();

        String got = Await.value(
                Duration.ofSeconds(60),
                "smtp-sink wrote the whole message",
                () -> {
                    try (java.util.stream.Stream<Path> files = Files.list(dumps)) {
                        Optional<Path> f = files.findFirst();
                        return f.isEmpty() ? "" : Files.readString(f.get(), StandardCharsets.ISO_8859_1);
                    }
                },
                text -> text.contains("\ntext\n")); // the file is there before its text is
        String header = got.substring(0, got.indexOf("\n\n") + 1);
        assertThat(header.toLowerCase(java.util.Locale.ROOT)).doesNotContain("return-path");
        assertThat(header).doesNotContain("evil.example").contains("\nFrom: a@example.net\n", "\nSubject: hello\n");
        assertThat(got).contains("\n\nReturn-Path: <in-the-body@example.net>\ntext\n");
    }
}
