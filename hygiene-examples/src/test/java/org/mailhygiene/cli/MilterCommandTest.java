package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.stats.Counter;
import org.mailhygiene.smtp.stats.DailyCounts;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.milter.MilterClient;
import org.mailhygiene.testkit.milter.MilterResult;

/** {@code hygiene milter}: options, --config, and a real run in a child JVM driven by the testkit's MTA client. */
class MilterCommandTest {
    @TempDir
    Path dir;

    @Test
    void needsAScannerOrAConfigAndAListenAddress() {
        Run r = Run.main("milter", "--listen", "127.0.0.1:0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("choose at least one scanner");
        r = Run.main("milter", "--builtin");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--listen HOST:PORT is required");
        r = Run.main("milter", "--builtin", "--listen", "localhost:25");
        assertThat(r.err()).contains("--listen expects IP:PORT");
        assertThat(Run.main("help", "milter").out()).contains("smtpd_milters = inet:HOST:PORT");
    }

    @Test
    void checkValidatesTheConfigurationFile() throws Exception {
        Path good = dir.resolve("milter.conf");
        Files.writeString(
                good,
                "name = m1\nlisten = 127.0.0.1:8891\ndata = data\nscanner = builtin\nspam-tag = [SPAM]\n"
                        + "virus-action = quarantine\nstats-flush = 2s\n");
        Run r = Run.main("milter", "--config", good.toString(), "--check");
        assertThat(r.status()).as(r.err()).isZero();
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "scanner = builtin\nroute = example.org:127.0.0.1\n");
        r = Run.main("milter", "--config", bad.toString(), "--check");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("bad.conf line 2").contains("route");
    }

    @Test
    void runsUntilSigtermScanningWithStatisticsForTheReport() throws Exception {
        Path conf = dir.resolve("milter.conf");
        Files.writeString(conf, "name = milter-t\nlisten = 127.0.0.1:0\ndata = data\nscanner = builtin\n");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "milter",
                        "--config",
                        conf.toString())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as(Files.readString(dir.resolve("stderr.txt"))).startsWith("milter inet:127.0.0.1:");
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                MilterResult virus =
                        mta.send("s@example.net", List.of("u@example.test"), SampleMessages.eicarAttachment());
                assertThat(virus.smtpReply()).contains("554 5.7.1 Virus found: Eicar-Test-Signature");
                byte[] gtube = SampleMessages.gtube();
                MilterResult spam = mta.send("s@example.net", List.of("u@example.test"), gtube);
                assertThat(spam.header(gtube, "Subject"))
                        .hasValueSatisfying(s -> assertThat(s).startsWith("[SPAM] "));
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.clean())
                                .accepted())
                        .isTrue();
            }
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("exited after SIGTERM")
                    .isTrue();
        } finally {
            p.destroyForcibly();
        }
        DailyCounts today = NodeStatistics.readDirectory(dir.resolve("data").resolve("stats"))
                .get(0);
        assertThat(today.get(Counter.RECEIVED)).isEqualTo(2);
        assertThat(today.viruses()).containsKey("Eicar-Test-Signature");
        assertThat(Files.readString(dir.resolve("stderr.txt")))
                .contains("milter-t id=")
                .contains("disposition=REJECT");
        Run report = Run.main("report", "--data", dir.resolve("data").toString(), "--html", "-");
        assertThat(report.status()).as(report.err()).isZero();
        assertThat(report.out()).contains("Eicar-Test-Signature");
    }
}
