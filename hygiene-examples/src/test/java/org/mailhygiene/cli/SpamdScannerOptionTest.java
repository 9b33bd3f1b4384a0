package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.testkit.spamd.FakeSpamd;
import org.mailhygiene.testkit.spamd.Fault;

/** {@code hygiene scan --spamd HOST:PORT}, in-process, against FakeSpamd. */
@SuppressWarnings("deprecation") // the per-connection fault API on purpose: one client per test
class SpamdScannerOptionTest {

    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    @Test
    void printsScoreThresholdAndRulesAndFailsOverAcrossRepeatedFlags(@TempDir Path dir) throws Exception {
        Path spam = dir.resolve("spam.eml");
        Path ham = dir.resolve("ham.eml");
        Files.writeString(spam, "Subject: x\r\n\r\ncheap pills\r\n", StandardCharsets.US_ASCII);
        Files.writeString(ham, "Subject: y\r\n\r\nthe minutes\r\n", StandardCharsets.US_ASCII);
        String dead = "127.0.0.1:" + deadPort();
        try (FakeSpamd fake = FakeSpamd.start()) {
            fake.script("cheap pills", 7.5, Rule.of("PILLS", 5.5, "pills"), Rule.of("CHEAP", 2.0, "cheap"));
            Run r = Run.main("scan", "--spamd", dead, "--spamd", fake.address(), spam.toString(), ham.toString());
            assertThat(r.outLines()).containsExactly(spam + ": SPAM 7.5/5.0 [PILLS,CHEAP]", ham + ": OK");
            assertThat(r.status()).isEqualTo(1);

            Run comma = Run.main("scan", "--spamd=" + dead + "," + fake.address(), ham.toString());
            assertThat(comma.outLines()).containsExactly(ham + ": OK");
            assertThat(comma.status()).isZero();

            fake.failAll(Fault.close());
            Run down = Run.main("scan", "--spamd", fake.address(), ham.toString());
            assertThat(down.out()).startsWith(ham + ": ERROR").contains("UNAVAILABLE");
            assertThat(down.status()).isEqualTo(2);
        }
    }

    /**
     * Session 43: one file whose scan failed (spamd restarted mid-scan, a reset connection) made a lone spamd "all
     * members are down" for the next 30 s, doubling, so every later file of the run was an error although spamd
     * answered again; a lone clamd is tried again for each file since an audit of session 40. A lone spamd now is too.
     */
    @Test
    void aLoneSpamdIsTriedAgainForTheNextFile(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("a.eml");
        Path second = dir.resolve("b.eml");
        Files.writeString(first, "Subject: a\r\n\r\nhello\r\n", StandardCharsets.US_ASCII);
        Files.writeString(second, "Subject: b\r\n\r\nhello again\r\n", StandardCharsets.US_ASCII);
        try (FakeSpamd fake = FakeSpamd.start()) {
            fake.enqueue(FakeSpamd.Method.REPORT, org.mailhygiene.testkit.server.Fault.close());
            Run r = Run.main("scan", "--spamd", fake.address(), first.toString(), second.toString());
            assertThat(r.outLines()).hasSize(2);
            assertThat(r.outLines().get(0)).startsWith(first + ": ERROR ").contains("UNAVAILABLE");
            assertThat(r.outLines().get(1)).isEqualTo(second + ": OK");
            assertThat(r.status()).isEqualTo(2);
        }
        // a group still skips the member that failed: the next file goes to the other one
        try (FakeSpamd a = FakeSpamd.start();
                FakeSpamd b = FakeSpamd.start()) {
            a.enqueue(FakeSpamd.Method.REPORT, org.mailhygiene.testkit.server.Fault.close());
            Run r = Run.main("scan", "--spamd", a.address() + "," + b.address(), first.toString(), second.toString());
            assertThat(r.outLines()).containsExactly(first + ": OK", second + ": OK");
            assertThat(b.requests())
                    .as("the member that failed is skipped for the second file")
                    .hasSize(2);
        }
    }

    @Test
    void oversizeFileIsAnErrorNotClean(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.eml");
        Files.write(big, ("Subject: big\r\n\r\n" + "a".repeat(600_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        try (FakeSpamd fake = FakeSpamd.start()) {
            Run r = Run.main("scan", "--spamd", fake.address(), big.toString());
            assertThat(r.out()).startsWith(big + ": ERROR").contains("TOO_LARGE");
            assertThat(r.status()).isEqualTo(2);
            assertThat(fake.connectionCount()).isZero();
        }
    }

    @Test
    void malformedAddressesAreUsageErrorsNamingTheFlag() throws Exception {
        SpamdScannerOption option = new SpamdScannerOption();
        assertThat(option.flag()).isEqualTo("--spamd");
        assertThat(option.argumentName()).contains("HOST:PORT");
        assertThatThrownBy(() -> option.create(Optional.of("localhost")))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--spamd localhost");
        assertThatThrownBy(() -> option.createAll(List.of(Optional.of("a:1"), Optional.of("a:1"))))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> option.create(Optional.of("a:1,"))).isInstanceOf(UsageException.class);
        List<Scanner> one = option.createAll(List.of(Optional.of("a:1,b:2"), Optional.of("c:3")));
        assertThat(one).hasSize(1);
        assertThat(((SpamdScanner) one.get(0)).group().members())
                .extracting(m -> m.name())
                .containsExactly("a:1", "b:2", "c:3");
        Run r = Run.main("scan", "--spamd", "nonsense", "x.eml");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--spamd nonsense");
    }
}
