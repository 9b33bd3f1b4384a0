package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * The {@code clamdscan} profile against a real clamd started here on a private Unix socket (no TCP port), with a
 * generated signature database; clamd is killed after the class.
 */
class ClamdscanProfileTest {

    @TempDir
    static Path root;

    static Process clamd;
    static Path conf;
    static Path clamdscan;

    @BeforeAll
    static void startClamd() throws Exception {
        Path clamdBin = RealBinaries.require("clamd", "clamav-daemon");
        clamdscan = RealBinaries.require("clamdscan", "clamdscan");
        Path db = Files.createDirectory(root.resolve("db"));
        Files.writeString(
                db.resolve("test.ndb"),
                ClamscanProfileTest.ndb("MailHygiene.Test.Eicar", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"));
        Path socket = root.resolve("clamd.sock");
        Files.createDirectory(root.resolve("clamd-tmp"));
        conf = Files.writeString(
                root.resolve("clamd.conf"),
                "DatabaseDirectory " + db + "\n"
                        + "LocalSocket " + socket + "\n" + "Foreground yes\n" + "LogFile " + root.resolve("clamd.log")
                        + "\n"
                        + "TemporaryDirectory " + root.resolve("clamd-tmp") + "\n" + "SelfCheck 0\n");
        clamd = new ProcessBuilder(clamdBin.toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("clamd.out").toFile())
                .start();
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!ping(socket)) {
            if (!clamd.isAlive() || System.nanoTime() > until) {
                throw new IllegalStateException("clamd did not start: " + Files.readString(root.resolve("clamd.out")));
            }
            Thread.sleep(50);
        }
    }

    private static boolean ping(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("zPING\0".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.allocate(16);
            ch.read(b);
            return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).startsWith("PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void stopClamd() {
        if (clamd != null) {
            ProcessRunner.killTree(clamd.toHandle());
        }
    }

    private static CommandLineScanner scanner(Path config) {
        return CommandLineScanner.builder(Profiles.clamdscan().withLeadingArguments(List.of("-c", config.toString())))
                .executable(clamdscan)
                .build();
    }

    @Test
    void cleanAndInfected() throws Exception {
        CommandLineScanner s = scanner(conf);
        assertThat(s.scan(TestMessages.text("hello")).outcome()).isEqualTo(Outcome.CLEAN);
        Verdict v = s.scan(TestMessages.eicar());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("MailHygiene.Test.Eicar.UNOFFICIAL");
    }

    @Test
    void noDaemonIsAScannerErrorNotClean() throws IOException {
        Path other = Files.writeString(
                root.resolve("nowhere.conf"), "LocalSocket " + root.resolve("nobody-listens.sock") + "\n");
        assertThatThrownBy(() -> scanner(other).scan(TestMessages.text("hello")))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
                    assertThat(e.failure().detail()).contains("exit status 2").contains("Could not connect");
                });
    }
}
