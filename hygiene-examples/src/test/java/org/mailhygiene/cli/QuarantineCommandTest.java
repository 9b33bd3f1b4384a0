package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.TokenEvidence;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.scanners.bayes.WatchedModelFile;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** {@code hygiene quarantine} and {@code hygiene queue} against a running gateway node. */
class QuarantineCommandTest {
    private static final String CLIENT = "127.0.0.5";

    @TempDir
    Path dir;

    private Node gateway(SmtpSink sink) throws IOException {
        Node node = Node.builder(Role.GATEWAY, "gw")
                .listen(InetAddress.getLoopbackAddress(), 0)
                .relayClients(CLIENT)
                .acceptedDomains(AcceptedDomains.of("dept-a.example"))
                .router(StaticRouter.parse(":127.0.0.1:" + sink.port()))
                .scanners(List.of(SignatureScanner.create()))
                .dataDirectory(dir)
                .build();
        node.start();
        return node;
    }

    @Test
    void aVirusHeldByARunningNodeIsListedShownAndReleasedOnceEvenByTwoConcurrentReleases() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            String reply =
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
            assertThat(reply).startsWith("250").contains("held as ");
            String id = reply.replaceAll(".*held as ([0-9A-Z]+).*", "$1");

            Run list = Run.main("quarantine", "list", "--data", dir.toString(), "--json");
            assertThat(list.status()).isZero();
            assertThat(list.outLines()).hasSize(1);
            assertThat(list.out())
                    .contains("\"id\":\"" + id + "\"")
                    .contains("\"to\":[\"alice@dept-a.example\"]")
                    .contains("Eicar-Test-Signature");
            Run show = Run.main("quarantine", "show", "--data", dir.toString(), id);
            assertThat(show.status()).isZero();
            assertThat(show.out())
                    .contains("from:        <s@example.net>")
                    .contains("verdict:     builtin INFECTED threats=[Eicar-Test-Signature]")
                    .contains("Subject: ");

            // Two operators release the same message at the same moment: one wins, the other is told it is gone.
            ExecutorService two = Executors.newFixedThreadPool(2);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Run>> runs = new ArrayList<>();
            for (String who : List.of("alice-admin", "bob-admin")) {
                runs.add(two.submit(() -> {
                    go.await();
                    return Run.main("quarantine", "release", "--data", dir.toString(), "--by", who, id);
                }));
            }
            go.countDown();
            List<Run> done = new ArrayList<>();
            for (Future<Run> f : runs) {
                done.add(f.get(120, TimeUnit.SECONDS));
            }
            two.shutdown();
            assertThat(done).extracting(Run::status).containsExactlyInAnyOrder(0, 2);
            Run won = done.stream().filter(r -> r.status() == 0).findFirst().orElseThrow();
            Run lost = done.stream().filter(r -> r.status() == 2).findFirst().orElseThrow();
            assertThat(won.out()).contains(id + " released by ").contains("queued as ");
            // told who released it and when (it said "no message ... is held", as for an id never held)
            assertThat(lost.err())
                    .matches("hygiene quarantine: " + id + " is no longer held: it was released by (alice|bob)-admin"
                            + " at .* \\(queued as [0-9A-Z]{20}\\)\n");
            String winner = won.out().contains("released by alice-admin") ? "alice-admin" : "bob-admin";
            assertThat(lost.err()).contains("released by " + winner + " at ");
            Run again = Run.main("quarantine", "delete", "--data", dir.toString(), id);
            assertThat(again.status()).isEqualTo(2);
            assertThat(again.err()).startsWith("hygiene quarantine: " + id + " is no longer held: it was released by");

