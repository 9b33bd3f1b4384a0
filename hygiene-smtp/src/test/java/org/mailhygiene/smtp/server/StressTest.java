package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;

/**
 * Behaviour under stress and at the edges of a session: idle sessions are closed under stress, a busy address gets no
 * further sessions while others do, early talkers are refused, a full disk is found at MAIL, and the server's own
 * temporary failures do not count toward the client's error limit. Clients bind to distinct loopback addresses.
 */
class StressTest {
    private static final InetAddress ATTACKER = address("127.0.0.2");
    private static final InetAddress OTHER = address("127.0.0.3");
    private final RecordingHandler handler = new RecordingHandler();
    private final AtomicLong free = new AtomicLong(Long.MAX_VALUE);
    /** When set, the free space probe throws it (as when the process is out of file descriptors). */
    private volatile RuntimeException probeFailure;

    private SmtpServer server;
    private final List<TestClient> open = new ArrayList<>();

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private void start(Consumer<SmtpLimits.Builder> limits) throws Exception {
        start(limits, org.mailhygiene.smtp.access.AccessRules.parse(":allow\n"));
    }

    private void start(Consumer<SmtpLimits.Builder> limits, org.mailhygiene.smtp.access.AccessRules rules)
            throws Exception {
        SmtpLimits.Builder b = SmtpLimits.builder();
        limits.accept(b);
        server = SmtpServer.builder()
                .port(0)
                .accessRules(rules)
                .limits(b.build())
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .freeSpace(
                        () -> {
                            RuntimeException f = probeFailure;
                            if (f != null) {
                                throw f;
                            }
                            return free.get();
                        },
                        10_000)
                .handler(handler)
                .build();
        server.start();
    }

    private TestClient connect(InetAddress from) throws Exception {
        TestClient c = new TestClient(server.port(), from);
        open.add(c);
        return c;
    }

    @AfterEach
    void stop() throws Exception {
        for (TestClient c : open) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void underStressIdleSessionsAreClosedAndOthersAreServed() throws Exception {
        start(l -> l.maxConnections(10).stressSessions(3).stressIdleTimeout(Duration.ofMillis(300)));
        List<TestClient> idle = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestClient c = connect(ATTACKER);
            assertThat(c.reply()).startsWith("220");
            idle.add(c);
        }
        // Three sessions: the server is under stress, and each of them waits for a command. Idle ones are closed
        // until the stress ends (which ones depends on when each became idle).
        Await.until("an idle session was closed", () -> server.activeSessions() < 3);
        assertThat(server.activeSessions()).isLessThan(3);
        assertThat(server.underStress()).isFalse();
        int reaped = 0;
        for (TestClient c : idle) {
            c.socket.setSoTimeout(2000);
            String r;
            try {
                r = c.reply();
            } catch (java.net.SocketTimeoutException stillOpen) {
                continue;
            }
            assertThat(r).isEqualTo("421 4.4.2 localhost Idle too long while the server is busy, closing connection");
            assertThat(c.reply()).isEqualTo("EOF");
            reaped++;
        }
        assertThat(reaped).isPositive();
        TestClient other = connect(OTHER);
        assertThat(other.reply()).startsWith("220");
        assertThat(other.cmd("EHLO other.example")).startsWith("250");
    }

    @Test
    void withoutStressIdleSessionsKeepTheirNormalTimeout() throws Exception {
        start(l -> l.maxConnections(10).stressSessions(5).stressIdleTimeout(Duration.ofMillis(100)));
        TestClient c = connect(ATTACKER);
        assertThat(c.reply()).startsWith("220");
        assertThat(c.cmd("NOOP")).startsWith("250");
        assertThat(server.underStress()).isFalse();
    }

    @Test
    void underStressABusyAddressGetsNoMoreSessionsButOthersDo() throws Exception {
        start(l -> l.maxConnections(10)
                .maxConnectionsPerIp(8)
                .stressSessions(3)
                .stressConnectionsPerIp(2)
                .stressIdleTimeout(Duration.ofMinutes(5)));
        for (int i = 0; i < 3; i++) {
            assertThat(connect(ATTACKER).reply()).startsWith("220");
        }
        TestClient refused = connect(ATTACKER);
        assertThat(refused.reply())
                .isEqualTo("421 4.7.0 localhost Too many connections from your address while the server is busy,"
                        + " try again later");
        TestClient other = connect(OTHER);
        assertThat(other.reply()).startsWith("220");
        assertThat(other.cmd("EHLO other.example")).startsWith("250");
    }

