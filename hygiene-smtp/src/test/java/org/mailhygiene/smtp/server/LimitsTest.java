package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.FakeClock;

/** One flooding client must not starve the others. Clients bind to distinct loopback addresses (127.0.0.x). */
class LimitsTest {
    private static final InetAddress FLOODER = address("127.0.0.2");
    private static final InetAddress OTHER = address("127.0.0.3");
    private final RecordingHandler handler = new RecordingHandler();
    private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-27T12:00:00Z"));
    private SmtpServer server;
    private final List<TestClient> open = new ArrayList<>();

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private int start(Consumer<SmtpLimits.Builder> limits) throws Exception {
        SmtpLimits.Builder b = SmtpLimits.builder();
        limits.accept(b);
        server = SmtpServer.builder()
                .port(0)
                .clock(clock)
                .limits(b.build())
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        return server.port();
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

    private static void deliver(TestClient c) throws Exception {
        assertThat(c.cmd("EHLO other.example")).startsWith("250");
        assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
        assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        assertThat(c.cmd("DATA")).startsWith("354");
        assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
    }

    @Test
    void perIpConnectionCapKeepsRoomForOthers() throws Exception {
        start(l -> l.maxConnectionsPerIp(3).maxConnections(10));
        for (int i = 0; i < 3; i++) {
            assertThat(connect(FLOODER).reply()).startsWith("220");
        }
        for (int i = 0; i < 5; i++) {
            TestClient extra = connect(FLOODER);
            assertThat(extra.reply()).isEqualTo("421 4.7.0 localhost Too many connections from your address");
            assertThat(extra.reply()).isEqualTo("EOF");
        }
        TestClient other = connect(OTHER);
        assertThat(other.reply()).startsWith("220");
        deliver(other);
        assertThat(handler.messages).hasSize(1);
    }

    /**
     * The per-address count was raised before the connection-rate check and released only on the ways out the code
     * foresaw: a check that threw (here the rate limiter's clock) left it raised for good, and after as many such
     * failures as the address's limit every connection from it was refused "Too many connections from your address".
     */
    @Test
    void aFailedAdmissionReleasesItsPerAddressCount() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                if (failing.get()) {
                    throw new IllegalStateException("clock failed (test)");
                }
                return LimitsTest.this.clock.instant();
            }
        };
        server = SmtpServer.builder()
                .port(0)
                .clock(clock)
                .limits(SmtpLimits.builder().maxConnectionsPerIp(1).build())
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        failing.set(true);
        try (TestClient c = new TestClient(server.port(), FLOODER)) {
            assertThat(c.reply()).as("no session for a failed admission").isEqualTo("EOF");
        }
        failing.set(false);
        TestClient c = connect(FLOODER);
        assertThat(c.reply()).as("the failed admission's count released").startsWith("220");
        deliver(c);
    }

    @Test
    void globalConnectionCap() throws Exception {
        start(l -> l.maxConnections(2));
        assertThat(connect(FLOODER).reply()).startsWith("220");
        assertThat(connect(OTHER).reply()).startsWith("220");
        assertThat(connect(OTHER).reply()).startsWith("421 4.7.0 localhost Too many connections, try again later");
        open.get(0).close();
        // the slot is released when the session ends
        Await.until("the closed session ended", () -> server.activeSessions() <= 1);
        assertThat(connect(OTHER).reply()).startsWith("220");
    }

    @Test
    void perIpConnectionRateUsesTheInjectedClock() throws Exception {
        start(l -> l.connectionRatePerIp(2, Duration.ofMinutes(1)));
        for (int i = 0; i < 2; i++) {
            try (TestClient c = new TestClient(server.port(), FLOODER)) {
                assertThat(c.reply()).startsWith("220");
            }
        }
        try (TestClient c = new TestClient(server.port(), FLOODER)) {
            assertThat(c.reply()).startsWith("421 4.7.0 localhost Connection rate limit exceeded");
        }
        try (TestClient c = new TestClient(server.port(), OTHER)) {
            assertThat(c.reply()).startsWith("220");
        }
        clock.advance(Duration.ofSeconds(30)); // half a window refills one token
        try (TestClient c = new TestClient(server.port(), FLOODER)) {
            assertThat(c.reply()).startsWith("220");
        }
    }

    /**
     * A shared limiter (a cluster's Redis) that is slow to answer must not hold other clients' connections: its call
     * for the connection rate was made on the one accept thread, so while it waited no other client was greeted (two
     * relay nodes on a Redis answering in 100 ms admitted 10 connections a second each, and the clients' delay grew
     * without bound). The call now waits on the session's own thread.
     */
    @Test
    void aSlowSharedLimiterHoldsNoOtherClient() throws Exception {
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        org.mailhygiene.api.shared.RateLimiter slow = (key, capacity, window) -> {
            if (key.endsWith(FLOODER.getHostAddress())) {
                asked.countDown();
                try {
                    if (!answer.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                        throw new org.mailhygiene.api.shared.SharedStateException("test: never answered");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new org.mailhygiene.api.shared.SharedStateException("test: interrupted");
                }
                return false; // the cluster says: over the rate
            }
            return true;
        };
        server = SmtpServer.builder()
                .port(0)
                .clock(clock)
                .limits(SmtpLimits.builder()
                        .connectionRatePerIp(100, Duration.ofMinutes(1))
                        .build())
                .sharedLimiter(slow)
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        TestClient flooder = connect(FLOODER); // its rate is being asked, and the store does not answer yet
        assertThat(asked.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        TestClient other = connect(OTHER);
        other.socket.setSoTimeout(5_000);
        try {
            assertThat(other.reply()).startsWith("220"); // before: no greeting while the flooder's call waited
            deliver(other);
        } finally {
            answer.countDown();
        }
        assertThat(flooder.reply()).isEqualTo("421 4.7.0 localhost Connection rate limit exceeded, try again later");
        Await.until("the refused connection released its slot", () -> server.activeSessions() == 1);
    }

    @Test
    void perIpMessageRate() throws Exception {
        start(l -> l.messageRatePerIp(3, Duration.ofMinutes(1)));
        TestClient flooder = connect(FLOODER);
        flooder.reply();
        for (int i = 0; i < 3; i++) {
            deliver(flooder);
        }
        assertThat(flooder.cmd("MAIL FROM:<a@example.net>"))
                .isEqualTo("451 4.7.1 Too many messages from your address, try again later");
        TestClient other = connect(OTHER);
        other.reply();
        deliver(other);
        clock.advance(Duration.ofMinutes(1));
        assertThat(flooder.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
        assertThat(handler.messages).hasSize(4);
    }

    /**
     * A relay client (a gateway's edge, an edge's gateway) forwards many senders' mail: the per-address limits do not
     * apply to it. A gateway with a message rate of 5 a minute refused an edge's sixth message with 451, and the edge
     * then waited out a next-hop back-off of minutes (audit).
     */
    @Test
    void aRelayClientIsHeldToNoPerAddressLimit() throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .clock(clock)
                .limits(SmtpLimits.builder()
                        .messageRatePerIp(2, Duration.ofMinutes(1))
                        .connectionRatePerIp(2, Duration.ofMinutes(1))
                        .maxConnectionsPerIp(2)
                        .maxConnections(20)
                        .build())
                .accessRules(org.mailhygiene.smtp.access.AccessRules.parse("127.0.0.2:allow,RELAYCLIENT=\"\"\n"))
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        for (int i = 0; i < 5; i++) { // past the connection rate and, held open, the per-address cap
            TestClient c = connect(FLOODER);
            assertThat(c.reply()).startsWith("220");
        }
        TestClient relay = open.get(0);
        for (int i = 0; i < 5; i++) { // past the message rate
            deliver(relay);
        }
        assertThat(handler.messages).hasSize(5);
        // another client is held to them
        TestClient other = connect(OTHER);
        other.reply();
        deliver(other);
        deliver(other);
        assertThat(other.cmd("MAIL FROM:<a@example.net>"))
                .isEqualTo("451 4.7.1 Too many messages from your address, try again later");
        connect(OTHER).reply();
        assertThat(connect(OTHER).reply()).startsWith("421 4.7.0");
    }

    @Test
    void aFloodOfSlowSessionsDoesNotDelayAnotherClient() throws Exception {
        start(l -> l.maxConnectionsPerIp(20).maxConnections(40));
        for (int i = 0; i < 20; i++) {
            TestClient c = connect(FLOODER);
            assertThat(c.reply()).startsWith("220");
            assertThat(c.cmd("EHLO flood.example")).startsWith("250");
            c.send("MAIL FROM:<a@exa"); // and never finishes the line: a session held open mid-command
        }
        TestClient other = connect(OTHER);
        assertThat(other.reply()).startsWith("220");
        deliver(other);
        assertThat(server.activeSessions()).isEqualTo(21);
    }
}
