package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.FakeClock;

class SpoolTest {
    @TempDir
    Path dir;

    static Envelope envelope(String sender, String... rcpts) throws IOException {
        return new Envelope(
                Optional.of(InetAddress.getByName("192.0.2.7")),
                Optional.of("client.example"),
                sender,
                List.of(rcpts),
                Instant.parse("2026-11-27T12:00:00Z"));
    }

    static MessageContent body(String text) {
        return MessageContent.ofString(text, StandardCharsets.UTF_8);
    }

    @Test
    void storedBytesAndEnvelopeSurviveReopen() throws Exception {
        byte[] prefix =
                "Received: from x by y; Fri, 27 Nov 2026 12:00:00 +0000\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] raw = "Subject: t\r\n\r\nbody\r\n.leading dot\r\n\u00e9\r\n".getBytes(StandardCharsets.UTF_8);
        Envelope env = envelope("a@example.com", "b@example.org", "tab\there@x.org", "100%@x.org");
        QueuedMessage m;
        try (Spool s = Spool.open(dir)) {
            m = s.store(env, prefix, MessageContent.ofBytes(raw));
            assertThat(m.size()).isEqualTo(prefix.length + raw.length);
        }
        try (Spool s = Spool.open(dir)) {
            List<QueuedMessage> rec = s.recover();
            assertThat(rec).hasSize(1);
            QueuedMessage back = rec.get(0);
            assertThat(back).isEqualTo(m);
            byte[] expected = new byte[prefix.length + raw.length];
            System.arraycopy(prefix, 0, expected, 0, prefix.length);
            System.arraycopy(raw, 0, expected, prefix.length, raw.length);
            assertThat(back.content().readAllBytes()).isEqualTo(expected);
            assertThat(back.envelope()).isEqualTo(env);
            assertThat(back.recipients()).allMatch(r -> r.status() == RecipientState.Status.PENDING);
        }
    }

    @Test
    void nullSenderAndNoClientRoundTrip() throws Exception {
        Envelope env = new Envelope(
                Optional.empty(), Optional.empty(), "", List.of("postmaster"), Instant.parse("2026-01-01T00:00:00Z"));
        try (Spool s = Spool.open(dir)) {
            QueuedMessage m = s.store(env, body("x"));
            assertThat(s.get(m.id())).contains(m);
        }
    }

    @Test
    void updatesAreDurableAndCompleteRemoves() throws Exception {
        FakeClock clock = FakeClock.at(Instant.parse("2026-11-27T12:00:00Z"));
        QueueId id;
        try (Spool s = Spool.builder(dir).clock(clock).build()) {
            QueuedMessage m = s.store(envelope("a@x.org", "b@y.org", "c@z.org"), body("hello\r\n"));
            id = m.id();
            m = m.withRecipient("b@y.org", r -> r.delivered("250 ok"));
            m = m.withRecipient(
                    "c@z.org", r -> r.deferred("451 later", clock.instant().plusSeconds(400)));
            s.update(m);
        }
        try (Spool s = Spool.open(dir)) {
            QueuedMessage back = s.recover().get(0);
            assertThat(back.recipients())
                    .extracting(RecipientState::status)
                    .containsExactly(RecipientState.Status.DELIVERED, RecipientState.Status.PENDING);
            assertThat(back.recipients().get(1).nextAttempt()).contains(Instant.parse("2026-11-27T12:06:40Z"));
            assertThat(back.recipients().get(1).lastReply()).contains("451 later");
            assertThat(s.complete(id)).isTrue();
            assertThat(s.complete(id)).isFalse();
            assertThat(s.recover()).isEmpty();
            assertThat(s.size()).isZero();
            try (var files = Files.list(dir.resolve("queue"))) {
                assertThat(files).isEmpty();
            }
            assertThatThrownBy(() -> s.update(back)).isInstanceOf(NoSuchFileException.class);
        }
    }

