package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files through which {@code hygiene queue delete|bounce} asks a running node (session 48). */
class QueueRequestsTest {
    @TempDir
    Path spool;

    @Test
    void aRequestIsTakenOnceAnsweredAndTheAnswerReadOnce() throws Exception {
        QueueId id = new QueueId("0MX5R8HWF57D65IVW3GH");
        String name = QueueRequests.submit(spool, QueueRequests.Action.BOUNCE, List.of(id));
        List<QueueRequests.Request> taken = QueueRequests.take(spool, false, Instant.now());
        assertThat(taken).hasSize(1);
        QueueRequests.Request r = taken.get(0);
        assertThat(r.name()).isEqualTo(name);
        assertThat(r.action()).isEqualTo(QueueRequests.Action.BOUNCE);
        assertThat(r.all()).isFalse();
        assertThat(r.ids()).containsExactly(id);
        assertThat(r.problem()).isEmpty();
        assertThat(QueueRequests.take(spool, false, Instant.now())).isEmpty();
        assertThat(QueueRequests.withdraw(spool, name)).isFalse(); // taken: the node carries it out

        QueueRequests.answer(spool, name, List.of(id.value() + " returned"));
        assertThat(QueueRequests.awaitAnswer(spool, name, Duration.ofSeconds(5)))
                .contains(List.of(id.value() + " returned"));
        try (var files = Files.list(QueueRequests.directory(spool))) {
            assertThat(files.toList()).isEmpty();
        }
    }

    /**
     * An audit (session 53): a running node answering {@code --all} over an empty queue wrote one newline, read back
     * as one empty line, and {@code hygiene queue delete --all} printed {@code hygiene queue: : delete failed: null}
     * and exited 2 (a stopped node's queue said "the queue holds no message"). An answer of no line reads as none.
     */
    @Test
    void anAnswerOfNoLineIsReadAsNoLine() throws Exception {
        String name = QueueRequests.submit(spool, QueueRequests.Action.DELETE, List.of());
        assertThat(QueueRequests.take(spool, false, Instant.now())).hasSize(1);
        QueueRequests.answer(spool, name, List.of());
        assertThat(QueueRequests.awaitAnswer(spool, name, Duration.ofSeconds(5)))
                .contains(List.of());
    }

    /**
     * A review (session 53): the answer of a node of the version before (a running node is upgraded after the command,
     * or the command is run from a newer installation) is still one newline for no line; the command read it as a
     * message of an empty id. It reads as no line too.
     */
    @Test
    void anAnswerOfOneEmptyLineFromAnOlderNodeIsReadAsNoLine() throws Exception {
        String name = QueueRequests.submit(spool, QueueRequests.Action.DELETE, List.of());
        assertThat(QueueRequests.take(spool, false, Instant.now())).hasSize(1);
        java.nio.file.Files.writeString(QueueRequests.directory(spool).resolve(name + ".done"), "\n");
        assertThat(QueueRequests.awaitAnswer(spool, name, Duration.ofSeconds(5)))
                .contains(List.of());
    }

    @Test
    void aRequestNotTakenCanBeWithdrawnAndAllMeansEveryMessage() throws Exception {
        String name = QueueRequests.submit(spool, QueueRequests.Action.DELETE, List.of());
        assertThat(QueueRequests.withdraw(spool, name)).isTrue();
        assertThat(QueueRequests.take(spool, false, Instant.now())).isEmpty();
        QueueRequests.submit(spool, QueueRequests.Action.DELETE, List.of());
        QueueRequests.Request all =
                QueueRequests.take(spool, false, Instant.now()).get(0);
        assertThat(all.all()).isTrue();
        assertThat(all.ids()).isEmpty();
    }

    /** A file that is no request is answered with the reason and does not keep the requests after it waiting. */
    @Test
    void aDamagedRequestIsRefusedAndTheNextOneStillTaken() throws Exception {
        Path dir = QueueRequests.directory(spool);
        Files.createDirectories(dir);
        Files.write(dir.resolve("0AAAAAAAAAAAAAAAAAAA.req"), new byte[] {(byte) 0xff, (byte) 0xfe, '\n'});
        Files.writeString(dir.resolve("0AAAAAAAAAAAAAAAAAAB.req"), "hygiene-queue-request 1\npurge\nall\n");
        String good = QueueRequests.submit(spool, QueueRequests.Action.DELETE, List.of());
        List<QueueRequests.Request> taken = QueueRequests.take(spool, false, Instant.now());
        assertThat(taken).hasSize(3);
        assertThat(taken.get(0).problem()).hasValueSatisfying(p -> assertThat(p).startsWith("cannot be read: "));
        assertThat(taken.get(1).problem()).isEqualTo(Optional.of("unknown action 'purge'"));
        assertThat(taken.get(2).name()).isEqualTo(good);
        assertThat(taken.get(2).problem()).isEmpty();
    }

    /**
     * A request another tool wrote with an id twice: the node carried it out twice, and answered the second time
     * 'absent', which the command printed as 'not in the queue' (exit 2) for a message it had just deleted.
     */
    @Test
    void anIdNamedTwiceInARequestIsTakenOnceAndHoldAndReleaseAreActions() throws Exception {
        Path dir = QueueRequests.directory(spool);
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("0AAAAAAAAAAAAAAAAAAA.req"),
                "hygiene-queue-request 1\ndelete\n0MX5R8HWF57D65IVW3GH\n0MX5R8HWF57D65IVW3GJ\n0MX5R8HWF57D65IVW3GH\n");
        QueueRequests.submit(spool, QueueRequests.Action.HOLD, List.of(new QueueId("0MX5R8HWF57D65IVW3GH")));
        QueueRequests.submit(spool, QueueRequests.Action.RELEASE, List.of());
        List<QueueRequests.Request> taken = QueueRequests.take(spool, false, Instant.now());
        assertThat(taken.get(0).ids())
                .containsExactly(new QueueId("0MX5R8HWF57D65IVW3GH"), new QueueId("0MX5R8HWF57D65IVW3GJ"));
        assertThat(taken.get(1).action()).isEqualTo(QueueRequests.Action.HOLD);
        assertThat(taken.get(1).problem()).isEmpty();
        assertThat(taken.get(2).action()).isEqualTo(QueueRequests.Action.RELEASE);
        assertThat(taken.get(2).all()).isTrue();
    }
}
