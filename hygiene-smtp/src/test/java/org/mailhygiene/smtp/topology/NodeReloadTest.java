package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * {@link NodeReloader} and {@link Node#reload}: a valid change is applied to new sessions, a broken one is refused
 * with its file and line and the old configuration keeps working, keys that need a restart keep their value, and a
 * session or scan in progress finishes on the configuration it started with.
 */
class NodeReloadTest {
    @TempDir
    Path dir;

    private SmtpSink sinkA;
    private SmtpSink sinkB;
    private Node node;

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
        if (sinkA != null) {
            sinkA.close();
        }
        if (sinkB != null) {
            sinkB.close();
        }
    }

    /** One SMTP session, command by command. */
    private static final class Session implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;
        final String greeting;

        Session(InetSocketAddress server) throws IOException {
            socket.connect(server, 10_000);
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            greeting = reply();
        }

        private String reply() throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("connection closed");
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
            return line;
        }

        String cmd(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        /** DATA with a small message; the reply to the final dot. */
        String data(String subject) throws IOException {
            String r = cmd("DATA");
            if (!r.startsWith("354")) {
                return r;
            }
            return cmd("From: s@example.net\r\nSubject: " + subject + "\r\n\r\nhello\r\n.");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static String rcpt(InetSocketAddress server, String to) throws IOException {
        try (Session s = new Session(server)) {
            s.cmd("EHLO client.example");
            s.cmd("MAIL FROM:<s@example.net>");
            return s.cmd("RCPT TO:<" + to + ">");
        }
    }

    private Path config(String domain, SmtpSink hop, String extra) throws IOException {
        Files.writeString(dir.resolve("rcpthosts"), domain + "\n");
        Files.writeString(dir.resolve("smtproutes"), ":127.0.0.1:" + hop.port() + "\n");
        Path f = dir.resolve("node.conf");
        Files.writeString(f, """
                role = edge
                name = edge
                listen = 127.0.0.1:0
                data = data
                rcpthosts = rcpthosts
                smtproutes = smtproutes
                scanner = attachments
                """ + extra);
        return f;
    }

    private NodeReloader startFrom(Path file) throws Exception {
        node = NodeConfig.read(file).build();
        node.start();
        return NodeReloader.of(node, file);
    }

    @Test
    void aValidChangeIsUsedByNewSessionsWhileASessionInProgressFinishesOnTheOldOne() throws Exception {
        sinkA = SmtpSink.start();
        sinkB = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        NodeReloader reloader = startFrom(file);

        try (Session early = new Session(node.address())) {
            assertThat(early.cmd("EHLO client.example")).startsWith("250");
            assertThat(early.cmd("MAIL FROM:<s@example.net>")).startsWith("250");
            assertThat(early.cmd("RCPT TO:<alice@dept-a.example>")).startsWith("250");

            // The administrator edits rcpthosts and smtproutes (not node.conf) and sends SIGHUP.
            Files.writeString(dir.resolve("rcpthosts"), "dept-b.example\n");
            Files.writeString(dir.resolve("smtproutes"), ":127.0.0.1:" + sinkB.port() + "\n");
            NodeReloader.Result r = reloader.reload();
            assertThat(r.applied()).isTrue();
            assertThat(r.problem()).isEmpty();
            // the default postmaster follows the first accepted domain, and keeps its running value (session 40:
            // this was only logged by the node, and the result said nothing needed a restart)
            assertThat(r.restartNeeded())
                    .containsExactly("postmaster (not set: the default, from accept-domain, rcpthosts and hostname)"
                            + " changed from postmaster@dept-a.example to postmaster@dept-b.example: needs a restart;"
                            + " postmaster@dept-a.example stays in use");

            assertThat(rcpt(node.address(), "alice@dept-a.example")).startsWith("5");
            try (Session late = new Session(node.address())) {
                late.cmd("EHLO client.example");
                late.cmd("MAIL FROM:<s@example.net>");
                assertThat(late.cmd("RCPT TO:<bob@dept-b.example>")).startsWith("250");
                assertThat(late.data("late")).startsWith("250");
            }

            // The session opened before the reload was not dropped and keeps its accepted recipient.
            assertThat(early.data("early")).startsWith("250");
        }
        // Deliveries from now on take the new route, also for the message accepted on the old session.
        assertThat(sinkB.awaitMessages(2, Duration.ofSeconds(60))).hasSize(2);
        assertThat(sinkA.messages()).isEmpty();
    }

    /** Leaves a reload request for {@code file} and waits until the node has taken it and run what it runs. */
    private void requestAndWait(Path file) throws Exception {
        Path data = Node.requestReload(NodeConfig.read(file), file);
        Path request = data.resolve("reload-request");
        // The node takes requests one at a time on one thread: once a second request is gone, the first one's
        // reload (if it ran) has ended.
        for (int i = 0; i < 2; i++) {
            if (i == 1) {
                Node.requestReload(NodeConfig.read(file), file);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (Files.exists(request)) {
                assertThat(System.nanoTime()).as("request taken").isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    /**
     * Audit, session 46: {@code hygiene relay --reload --config OTHER.conf} (a staged copy with the same data
     * directory) said "a node running with DATA reloads OTHER.conf", and the node reloaded the file it was started
     * with, node.conf, with whatever half-done edit it held. Now the request names its file and the node refuses one
     * for another file; a request for its own file (by another path to it too) is applied.
     */
    @Test
    void aReloadRequestedForAnotherFileIsRefusedAndOneForItsOwnIsApplied() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        startFrom(file);
        Path other = dir.resolve("other.conf");
        Files.writeString(
                other, Files.readString(file).replace("rcpthosts = rcpthosts\n", "accept-domain = dept-c.example\n"));
        Files.writeString(dir.resolve("rcpthosts"), "dept-b.example\n"); // an edit of node.conf's rcpthosts, not done

        requestAndWait(other);
        assertThat(rcpt(node.address(), "bob@dept-b.example")).startsWith("5");
        assertThat(rcpt(node.address(), "carol@dept-c.example")).startsWith("5");
        assertThat(rcpt(node.address(), "alice@dept-a.example")).startsWith("250");

        Files.createDirectories(dir.resolve("sub"));
        requestAndWait(dir.resolve("sub/../node.conf"));
        assertThat(rcpt(node.address(), "bob@dept-b.example")).startsWith("250");
    }

    /**
     * The request naming its file was written in two steps ({@code reload}, then {@code reload FILE}) and not
     * atomically: a node reading it between them took a request naming no file and reloaded its own, the mistake the
     * file name is there to prevent. A reader polling as the node does sees only whole requests now.
     */
    @Test
    void aReloadRequestIsNeverSeenHalfWritten() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        Node.Builder config = NodeConfig.read(file);
        Path data = Files.createDirectories(dir.resolve("data"));
        Path request = data.resolve("reload-request");
        String whole = "reload " + file.toAbsolutePath().normalize();
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                try {
                    seen.add(Files.readString(request).strip());
                } catch (IOException gone) {
                    // not there (yet)
                }
            }
        });
        reader.start();
        try {
            for (int i = 0; i < 2000; i++) {
                Node.requestReload(config, file);
            }
        } finally {
            done.set(true);
            reader.join(60_000);
        }
        assertThat(seen).containsOnly(whole);
        try (java.util.stream.Stream<Path> left = Files.list(data)) {
            assertThat(left).as("no staged request left behind").containsExactly(request);
        }
    }

    /** Writes a request the node refuses (it names another file) and waits until the node has taken it. */
    private static void refusedRequestAndWait(Path data, Path otherFile) throws Exception {
        Path request = data.resolve("reload-request");
        Files.writeString(request, "reload " + otherFile.toAbsolutePath().normalize() + "\n");
        org.mailhygiene.testkit.Await.until("request taken", () -> !Files.exists(request));
    }

    /**
     * A request the node could not read counted as one naming no file: the node reloaded its own file, the mistake a
     * request naming its file is there to prevent. Now it is refused with an ERROR line and nothing is reloaded.
     */
    @Test
    void anUnreadableReloadRequestIsRefusedNotTakenForOneNamingNoFile() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        startFrom(file);
        AtomicInteger runs = new AtomicInteger();
        node.onReloadRequest(runs::incrementAndGet, file);
        Path data = dir.resolve("data");
        Path request = data.resolve("reload-request");
        Files.createDirectory(request); // there, and cannot be read as a file
        org.mailhygiene.testkit.Await.until("request taken", () -> !Files.exists(request));
        // the node takes requests one at a time: once two more are taken, the first one's handling has ended
        refusedRequestAndWait(data, dir.resolve("other.conf"));
        refusedRequestAndWait(data, dir.resolve("other.conf"));
        assertThat(runs.get()).as("reloads run").isZero();
        assertThat(data.resolve("reload-request.taken")).doesNotExist();
    }

    /**
     * A requester that died between writing its staged request and renaming it into place left
     * {@code reload-request.*.tmp} in the data directory forever. The node removes one older than 10 minutes now, and
     * leaves a fresh one (a requester at work) alone.
     */
    @Test
    void aStagedReloadRequestLeftByADeadRequesterIsRemoved() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        Path data = Files.createDirectories(dir.resolve("data"));
        Path old = Files.writeString(data.resolve("reload-request.4711.tmp"), "reload\n");
        Files.setLastModifiedTime(
                old,
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Duration.ofHours(1))));
        Path fresh = Files.writeString(data.resolve("reload-request.4712.tmp"), "reload\n");
        startFrom(file);
        org.mailhygiene.testkit.Await.until("the old staged request removed", () -> !Files.exists(old));
        assertThat(fresh).exists();
    }

    @Test
    void aBrokenChangeIsRefusedWithFileAndLineAndTheOldConfigurationKeepsWorking() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        NodeReloader reloader = startFrom(file);

        Files.writeString(dir.resolve("rcpthosts"), "dept-b.example\n");
        Files.writeString(file, Files.readString(file) + "max-recipients = many\n");
        NodeReloader.Result r = reloader.reload();

        assertThat(r.applied()).isFalse();
        assertThat(r.problem()).hasValueSatisfying(p -> assertThat(p).startsWith(file + " line 8: max-recipients: "));
        // Nothing was half-applied: the new rcpthosts (valid in itself) is not in use either.
        assertThat(rcpt(node.address(), "bob@dept-b.example")).startsWith("5");
        try (Session s = new Session(node.address())) {
            s.cmd("EHLO client.example");
            s.cmd("MAIL FROM:<s@example.net>");
            assertThat(s.cmd("RCPT TO:<alice@dept-a.example>")).startsWith("250");
            assertThat(s.data("after a refused reload")).startsWith("250");
        }
        assertThat(sinkA.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);

        // A broken file the configuration names is refused with its own line too.
        Files.writeString(file, Files.readString(file).replace("max-recipients = many\n", ""));
        Files.writeString(dir.resolve("smtproutes"), "dept-a.example:not a host:x\n");
        r = reloader.reload();
        assertThat(r.applied()).isFalse();
        assertThat(r.problem())
                .hasValueSatisfying(
                        p -> assertThat(p).startsWith(file + " line 6: smtproutes: " + dir.resolve("smtproutes")));

        // Fixed: the next reload applies.
        Files.writeString(dir.resolve("smtproutes"), ":127.0.0.1:" + sinkA.port() + "\n");
        assertThat(reloader.reload().applied()).isTrue();
        assertThat(rcpt(node.address(), "bob@dept-b.example")).startsWith("250");
    }

    /** A SIGHUP during the stop was refused with "FILE: edge is closed", which read as a fault of the file. */
    @Test
    void aReloadDuringTheStopSaysTheNodeIsStopping() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "");
        NodeReloader reloader = startFrom(file);
        node.close();
        NodeReloader.Result r = reloader.reload();
        assertThat(r.applied()).isFalse();
        assertThat(r.problem()).contains("the node is stopping");
        assertThat(r.restartNeeded()).isEmpty();
    }

    @Test
    void keysThatNeedARestartKeepTheirRunningValueAndAChangedRoleIsRefused() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "max-recipients = 5\n");
        NodeReloader reloader = startFrom(file);
        InetSocketAddress before = node.address();

        String text = Files.readString(file);
        Files.writeString(
                file,
                text.replace("listen = 127.0.0.1:0", "listen = 127.0.0.1:2")
                        .replace("data = data", "data = elsewhere")
                        .replace("max-recipients = 5", "max-recipients = 1"));
        NodeReloader.Result r = reloader.reload();

        assertThat(r.applied()).isTrue();
        assertThat(r.restartNeeded())
                .containsExactly(
                        "listen (" + file + " line 3) changed from 127.0.0.1:0 to 127.0.0.1:2: needs a restart;"
                                + " 127.0.0.1:0 stays in use",
                        "data (" + file + " line 4) changed from data to elsewhere: needs a restart; data stays in"
                                + " use");
        assertThat(node.address()).isEqualTo(before);
        assertThat(Files.exists(dir.resolve("elsewhere"))).isFalse();
        try (Session s = new Session(node.address())) { // the limit is reloadable
            s.cmd("EHLO client.example");
            s.cmd("MAIL FROM:<s@example.net>");
            assertThat(s.cmd("RCPT TO:<a@dept-a.example>")).startsWith("250");
            assertThat(s.cmd("RCPT TO:<b@dept-a.example>")).startsWith("452");
        }

        Files.writeString(file, Files.readString(file).replace("role = edge", "role = gateway"));
        r = reloader.reload();
        assertThat(r.applied()).isFalse();
        assertThat(r.problem()).hasValueSatisfying(p -> assertThat(p).contains("role and the name cannot change"));
    }

    /**
     * Found from outside (session 39): a reload that changed {@code hostname} logged "needs a restart; (not set) stays
     * in use", but the rebuilt {@code auth} scanner took the new name as its authserv-id, so
     * {@code Authentication-Results} named another host than the greeting and {@code Received} did.
     */
    @Test
    void aChangedHostnameKeepsTheRunningAuthservIdUntilTheRestart() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "scanner = auth\ndns = 127.0.0.1:9\n");
        NodeReloader reloader = startFrom(file);
        assertThat(authservId()).isEqualTo("edge");

        Files.writeString(file, Files.readString(file) + "hostname = mx.dept-a.example\n");
        NodeReloader.Result r = reloader.reload();

        assertThat(r.applied()).isTrue();
        assertThat(r.restartNeeded())
                .containsExactly("hostname (" + file + " line 10) changed from (not set) to mx.dept-a.example: needs a"
                        + " restart; edge (the default) stays in use");
        assertThat(authservId()).isEqualTo("edge");
        try (Session s = new Session(node.address())) {
            assertThat(s.greeting).startsWith("220 edge ");
        }
    }

    /**
     * An audit (session 40): a changed postmaster needs a restart, but only the node's log said so; the reload's
     * result listed every other such key. Set in the file, or defaulted from the first accepted domain.
     */
    @Test
    void aChangedPostmasterIsListedAsNeedingARestart() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "postmaster = pm@dept-a.example\n");
        NodeReloader reloader = startFrom(file);

        Files.writeString(file, Files.readString(file).replace("pm@dept-a.example", "hostmaster@dept-a.example"));
        NodeReloader.Result r = reloader.reload();
        assertThat(r.applied()).isTrue();
        assertThat(r.restartNeeded())
                .containsExactly("postmaster (" + file + " line 8) changed from pm@dept-a.example to"
                        + " hostmaster@dept-a.example: needs a restart; pm@dept-a.example stays in use");

        // the default, from the accepted domains: the rcpthosts file names another domain first
        node.close();
        node = null;
        file = config("dept-a.example", sinkA, "");
        reloader = startFrom(file);
        Files.writeString(dir.resolve("rcpthosts"), "dept-b.example\ndept-a.example\n");
        r = reloader.reload();
        assertThat(r.applied()).isTrue();
        assertThat(r.restartNeeded())
                .containsExactly("postmaster (not set: the default, from accept-domain, rcpthosts and hostname)"
                        + " changed from postmaster@dept-a.example to postmaster@dept-b.example: needs a restart;"
                        + " postmaster@dept-a.example stays in use");
        assertThat(reloader.reload().restartNeeded()).hasSize(1); // still different from the running one
    }

    /** A restart key taken out of the file was reported on "line 0" (session 40). */
    @Test
    void aRestartKeyTakenOutOfTheFileIsNotGivenALine() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config("dept-a.example", sinkA, "stop-grace = 5s\n");
        NodeReloader reloader = startFrom(file);
        Files.writeString(file, Files.readString(file).replace("stop-grace = 5s\n", ""));
        NodeReloader.Result r = reloader.reload();
        assertThat(r.applied()).isTrue();
        assertThat(r.restartNeeded())
                .containsExactly("stop-grace (" + file + ", no longer given) changed from 5s to (not set): needs a"
                        + " restart; 5s stays in use");
    }

    /** An internationalised host name is the authserv-id as its A-labels, as it is the greeting's. */
    @Test
    void anInternationalisedHostnameIsTheAuthservIdAsItsALabels() throws Exception {
        sinkA = SmtpSink.start();
        Path file = config(
                "dept-a.example", sinkA, "scanner = auth\ndns = 127.0.0.1:9\nhostname = mx.b\u00fccher.example\n");
        startFrom(file);
        assertThat(authservId()).isEqualTo("mx.xn--bcher-kva.example");
    }

    private String authservId() {
        return node.pipeline().scanners().stream()
                .filter(s -> s instanceof org.mailhygiene.scanners.auth.AuthScanner)
                .map(s -> ((org.mailhygiene.scanners.auth.AuthScanner) s).authservId())
                .findFirst()
                .orElseThrow();
    }

    /** A scanner that blocks its first scan until released, and counts its scans. */
    private static final class GateScanner implements Scanner {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger scans = new AtomicInteger();
        private final String name;

        GateScanner(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Verdict scan(Message message) throws InterruptedException {
            if (scans.incrementAndGet() == 1) {
                entered.countDown();
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            }
            return Verdict.clean(name, Duration.ZERO);
        }
    }

    private Node.Builder programmatic(Scanner scanner, SmtpSink hop) throws Exception {
        return Node.builder(Role.EDGE, "edge")
                .listen(InetAddress.getLoopbackAddress(), 0)
                .acceptedDomains(AcceptedDomains.of("dept-a.example"))
                .router(StaticRouter.parse(":127.0.0.1:" + hop.port()))
                .scanners(List.of(scanner))
                .verdictCache(false)
                .dataDirectory(dir.resolve("data"));
    }

    @Test
    void aScanInProgressFinishesWithTheOldPipelineWhichIsClosedAfterwards() throws Exception {
        sinkA = SmtpSink.start();
        GateScanner old = new GateScanner("old");
        GateScanner replacement = new GateScanner("new");
        replacement.scans.set(1); // never blocks
        node = programmatic(old, sinkA).build();
        node.start();
        ScanPipeline oldPipeline = node.pipeline();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Session s = new Session(node.address())) {
            s.cmd("EHLO client.example");
            s.cmd("MAIL FROM:<s@example.net>");
            s.cmd("RCPT TO:<alice@dept-a.example>");
            Future<String> reply = pool.submit(() -> s.data("in flight"));
            assertThat(old.entered.await(60, TimeUnit.SECONDS)).isTrue();

            node.reload(programmatic(replacement, sinkA));
            assertThat(node.scanners()).extracting(Scanner::name).containsExactly("new");
            assertThat(oldPipeline.isClosed()).as("still scanning a message").isFalse();

            old.release.countDown();
            assertThat(reply.get(60, TimeUnit.SECONDS)).startsWith("250");
        } finally {
            pool.shutdownNow();
        }
        assertThat(oldPipeline.isClosed())
                .as("closed when its last message was answered")
                .isTrue();
        try (Session s = new Session(node.address())) {
            s.cmd("EHLO client.example");
            s.cmd("MAIL FROM:<s@example.net>");
            s.cmd("RCPT TO:<alice@dept-a.example>");
            assertThat(s.data("after")).startsWith("250");
        }
        assertThat(old.scans.get()).isEqualTo(1);
        assertThat(replacement.scans.get()).isEqualTo(2);
        assertThat(sinkA.awaitMessages(2, Duration.ofSeconds(60))).hasSize(2);
    }

    @Test
    void aRefusedProgrammaticReloadChangesNothing() throws Exception {
        sinkA = SmtpSink.start();
        GateScanner first = new GateScanner("first");
        first.scans.set(1);
        node = programmatic(first, sinkA).build();
        node.start();
        ScanPipeline running = node.pipeline();

        Node.Builder twoWithOneName = programmatic(first, sinkA).scanners(List.of(first, new GateScanner("first")));
        assertThatThrownBy(() -> node.reload(twoWithOneName)).isInstanceOf(IllegalArgumentException.class);
        Node.Builder other = Node.builder(Role.EDGE, "other")
                .router(StaticRouter.parse(":127.0.0.1:9"))
                .scanners(List.of(first))
                .dataDirectory(dir.resolve("data"));
        assertThatThrownBy(() -> node.reload(other)).hasMessageContaining("cannot change without a restart");

        assertThat(node.pipeline()).isSameAs(running);
        assertThat(running.isClosed()).isFalse();
        assertThat(rcpt(node.address(), "alice@dept-a.example")).startsWith("250");
    }
}
