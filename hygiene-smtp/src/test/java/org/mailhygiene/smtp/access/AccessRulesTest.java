package org.mailhygiene.smtp.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theMostSpecificRuleWinsAsInTcpserver() {
        AccessRules rules = AccessRules.parse(String.join(
                "\n",
                "# the gateway: edges and internal servers only",
                "192.0.2.11:allow,RELAYCLIENT=\"\"",
                "10.:allow,RELAYCLIENT=\"\",NOTE='internal'",
                "10.9.:deny",
                "10.9.8.7:allow",
                "198.51.100.20-29:allow,RELAYCLIENT=\"\"",
                "172.16-17.:allow",
                "[2001:db8::]/32:allow,RELAYCLIENT=\"\"",
                "[2001:db8:bad::]/48:deny",
                "203.0.113.0/24:allow",
                ":deny"));
        assertThat(rules.decide(ip("192.0.2.11")))
                .extracting(AccessDecision::allowed, AccessDecision::relay)
                .containsExactly(true, true);
        assertThat(rules.decide(ip("192.0.2.12")).allowed()).isFalse();
        assertThat(rules.decide(ip("10.1.2.3")).relay()).isTrue();
        assertThat(rules.decide(ip("10.1.2.3")).variables()).containsEntry("NOTE", "internal");
        assertThat(rules.decide(ip("10.9.1.1")).allowed()).isFalse();
        assertThat(rules.decide(ip("10.9.8.7")))
                .extracting(AccessDecision::allowed, AccessDecision::relay)
                .containsExactly(true, false);
        assertThat(rules.decide(ip("198.51.100.25")).relay()).isTrue();
        assertThat(rules.decide(ip("198.51.100.30")).allowed()).isFalse();
        assertThat(rules.decide(ip("172.17.0.1")).allowed()).isTrue();
        assertThat(rules.decide(ip("172.18.0.1")).allowed()).isFalse();
        assertThat(rules.decide(ip("2001:db8:1::5")).relay()).isTrue();
        assertThat(rules.decide(ip("2001:db8:bad::5")).allowed()).isFalse();
        assertThat(rules.decide(ip("2001:db9::1")).allowed()).isFalse();
        assertThat(rules.decide(ip("203.0.113.9")))
                .extracting(AccessDecision::allowed, AccessDecision::relay)
                .containsExactly(true, false);
        assertThat(rules.decide(ip("::ffff:192.0.2.11")).relay())
                .as("IPv4-mapped")
                .isTrue();
    }

    @Test
    void withoutADefaultRuleClientsAreAllowedWithoutRelay() {
        AccessRules rules = AccessRules.parse("127.:allow,RELAYCLIENT=\"\"\n");
        assertThat(rules.decide(ip("127.0.0.1")).relay()).isTrue();
        assertThat(rules.decide(ip("192.0.2.1"))).isEqualTo(AccessDecision.ALLOW);
        assertThat(AccessRules.allowAll().decide(ip("::1"))).isEqualTo(AccessDecision.ALLOW);
    }

    @Test
    void equallySpecificRulesFirstWins() {
        AccessRules rules =
                AccessRules.builder().deny("10.0.0.0/8").allow("10.", true).build();
        assertThat(rules.decide(ip("10.1.1.1")).allowed()).isFalse();
    }

    @Test
    void malformedRulesNameTheLine() {
        assertThatThrownBy(() -> AccessRules.parse("127.:allow\n300.1.:allow\n"))
                .hasMessageContaining("line 2")
                .hasMessageContaining("300");
        assertThatThrownBy(() -> AccessRules.parse("127.:permit")).hasMessageContaining("allow or deny");
        assertThatThrownBy(() -> AccessRules.parse("2001:db8::/32:allow")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> AccessRules.parse("10.0.0.0/33:allow")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> AccessRules.parse("1.2.3.9-4:allow")).hasMessageContaining("empty range");
        assertThatThrownBy(() -> AccessRules.parse("cafe:allow")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> AccessRules.parse("1.2.3.4:allow,RELAYCLIENT=\"x"))
                .hasMessageContaining("unterminated");
    }

    /**
     * A {@code relay-client} of {@code [::1} stopped {@code hygiene relay} with an internal error (a
     * StringIndexOutOfBoundsException and its stack trace) instead of naming the line; {@code ::1} was called "not an
     * IPv4 address" without saying that IPv6 goes in brackets.
     */
    @Test
    void anUnclosedBracketOrABareIpv6AddressIsNamed() {
        assertThatThrownBy(() -> AccessRules.builder().allow("[::1", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing ']' in [::1");
        assertThatThrownBy(() -> AccessRules.builder().allow("::1", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("write IPv6 addresses in brackets: [::1]");
        assertThat(AccessRules.builder()
                        .allow("[::1]", true)
                        .build()
                        .decide(ip("::1"))
                        .relay())
                .isTrue();
    }

    /** Whatever a pattern says, it is a rule or an IllegalArgumentException (a config error naming the line). */
    @Test
    void anyPatternParsesOrIsAnIllegalArgument() {
        String alphabet = "[]:/.-0123456789abcdef%x ";
        qt().withExamples(5000)
                .forAll(org.quicktheories.generators.SourceDSL.lists()
                        .of(integers().between(0, alphabet.length() - 1))
                        .ofSizeBetween(0, 14))
                .checkAssert(indexes -> {
                    StringBuilder sb = new StringBuilder();
                    indexes.forEach(i -> sb.append(alphabet.charAt(i)));
                    try {
                        AccessRules.builder().deny(sb.toString()).build();
                    } catch (IllegalArgumentException expected) {
                        // a named problem
                    }
                });
    }

    @Test
    void cidrAgreesWithDottedPrefixes() {
        qt().forAll(
                        integers().between(0, 255),
                        integers().between(0, 255),
                        integers().between(0, 255))
                .checkAssert((a, b, c) -> {
                    InetAddress addr = ip("10." + a + "." + b + "." + c);
                    boolean dotted =
                            AccessRules.parse("10." + a + ".:deny").decide(addr).allowed();
                    boolean cidr = AccessRules.parse("10." + a + ".0.0/16:deny")
                            .decide(addr)
                            .allowed();
                    assertThat(dotted).isFalse().isEqualTo(cidr);
                    InetAddress other = ip("10." + ((a + 1) % 256) + "." + b + "." + c);
                    assertThat(AccessRules.parse("10." + a + ".0.0/16:deny")
                                    .decide(other)
                                    .allowed())
                            .isTrue();
                });
    }
}