    @Test
    void anEarlyTalkerIsRefusedAndAPatientClientIsGreeted() throws Exception {
        start(l -> l.greetDelay(Duration.ofSeconds(2)));
        TestClient early = connect(ATTACKER);
        early.send("EHLO hasty.example\r\n");
        assertThat(early.reply())
                .isEqualTo("220-localhost ESMTP mail-hygiene\n"
                        + "554 5.5.1 localhost Protocol error: you talked before the greeting");
        assertThat(early.reply()).isEqualTo("EOF");

        TestClient patient = connect(OTHER);
        assertThat(patient.reply()).isEqualTo("220-localhost ESMTP mail-hygiene\n220 localhost ESMTP mail-hygiene");
        assertThat(patient.cmd("EHLO patient.example")).startsWith("250");
    }

    /**
     * Under stress a session's first error reply closes it, as Postfix's {@code smtpd_hard_error_limit =
     * ${stress?1}:20}: until session 45 a client could make {@code max-errors} (20) errors while holding a slot the
     * stress is short of. A relay client is spared, and outside stress {@code max-errors} applies.
     */
    @Test
    void underStressTheFirstErrorClosesTheSessionButNotARelayClients() throws Exception {
        start(
                l -> l.maxConnections(10).stressSessions(2),
                org.mailhygiene.smtp.access.AccessRules.parse("127.0.0.3:allow,RELAYCLIENT=\"\"\n:allow\n"));
        TestClient first = connect(ATTACKER);
        assertThat(first.reply()).startsWith("220");
        assertThat(first.cmd("EHLO attacker.example")).startsWith("250");
        assertThat(first.cmd("FOO")).startsWith("500 5.5.2");
        assertThat(first.cmd("BAR")).as("one session: no stress yet").startsWith("500 5.5.2");
        TestClient relay = connect(OTHER);
        assertThat(relay.reply()).startsWith("220");
        Await.until("two sessions open", server::underStress);
        assertThat(relay.cmd("EHLO relay.example")).startsWith("250");
        assertThat(relay.cmd("FOO")).startsWith("500 5.5.2");
        assertThat(relay.cmd("BAR")).as("a relay client is spared").startsWith("500 5.5.2");
        assertThat(first.cmd("BAZ")).startsWith("500 5.5.2");
        assertThat(first.reply()).isEqualTo("421 4.7.0 localhost Too many errors, closing connection");
        assertThat(relay.cmd("NOOP")).startsWith("250");
    }

    @Test
    void tooLittleFreeSpaceIsFoundAtMailAndIsNotTheClientsError() throws Exception {
        start(l -> l.maxErrors(2));
        TestClient c = connect(OTHER);
        assertThat(c.reply()).startsWith("220");
        assertThat(c.cmd("EHLO other.example")).startsWith("250");
        free.set(9_999);
        for (int i = 0; i < 4; i++) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>"))
                    .isEqualTo("452 4.3.1 Insufficient system storage, try again later");
        }
        free.set(20_000);
        assertThat(c.cmd("MAIL FROM:<a@example.net> SIZE=15000"))
                .isEqualTo("452 4.3.1 Insufficient system storage, try again later");
        assertThat(c.cmd("MAIL FROM:<a@example.net> SIZE=5000")).startsWith("250");
    }

    /**
     * A free space probe that fails (out of file descriptors it cannot read /proc/mounts) is a local error, not "0
     * bytes free": until session 43 MAIL got {@code 452 4.3.1 Insufficient system storage} and the log said the disk
     * was full.
     */
    @Test
    void aFailedFreeSpaceCheckIsALocalErrorNotAFullDisk() throws Exception {
        start(l -> l.maxErrors(2));
        TestClient c = connect(OTHER);
        assertThat(c.reply()).startsWith("220");
        assertThat(c.cmd("EHLO other.example")).startsWith("250");
        probeFailure = new java.io.UncheckedIOException(new java.io.IOException("Too many open files"));
        for (int i = 0; i < 4; i++) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>"))
                    .isEqualTo("451 4.3.0 Local error: cannot check free space, try again later");
        }
        probeFailure = null;
        assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
    }

    @Test
    void ourOwnTemporaryFailuresDoNotCountTowardTheClientsErrorLimit() throws Exception {
        handler.reply = e -> new SmtpReply(451, "4.3.0", "Scanner unavailable, try again later");
        start(l -> l.maxErrors(2));
        TestClient c = connect(OTHER);
        assertThat(c.reply()).startsWith("220");
        assertThat(c.cmd("EHLO other.example")).startsWith("250");
        for (int i = 0; i < 5; i++) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.send("x\r\n.\r\n").reply()).isEqualTo("451 4.3.0 Scanner unavailable, try again later");
        }
        assertThat(c.cmd("NOOP")).startsWith("250");
        // A real client error still counts.
        assertThat(c.cmd("BOGUS")).startsWith("500");
        assertThat(c.cmd("BOGUS")).startsWith("500");
        assertThat(c.reply()).isEqualTo("421 4.7.0 localhost Too many errors, closing connection");
    }
}
