package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SPF record syntax cases the RFC 7208 test suite does not name. */
class SpfRecordTest {
    /**
     * {@code ip4:192.0.010.5} matched 192.0.10.5 (the JDK reads the octet as decimal), where pyspf finds a
     * syntax error, permerror, and C's inet_aton reads octal 8: RFC 7208's qnum has no leading
     * zero (found from outside, session 47).
     */
    @Test
    void aDottedQuadWithALeadingZeroIsASyntaxError() {
        for (String bad : new String[] {
            "ip4:192.0.010.5",
            "ip4:192.0.02.0/24",
            "ip4:01.2.3.4",
            "ip4:1.2.3.00",
            "ip6:::ffff:1.2.03.4",
            "ip6:::1.2.3.04"
        }) {
            SpfRecord.Parsed p = SpfRecord.parse("v=spf1 " + bad + " -all");
            assertThat(p.record()).as(bad).isEmpty();
            assertThat(p.error()).as(bad).contains("invalid term " + bad);
        }
        for (String good : new String[] {
            "ip4:192.0.10.5",
            "ip4:0.0.0.0/0",
            "ip4:255.255.255.255",
            "ip4:10.0.100.250/31",
            "ip6:::ffff:1.2.3.4",
            "ip6:::1.2.3.4",
            "ip6:2001:db8::/32",
            "ip6:::",
            "ip6:2001:DB8:0:0:0:0:0:1"
        }) {
            assertThat(SpfRecord.parse("v=spf1 " + good + " -all").record())
                    .as(good)
                    .isPresent();
        }
    }
}
