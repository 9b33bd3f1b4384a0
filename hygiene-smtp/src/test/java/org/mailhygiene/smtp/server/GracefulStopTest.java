package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.access.AcceptedDomains;

/**
 * What clients see when the server stops (SIGTERM for {@code hygiene relay}): {@code 421} rather than a silent close,
 * and a message whose data was complete answered before the session ends, so that no stored message goes
 * unacknowledged (its client would send it again: a duplicate).
 */
class GracefulStopTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    private int start() throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        return server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void anIdleSessionIsToldTheServerShutsDown() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            assertThat(c.reply()).startsWith("220");
            assertThat(c.cmd("EHLO client.example")).startsWith("250");
            server.stop();
            assertThat(c.reply()).startsWith("421 4.3.2 mx.test.example");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    @Test
    void aSessionInTheMiddleOfItsDataIsToldAndNothingIsHandled() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            c.cmd("EHLO client.example");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<b@example.org>")).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            c.send("Subject: half\r\n\r\nthe first half\r\n");
            server.stop();
            assertThat(c.reply()).startsWith("421 4.3.2");
        }
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void aMessageBeingStoredIsAnsweredBeforeTheSessionEnds() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        handler.reply = env -> {
            inHandler.countDown();
            try {
                Thread.sleep(500); // the scan and the spool write
            } catch (InterruptedException e) {
                interrupted.set(true);
                Thread.currentThread().interrupt();
            }
            return new SmtpReply(250, "2.0.0", "Ok (queued as Q1)");
        };
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            c.cmd("EHLO client.example");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<b@example.org>");
            c.cmd("DATA");
            c.send("Subject: whole\r\n\r\nall of it\r\n.\r\n");
            assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::stop);
            assertThat(c.reply()).startsWith("250 2.0.0 Ok (queued as Q1)");
            assertThat(c.reply()).startsWith("421 4.3.2");
            stopped.get(15, TimeUnit.SECONDS);
        }
        assertThat(interrupted).isFalse();
        assertThat(handler.messages).hasSize(1);
    }
}
