package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** Per-route TLS policies match recipient domains as smtproutes entries do. */
class RouteTlsPoliciesTest {
    private final TlsPolicy none = TlsPolicy.disabled();
    private final TlsPolicy opportunistic = TlsPolicy.opportunistic();

    @Test
    void exactThenSuffixThenDefaultEntryThenNodeDefault() throws Exception {
        TlsPolicy required = TlsPolicy.required(SSLContext.getDefault());
        TlsPolicy chain = required.withoutHostNameCheck();
        RouteTlsPolicies p = RouteTlsPolicies.builder(opportunistic)
                .route("Partner.Example", required)
                .route(".partner.example", chain)
                .route("[192.0.2.1]", none)
                .build();
        assertThat(p.policyFor("u@partner.example")).isSameAs(required);
        assertThat(p.policyFor("u@PARTNER.example.")).isSameAs(required);
        assertThat(p.policyFor("u@mx.partner.example")).isSameAs(chain);
        assertThat(p.policyFor("u@a.b.partner.example")).isSameAs(chain);
        assertThat(p.policyFor("u@[192.0.2.1]")).isSameAs(none);
        assertThat(p.policyFor("u@other.example")).isSameAs(opportunistic);
        assertThat(p.matchingEntry("u@other.example")).isEmpty();

        RouteTlsPolicies withDefault =
                RouteTlsPolicies.builder(opportunistic).route("", none).build();
        assertThat(withDefault.policyFor("u@other.example")).isSameAs(none);
        assertThat(withDefault.matchingEntry("other.example")).contains("");
    }

    @Test
    void policiesDescribeThemselves() throws Exception {
        assertThat(none.describe()).isEqualTo("none");
        assertThat(opportunistic.describe()).isEqualTo("opportunistic");
        assertThat(opportunistic.verifyHostName()).isFalse();
        TlsPolicy required = TlsPolicy.required(SSLContext.getDefault());
        assertThat(required.verifyHostName()).isTrue();
        assertThat(required.describe()).isEqualTo("required");
        assertThat(required.withoutHostNameCheck().describe()).isEqualTo("required (chain only)");
    }

    @Test
    void badOrRepeatedPatternsAreRefused() {
        RouteTlsPolicies.Builder b = RouteTlsPolicies.builder(none).route("a.example", none);
        assertThatThrownBy(() -> b.route("A.example", none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a TLS policy for 'a.example' is already given");
        assertThatThrownBy(() -> b.route("u@b.example", none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bad domain pattern 'u@b.example'");
        assertThatThrownBy(() -> b.route(".", none)).isInstanceOf(IllegalArgumentException.class);
    }

    /** An internationalised domain's policy applies to its recipients in either spelling (audit, session 38). */
    @Test
    void internationalisedDomainsMatchInBothSpellings() {
        RouteTlsPolicies p = RouteTlsPolicies.builder(none)
                .route("bücher.example", opportunistic)
                .route(".xn--caf-dma.example", opportunistic)
                .build();
        assertThat(p.policyFor("jörg@bücher.example")).isSameAs(opportunistic);
        assertThat(p.policyFor("joerg@xn--bcher-kva.example")).isSameAs(opportunistic);
        assertThat(p.policyFor("a@mail.café.example")).isSameAs(opportunistic);
        assertThat(p.policyFor("a@bucher.example")).isSameAs(none);
        assertThat(p.entries().keySet()).containsExactlyInAnyOrder("xn--bcher-kva.example", ".xn--caf-dma.example");
        assertThatThrownBy(() -> RouteTlsPolicies.builder(none)
                        .route("bücher.example", none)
                        .route("XN--BCHER-KVA.example", none))
                .hasMessage("a TLS policy for 'xn--bcher-kva.example' is already given");
    }
}
