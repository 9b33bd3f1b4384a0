package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.testkit.spamd.FakeSpamd;

class SpamdScannerOptionTest {

    @Test
    void buildsAFailoverGroupInTheOrderGiven() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            dead = s.getLocalPort();
        }
        try (FakeSpamd fake = FakeSpamd.start()) {
            fake.script("cheap pills", 7.5, Rule.of("PILLS", 7.5, "pills"));
            SpamdScannerOption option = new SpamdScannerOption();
            SpamdScanner scanner =
                    (SpamdScanner) option.create(Optional.of("127.0.0.1:" + dead + "," + fake.address()));
            assertThat(scanner.name()).isEqualTo("spamd");
            assertThat(scanner.group().members())
                    .extracting(m -> m.name())
                    .containsExactly("127.0.0.1:" + dead, fake.address());
            Verdict v =
                    scanner.scan(Message.of("Subject: x\r\n\r\ncheap pills\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
            assertThat(v.score()).hasValue(7.5);
            assertThat(v.threshold()).hasValue(5.0);
            assertThat(v.rules()).containsExactly(Rule.of("PILLS", 7.5, "pills"));

            SpamdScanner repeated = SpamdScannerOption.group(List.of("127.0.0.1:" + dead, fake.address()));
            assertThat(repeated.group().members()).hasSize(2);
        }
    }

    @Test
    void malformedAddressesNameTheFlag() {
        SpamdScannerOption option = new SpamdScannerOption();
        assertThat(option.flag()).isEqualTo("--spamd");
        assertThat(option.argumentName()).contains("HOST:PORT");
        assertThatThrownBy(() -> option.create(Optional.empty())).hasMessageContaining("--spamd");
        assertThatThrownBy(() -> option.create(Optional.of("localhost"))).hasMessageContaining("--spamd localhost");
        assertThatThrownBy(() -> option.create(Optional.of("a:1,a:1"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> option.create(Optional.of("a:1,"))).hasMessageContaining("--spamd");
    }
}
