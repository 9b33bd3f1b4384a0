package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * A milter listening on IPv6 loopback is reached by Postfix through the {@link MilterServer#socketSpec()} it prints,
 * {@code inet:[::1]:PORT} (until session 45 {@code inet:0:0:0:0:0:0:0:1:PORT}, which Postfix reads too,
 * but the milter's own {@code --listen} now refuses as ambiguous). Skipped without Postfix and swaks (mandatory under
 * {@code CI=true}), and on a machine without IPv6 loopback.
 */
class PostfixMilterIpv6Test {
    @TempDir
    Path tmp;

    @Test
    void postfixReachesAnIpv6MilterThroughItsSocketSpec() throws Exception {
        RealBinaries.require("postfix", "postfix");
        RealBinaries.require("swaks", "swaks");
        // a machine (or container) without IPv6 has no ::1 to listen on: that is not a missing package, so not
        // mandatory under CI=true
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            probe.getLocalPort();
        } catch (java.io.IOException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
        }
        try (SmtpSink sink = SmtpSink.builder().maxSize(0).start();
                ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(SignatureScanner.create())
                        .build();
                MilterServer milter = MilterServer.builder()
                        .pipeline(pipeline)
                        .bindAddress(InetAddress.getByName("::1"))
                        .build()) {
            milter.start();
            assertThat(milter.socketSpec()).startsWith("inet:[::1]:");
            try (PrivatePostfix postfix = PrivatePostfix.startOnFreePorts(
                    sink.port(),
                    Map.of("inet_protocols", "all"), // the private instance's default is ipv4 alone
                    List.of(List.of("smtpd_milters=" + milter.socketSpec(), "milter_default_action=tempfail")))) {
                int port = postfix.ports().get(0);
                Swaks.Result virus =
                        Swaks.send(port, "a@example.test", "b@example.test", SampleMessages.eicarAttachment(), tmp);
                // rejected by the milter's verdict, not tempfailed for want of a milter (milter_default_action)
                assertThat(virus.finalReply())
                        .as(virus.transcript() + postfix.log())
                        .startsWith("5");
                assertThat(postfix.log()).doesNotContain("can't connect").doesNotContain("bad address");
            }
        }
    }
}
