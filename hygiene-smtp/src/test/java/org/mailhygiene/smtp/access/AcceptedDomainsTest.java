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
}
