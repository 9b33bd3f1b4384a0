package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The {@code NAME smtp://HOST:PORT} lines that {@code hygiene relay} and {@code hygiene demo} print. */
class DemoTopologyUrlTest {

    @Test
    void anIpv4AddressIsWrittenAsIs() throws Exception {
        assertThat(DemoTopology.url(new InetSocketAddress(InetAddress.getByName("127.0.0.11"), 2525)))
                .isEqualTo("smtp://127.0.0.11:2525");
    }

    /** {@code listen = [::1]:2525} printed {@code smtp://0:0:0:0:0:0:0:1:2525}, which no URL parser reads as a port. */
    @Test
    void anIpv6AddressIsInBracketsAndParsesBackToItsHostAndPort() throws Exception {
        String url = DemoTopology.url(new InetSocketAddress(InetAddress.getByName("::1"), 2525));
        assertThat(url).isEqualTo("smtp://[::1]:2525");
        URI uri = URI.create(url);
        assertThat(uri.getPort()).isEqualTo(2525);
        assertThat(InetAddress.getByName(uri.getHost()).isLoopbackAddress()).isTrue();
    }
}