    @Test
    void recoverRemovesUncommittedFilesAndKeepsCorruptRecordsAside() throws Exception {
        QueueId kept;
        try (Spool s = Spool.open(dir)) {
            kept = s.store(envelope("a@x.org", "b@y.org"), body("kept")).id();
        }
        Path q = dir.resolve("queue");
        Files.writeString(q.resolve("AAAAAAAAAAAAAAAAAAAA.msg"), "orphan message");
        Files.writeString(q.resolve("BBBBBBBBBBBBBBBBBBBB.env"), "orphan envelope");
        Files.writeString(q.resolve("CCCCCCCCCCCCCCCCCCCC.msg"), "m");
        Files.writeString(q.resolve("CCCCCCCCCCCCCCCCCCCC.env"), "hygiene-spool\t1\nid\tCCC\n"); // truncated
        Files.writeString(dir.resolve("tmp").resolve("x.msg"), "partial");
        try (Spool s = Spool.open(dir)) {
            assertThat(Files.exists(dir.resolve("tmp").resolve("x.msg"))).isFalse();
            List<QueuedMessage> rec = s.recover();
            assertThat(rec).extracting(QueuedMessage::id).containsExactly(kept);
            assertThat(Files.exists(q.resolve("AAAAAAAAAAAAAAAAAAAA.msg"))).isFalse();
            assertThat(Files.exists(q.resolve("BBBBBBBBBBBBBBBBBBBB.env"))).isFalse();
            assertThat(Files.exists(q.resolve("CCCCCCCCCCCCCCCCCCCC.env.corrupt")))
                    .isTrue();
        }
    }

    @Test
    void aSpoolCannotBeOpenedTwice() throws Exception {
        try (Spool s = Spool.open(dir)) {
            assertThatThrownBy(() -> Spool.open(dir))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already");
        }
        try (Spool again = Spool.open(dir)) {
            assertThat(again.size()).isZero();
        }
    }

    @Test
    void storeRefusesAnEnvelopeWithoutRecipientsAndAClosedSpool() throws Exception {
        Spool s = Spool.open(dir);
        assertThatThrownBy(() -> s.store(Envelope.of("a@b.c", List.of()), body("x")))
                .isInstanceOf(IllegalArgumentException.class);
        s.close();
        assertThatThrownBy(() -> s.store(envelope("a@b.c", "d@e.f"), body("x")))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void contentThatLiesAboutItsSizeIsNotStored() throws Exception {
        MessageContent liar = new MessageContent() {
            @Override
            public long size() {
                return 100;
            }

            @Override
            public java.io.InputStream openStream() {
                return new java.io.ByteArrayInputStream(new byte[10]);
            }
        };
        try (Spool s = Spool.open(dir)) {
            assertThatThrownBy(() -> s.store(envelope("a@b.c", "d@e.f"), liar)).isInstanceOf(IOException.class);
            assertThat(s.recover()).isEmpty();
        }
    }

    @Test
    void concurrentStoresWithGroupCommitAreAllDurableAndShareForces() throws Exception {
        int threads = 8;
        int per = 25;
        Set<QueueId> ids = new HashSet<>();
        try (Spool s = Spool.builder(dir).groupCommit(true).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<QueueId>>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        List<QueueId> mine = new ArrayList<>();
                        for (int i = 0; i < per; i++) {
                            mine.add(s.store(envelope("a@x.org", "b@y.org"), body("m" + i))
                                    .id());
                        }
                        return mine;
                    }));
                }
                for (Future<List<QueueId>> f : fs) {
                    ids.addAll(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(ids).hasSize(threads * per);
            assertThat(s.directoryForces()).isBetween(1L, (long) threads * per);
        }
        try (Spool s = Spool.open(dir)) {
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    @Test
    void groupCommitIsOffByDefaultAsDocumented() throws Exception {
        try (Spool s = Spool.open(dir)) {
            assertThat(s.groupCommit()).isFalse();
            s.store(envelope("a@x.org", "b@y.org"), body("x"));
            assertThat(s.directoryForces()).isEqualTo(1);
        }
    }

    @Test
    void queueIdsAreUniqueOrderedAndFileNameSafe() {
        FakeClock clock = FakeClock.at(Instant.parse("2026-11-27T12:00:00Z"));
        Set<String> seen = new HashSet<>();
        QueueId prev = null;
        for (int i = 0; i < 10_000; i++) {
            if (i % 100 == 0) {
                clock.advance(Duration.ofMillis(1));
            }
            QueueId id = QueueId.generate(clock);
            assertThat(id.value()).matches("[0-9A-Z]{20}");
            assertThat(seen.add(id.value())).isTrue();
            if (prev != null && i % 100 == 0) {
                assertThat(id).isGreaterThan(prev);
            }
            prev = id;
        }
        assertThatThrownBy(() -> new QueueId("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
    }
}
