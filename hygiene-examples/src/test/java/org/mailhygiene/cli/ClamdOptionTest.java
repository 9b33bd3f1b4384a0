package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.clamd.Eicar;
import org.mailhygiene.testkit.clamd.FakeClamd;

class ClamdOptionTest {

    @Test
    void repeatedOptionFormsAFailoverGroupInOrder() throws Exception {
        try (FakeClamd dead = FakeClamd.start();
                FakeClamd live = FakeClamd.start()) {
            String deadAddress = dead.tcpAddress();
            dead.close();
            ArrayDeque<String> args =
                    new ArrayDeque<>(List.of("--clamd", deadAddress, "--clamd=" + live.tcpAddress(), "mail.eml"));
            ClamdOption o = new ClamdOption();
            while (o.consume(args)) {
                // consume every --clamd
            }
            assertThat(args).containsExactly("mail.eml");
            assertThat(o.addresses()).hasSize(2);
            Scanner s = o.scanner().orElseThrow();
            Verdict v = s.scan(Message.of(Eicar.bytes()));
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.threats()).containsExactly("Eicar-Test-Signature");
        }
    }

    @Test
    void absentOptionBuildsNothingAndLeavesOtherArguments() {
        ClamdOption o = new ClamdOption();
        ArrayDeque<String> args = new ArrayDeque<>(List.of("--spamd", "x:1"));
        assertThat(o.consume(args)).isFalse();
        assertThat(args).hasSize(2);
        assertThat(o.scanner()).isEmpty();
    }

    @Test
    void badValuesAreNamed() {
        ClamdOption o = new ClamdOption();
        assertThatThrownBy(() -> o.consume(new ArrayDeque<>(List.of("--clamd"))))
                .hasMessageContaining("--clamd needs an address");
        assertThatThrownBy(() -> o.consume(new ArrayDeque<>(List.of("--clamd", "--json"))))
                .hasMessageContaining("--clamd needs an address");
        assertThatThrownBy(() -> o.add("localhost")).hasMessageStartingWith("--clamd: ");
        o.add("unix:/run/clamav/clamd.ctl");
        assertThatThrownBy(() -> o.add("unix:/run/clamav/clamd.ctl")).hasMessageContaining("twice");
    }
}
