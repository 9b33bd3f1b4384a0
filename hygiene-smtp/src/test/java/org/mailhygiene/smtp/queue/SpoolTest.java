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
import org.mailhygiene.smtp.dsn.DsnRequest;
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
                assertThat(files.filter(f -> f.toFile().length() > 0))
                        .as("only empty spare files")
                        .isEmpty();
            }
            assertThatThrownBy(() -> s.update(back)).isInstanceOf(NoSuchFileException.class);
        }
    }

    @Test
    void theRemoteMtaOfAReplySurvivesReopenAndARecordWithoutOneStillReads() throws Exception {
        QueueId id;
        try (Spool s = Spool.open(dir)) {
            QueuedMessage m = s.store(envelope("a@x.org", "b@y.org", "c@z.org", "d@z.org"), body("hello\r\n"));
            id = m.id();
            m = m.withRecipient("b@y.org", r -> r.failed("550 5.1.1 no", true, Optional.of("mx.y.org[192.0.2.1]:25")));
            m = m.withRecipient("c@z.org", r -> r.failed("550 5.1.2 z.org: no such domain", true));
            s.update(m);
        }
        String record;
        try (Spool s = Spool.open(dir)) {
            QueuedMessage back = s.recover().get(0);
            record = new String(RecordCodec.encodeQueued(back), StandardCharsets.UTF_8);
            assertThat(back.recipients())
                    .extracting(RecipientState::remoteMta)
                    .containsExactly(Optional.of("mx.y.org[192.0.2.1]:25"), Optional.empty(), Optional.empty());
            assertThat(back.recipients().get(0).bounced().remoteMta()).contains("mx.y.org[192.0.2.1]:25");
        }
        // the remote MTA is a line of its own, which a version without it skips: a record of that version reads too
        assertThat(record).contains("\nremote\t0\tmx.y.org[192.0.2.1]:25\n");
        String older = record.replaceAll("(remote|sum)\t[^\n]*\n", "");
        QueuedMessage old =
                RecordCodec.decodeQueued(older.getBytes(StandardCharsets.UTF_8), dir.resolve("x"), dir.resolve("x"), 0);
        assertThat(old.id()).isEqualTo(id);
        assertThat(old.recipients()).allMatch(r -> r.remoteMta().isEmpty());
    }

    @Test
    void attemptTimesAndNoticeBookkeepingSurviveReopenInLinesAnOlderVersionSkips() throws Exception {
        java.time.Instant t1 = java.time.Instant.parse("2026-11-27T12:34:56Z");
        QueueId id;
        try (Spool s = Spool.open(dir)) {
            QueuedMessage m = s.store(envelope("a@x.org", "b@y.org", "c@z.org", "d@z.org"), body("hello\r\n"));
            id = m.id();
            m = m.withRecipient("b@y.org", r -> r.delivered("250 ok").withLastAttempt(t1));
            m = m.withRecipient("d@z.org", r -> r.delivered("250 ok").withLastAttempt(t1.plusSeconds(1)));
            m = m.withNotices(QueuedMessage.Notices.NONE
                    .withRelayedOwed(java.util.Set.of(2, 0))
                    .withDelayNotified(t1.plusSeconds(2)));
            s.update(m);
        }
        String record;
        try (Spool s = Spool.open(dir)) {
            QueuedMessage back = s.recover().get(0);
            record = new String(RecordCodec.encodeQueued(back), StandardCharsets.UTF_8);
            assertThat(back.recipients())
                    .extracting(RecipientState::lastAttempt)
                    .containsExactly(Optional.of(t1), Optional.empty(), Optional.of(t1.plusSeconds(1)));
            assertThat(back.notices().relayedOwed()).containsExactly(0, 2);
            assertThat(back.notices().delayNotified()).contains(t1.plusSeconds(2));
        }
        assertThat(record)
                .contains("\nattempted\t0\t2026-11-27T12:34:56Z\n")
                .contains("\nrelayed-owed\t0\nrelayed-owed\t2\n")
                .contains("\ndelay-notified\t2026-11-27T12:34:58Z\n");
        // the rcpt lines keep the six fields an older version requires; the new lines are its unknown keys
        assertThat(record.lines().filter(l -> l.startsWith("rcpt\t"))).allMatch(l -> l.split("\t", -1).length == 6);
        String older = record.replaceAll("(attempted|relayed-owed|delay-notified|sum)\t[^\n]*\n", "");
        QueuedMessage old =
                RecordCodec.decodeQueued(older.getBytes(StandardCharsets.UTF_8), dir.resolve("x"), dir.resolve("x"), 0);
        assertThat(old.id()).isEqualTo(id);
        assertThat(old.recipients()).allMatch(r -> r.lastAttempt().isEmpty());
        assertThat(old.notices()).isEqualTo(QueuedMessage.Notices.NONE);
    }

    @Test
    void dsnParametersSurviveReopenAndUpdatesAndARecordWithoutThemStillReads() throws Exception {
        DsnRequest dsn = new DsnRequest(
                Optional.of(DsnRequest.Ret.HDRS),
                Optional.of("QQ 100% id"),
                List.of(
                        new DsnRequest.Recipient(
                                Set.of(DsnRequest.Notify.SUCCESS, DsnRequest.Notify.DELAY),
                                Optional.of(new DsnRequest.Orcpt("rfc822", "orig+1@x.org"))),
                        DsnRequest.Recipient.NONE,
                        new DsnRequest.Recipient(Set.of(DsnRequest.Notify.NEVER), Optional.empty()),
                        new DsnRequest.Recipient(
                                Set.of(), Optional.of(new DsnRequest.Orcpt("utf-8", "j\u00f6rg %@x.org")))));
        Envelope env = envelope("a@x.org", "b@y.org", "c@z.org", "d@z.org", "e@z.org");
        QueuedMessage m;
        try (Spool s = Spool.open(dir)) {
            m = s.store(env, new byte[0], body("hello\r\n"), dsn);
            assertThat(m.dsn()).isEqualTo(dsn);
            assertThat(m.dsn(2).wantsFailure()).isFalse();
            m = m.withRecipient("b@y.org", r -> r.delivered("250 ok"));
            assertThat(m.dsn()).as("kept through state changes").isEqualTo(dsn);
            s.update(m);
        }
        String record;
        try (Spool s = Spool.open(dir)) {
            QueuedMessage back = s.recover().get(0);
            assertThat(back).isEqualTo(m);
            assertThat(back.dsn()).isEqualTo(dsn);
            record = new String(RecordCodec.encodeQueued(back), StandardCharsets.UTF_8);
        }
        assertThat(record)
                .contains(
                        "\nret\tHDRS\n", "\nnotify\t0\tSUCCESS,DELAY\n", "\nnotify\t2\tNEVER\n", "\norcpt\t3\tutf-8\t");
        // lines of their own: without them the record is exactly the one a version without DSN support writes (and
        // reads, skipping lines it does not know)
        String without = record.replaceAll("(ret|envid|notify|orcpt|sum)\t[^\n]*\n", "");
        assertThat(without)
                .isEqualTo(new String(
                                RecordCodec.encodeQueued(new QueuedMessage(
                                        m.id(),
                                        m.envelope(),
                                        m.queuedAt(),
                                        m.recipients(),
                                        m.size(),
                                        m.file(),
                                        m.contentOffset())),
                                StandardCharsets.UTF_8)
                        .replaceAll("sum\t[^\n]*\n", ""));
        QueuedMessage old = RecordCodec.decodeQueued(
                without.getBytes(StandardCharsets.UTF_8), dir.resolve("x"), dir.resolve("x"), 0);
        assertThat(old.dsn()).isEqualTo(DsnRequest.NONE);
        assertThat(old.recipients()).isEqualTo(m.recipients());
        // only message-level parameters: no per-recipient entries
        DsnRequest onlyRet = new DsnRequest(Optional.of(DsnRequest.Ret.FULL), Optional.empty(), List.of());
        QueuedMessage r = RecordCodec.decodeQueued(
                RecordCodec.encodeQueued(new QueuedMessage(
                        m.id(), m.envelope(), m.queuedAt(), m.recipients(), m.size(), m.file(), 0, onlyRet)),
                dir.resolve("x"),
                dir.resolve("x"),
                0);
        assertThat(r.dsn()).isEqualTo(onlyRet);
        QueuedMessage last = m;
        assertThatThrownBy(() -> new QueuedMessage(
                        last.id(),
                        last.envelope(),
                        last.queuedAt(),
                        last.recipients(),
                        last.size(),
                        last.file(),
                        0,
                        new DsnRequest(Optional.empty(), Optional.empty(), List.of(DsnRequest.Recipient.NONE))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A message delivered after a restart (a crash included) was logged {@code verdicts=? disposition=?}: the spool
     * kept nothing of its scan. The record keeps the log line's text now, through updates and a reopen, for messages
     * the relay stores, bounces and notices the node writes ({@code storeOnce}) and releases handed over through
     * {@code incoming/}.
     */
    @Test
    void whatTheScanSaidSurvivesUpdatesAndAReopen() throws Exception {
        String scan = "verdicts=[builtin:CLEAN bayes:SPAM(0.93/0.8)] disposition=TAG";
        QueueId bounceId = new QueueId("0ABCDEFGHIJKLMNOPQRS");
        QueueId released = QueueId.generate(java.time.Clock.systemUTC());
        QueuedMessage m;
        QueuedMessage plain;
        try (Spool s = Spool.open(dir)) {
            m = s.store(
                    envelope("a@example.com", "b@example.org"),
                    new byte[0],
                    body("Subject: t\r\n\r\nbody\r\n"),
                    org.mailhygiene.smtp.dsn.DsnRequest.NONE,
                    Optional.of(scan));
            assertThat(m.scan()).contains(scan);
            s.update(m.withRecipient("b@example.org", r -> r.deferred("451 4.4.1 down", Instant.now())));
            assertThat(s.storeOnce(
                            bounceId, envelope("", "a@example.com"), body("x\r\n"), Optional.of(ScanNote.BOUNCE)))
                    .isPresent();
            plain = s.store(envelope("a@example.com", "c@example.org"), body("y\r\n"));
        }
        Path staged = Incoming.stage(
                dir,
                released,
                envelope("a@example.com", "d@example.org"),
                body("z\r\n"),
                org.mailhygiene.smtp.dsn.DsnRequest.NONE,
                Optional.of(ScanNote.RELEASED),
                java.time.Clock.systemUTC());
        assertThat(staged).exists();
        Incoming.commit(dir, released);
        try (Spool s = Spool.open(dir)) {
            assertThat(s.pickUpIncoming())
                    .singleElement()
                    .satisfies(q -> assertThat(q.scan()).contains(ScanNote.RELEASED));
            java.util.Map<QueueId, Optional<String>> scans = new java.util.HashMap<>();
            for (QueuedMessage q : s.recover()) {
                scans.put(q.id(), q.scan());
            }
            assertThat(scans)
                    .containsEntry(m.id(), Optional.of(scan))
                    .containsEntry(bounceId, Optional.of(ScanNote.BOUNCE))
                    .containsEntry(released, Optional.of(ScanNote.RELEASED))
                    .containsEntry(plain.id(), Optional.empty());
            assertThat(s.get(m.id()).orElseThrow().recipients().get(0).attempts())
                    .as("the update was read")
                    .isEqualTo(1);
        }
    }

    @Test
    void storeOnceStoresAMessageUnderItsIdOnlyOnce() throws Exception {
        QueueId id = new QueueId("0ABCDEFGHIJKLMNOPQRS");
        try (Spool s = Spool.open(dir)) {
            assertThat(s.storeOnce(id, envelope("", "a@x.org"), body("one\r\n")))
                    .isPresent();
            assertThat(s.storeOnce(id, envelope("", "a@x.org"), body("two\r\n")))
                    .isEmpty();
            assertThat(s.get(id).orElseThrow().content().readAllBytes())
                    .isEqualTo("one\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        try (Spool s = Spool.open(dir)) {
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(id);
            assertThat(s.storeOnce(id, envelope("", "a@x.org"), body("three\r\n")))
                    .isEmpty();
            // a store of it cut short (never committed) is replaced
            QueueId torn = new QueueId("0ABCDEFGHIJKLMNOPQRT");
            Files.write(dir.resolve("queue").resolve(torn.value() + ".q"), new byte[] {1, 2, 3});
            assertThat(s.storeOnce(torn, envelope("", "a@x.org"), body("four\r\n")))
                    .isPresent();
            assertThat(s.get(torn)).isPresent();
        }
    }

    @Test
    void recoverKeepsUncommittedFilesAsideCutsTornUpdatesAndKeepsDamagedFilesAside() throws Exception {
        QueueId kept;
        QueueId torn;
        QueueId damaged;
        QueueId bad;
        Path q = dir.resolve("queue");
        byte[] committed;
        try (Spool s = Spool.open(dir)) {
            kept = s.store(envelope("a@x.org", "b@y.org"), body("kept")).id();
            QueuedMessage t = s.store(envelope("a@x.org", "c@y.org"), body("torn"));
            torn = t.id();
            s.update(t.withRecipient("c@y.org", r -> r.deferred("451 first", Instant.parse("2026-11-27T12:00:00Z"))));
            damaged = s.store(envelope("a@x.org", "d@y.org"), body("damaged")).id();
            bad = s.store(envelope("a@x.org", "e@y.org"), body("bad record")).id();
            committed = Files.readAllBytes(q.resolve(kept.value() + ".q"));
        }
        // A crash while appending the second update: only its first bytes reached the disk.
        try (var out = Files.newOutputStream(q.resolve(torn.value() + ".q"), java.nio.file.StandardOpenOption.APPEND)) {
            out.write(new byte[] {'M', 'H', 'U', 'P', 0, 0, 1});
        }
        // A committed file damaged afterwards: one flipped content byte.
        Path d = q.resolve(damaged.value() + ".q");
        byte[] db = Files.readAllBytes(d);
        db[db.length - 12] ^= 0x20;
        Files.write(d, db);
        // Not a spool file at all, with a spool file's name.
        Files.writeString(q.resolve(bad.value() + ".q"), "this is not a spool file, but a long enough text");
        // Crashes while storing: a file cut before its commit mark, and an empty one.
        Files.write(q.resolve("AAAAAAAAAAAAAAAAAAAA.q"), java.util.Arrays.copyOf(committed, committed.length - 8));
        Files.write(q.resolve("BBBBBBBBBBBBBBBBBBBB.q"), new byte[0]);
        // Files the spool does not own (for example a format-1 spool's) are left alone.
        Files.writeString(q.resolve("CCCCCCCCCCCCCCCCCCCC.env"), "hygiene-spool\t1\n");
        try (Spool s = Spool.open(dir)) {
            List<QueuedMessage> rec = s.recover();
            assertThat(rec).extracting(QueuedMessage::id).containsExactly(kept, torn);
            assertThat(rec.get(1).recipients().get(0).lastReply()).contains("451 first");
            assertThat(Files.exists(q.resolve("AAAAAAAAAAAAAAAAAAAA.q"))).isFalse();
            // kept aside, not deleted: a committed file cut short by damage looks the same
            assertThat(q.resolve("AAAAAAAAAAAAAAAAAAAA.q.incomplete"))
                    .hasBinaryContent(java.util.Arrays.copyOf(committed, committed.length - 8));
            assertThat(Files.exists(q.resolve("BBBBBBBBBBBBBBBBBBBB.q"))).isFalse();
            assertThat(Files.exists(q.resolve("CCCCCCCCCCCCCCCCCCCC.env"))).isTrue();
            assertThat(Files.exists(q.resolve(damaged.value() + ".q.corrupt"))).isTrue();
            assertThat(Files.exists(q.resolve(bad.value() + ".q.corrupt"))).isTrue();
            // The torn tail was cut, so a new update is found after the last intact one.
            s.update(rec.get(1).withRecipient("c@y.org", r -> r.delivered("250 second")));
            assertThat(s.get(torn).orElseThrow().recipients().get(0).lastReply())
                    .contains("250 second");
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(kept, torn);
        }
    }

    @Test
    void anAcknowledgedMessageWhoseFileWasCutShortIsKeptAsideNotDeleted() throws Exception {
        Path q = dir.resolve("queue");
        QueueId cut;
        QueueId whole;
        try (Spool s = Spool.open(dir)) {
            cut = s.store(envelope("a@x.org", "b@y.org"), body("acknowledged with 250, then damaged"))
                    .id();
            whole = s.store(envelope("a@x.org", "c@y.org"), body("intact")).id();
        }
        // Damage after the commit (a file system repair, a bad copy): the file loses its last 30 bytes, commit mark
        // included, so it looks like a store that a crash cut off.
        Path f = q.resolve(cut.value() + ".q");
        byte[] original = Files.readAllBytes(f);
        byte[] shortened = java.util.Arrays.copyOf(original, original.length - 30);
        ;
        Files.write(f, shortened);
        try (Spool s = Spool.open(dir)) {
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(whole);
            assertThat(q.resolve(cut.value() + ".q.incomplete")).hasBinaryContent(shortened);
            assertThat(Files.exists(f)).isFalse();
            // a second recovery leaves it alone (and does not call it a foreign file)
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(whole);
            assertThat(q.resolve(cut.value() + ".q.incomplete")).exists();
        }
    }

    /**
     * A file cut before its commit mark was moved aside as {@code ID.q.incomplete} and then kept for ever: nothing
     * removed it, and a node that crashed now and then filled its queue directory with them.
     */
    /**
     * Only files the spool named {@code ID.q.incomplete} are deleted. Before, any name ending in {@code .q.incomplete}
     * was: an administrator's copy ({@code notes.q.incomplete}, {@code ID-copy.q.incomplete}) went with the rest. A
     * symbolic link is left alone, and so is what it points to.
     */
    @Test
    void onlyTheSpoolsOwnIncompleteFilesAreDeleted() throws Exception {
        Path q = dir.resolve("queue");
        Instant start = Instant.parse("2026-03-01T10:00:00Z");
        FakeClock clock = FakeClock.at(start);
        try (Spool s = Spool.builder(dir).clock(clock).build()) {
            s.recover();
        }
        Path outside = Files.writeString(dir.resolve("outside.txt"), "not the spool's");
        List<Path> others = List.of(
                q.resolve("notes.q.incomplete"),
                q.resolve("AAAAAAAAAAAAAAAAAAAA-copy.q.incomplete"),
                q.resolve("aaaaaaaaaaaaaaaaaaaa.q.incomplete"));
        for (Path p : others) {
            Files.writeString(p, "an administrator's file");
        }
        Path own = Files.writeString(q.resolve("BBBBBBBBBBBBBBBBBBBB.q.incomplete"), "set aside");
        Path link = Files.createSymbolicLink(q.resolve("CCCCCCCCCCCCCCCCCCCC.q.incomplete"), outside);
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(start.minus(Duration.ofDays(300)));
        for (Path p : List.of(others.get(0), others.get(1), others.get(2), own, outside)) {
            Files.setLastModifiedTime(p, old);
        }
        try (Spool s = Spool.builder(dir).clock(clock).build()) {
            assertThat(s.removeIncomplete(Duration.ofDays(7))).containsExactly(own);
        }
        assertThat(others).allMatch(Files::exists);
        assertThat(link).isSymbolicLink();
        assertThat(outside).hasContent("not the spool's");
    }

    @Test
    void incompleteFilesAreDeletedOnceSetAsideLongerAgoThanTheRetention() throws Exception {
        Path q = dir.resolve("queue");
        Instant start = Instant.parse("2026-03-01T10:00:00Z");
        FakeClock clock = FakeClock.at(start);
        byte[] committed;
        QueueId whole;
        try (Spool s = Spool.builder(dir).clock(clock).build()) {
            whole = s.store(envelope("a@x.org", "b@y.org"), body("intact")).id();
            committed = Files.readAllBytes(q.resolve(whole.value() + ".q"));
        }
        // A store that a crash cut off 30 days ago, found by a node that was down since: its age counts from now.
        Path cut = q.resolve("AAAAAAAAAAAAAAAAAAAA.q");
        Files.write(cut, java.util.Arrays.copyOf(committed, committed.length / 2));
        Files.setLastModifiedTime(cut, java.nio.file.attribute.FileTime.from(start.minus(Duration.ofDays(30))));
        // Files never deleted: committed but unreadable, or not the spool's.
        Files.writeString(q.resolve("BBBBBBBBBBBBBBBBBBBB.q.corrupt"), "acknowledged, unreadable");
        Files.writeString(q.resolve("notes.txt"), "an administrator's file");
        for (String f : List.of("BBBBBBBBBBBBBBBBBBBB.q.corrupt", "notes.txt")) {
            Files.setLastModifiedTime(
                    q.resolve(f), java.nio.file.attribute.FileTime.from(start.minus(Duration.ofDays(300))));
        }
        Path aside = q.resolve("AAAAAAAAAAAAAAAAAAAA.q.incomplete");
        try (Spool s = Spool.builder(dir).clock(clock).build()) {
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(whole);
            assertThat(aside).exists();
            assertThat(Files.getLastModifiedTime(aside).toInstant()).isEqualTo(start);
            assertThat(s.removeIncomplete(Duration.ofDays(7))).isEmpty();
            clock.advance(Duration.ofDays(7).minusSeconds(1));
            assertThat(s.removeIncomplete(Duration.ofDays(7))).isEmpty();
            assertThat(aside).exists();
            clock.advance(Duration.ofSeconds(1));
            // A message stored meanwhile (its file named ID.q) is not touched, whatever its age.
            QueueId later = s.store(envelope("a@x.org", "c@y.org"), body("stored later"))
                    .id();
            assertThat(s.removeIncomplete(Duration.ofDays(7))).containsExactly(aside);
            assertThat(aside).doesNotExist();
            assertThat(q.resolve("BBBBBBBBBBBBBBBBBBBB.q.corrupt")).exists();
            assertThat(q.resolve("notes.txt")).exists();
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactly(whole, later);
            assertThat(s.removeIncomplete(Duration.ofDays(7))).isEmpty();
            assertThatThrownBy(() -> s.removeIncomplete(Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("retention must be positive, was PT0S");
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

    /** Content that says it has 100 bytes and gives 10. */
    static MessageContent liar() {
        return new MessageContent() {
            @Override
            public long size() {
                return 100;
            }

            @Override
            public java.io.InputStream openStream() {
                return new java.io.ByteArrayInputStream(new byte[10]);
            }
        };
    }

    /**
     * A release on a full file system said only "No space left on device" (session 36's leftovers): a failure to write
     * the staged file names it now, and one to read the message is passed on as it was (the staged file is not what
     * failed). Nothing is left behind either way.
     */
    @Test
    void aStagedFileThatCannotBeWrittenIsNamedAndAMessageThatCannotBeReadIsNot() throws Exception {
        MessageContent liar = liar();
        QueueId id = QueueId.generate(java.time.Clock.systemUTC());
        Path staged = dir.resolve("incoming").resolve("tmp").resolve(id.value() + Spool.SUFFIX);
        assertThatThrownBy(() -> Incoming.stage(dir, id, envelope("a@b.c", "d@e.f"), liar, java.time.Clock.systemUTC()))
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(staged + ": content delivered 10 bytes but declared 100");
        MessageContent unreadable = new MessageContent() {
            @Override
            public long size() {
                return 100;
            }

            @Override
            public java.io.InputStream openStream() {
                return new java.io.InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("Input/output error");
                    }
                };
            }
        };
        assertThatThrownBy(() ->
                        Incoming.stage(dir, id, envelope("a@b.c", "d@e.f"), unreadable, java.time.Clock.systemUTC()))
                .isExactlyInstanceOf(IOException.class)
                .hasMessage("Input/output error");
        assertThat(Incoming.isStaged(dir, id)).isFalse();
    }

    @Test
    void contentThatLiesAboutItsSizeIsNotStored() throws Exception {
        MessageContent liar = liar();
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
        try (Spool s = Spool.builder(dir).groupCommit(true).spareFiles(0).build()) {
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
        }
        try (Spool s = Spool.builder(dir).spareFiles(0).build()) {
            s.store(envelope("a@x.org", "b@y.org"), body("x"));
            assertThat(s.directoryForces()).isEqualTo(1);
        }
    }

    @Test
    void sparesTakeTheDirectoryForceOffTheStorePathAndNeverLookLikeMessages() throws Exception {
        Path q = dir.resolve("queue");
        List<QueueId> stored = new ArrayList<>();
        try (Spool s = Spool.open(dir)) { // 64 spares by default
            for (int i = 0; i < 10; i++) {
                stored.add(
                        s.store(envelope("a@x.org", "b@y.org"), body("m" + i)).id());
            }
            assertThat(s.directoryForces()).as("every store used a spare").isZero();
            assertThat(s.size()).isEqualTo(10);
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactlyElementsOf(stored);
        }
        try (var files = Files.list(q)) {
            assertThat(files).as("close removes unused spares").hasSize(10);
        }
        // A crash leaves its spares behind: empty files with queue-id names. Recovery removes them.
        Path leftover = q.resolve("ZZZZZZZZZZZZZZZZZZZZ.q");
        Files.createFile(leftover);
        try (Spool s = Spool.builder(dir).spareFiles(0).build()) {
            assertThat(s.recover()).extracting(QueuedMessage::id).containsExactlyElementsOf(stored);
            assertThat(Files.exists(leftover)).isFalse();
            s.store(envelope("a@x.org", "b@y.org"), body("no spare"));
            assertThat(s.directoryForces()).isEqualTo(1);
        }
        // More stores than spares at once: the rest create their files; nothing is lost either way.
        Set<QueueId> burst = new HashSet<>();
        try (Spool s = Spool.builder(dir).spareFiles(2).build()) {
            for (int i = 0; i < 20; i++) {
                burst.add(s.store(envelope("a@x.org", "b@y.org"), body("burst " + i))
                        .id());
            }
            assertThat(s.recover()).extracting(QueuedMessage::id).containsAll(burst);
        }
        assertThatThrownBy(() -> Spool.builder(dir).spareFiles(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Spool.builder(dir).spareFiles(10_001)).isInstanceOf(IllegalArgumentException.class);
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
