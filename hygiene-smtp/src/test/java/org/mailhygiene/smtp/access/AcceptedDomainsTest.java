package org.mailhygiene.smtp.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AcceptedDomainsTest {
    @Test
    void rcpthostsSemantics() {
        AcceptedDomains d = AcceptedDomains.parse("# ours\nexample.ac.jp\n.dept.example.ac.jp\n\n[192.0.2.1]\n");
        assertThat(d.accepts("example.ac.jp")).isTrue();
        assertThat(d.accepts("EXAMPLE.AC.JP.")).isTrue();
        assertThat(d.accepts("mail.example.ac.jp")).as("no suffix entry for it").isFalse();
        assertThat(d.accepts("dept.example.ac.jp"))
                .as(".suffix does not match the bare domain")
                .isFalse();
        assertThat(d.accepts("a.dept.example.ac.jp")).isTrue();
        assertThat(d.accepts("b.a.dept.example.ac.jp")).isTrue();
        assertThat(d.accepts("xdept.example.ac.jp")).isFalse();
        assertThat(d.accepts("[192.0.2.1]")).isTrue();
        assertThat(d.accepts("evil.test")).isFalse();
        assertThat(d.accepts("")).isFalse();
        assertThat(AcceptedDomains.none().accepts("example.ac.jp")).isFalse();
    }

    @Test
    void badEntriesNameTheLine() {
        assertThatThrownBy(() -> AcceptedDomains.parse("ok.example\nuser@bad.example\n"))
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> AcceptedDomains.of(".")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A client without SMTPUTF8 can only write an internationalised domain as A-labels: {@code accept-domain =
     * bücher.example} refused {@code x@xn--bcher-kva.example} with "Relay access denied", and an A-label entry refused
     * the U-label form (audit, session 38).
     */
    @Test
    void internationalisedDomainsAreAcceptedInBothSpellings() {
        AcceptedDomains d = AcceptedDomains.parse("bücher.example\n.XN--CAF-DMA.example\n例え.テスト\n");
        assertThat(d.accepts("bücher.example")).isTrue();
        assertThat(d.accepts("xn--bcher-kva.example")).isTrue();
        assertThat(d.accepts("BÜCHER.EXAMPLE.")).isTrue();
        assertThat(d.accepts("mail.café.example")).isTrue();
        assertThat(d.accepts("mail.xn--caf-dma.example")).isTrue();
        assertThat(d.accepts("café.example"))
                .as(".suffix does not match the bare domain")
                .isFalse();
        assertThat(d.accepts("xn--r8jz45g.xn--zckzah")).isTrue();
        assertThat(d.accepts("bucher.example")).isFalse();
        assertThat(d.entries())
                .containsExactly("xn--bcher-kva.example", ".xn--caf-dma.example", "xn--r8jz45g.xn--zckzah");
    }
}
