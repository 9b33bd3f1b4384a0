package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ReceivedHeaderTest {
    /**
     * An IPv6 client was written {@code [IPv6:0:0:0:0:0:0:0:1]}, the JDK's full form (valid, but no other MTA writes
     * it, and a log search for {@code ::1} missed it): now the RFC 5952 form Postfix writes, without a zone.
     */
    @Test
    void anIpv6ClientIsWrittenInItsShortForm() throws Exception {
        assertThat(ReceivedHeader.addressLiteral(InetAddress.getByName("::1"))).isEqualTo("[IPv6:::1]");
        assertThat(ReceivedHeader.addressLiteral(InetAddress.getByName("2001:db8:0:0:0:0:0:25")))
                .isEqualTo("[IPv6:2001:db8::25]");
        assertThat(ReceivedHeader.addressLiteral(InetAddress.getByName("fe80::1%1")))
                .isEqualTo("[IPv6:fe80::1]");
        assertThat(ReceivedHeader.addressLiteral(InetAddress.getByName("192.0.2.1")))
                .isEqualTo("[192.0.2.1]");
    }
}
