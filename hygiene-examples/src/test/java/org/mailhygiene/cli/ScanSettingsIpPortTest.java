package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** {@link ScanSettings#requireBrackets} and {@link ScanSettings#parseIpPort}: which brackets an IP:PORT option takes. */
class ScanSettingsIpPortTest {

    /**
     * Review, session 46: brackets that do not enclose the address once passed the check ({@code [[::1]]:8891} and
     * {@code [::1]]:8891}; the milter's --listen and --admin strip every bracket and started on ::1), and
     * {@code ::1]:8891} was told to write {@code [::1]]:8891}, itself no IP:PORT.
     */
    @Test
    void bracketsThatDoNotEncloseTheAddressAreRefusedAndNeverSuggested() {
        for (String v :
                new String[] {"[[::1]]:8891", "[::1]]:8891", "::1]:8891", "[::1:8891", "[::1]", "1.2.3.4]:25"}) {
            assertThatThrownBy(() -> ScanSettings.requireBrackets("--listen", v), v)
                    .isInstanceOf(UsageException.class)
                    .hasMessage("--listen expects IP:PORT, [IPV6]:PORT for IPv6, was '" + v + "'");
        }
        assertThatThrownBy(() -> ScanSettings.requireBrackets("--listen", "::1:8891"))
                .isInstanceOf(UsageException.class)
                .hasMessage("--listen: write an IPv6 address in brackets: [::1]:8891");
    }

    @Test
    void oneBracketedAddressOrNoneIsTaken() throws Exception {
        ScanSettings.requireBrackets("--listen", "[::1]:8891");
        ScanSettings.requireBrackets("--listen", "127.0.0.1:8891");
        assertThat(ScanSettings.parseIpPort("--dns", "[::1]:53").getAddress()).isEqualTo(InetAddress.getByName("::1"));
        assertThat(ScanSettings.parseIpPort("--dns", "127.0.0.1:53").getPort()).isEqualTo(53);
    }
}
