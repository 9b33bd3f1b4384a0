package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DsnFieldsTest {
    @Test
    void remoteMtaIsTheHostOfTheEndpointWithoutAddressOrPort() {
        assertThat(Dsn.mtaName("mx.example.org[192.0.2.1]:25")).isEqualTo("mx.example.org");
        assertThat(Dsn.mtaName("192.0.2.1:2525")).isEqualTo("192.0.2.1");
        assertThat(Dsn.mtaName("[2001:db8::1]:25")).isEqualTo("2001:db8::1");
        assertThat(Dsn.mtaName("mx.example.org[2001:db8::1]:25")).isEqualTo("mx.example.org");
    }

    @Test
    void addressTypesFollowRfc6533() {
        assertThat(Dsn.addressField("a@x.org", false)).isEqualTo("rfc822; a@x.org");
        assertThat(Dsn.addressField("a@x.org", true)).isEqualTo("rfc822; a@x.org");
        assertThat(Dsn.addressField("jörg@x.org", true)).isEqualTo("utf-8; jörg@x.org");
        // the ASCII form for a report that must stay ASCII: \x{HEX} for non-ASCII and for \ + =
        assertThat(Dsn.addressField("jörg+a@x.org", false)).isEqualTo("utf-8; j\\x{F6}rg\\x{2B}a@x.org");
    }
}
