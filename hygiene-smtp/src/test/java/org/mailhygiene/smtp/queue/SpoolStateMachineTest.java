package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.FakeClock;
import org.quicktheories.core.Gen;

/**
 * Random operation sequences against the spool and a plain in-memory model: after every reopen the recovered records
 * equal the model, and illegal transitions are refused without changing anything.
 */
class SpoolStateMachineTest {
    @TempDir
    Path dir;

    /** op kind 0..6, and three numbers to pick targets and values. */
    record Op(int kind, int a, int b, int c) {}

    static Gen<Op> ops() {
        return integers()
                .between(0, 6)
                .zip(
                        integers().between(0, 1000),
                        integers().between(0, 1000),
                        integers().between(1, 100_000),
                        Op::new);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void recoveredStateAlwaysEqualsTheModel() {
        AtomicInteger run = new AtomicInteger();
        qt().withExamples(40).forAll(lists().of(ops()).ofSizeBetween(1, 25)).checkAssert(seq -> {
            try {
                check(seq, dir.resolve("run" + run.incrementAndGet()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    private static void check(List<Op> seq, Path root) throws Exception {
        FakeClock clock = FakeClock.at(Instant.parse("2026-11-27T00:00:00Z"));
        Map<QueueId, QueuedMessage> model = new LinkedHashMap<>();
        Map<QueueId, byte[]> bodies = new LinkedHashMap<>();
        Spool spool = Spool.builder(root).clock(clock).build();
        try {
            for (Op op : seq) {
                clock.advance(Duration.ofSeconds(1));
                List<QueueId> ids = new ArrayList<>(model.keySet());
                QueuedMessage target = ids.isEmpty() ? null : model.get(ids.get(op.a() % ids.size()));
                switch (op.kind()) {
                    case 0 -> {
                        int n = 1 + op.b() % 4;
                        List<String> rcpts = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            rcpts.add("r" + i + "@x" + op.c() + ".org");
                        }
                        byte[] body = ("Subject: " + op.c() + "\r\n\r\n" + "x".repeat(op.b()))
                                .getBytes(StandardCharsets.UTF_8);
                        QueuedMessage m = spool.store(Envelope.of("s@y.org", rcpts), MessageContent.ofBytes(body));
                        model.put(m.id(), m);
                        bodies.put(m.id(), body);
                    }
                    case 1, 2, 3, 4 -> {
                        if (target == null) {
                            continue;
                        }
                        RecipientState r = target.recipients()
                                .get(op.b() % target.recipients().size());
                        boolean legal = op.kind() == 4
                                ? r.status() == RecipientState.Status.FAILED
                                : r.status() == RecipientState.Status.PENDING;
                        java.util.function.UnaryOperator<RecipientState> change = switch (op.kind()) {
                            case 1 -> s -> s.delivered("250 ok " + op.c());
                            case 2 ->
                                s -> s.deferred(
                                        "451 later\t%" + op.c(), clock.instant().plusSeconds(op.c()));
                            case 3 -> s -> s.failed("550 no " + op.c(), op.c() % 2 == 0);
                            default -> RecipientState::bounced;
                        };
                        if (!legal) {
                            assertThatThrownBy(() -> target.withRecipient(r.address(), change))
                                    .isInstanceOf(IllegalStateException.class);
                            continue;
                        }
                        QueuedMessage next = target.withRecipient(r.address(), change);
                        spool.update(next);
                        model.put(next.id(), next);
                    }
                    case 5 -> {
                        if (target == null) {
                            continue;
                        }
                        assertThat(spool.complete(target.id())).isTrue();
                        model.remove(target.id());
                        bodies.remove(target.id());
                    }
                    default -> {
                        spool.close();
                        spool = Spool.builder(root).clock(clock).build();
                        List<QueuedMessage> recovered = spool.recover();
                        assertThat(recovered).containsExactlyElementsOf(model.values());
                        for (QueuedMessage m : recovered) {
                            assertThat(m.content().readAllBytes()).isEqualTo(bodies.get(m.id()));
                        }
                    }
                }
            }
        } finally {
            spool.close();
        }
        try (Spool again = Spool.open(root)) {
            assertThat(again.recover()).containsExactlyElementsOf(model.values());
        }
        try (var files = Files.list(root.resolve("queue"))) {
            assertThat(files).hasSize(model.size());
        }
    }
}