            assertThat(sink.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);
            assertThat(sink.messages().get(0).recipients()).containsExactly("alice@dept-a.example");
            awaitEmptyQueue(node);
            assertThat(sink.messages()).hasSize(1); // handed over once, delivered once
            assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                    .isEmpty();
            assertThat(Run.main("quarantine", "show", "--data", dir.toString(), id)
                            .out())
                    .matches(id + " was released by (alice|bob)-admin at .* \\(queued as [0-9A-Z]{20}\\)\n");
            assertThat(dir.resolve("spool/incoming/tmp")).isEmptyDirectory();
        }
    }

    /**
     * An empty queue or quarantine printed nothing at all, so that an administrator could not tell it from a wrong
     * directory (hwalk's note, session 48); now a line on standard error says so, as Postfix's "Mail queue is empty",
     * and standard output (and the JSON form) stays empty.
     */
    @Test
    void anEmptyQueueAndQuarantineSaySoOnStandardError() throws Exception {
        try (SmtpSink sink = SmtpSink.start()) {
            try (Node node = gateway(sink)) {
                // started once: the spool and quarantine exist
            }
            Run queue = Run.main("queue", "list", "--data", dir.toString());
            assertThat(queue.status()).isZero();
            assertThat(queue.out()).isEmpty();
            assertThat(queue.err()).startsWith("hygiene queue: the queue is empty (");
            Run held = Run.main("quarantine", "list", "--data", dir.toString());
            assertThat(held.status()).isZero();
            assertThat(held.out()).isEmpty();
            assertThat(held.err()).startsWith("hygiene quarantine: nothing is held (");
            assertThat(Run.main("queue", "list", "--data", dir.toString(), "--json")
                            .err())
                    .isEmpty();
            assertThat(Run.main("quarantine", "list", "--data", dir.toString(), "--json")
                            .err())
                    .isEmpty();
        }
    }

    @Test
    void releaseIntoAStoppedNodeIsDeliveredAtItsNextStart() throws Exception {
        try (SmtpSink sink = SmtpSink.start()) {
            String id;
            try (Node node = gateway(sink)) {
                String reply =
                        send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
                id = reply.replaceAll(".*held as ([0-9A-Z]+).*", "$1");
            }
            assertThat(Run.main("quarantine", "release", "--data", dir.toString(), id)
                            .status())
                    .isZero();
            assertThat(Run.main("queue", "list", "--data", dir.toString()).out())
                    .contains("alice@dept-a.example  pending  attempts=0");
            assertThat(sink.messages()).isEmpty();
            try (Node again = gateway(sink)) {
                assertThat(sink.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);
                awaitEmptyQueue(again);
            }
            assertThat(sink.messages()).hasSize(1);
        }
    }

    @Test
    void releaseWithLearnHamAndDeleteWithLearnSpamTeachTheModelThatAWatchingScannerPicksUp() throws Exception {
        Path model = dir.resolve("site.model");
        String ham;
        String spam;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            ham = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
            // another message (the journal knows a message by its tokens: the same one would be "corrected")
            byte[] other = new String(SampleMessages.eicarAttachment(), StandardCharsets.US_ASCII)
                    .replace("Subject: EICAR test attachment", "Subject: EICAR test attachment, again")
                    .getBytes(StandardCharsets.US_ASCII);
            assertThat(new String(other, StandardCharsets.US_ASCII)).contains("attachment, again");
            spam = heldId(send(node.address(), "t@example.net", "alice@dept-a.example", other));
        }
        // a model file that exists and is watched, as a running node's bayes:MODEL is
        BayesModels.learnInto(model, true, List.of(), Tokenizer.create());
        WatchedModelFile watched = WatchedModelFile.open(model);
        BayesModel before = watched.current();

        // a broken model: nothing is learned and the message stays held
        Path broken = dir.resolve("broken.model");
        Files.writeString(broken, "not a model");
        Run refused =
                Run.main("quarantine", "release", "--data", dir.toString(), "--learn-ham", broken.toString(), ham);
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).contains(ham + " not learned into " + broken + ", still held");
        assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                .contains(ham);

        Run released =
                Run.main("quarantine", "release", "--data", dir.toString(), "--learn-ham", model.toString(), ham);
        assertThat(released.status()).as(released.err()).isZero();
        assertThat(released.out())
                .contains(ham + " learned as ham into " + model)
                .contains(ham + " released by");
        Run deleted =
                Run.main("quarantine", "delete", "--data", dir.toString(), "--learn-spam", model.toString(), spam);
        assertThat(deleted.status()).as(deleted.err()).isZero();
        assertThat(deleted.out())
                .contains(spam + " learned as spam into " + model)
                .contains(spam + " deleted");

        // each learned until the model agreed with the administrator, as many times as the output says
        int asHam = times(released.out(), ham);
        int asSpam = times(deleted.out(), spam);
        assertThat(asHam).isBetween(1, BayesModels.MAX_CORRECTION_LEARNINGS);
        assertThat(asSpam).isBetween(1, BayesModels.MAX_CORRECTION_LEARNINGS);
        BayesModel saved = BayesModel.load(model);
        assertThat(saved.hamMessages()).isEqualTo(before.hamMessages() + asHam);
        assertThat(saved.spamMessages()).isEqualTo(before.spamMessages() + asSpam);
        TokenEvidence ext = saved.evidence("ext:com");
        TokenEvidence extBefore = before.evidence("ext:com");
        assertThat(ext.hamCount()).isEqualTo(extBefore.hamCount() + asHam);
        assertThat(ext.spamCount()).isEqualTo(extBefore.spamCount() + asSpam);
        // learned as the node classified them: the relay's own Received field on top of each held copy is not learned
        // (the messages have no other: received-count:1 was the relay's), the envelope's sender is the Return-Path
        for (String ours : List.of("received-count:1", "received-ip:127.0")) {
            assertThat(saved.evidence(ours).hamCount())
                    .as(ours)
                    .isEqualTo(before.evidence(ours).hamCount());
            assertThat(saved.evidence(ours).spamCount())
                    .as(ours)
                    .isEqualTo(before.evidence(ours).spamCount());
        }
        assertThat(saved.evidence("return-path:s@example.net").hamCount()).isEqualTo(asHam);
        assertThat(saved.evidence("return-path:t@example.net").spamCount()).isEqualTo(asSpam);
        // the watching scanner loads the replaced file (what a running node does every 2 s)
        assertThat(watched.checkNow()).isTrue();
        assertThat(watched.current().hamMessages()).isEqualTo(saved.hamMessages());

        assertThat(Run.main("quarantine", "release", "--data", dir.toString(), "--learn-spam", "m", ham)
                        .err())
                .contains("--learn-spam goes with 'delete'");
    }

    /**
     * An audit (session 36): {@code release --learn-ham} and {@code delete --learn-spam} of one message from two shells
     * at once both learned it before either removed it, and the one that then found it gone left its label in the
     * model (seen from outside: the release learned ham after the delete had learned spam 28 times and deleted it; the
     * journal ended saying ham for a message deleted as spam). The learning now happens under the quarantine's lock,
     * so whoever learns removes the message, and the other finds it gone before learning anything.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 300, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aReleaseThatLearnsKeepsTheMessageFromAConcurrentDeleteUntilItIsReleased() throws Exception {
        Path model = dir.resolve("site.model");
        String id;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            id = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
        }
        BayesModels.learnInto(model, true, List.of(), Tokenizer.create());
        BayesModel before = BayesModel.load(model);
        Path out = dir.resolve("release.out");
        Process releaser;
        // this JVM holds the model's lock, so the releaser (another process) stops in the middle of its learning
        try (java.io.Closeable held = BayesModels.lockModel(model)) {
            releaser = MainProcess.of(
                            "quarantine",
                            "release",
                            "--data",
                            dir.toString(),
                            "--by",
                            "alice-admin",
                            "--learn-ham",
                            model.toString(),
                            id)
                    .redirectOutput(out.toFile())
                    .start();
            String first = new BufferedReader(new InputStreamReader(releaser.getErrorStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(first).contains("waiting for site.model.lock");
            // meanwhile the quarantine is the releaser's: another operator's delete would wait (was: it deleted the
            // message, and the release then learned it as ham all the same and said it was not held)
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    dir.resolve("quarantine/lock"), java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.channels.FileLock probe = ch.tryLock();
                try {
                    assertThat(probe)
                            .as("the quarantine's lock, held by the learning release")
                            .isNull();
                } finally {
                    if (probe != null) {
                        probe.release();
                    }
                }
            }
        }
        Run deleted = Run.main("quarantine", "delete", "--data", dir.toString(), id);
        assertThat(releaser.waitFor(240, TimeUnit.SECONDS)).isTrue();
        assertThat(releaser.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out))
                .contains(id + " learned as ham into " + model)
                .contains(id + " released by alice-admin");
        assertThat(deleted.status()).isEqualTo(2);
        assertThat(deleted.err())
                .startsWith("hygiene quarantine: " + id + " is no longer held: it was released by" + " alice-admin");
        assertThat(BayesModel.load(model).hamMessages())
                .isEqualTo(before.hamMessages() + times(Files.readString(out), id));
    }

    /**
     * An audit (session 31): learning a held bounce as spam, or releasing a held backscatter as ham, said only that it
     * was learned, while {@code hygiene learn} warns that a rule, not the score, decides such a message's verdict.
     */
    @Test
    void learningAHeldBounceOrBackscatterSaysThatNoVerdictChanges() throws Exception {
        Path model = dir.resolve("site.model");
        BayesModels.learnInto(model, true, List.of(), Tokenizer.create());
        String bounce;
        String backscatter;
        String another;
        try (SmtpSink sink = SmtpSink.start()) {
            Node node = Node.builder(Role.GATEWAY, "gw")
                    .listen(InetAddress.getLoopbackAddress(), 0)
                    .relayClients(CLIENT)
                    .acceptedDomains(AcceptedDomains.of("dept-a.example"))
                    .router(StaticRouter.parse(":127.0.0.1:" + sink.port()))
                    .scanners(List.of(
                            SignatureScanner.create(),
                            org.mailhygiene.scanners.bayes.BayesScanner.builder(BayesModels.loadDefault())
                                    .detector(org.mailhygiene.scanners.bayes.BounceDetector.withLocalDomains(
                                            List.of("dept-a.example")))
                                    .build()))
                    .dataDirectory(dir)
                    .build();
            node.start();
            try (node) {
                // a bounce returning our own mail, which carried the EICAR file: held for the virus
                bounce = heldId(send(node.address(), "", "alice@dept-a.example", dsn("alice@dept-a.example")));
                // a bounce for mail we never sent: held as backscatter
                backscatter = heldId(send(node.address(), "", "alice@dept-a.example", dsn("sales@pills.example")));
                another = heldId(send(node.address(), "", "alice@dept-a.example", dsn("deals@promo.example")));
            }
        }
        Run deleted =
                Run.main("quarantine", "delete", "--data", dir.toString(), "--learn-spam", model.toString(), bounce);
        assertThat(deleted.status()).as(deleted.err()).isZero();
        assertThat(deleted.err())
                .contains("hygiene quarantine: " + bounce + " is still judged clean: BAYES_BOUNCE")
                .contains("changes no verdict of it");
        Run released = Run.main(
                "quarantine", "release", "--data", dir.toString(), "--learn-ham", model.toString(), backscatter);
        assertThat(released.status()).as(released.err()).isZero();
        assertThat(released.err())
                .contains("hygiene quarantine: " + backscatter + " is held as backscatter")
                .contains("learning it as ham changes no verdict of it");
        Run spam =
                Run.main("quarantine", "delete", "--data", dir.toString(), "--learn-spam", model.toString(), another);
        assertThat(spam.status()).as(spam.err()).isZero();
        assertThat(spam.err())
                .contains("hygiene quarantine: " + another + " is held as backscatter")
                .contains("learning it as spam changes no verdict of it")
                .doesNotContain("BAYES_BOUNCE");
    }

    /** A delivery status notification from a mail daemon returning a message from {@code from} with the EICAR file. */
    private static byte[] dsn(String from) {
        String original = new String(SampleMessages.eicarAttachment(), StandardCharsets.ISO_8859_1)
                .replaceFirst("(?m)^From: .*$", "From: " + from)
                .replaceFirst("(?m)^Message-ID: .*$", "Message-ID: <o1@" + from.substring(from.indexOf('@') + 1) + ">");
        String text = "From: Mail Delivery System <MAILER-DAEMON@mx.remote.example>\r\nTo: " + from + "\r\n"
                + "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"D\"\r\n\r\n"
                + "--D\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered to one or more"
                + " recipients.\r\n\r\n<bob@remote.example>: host mx.remote.example said: 550 5.1.1 no such user\r\n"
                + "--D\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example\r\n\r\n"
                + "Final-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
                + "--D\r\nContent-Type: message/rfc822\r\n\r\n" + original + "\r\n--D--\r\n";
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void releaseAndDeleteTeachACluster() throws Exception {
        String first;
        String second;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            first = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
            second = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
        }
        try (RealRedis redis = RealRedis.start(
                RealBinaries.require("redis-server", "redis-server"), dir.resolve("redis"), List.of())) {
            // released as ham through the cluster (a message of a node's quarantine: its copy carries that node's
            // Received field, so a copy from elsewhere would be another message to the journal)
            Run released = Run.main(
                    "quarantine",
                    "release",
                    "--data",
                    dir.toString(),
                    "--learn-ham",
                    redis.url(),
                    "--redis-model",
                    "edges",
                    first);
            assertThat(released.status()).as(released.err()).isZero();
            assertThat(released.out())
                    .contains(first + " learned as ham into " + redis.url() + " model 'edges'")
                    .doesNotContain("undone first")
                    .contains("for every node using it, judged by the base model default plus what the cluster"
                            + " learned")
                    .contains(first + " released by");
            int asHam = times(released.out(), first);
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot snap = state.tokens().snapshot("edges");
                assertThat(snap.spamMessages()).isZero();
                assertThat(snap.hamMessages()).isEqualTo(asHam);
            }
            // the same message held again (another copy through the same node) and deleted as spam: the ham
            // learnings are undone first, then it is learned as spam
            Run deleted = Run.main(
                    "quarantine",
                    "delete",
                    "--data",
                    dir.toString(),
                    "--learn-spam",
                    redis.url(),
                    "--redis-model",
                    "edges",
                    second);
            assertThat(deleted.status()).as(deleted.err()).isZero();
            assertThat(deleted.out())
                    .contains("learned as ham before: undone first")
                    .contains(second + " deleted");
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot snap = state.tokens().snapshot("edges");
                assertThat(snap.hamMessages()).isZero();
                assertThat(snap.spamMessages()).isEqualTo(times(deleted.out(), second));
            }
        }
        // a Redis that does not answer: nothing learned, the message stays held
        String third;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            third = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
        }
        Run down = Run.main(
                "quarantine", "release", "--data", dir.toString(), "--learn-ham", "redis://127.0.0.1:1", third);
        assertThat(down.status()).isEqualTo(2);
        assertThat(down.err()).contains(third + " not learned into redis://127.0.0.1:1 model 'bayes', still held");
        assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                .contains(third);
        // --redis-model and --base go with a URL only
        Run usage = Run.main(
                "quarantine", "release", "--data", dir.toString(), "--learn-ham", "m.model", "--base", "x", third);
        assertThat(usage.status()).isEqualTo(2);
        assertThat(usage.err()).contains("--base goes with --learn-ham URL or --learn-spam URL");
    }

    /**
     * An audit (session 53): {@code --by NAME} records who released a message, and only a release records it; given to
     * {@code delete} (where an administrator expects the deletion recorded under that name), {@code list} or
     * {@code show} it was taken and dropped without a word, as was {@code --json} beside {@code release} or
     * {@code delete}, which print no JSON. Each is now a usage error naming the flag, before anything is done.
     */
    @Test
    void byAndJsonGivenToASubcommandThatDoesNotUseThemAreRefusedNotDropped() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            String id = heldId(
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment()));
            for (List<String> args : List.of(
                    List.of("delete", "--by", "jane", id),
                    List.of("list", "--by", "jane"),
                    List.of("show", "--by", "jane", id))) {
                Run refused = Run.main(concat("quarantine", args, "--data", dir.toString()));
                assertThat(refused.status()).as(args.toString()).isEqualTo(2);
                assertThat(refused.err()).as(args.toString()).contains("--by goes with 'release'");
            }
            for (String sub : List.of("release", "delete")) {
                Run refused = Run.main("quarantine", sub, "--json", "--data", dir.toString(), id);
                assertThat(refused.status()).as(sub).isEqualTo(2);
                assertThat(refused.err()).as(sub).contains("--json goes with 'list' or 'show'");
            }
            // nothing was deleted or released by the refused commands
            assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                    .contains(id);
            assertThat(Run.main("quarantine", "release", "--by", "jane", "--data", dir.toString(), id)
                            .out())
                    .contains(id + " released by jane");
        }
    }

    /**
     * An audit (session 53): {@code hygiene queue delete --all} (and bounce, hold, release) of a running node whose
     * queue was empty printed {@code hygiene queue: : delete failed: null (it stays queued ...)} and exited 2: the
     * node's answer of no line was read as one empty line. A stopped node's empty queue said "nothing to delete";
     * now a running node's does too, exit 0.
     */
    @Test
    void allOfARunningNodesEmptyQueueIsNothingToDoNotAFailure() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            for (String sub : List.of("delete", "bounce", "hold", "release")) {
                Run all = Run.main("queue", sub, "--data", dir.toString(), "--all");
                assertThat(all.status()).as(sub + ": " + all.err()).isZero();
                assertThat(all.err()).as(sub).doesNotContain("failed");
                assertThat(all.out()).as(sub).contains("nothing to " + sub);
            }
        }
    }

    private static String[] concat(String first, List<String> middle, String... last) {
        List<String> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(middle);
        all.addAll(List.of(last));
        return all.toArray(String[]::new);
    }

    @Test
    void severalReleasedInOneCommandTeachTheClusterAsOneAtATimeDoes() throws Exception {
        List<String> held = new java.util.ArrayList<>();
        byte[] other = new String(SampleMessages.eicarAttachment(), StandardCharsets.US_ASCII)
                .replace("Subject: EICAR test attachment", "Subject: Your invoice, see the attachment")
                .getBytes(StandardCharsets.US_ASCII);
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            for (int i = 0; i < 2; i++) {
                held.add(heldId(send(
                        node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment())));
                held.add(heldId(send(node.address(), "t@example.net", "alice@dept-a.example", other)));
            }
        }
        try (RealRedis redis = RealRedis.start(
                RealBinaries.require("redis-server", "redis-server"), dir.resolve("redis"), List.of())) {
            List<String> release =
                    List.of("quarantine", "release", "--data", dir.toString(), "--learn-ham", redis.url());
            // both in one command; then the same two messages (other copies) in a command each, into another model
            List<String> together = new java.util.ArrayList<>(release);
            together.addAll(List.of("--redis-model", "one", held.get(0), held.get(1)));
            Run both = Run.main(together.toArray(String[]::new));
            assertThat(both.status()).as(both.err()).isZero();
            for (String id : List.of(held.get(2), held.get(3))) {
                List<String> each = new java.util.ArrayList<>(release);
                each.addAll(List.of("--redis-model", "two", id));
                Run r = Run.main(each.toArray(String[]::new));
                assertThat(r.status()).as(r.err()).isZero();
            }
            // each message judged with the base model plus what the cluster had learned when it came, so the same
            // learnings either way (before, from the second message of a command on, the cluster's counts were
            // added to the base model once more for each message)
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot a = state.tokens().snapshot("one");
                TokenStore.Snapshot b = state.tokens().snapshot("two");
                assertThat(a.hamMessages()).isEqualTo(b.hamMessages()).isPositive();
                assertThat(a.tokens().keySet()).isEqualTo(b.tokens().keySet());
                b.tokens().forEach((t, c) -> assertThat(a.tokens().get(t)).as(t).containsExactly(c));
            }
        }
    }

    private static int times(String out, String id) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(id)
                        + " learned as \\w+ into .*?, (\\d+) time\\(s\\) \\(until scored")
                .matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String heldId(String reply) {
        assertThat(reply).startsWith("250").contains("held as ");
        return reply.replaceAll(".*held as ([0-9A-Z]+).*", "$1");
    }

    @Test
    void onlyTheOwnerOfTheDataDirectoryMayReleaseOrDelete() throws Exception {
        String me = System.getProperty("user.name");
        Assumptions.assumeTrue(me.equals("root"), "giving a directory to another user needs root");
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
        }
        String id =
                Run.main("quarantine", "list", "--data", dir.toString()).out().split(" ")[0];
        var nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Path spool = dir.resolve("spool");
        Files.setOwner(spool, nobody);
        try {
            Run release = Run.main("quarantine", "release", "--data", dir.toString(), id);
            assertThat(release.status()).isEqualTo(2);
            assertThat(release.err())
                    .startsWith("hygiene quarantine: " + dir + " is the node's of user nobody (its spool/ belongs to"
                            + " nobody), not of root (uid 0):")
                    .contains("sudo -u nobody hygiene");
            assertThat(Run.main("quarantine", "delete", "--data", dir.toString(), id)
                            .status())
                    .isEqualTo(2);
            // reading stays open to anyone who can read
            assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                    .startsWith(id);
        } finally {
            Files.setOwner(
                    spool, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(me));
        }
        assertThat(Run.main("quarantine", "delete", "--data", dir.toString(), id)
                        .status())
                .isZero();
    }

    /**
     * Audit, session 46: a delete that failed (a read-only quarantine: its lock file could not be opened) ended the
     * command with the bare reason, {@code hygiene quarantine: DATA/quarantine/lock: Read-only file system}, naming
     * neither the message nor what became of the IDs after it. Now it says them, as a failed release does.
     */
    @Test
    void aFailedDeleteNamesTheMessageAndLeavesItHeld() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
        }
        String id =
                Run.main("quarantine", "list", "--data", dir.toString()).out().split(" ")[0];
        Path lock = dir.resolve("quarantine").resolve("lock");
        Files.deleteIfExists(lock);
        Files.createDirectory(lock); // cannot be opened for writing, even by root
        Run delete = Run.main("quarantine", "delete", "--data", dir.toString(), id, "0MX5R8HWF57D65IVW3GH");
        assertThat(delete.status()).isEqualTo(2);
        assertThat(delete.err())
                .startsWith("hygiene quarantine: " + id + ": delete failed: ")
                .contains(lock.toString())
                .contains("it is still held")
                .contains("the IDs after it were not tried");
        Files.delete(lock);
        assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                .startsWith(id);
        assertThat(Run.main("quarantine", "delete", "--data", dir.toString(), id)
                        .status())
                .isZero();
    }

    /**
     * A release that fails (a full disk, a held file that cannot be read) ended the command with the bare reason: it
     * now names the message, says it is still held and that the IDs after it were not tried.
     */
    @Test
    void aFailedReleaseNamesTheMessageAndLeavesItHeld() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
        }
        String id =
                Run.main("quarantine", "list", "--data", dir.toString()).out().split(" ")[0];
        Path held = dir.resolve("quarantine").resolve("held").resolve(id + ".msg");
        byte[] bytes = Files.readAllBytes(held);
        Files.delete(held);
        Files.createDirectory(held);
        Run release = Run.main("quarantine", "release", "--data", dir.toString(), id, "0MX5R8HWF57D65IVW3GH");
        assertThat(release.status()).isEqualTo(2);
        assertThat(release.err())
                .startsWith("hygiene quarantine: " + id + ": release failed: ")
                .contains(held.toString())
                .contains("it is still held")
                .contains("the IDs after it were not tried");
        Files.delete(held);
        Files.write(held, bytes);
        assertThat(Run.main("quarantine", "list", "--data", dir.toString()).out())
                .startsWith(id);
        assertThat(Run.main("quarantine", "release", "--data", dir.toString(), id)
                        .status())
                .isZero();
    }

    @Test
    void wrongDirectoryUnknownIdAndDeleteAndQueueTools() throws Exception {
        Run wrong = Run.main("quarantine", "list", "--data", dir.resolve("nope").toString());
        assertThat(wrong.status()).isEqualTo(2);
        assertThat(wrong.err()).isEqualTo("hygiene quarantine: " + dir.resolve("nope") + " is not a directory\n");
        Files.createDirectories(dir.resolve("other"));
        Run notData = Run.main("queue", "list", "--data", dir.resolve("other").toString());
        assertThat(notData.status()).isEqualTo(2);
        assertThat(notData.err()).contains("is not a node's data directory");
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            Run unknown = Run.main("quarantine", "release", "--data", dir.toString(), "0MX5R8HWF57D65IVW3GH");
            assertThat(unknown.status()).isEqualTo(2);
            assertThat(unknown.err())
                    .isEqualTo("hygiene quarantine: no message 0MX5R8HWF57D65IVW3GH is held in "
                            + dir.resolve("quarantine") + "\n");
            Run badId = Run.main("quarantine", "delete", "--data", dir.toString(), "../etc");
            assertThat(badId.status()).isEqualTo(2);
            assertThat(badId.err()).contains("'../etc' is not a message id");

            String reply =
                    send(node.address(), "s@example.net", "alice@dept-a.example", SampleMessages.eicarAttachment());
            String id = reply.replaceAll(".*held as ([0-9A-Z]+).*", "$1");
            assertThat(Run.main("quarantine", "delete", "--data", dir.toString(), id)
                            .out())
                    .isEqualTo(id + " deleted\n");
            assertThat(Run.main("quarantine", "delete", "--data", dir.toString(), id)
                            .status())
                    .isEqualTo(2);

            // A recipient the sink defers stays queued; queue list shows it, flush retries it at once.
            sink.onRecipient(
                    "later@dept-a.example", org.mailhygiene.testkit.smtp.SinkAction.reply("451 4.3.0 try later"));
            assertThat(send(node.address(), "s@example.net", "later@dept-a.example", SampleMessages.clean()))
                    .startsWith("250");
            Run queued = awaitQueueListing("later@dept-a.example  pending  attempts=1");
            assertThat(queued.out()).contains("next=").contains("last=");
            Run asJson = Run.main("queue", "list", "--data", dir.toString(), "--json");
            assertThat(asJson.out()).contains("\"address\":\"later@dept-a.example\",\"status\":\"pending\"");
            assertThat(Run.main("queue", "flush", "--data", dir.toString()).status())
                    .isZero();
            awaitQueueListing("later@dept-a.example  pending  attempts=2");

            // files recovery moved aside are not messages of the list, but the list says they are there
            Path corrupt = dir.resolve("spool/queue/0MX5R8HWF57D65IVW3GH.q.corrupt");
            Files.write(corrupt, new byte[] {1, 2, 3});
            Run damaged = Run.main("queue", "list", "--data", dir.toString());
            assertThat(damaged.status()).isZero();
            assertThat(damaged.out()).contains("later@dept-a.example");
            assertThat(damaged.err())
                    .isEqualTo("hygiene queue: 1 damaged spool file(s) kept aside, not delivered (inspect them, then"
                            + " delete them): " + corrupt + "\n");
            assertThat(Run.main("queue", "list", "--data", dir.toString(), "--json")
                            .err())
                    .contains(corrupt.toString());
        }
    }

    /** The queue id in a {@code 250 ... (queued as ID)} reply. */
    private static String queuedId(String reply) {
        assertThat(reply).startsWith("250").contains("queued as ");
        return reply.replaceAll(".*queued as ([0-9A-Z]+).*", "$1");
    }

    /**
     * {@code queue delete} and {@code queue bounce} on a running node (session 48; before, the queue had only {@code
     * list} and {@code flush}, and a message for a dead next hop stayed for the whole queue lifetime): the command
     * waits for the node's answer; a bounced message's sender gets the bounce at once.
     */
    @Test
    void aRunningNodeDeletesAndReturnsQueuedMessagesWhenAsked() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            sink.onRecipient(
                    "later@dept-a.example", org.mailhygiene.testkit.smtp.SinkAction.reply("451 4.3.0 try later"));
            String first =
                    queuedId(send(node.address(), "s@example.net", "later@dept-a.example", SampleMessages.clean()));
            String second =
                    queuedId(send(node.address(), "t@example.net", "later@dept-a.example", SampleMessages.clean()));
            awaitQueueListing("later@dept-a.example  pending  attempts=1");

            Run bounce = Run.main("queue", "bounce", "--data", dir.toString(), first);
            assertThat(bounce.err()).isEmpty();
            assertThat(bounce.out()).isEqualTo(first + " returned to its sender (the bounce is queued)\n");
            assertThat(bounce.status()).isZero();
            org.mailhygiene.testkit.smtp.SinkMessage dsn =
                    sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(dsn.sender()).isEmpty();
            assertThat(dsn.recipients()).containsExactly("s@example.net");
            assertThat(dsn.text().replaceAll("\r\n[ \t]", " "))
                    .contains("Diagnostic-Code: X-Hygiene; 554 5.0.0 returned to the sender by the mail administrator;"
                            + " last error: 127.0.0.1:" + sink.port() + " said: 451 4.3.0 try later");

            Run delete = Run.main("queue", "delete", "--data", dir.toString(), "--all", "--json");
            assertThat(delete.out())
                    .isEqualTo("{\"id\":\"" + second + "\",\"result\":\"deleted\",\"detail\":\"deleted\"}\n");
            assertThat(delete.status()).isZero();
            assertThat(Run.main("queue", "list", "--data", dir.toString()).out())
                    .isEmpty();
            awaitEmptyQueue(node);

            Run again = Run.main("queue", "delete", "--data", dir.toString(), second);
            assertThat(again.status()).isEqualTo(2);
            assertThat(again.err())
                    .isEqualTo("hygiene queue: " + second + ": not in the queue (delivered, bounced or removed before;"
                            + " 'hygiene queue list' shows what is queued)\n");
            assertThat(sink.messages()).hasSize(1); // the bounce only
            assertThat(Files.list(dir.resolve("spool/requests")).toList()).isEmpty(); // every answer read
        }
    }

    /**
     * On a stopped node the command changes the spool itself: a deleted message is gone at the next start; a returned
     * one is bounced at the next start, before anything is delivered, and not delivered.
     */
    @Test
    void aStoppedNodesQueueIsChangedInItsSpoolAndTheBounceGoesAtItsNextStart() throws Exception {
        String gone;
        String back;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            sink.onRecipient(
                    "later@dept-a.example", org.mailhygiene.testkit.smtp.SinkAction.reply("451 4.3.0 try later"));
            gone = queuedId(send(node.address(), "s@example.net", "later@dept-a.example", SampleMessages.clean()));
            back = queuedId(send(node.address(), "t@example.net", "later@dept-a.example", SampleMessages.clean()));
            awaitQueueListing("later@dept-a.example  pending  attempts=1");
        }
        // an id named twice is removed and said once (the second time read 'not in the queue', exit 2)
        Run delete = Run.main("queue", "delete", "--data", dir.toString(), gone, gone);
        assertThat(delete.err()).isEmpty();
        assertThat(delete.out()).isEqualTo(gone + " deleted\n");
        assertThat(delete.status()).isZero();
        Run bounce = Run.main("queue", "bounce", "--data", dir.toString(), back);
        assertThat(bounce.out())
                .isEqualTo(back + " returned to its sender: the node sends the bounce at its next start, before it"
                        + " delivers anything\n");
        assertThat(bounce.status()).isZero();
        assertThat(Run.main("queue", "list", "--data", dir.toString()).out())
                .contains(back)
                .doesNotContain(gone)
                .contains("later@dept-a.example  failed  attempts=1  last=554 5.0.0 returned to the sender by the mail"
                        + " administrator; last error: ");
        try (SmtpSink sink = SmtpSink.start();
                Node again = gateway(sink)) {
            org.mailhygiene.testkit.smtp.SinkMessage dsn =
                    sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(dsn.recipients()).containsExactly("t@example.net");
            awaitEmptyQueue(again);
            assertThat(sink.messages()).hasSize(1);
        }
    }

    /**
     * {@code queue hold} and {@code queue release} (session 49; Postfix's {@code postsuper -h/-H}): a held message is
     * listed as such, gets no attempt (not at a flush either) on a running node, stays held across a restart, can be
     * held and released on a stopped node, and is delivered at the next pass once released.
     */
    @Test
    void holdKeepsAQueuedMessageOutOfDeliveryOnARunningAndAStoppedNodeUntilItIsReleased() throws Exception {
        String id;
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            sink.onRecipient(
                    "later@dept-a.example", org.mailhygiene.testkit.smtp.SinkAction.reply("451 4.3.0 try later"));
            id = queuedId(send(node.address(), "s@example.net", "later@dept-a.example", SampleMessages.clean()));
            awaitQueueListing("later@dept-a.example  pending  attempts=1");

            Run hold = Run.main("queue", "hold", "--data", dir.toString(), id, id);
            assertThat(hold.err()).isEmpty();
            assertThat(hold.out()).isEqualTo(id + " on hold: no delivery until 'hygiene queue release'\n");
            assertThat(hold.status()).isZero();
            assertThat(Run.main("queue", "list", "--data", dir.toString()).out())
                    .contains(id + "  ")
                    .contains("<s@example.net>  on hold since ");
            assertThat(Run.main("queue", "list", "--data", dir.toString(), "--json")
                            .out())
                    .contains("\"from\":\"s@example.net\",\"held\":\"");
            sink.onRecipient("later@dept-a.example", null); // the next hop takes it now: only the hold keeps it
            assertThat(Run.main("queue", "flush", "--data", dir.toString()).status())
                    .isZero();
            Await.until("the flush request is taken", () -> !Files.exists(dir.resolve("spool/flush")));
            Thread.sleep(1500); // a pass the flush started would have delivered it by now
            assertThat(sink.messages()).isEmpty();
            assertThat(node.relay().delivery().queued()).isEqualTo(1);
        }
        // stopped: the hold is in the spool; release and hold again work in it, under its lock
        assertThat(Run.main("queue", "list", "--data", dir.toString()).out()).contains("  on hold since ");
        Run release = Run.main("queue", "release", "--data", dir.toString(), "--all");
        assertThat(release.out()).isEqualTo(id + " released: delivered when the node starts\n");
        assertThat(Run.main("queue", "release", "--data", dir.toString(), id).out())
                .isEqualTo(id + " not on hold: nothing changed\n");
        assertThat(Run.main("queue", "release", "--data", dir.toString(), "--all")
                        .out())
                .isEqualTo("no message is on hold: nothing to release\n");
        assertThat(Run.main("queue", "hold", "--data", dir.toString(), "--all", "--json")
                        .out())
                .isEqualTo("{\"id\":\"" + id + "\",\"result\":\"held\",\"detail\":\"on hold: no delivery until"
                        + " 'hygiene queue release'\"}\n");
        try (SmtpSink sink = SmtpSink.start();
                Node again = gateway(sink)) {
            Thread.sleep(1500); // a start delivers what is due at once
            assertThat(sink.messages()).isEmpty();
            Run running = Run.main("queue", "release", "--data", dir.toString(), id);
            assertThat(running.out()).isEqualTo(id + " released: delivered at the next pass\n");
            assertThat(sink.awaitMessages(1, Duration.ofSeconds(60)).get(0).recipients())
                    .containsExactly("later@dept-a.example");
            awaitEmptyQueue(again);
        }
    }

    /**
     * On a stopped node: a bounce of a message whose recipient said {@code NOTIFY=NEVER} says that no bounce is sent
     * (it said 'the node sends the bounce at its next start'); a message file cut before its commit mark is deleted
     * and said to be one (it said 'not in the queue' and stayed), and a hold of it says why not; a delete of a message
     * whose file was set aside names that file (session 49).
     */
    @Test
    void aStoppedNodesQueueSaysWhatABounceWithoutNoticeAndATruncatedOrSetAsideFileAre() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            assertThat(node.relay().delivery().queued()).isZero(); // a data directory, then stopped
        }
        org.mailhygiene.smtp.queue.QueuedMessage never;
        org.mailhygiene.smtp.queue.QueuedMessage cut;
        org.mailhygiene.smtp.queue.QueuedMessage damaged;
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.builder(dir.resolve("spool"))
                .spareFiles(0)
                .build()) {
            org.mailhygiene.api.Envelope env = new org.mailhygiene.api.Envelope(
                    java.util.Optional.empty(),
                    java.util.Optional.of("client.test"),
                    "s@example.net",
                    List.of("rcpt@dept-a.example"),
                    java.time.Instant.now());
            org.mailhygiene.api.MessageContent body = org.mailhygiene.api.MessageContent.ofString(
                    "Subject: queued\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
            never = spool.store(
                    env,
                    new byte[0],
                    body,
                    new org.mailhygiene.smtp.dsn.DsnRequest(
                            java.util.Optional.empty(),
                            java.util.Optional.empty(),
                            List.of(new org.mailhygiene.smtp.dsn.DsnRequest.Recipient(
                                    java.util.Set.of(org.mailhygiene.smtp.dsn.DsnRequest.Notify.NEVER),
                                    java.util.Optional.empty()))));
            cut = spool.store(env, body);
            damaged = spool.store(env, body);
        }
        Path cutFile = dir.resolve("spool/queue/" + cut.id().value() + ".q");
        byte[] bytes = Files.readAllBytes(cutFile);
        Files.write(cutFile, java.util.Arrays.copyOf(bytes, bytes.length - 10)); // its commit mark cut off
        Path damagedFile = dir.resolve("spool/queue/" + damaged.id().value() + ".q");
        Path aside = damagedFile.resolveSibling(damaged.id().value() + ".q.corrupt");
        Files.move(damagedFile, aside); // as recovery sets a damaged file aside

        Run bounce =
                Run.main("queue", "bounce", "--data", dir.toString(), never.id().value());
        assertThat(bounce.out())
                .isEqualTo(never.id().value() + " returned without a bounce: no recipient it had left asked for failure"
                        + " notices (NOTIFY=NEVER), so no one is told; it leaves the queue at the node's next start\n");
        assertThat(bounce.status()).isZero();

        Run hold = Run.main("queue", "hold", "--data", dir.toString(), cut.id().value());
        assertThat(hold.status()).isEqualTo(2);
        assertThat(hold.err())
                .isEqualTo("hygiene queue: " + cut.id().value() + ": cannot hold it: its spool file ends before its"
                        + " commit mark (a receipt a crash cut short, never acknowledged with 250, or a damaged file),"
                        + " so it is no message the node delivers; the node's next start sets it aside as "
                        + cut.id().value() + ".q.incomplete, or 'hygiene queue delete "
                        + cut.id().value()
                        + "' removes it now\n");
        Run delete =
                Run.main("queue", "delete", "--data", dir.toString(), cut.id().value());
        assertThat(delete.out())
                .isEqualTo(cut.id().value() + " deleted: its spool file ended before its commit mark (a receipt a crash"
                        + " cut short, never acknowledged with 250, or a damaged file), so it was no message the node"
                        + " would deliver\n");
        assertThat(delete.status()).isZero();
        assertThat(cutFile).doesNotExist();

        // a file's name given for its id: the id is named, nothing is done
        Run byName = Run.main("queue", "delete", "--data", dir.toString(), aside.toString());
        assertThat(byName.status()).isEqualTo(2);
        assertThat(byName.err())
                .isEqualTo("hygiene queue: '" + aside + "' is not a message id (20 letters and digits, as 'hygiene"
                        + " queue list' shows them); the id in that file name is "
                        + damaged.id().value() + "\n");
        Run gone = Run.main(
                "queue", "delete", "--data", dir.toString(), damaged.id().value());
        assertThat(gone.status()).isEqualTo(2);
        assertThat(gone.err())
                .isEqualTo("hygiene queue: " + damaged.id().value() + ": not in the queue: its spool file was damaged"
                        + " and is kept aside, not delivered, as " + aside + " (inspect it, then delete that file)\n");
        assertThat(aside).exists();
    }

    /**
     * A delete of a message whose delivery is in progress waits for that attempt (the node does not cut it short, as
     * Postfix and Exim do not): the command says which message it waits for and why (session 49; before, it said
     * nothing until --wait ended, then 'a message it is delivering at this moment').
     */
    @Test
    void aDeleteOfAMessageBeingDeliveredSaysWhichMessageItWaitsForAndWhy() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = gateway(sink)) {
            sink.always(
                    org.mailhygiene.testkit.smtp.SinkCommand.GREETING, org.mailhygiene.testkit.smtp.SinkAction.stall());
            String id = queuedId(send(node.address(), "s@example.net", "later@dept-a.example", SampleMessages.clean()));
            Await.until(
                    "the delivery is in progress", () -> node.relay().delivery().deliveriesInProgress() == 1);
            Run delete = Run.main("queue", "delete", "--data", dir.toString(), "--wait", "4s", id);
            assertThat(delete.out()).isEmpty();
            assertThat(delete.err())
                    .isEqualTo("hygiene queue: waiting for the node: 1 message(s) being delivered now (" + id + ");"
                            + " the delete is carried out when that attempt ends, which is not cut short: when the"
                            + " next hop answers, or at the latest when the node's delivery timeout for the step it"
                            + " waits in passes (--wait 4s)\n"
                            + "hygiene queue: the node took the delete request and had not finished within 4s: " + id
                            + " is removed when the attempt in progress ends, and no new attempt starts (see hygiene"
                            + " queue list)\n");
            assertThat(delete.status()).isEqualTo(3);
            sink.close(); // the attempt ends
            awaitEmptyQueue(node);
            assertThat(sink.messages()).isEmpty();
        }
    }

    /**
     * A running node answers a bounce 'deleted' for a message from the null sender and for one a delete request named
     * first (both waited for its delivery in progress): the command must not call the latter a bounce itself.
     */
    @Test
    void aBounceAnsweredDeletedByARunningNodeDoesNotClaimTheNullSender() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Io io = new Io(
                java.io.InputStream.nullInputStream(),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(OutputStream.nullOutputStream()));
        String id = "0MXD7AKXTB6Z9PWK9BN5";
        int status = QueueCommand.report(
                List.of(id + " deleted"), org.mailhygiene.smtp.queue.QueueRequests.Action.BOUNCE, true, false, io);
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo(id + " deleted without a bounce (it is from the null sender, a bounce itself, or a delete"
                        + " request for it came first)\n");
    }

    @Test
    void deleteAndBounceSayWhatTheyNeed() {
        Run none = Run.main("queue", "delete", "--data", dir.toString());
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("delete needs message IDs or --all");
        Run both = Run.main("queue", "bounce", "--data", dir.toString(), "--all", "0MX5R8HWF57D65IVW3GH");
        assertThat(both.err()).contains("bounce needs message IDs or --all, not both");
        assertThat(Run.main("queue", "list", "--data", dir.toString(), "--all").err())
                .contains("--all is for delete, bounce, hold and release");
        assertThat(Run.main("queue", "delete", "--data", dir.toString(), "--wait", "soon", "--all")
                        .err())
                .contains("--wait expects a duration such as 30s or 2m, was 'soon'");
        assertThat(Run.main("queue", "--help").out()).contains("exit status: 0 done; 2 wrong directory");
    }

    /**
     * An audit (session 36): {@code quarantine list} read every record into memory before printing the first line, so
     * its heap grew with the quarantine (11,389 held viruses needed over 20 MB; a storm's million, gigabytes). It now
     * holds the sorted ids and reads one record at a time: thousands of large records list in a heap that held only a
     * few hundred of them before.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 300, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aLargeQuarantineIsListedOneRecordAtATime() throws Exception {
        Files.createDirectories(dir.resolve("spool"));
        org.mailhygiene.smtp.queue.Quarantine q = org.mailhygiene.smtp.queue.Quarantine.builder(
                        dir.resolve("quarantine"))
                .build();
        // a record of some 20 KB in memory: forty verdict lines of 250 characters
        List<String> details = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            details.add(("verdict " + i + " ").repeat(25));
        }
        org.mailhygiene.smtp.queue.QuarantinedMessage template = q.hold(
                new org.mailhygiene.api.Envelope(
                        java.util.Optional.empty(),
                        java.util.Optional.empty(),
                        "s@example.net",
                        List.of("alice@dept-a.example"),
                        java.time.Instant.now()),
                org.mailhygiene.api.MessageContent.ofBytes(SampleMessages.clean()),
                "MANUAL",
                "a test",
                details);
        Path held = dir.resolve("quarantine/held");
        String id = template.id().value();
        String meta = Files.readString(held.resolve(id + ".meta"), StandardCharsets.UTF_8);
        byte[] msg = Files.readAllBytes(held.resolve(id + ".msg"));
        int count = 4000;
        java.time.Clock clock = java.time.Clock.systemUTC();
        for (int i = 1; i < count; i++) {
            String copy = org.mailhygiene.smtp.queue.QueueId.generate(clock).value();
            Files.writeString(held.resolve(copy + ".meta"), meta.replace(id, copy), StandardCharsets.UTF_8);
            Files.write(held.resolve(copy + ".msg"), msg);
        }
        ProcessBuilder pb = MainProcess.of("quarantine", "list", "--data", dir.toString());
        pb.command().add(1, "-Xmx24m");
        Path out = dir.resolve("list.out");
        Path err = dir.resolve("list.err");
        Process list =
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(list.waitFor(240, TimeUnit.SECONDS)).isTrue();
        assertThat(list.exitValue()).as(Files.readString(err)).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(count);
        assertThat(lines.get(0)).startsWith(id + "  ").endsWith("  a test");
        List<String> ids = lines.stream().map(l -> l.substring(0, 20)).toList();
        assertThat(ids).isSorted();
    }

    /**
     * Audit of session 39: {@code show} printed the header's bytes read as UTF-8, so an ISO-2022-JP Subject sent its
     * escape sequences to the terminal (and so did any ESC a sender wrote), raw Shift_JIS read as U+FFFD, and an
     * encoded Subject was never decoded. Each line is now decoded from its charset, control characters are shown as
     * {@code ?}, and the Subject is printed decoded.
     */
    @Test
    void showPrintsJapaneseHeadersReadablyAndNoControlCharacters() throws Exception {
        Files.createDirectories(dir.resolve("spool"));
        org.mailhygiene.smtp.queue.Quarantine q = org.mailhygiene.smtp.queue.Quarantine.builder(
                        dir.resolve("quarantine"))
                .build();
        java.nio.charset.Charset jis = java.nio.charset.Charset.forName("ISO-2022-JP");
        java.io.ByteArrayOutputStream msg = new java.io.ByteArrayOutputStream();
        msg.writeBytes("From: ".getBytes(StandardCharsets.US_ASCII));
        msg.writeBytes("山田".getBytes(java.nio.charset.Charset.forName("Shift_JIS")));
        msg.writeBytes(" <t@sender.example>\r\nSubject: ".getBytes(StandardCharsets.US_ASCII));
        msg.writeBytes("請求書の送付".getBytes(jis));
        msg.writeBytes(("\r\nX-Note: \u001b]0;owned\u0007\u001b[2Jred\r\nTo: u@dept-a.example\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String id = q.hold(
                        new org.mailhygiene.api.Envelope(
                                java.util.Optional.empty(),
                                java.util.Optional.empty(),
                                "s@example.net",
                                List.of("alice@dept-a.example"),
                                java.time.Instant.now()),
                        org.mailhygiene.api.MessageContent.ofBytes(msg.toByteArray()),
                        "QUARANTINE",
                        "attachments: SUSPICIOUS [EXECUTABLE_ATTACHMENT]",
                        List.of("bayes CLEAN rules=[subject:skip:\u001b:2]"))
                .id()
                .value();
        Run show = Run.main("quarantine", "show", "--data", dir.toString(), id);
        assertThat(show.status()).isZero();
        assertThat(show.out())
                .contains("subject:     請求書の送付")
                .contains("Subject: 請求書の送付")
                .contains("From: 山田 <t@sender.example>")
                .contains("X-Note: ?]0;owned??[2Jred")
                .contains("subject:skip:?:2")
                .doesNotContain("\u001b")
                .doesNotContain("\u0007")
                .doesNotContain("\uFFFD");

        // an encoded Subject is decoded for the subject line; what it decodes to is made printable too
        java.io.ByteArrayOutputStream second = new java.io.ByteArrayOutputStream();
        second.writeBytes(("Subject: =?UTF-8?B?"
                        + java.util.Base64.getEncoder()
                                .encodeToString("会議\u001b[31m\u202egpj.exe".getBytes(StandardCharsets.UTF_8))
                        + "?=\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String id2 = q.hold(
                        new org.mailhygiene.api.Envelope(
                                java.util.Optional.empty(),
                                java.util.Optional.empty(),
                                "s@example.net",
                                List.of("alice@dept-a.example"),
                                java.time.Instant.now()),
                        org.mailhygiene.api.MessageContent.ofBytes(second.toByteArray()),
                        "QUARANTINE",
                        "a test",
                        List.of())
                .id()
                .value();
        Run show2 = Run.main("quarantine", "show", "--data", dir.toString(), id2);
        assertThat(show2.out()).contains("subject:     会議?[31m?gpj.exe");
        Run json = Run.main("quarantine", "show", "--json", "--data", dir.toString(), id2);
        assertThat(json.out()).contains("\"subject\":\"\\u4f1a\\u8b70\\u001b[31m\\u202egpj.exe\"");
    }

    private Run awaitQueueListing(String expected) throws Exception {
        return Await.value(
                "queue list shows " + expected,
                () -> Run.main("queue", "list", "--data", dir.toString()),
                r -> r.out().contains(expected));
    }

    private static void awaitEmptyQueue(Node node) throws Exception {
        Await.until("the delivery queue is empty", () -> node.relay().delivery().queued() == 0);
    }

    /** One SMTP transaction from {@link #CLIENT}; returns the reply to the final dot. */
    static String send(InetSocketAddress at, String from, String to, byte[] message) throws IOException {
        try (Socket s = new Socket(at.getAddress(), at.getPort(), InetAddress.getByName(CLIENT), 0)) {
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            reply(in);
            for (String cmd : List.of("EHLO client.test", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA")) {
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String r = reply(in);
                if (!r.startsWith("2") && !r.startsWith("3")) {
                    return r;
                }
            }
            String text = new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
            StringBuilder sb = new StringBuilder();
            for (String l : text.split("\n", -1)) {
                sb.append(l.startsWith(".") ? "." + l : l).append("\r\n");
            }
            sb.append(".\r\nQUIT\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return reply(in);
        }
    }

    private static String reply(BufferedReader in) throws IOException {
        String line;
        String last = "";
        while ((line = in.readLine()) != null) {
            last = line;
            if (line.length() < 4 || line.charAt(3) != '-') {
                break;
            }
        }
        return last;
    }

    /** What {@code --learn-ham URL} prints names the cluster without its password. */
    @Test
    void aClusterUrlIsPrintedWithoutItsPassword() {
        assertThat(QuarantineCommand.withoutPassword("redis://:secret@127.0.0.1:1"))
                .isEqualTo("redis://:***@127.0.0.1:1");
        assertThat(QuarantineCommand.withoutPassword("redis://secret@127.0.0.1"))
                .isEqualTo("redis://:***@127.0.0.1");
        assertThat(QuarantineCommand.withoutPassword("rediss://app:s3@[::1]:6379/2?prefix=a:"))
                .isEqualTo("rediss://app:***@[::1]:6379/2?prefix=a:");
        assertThat(QuarantineCommand.withoutPassword("redis-sentinel://h1,h2/m"))
                .isEqualTo("redis-sentinel://h1,h2/m");
        // a password holding '/' or '@' (generated ones do), and the Sentinels' own password
        assertThat(QuarantineCommand.withoutPassword("redis://:top/secret@127.0.0.1:1"))
                .isEqualTo("redis://:***@127.0.0.1:1");
        assertThat(QuarantineCommand.withoutPassword("redis://app:top@secret@127.0.0.1:1"))
                .isEqualTo("redis://app:***@127.0.0.1:1");
        assertThat(QuarantineCommand.withoutPassword("redis-sentinel://h1,h2/m?prefix=a:&sentinel-password=topsecret"))
                .isEqualTo("redis-sentinel://h1,h2/m?prefix=a:&sentinel-password=***");
    }
}
