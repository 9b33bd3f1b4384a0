package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClamdAddressTest {

    @Test
    void parsesTheThreeForms() {
        assertThat(ClamdAddress.parse("127.0.0.1:3310")).isEqualTo(ClamdAddress.tcp("127.0.0.1", 3310));
        assertThat(ClamdAddress.parse("clamd.example.org:3310").host()).isEqualTo("clamd.example.org");
        assertThat(ClamdAddress.parse("[::1]:3310")).isEqualTo(ClamdAddress.tcp("::1", 3310));
        assertThat(ClamdAddress.parse("unix:/run/clamav/clamd.ctl"))
                .isEqualTo(ClamdAddress.unix(Path.of("/run/clamav/clamd.ctl")));
        assertThat(ClamdAddress.parse("unix:/run/clamav/clamd.ctl").isUnix()).isTrue();
    }

    @Test
    void rejectsMalformedAddressesNamingTheProblem() {
        assertThatThrownBy(() -> ClamdAddress.parse("localhost")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ClamdAddress.parse("localhost:")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ClamdAddress.parse(":3310")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ClamdAddress.parse("localhost:x")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ClamdAddress.parse("localhost:70000")).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> ClamdAddress.parse("::1:3310")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> ClamdAddress.parse("unix:")).hasMessageContaining("socket path");
    }

    /**
     * clamav-milter's {@code ClamdSocket tcp:HOST[:PORT]} is the form an administrator is likely to copy; it is not an
     * address here, and the error said "write IPv6 literals in brackets" (with a port) or "port is not a number"
     * (without one). It now names the prefix and the address to write instead.
     */
    @Test
    void clamavMiltersTcpPrefixIsRefusedWithTheAddressToWrite() {
        assertThatThrownBy(() -> ClamdAddress.parse("tcp:127.0.0.1:3310"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("clamd address 'tcp:127.0.0.1:3310': write HOST:PORT without clamav-milter's tcp: prefix,"
                        + " here 127.0.0.1:3310");
        assertThatThrownBy(() -> ClamdAddress.parse("tcp:192.168.0.1"))
                .hasMessage("clamd address 'tcp:192.168.0.1': write HOST:PORT without clamav-milter's tcp: prefix,"
                        + " here 192.168.0.1:3310");
        assertThatThrownBy(() -> ClamdAddress.parse("TCP:clamd.example.org"))
                .hasMessageContaining("here clamd.example.org:3310");
        // a host named tcp: the text after the colon is a port, not clamav-milter's HOST
        assertThat(ClamdAddress.parse("tcp:1")).isEqualTo(ClamdAddress.tcp("tcp", 1));
    }

    @Test
    void textFormRoundTrips() {
        qt().forAll(
                        strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 20),
                        integers().between(1, 65535))
                .checkAssert((host, port) -> {
                    ClamdAddress a = ClamdAddress.tcp(host, port);
                    assertThat(ClamdAddress.parse(a.toString())).isEqualTo(a);
                });
        qt().forAll(strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 30))
                .checkAssert(p -> {
                    ClamdAddress a = ClamdAddress.unix(Path.of("/tmp", p));
                    assertThat(ClamdAddress.parse(a.toString())).isEqualTo(a);
                });
    }
}
