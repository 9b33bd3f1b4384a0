package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.smtp.stats.Counter;
import org.mailhygiene.smtp.stats.DailyCounts;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.milter.MilterClient;
import org.mailhygiene.testkit.milter.MilterResult;

/** {@code hygiene milter}: options, --config, and a real run in a child JVM driven by the testkit's MTA client. */
class MilterCommandTest {
    @TempDir
    Path dir;

    @Test
    void needsAScannerOrAConfigAndAListenAddress() {
        Run r = Run.main("milter", "--listen", "127.0.0.1:0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("choose at least one scanner");
        r = Run.main("milter", "--builtin");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--listen HOST:PORT is required");
        r = Run.main("milter", "--builtin", "--listen", "localhost:25");
        assertThat(r.err()).contains("--listen expects IP:PORT");
        // session 40: taken as 127.0.0.1, where inet_aton reads octal
        r = Run.main("milter", "--builtin", "--listen", "127.0.0.010:0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--listen '127.0.0.010' has a number with a leading zero");
        // the other address options alike (the JDK took 127.1 for 127.0.0.1, 127.0.0.010 for 127.0.0.10)
        r = Run.main("milter", "--builtin", "--listen", "127.0.0.1:0", "--admin", "127.0.0.010:0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--admin '127.0.0.010' has a number with a leading zero");
        r = Run.main("milter", "--builtin", "--listen", "127.0.0.1:0", "--dns", "127.0.0.053:53");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--dns '127.0.0.053' has a number with a leading zero");
        r = Run.main("milter", "--builtin", "--listen", "127.0.0.1:0", "--dns", "127.1:53");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--dns wants an IP address (four numbers 0 to 255), not 127.1");
        // session 45: ::1:8891 was taken as ::1 port 8891, a guess (it is itself an IPv6 address)
        for (String flag : List.of("--listen", "--admin", "--dns")) {
            List<String> args = new java.util.ArrayList<>(List.of("milter", "--builtin", "--listen", "127.0.0.1:0"));
            args.addAll(List.of(flag, "::1:8891"));
            r = Run.main(args.toArray(String[]::new));
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains(flag + ": write an IPv6 address in brackets: [::1]:8891");
            args.set(args.size() - 1, "[::1:8891");
            r = Run.main(args.toArray(String[]::new));
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains(flag).contains("IP:PORT");
        }
        assertThat(Run.main("help", "milter").out()).contains("smtpd_milters = inet:HOST:PORT");
    }

    /**
     * A taken address was said as {@code hygiene milter: cannot start: java.net.BindException: Address already in use},
     * for the milter's listener and its admin endpoint alike: which one, and where it was given, was left to guess.
     * Now the message names the flag (or the file, line and key) and the address, as the relay's does.
     */
    @Test
    void aTakenListenOrAdminAddressIsNamedWithWhereItWasGiven() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String at = "127.0.0.1:" + taken.getLocalPort();
            Run r = Run.main("milter", "--builtin", "--listen", at);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .contains("hygiene milter: cannot start: --listen: cannot listen on " + at
                            + ": Address already in use (another milter or program listens there)")
                    .doesNotContain("java.net.BindException");
            r = Run.main("milter", "--builtin", "--listen", "127.0.0.1:0", "--admin", at);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .contains("hygiene milter: cannot start: --admin: cannot listen on " + at)
                    .doesNotContain("java.net.BindException");
            Path conf = dir.resolve("taken.conf");
            Files.writeString(conf, "name = m\nscanner = builtin\nlisten = " + at + "\n");
            r = Run.main("milter", "--config", conf.toString());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains(conf + " line 3: listen: cannot listen on " + at);
            Files.writeString(conf, "name = m\nscanner = builtin\nlisten = 127.0.0.1:0\n\nadmin-listen = " + at + "\n");
            r = Run.main("milter", "--config", conf.toString());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains(conf + " line 5: admin-listen: cannot listen on " + at);
        }
    }

    /**
     * An admin endpoint on every interface (no authentication; the docs say loopback or a management network) is a
     * warning from {@code --check} and at start, naming where it was given; until session 51 neither said anything.
     * Here the start then fails on a taken port, after the warning, so no milter keeps running.
     */
    @Test
    void anAdminEndpointOnEveryInterfaceIsAWarning() throws Exception {
        Path conf = dir.resolve("open.conf");
        Files.writeString(conf, "name = m\nscanner = builtin\nlisten = 127.0.0.1:0\nadmin-listen = 0.0.0.0:9101\n");
        Run r = Run.main("milter", "--config", conf.toString(), "--check");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("hygiene milter: " + conf + " line 4: admin-listen: warning: 0.0.0.0:9101: /metrics and"
                        + " /health are served without authentication on every interface of this host");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            String at = "0.0.0.0:" + taken.getLocalPort();
            r = Run.main("milter", "--builtin", "--listen", "127.0.0.1:0", "--admin", at);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .contains("hygiene milter: --admin: warning: " + at + ": /metrics and /health are served without"
                            + " authentication on every interface of this host");
        }
        Files.writeString(conf, "name = m\nscanner = builtin\nlisten = 127.0.0.1:0\nadmin-listen = 127.0.0.1:9101\n");
        r = Run.main("milter", "--config", conf.toString(), "--check");
        assertThat(r.err()).doesNotContain("warning");
    }

    /**
     * A milter listening on every interface: the milter protocol has no authentication, so anyone who reaches the port
     * can have mail scanned and read the verdicts. Until session 53 neither {@code --check} nor the start said a word;
     * now both warn as for admin-listen, naming the file and line (or the flag). Loopback gives no warning.
     */
    @Test
    void aMilterListeningOnEveryInterfaceIsAWarning() throws Exception {
        Path conf = dir.resolve("open.conf");
        for (String wildcard : List.of("0.0.0.0:8891", "[::]:8891")) {
            Files.writeString(conf, "name = m\nscanner = builtin\nlisten = " + wildcard + "\n");
            Run r = Run.main("milter", "--config", conf.toString(), "--check");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.err())
                    .contains("hygiene milter: " + conf + " line 3: listen: warning: ")
                    .contains(":8891: the milter protocol is served without authentication on every interface of this"
                            + " host, public ones included, to anyone who can reach the port (bind it to loopback,"
                            + " 127.0.0.1:8891, or the private address the MTA reaches the milter at, or firewall the"
                            + " port)");
        }
        Files.writeString(conf, "name = m\nscanner = builtin\nlisten = 127.0.0.1:8891\n");
        assertThat(Run.main("milter", "--config", conf.toString(), "--check").err())
                .doesNotContain("warning");
        // at start too; the start then fails on a taken admin port, after the warning, so no milter keeps running
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run r = Run.main(
                    "milter", "--builtin", "--listen", "0.0.0.0:0", "--admin", "127.0.0.1:" + taken.getLocalPort());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .contains("hygiene milter: --listen: warning: 0.0.0.0:")
                    .contains("the milter protocol is served without authentication on every interface");
        }
    }

    @Test
    void checkValidatesTheConfigurationFile() throws Exception {
        Path good = dir.resolve("milter.conf");
        Files.writeString(
                good,
                "name = m1\nlisten = 127.0.0.1:8891\ndata = data\nscanner = builtin\nspam-tag = [SPAM]\n"
                        + "virus-action = quarantine\nstats-flush = 2s\nadmin-listen = 127.0.0.1:9101\n");
        Run r = Run.main("milter", "--config", good.toString(), "--check");
        assertThat(r.status()).as(r.err()).isZero();
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "scanner = builtin\nroute = example.org:127.0.0.1\n");
        r = Run.main("milter", "--config", bad.toString(), "--check");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("bad.conf line 2").contains("route");
        Files.writeString(bad, "scanner = builtin\nadmin-listen = localhost\n");
        r = Run.main("milter", "--config", bad.toString(), "--check");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("bad.conf line 2").contains("admin-listen");
    }

    /**
     * Audit of {@code --check} (session 42): the milter's {@code --check} asked no scanner daemon, so a spamd line with
     * a wrong port said OK without a word, and the MTA then got 451 for every message. It now warns as the relay's
     * does, naming the file and the scanner line; still OK (a daemon may start after the check).
     */
    @Test
    void checkWarnsOfAScannerDaemonThatDoesNotAnswer() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Path conf = dir.resolve("milter.conf");
        Files.writeString(
                conf,
                "name = m\nscanner = builtin\nscanner = spamd:127.0.0.1:" + closed + "\nspamd.connect-timeout = 2s\n");
        Run r = Run.main("milter", "--config", conf.toString(), "--check");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains(conf + ": OK");
        assertThat(r.err())
                .contains(conf + " line 3: warning: scanner spamd: ")
                .contains("127.0.0.1:" + closed)
                .contains("the milter would start, and scans through it would fail while it does not answer");
        Files.writeString(conf, "name = m\nscanner = builtin\n");
        Run quiet = Run.main("milter", "--config", conf.toString(), "--check");
        assertThat(quiet.status()).isZero();
        assertThat(quiet.err()).doesNotContain("warning");
    }

    @Test
    void servesMetricsAndHealthOnTheAdminPortAfterTraffic() throws Exception {
        Started milter = start(
                "milter", "--builtin", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--name", "m-metrics");
        Process p = milter.process();
        try {
            int port = milter.port();
            String adminLine = milter.out().readLine();
            assertThat(adminLine)
                    .startsWith("m-metrics admin http://127.0.0.1:")
                    .endsWith("/metrics");
            // session 42: every start with --admin logged Micrometer's WARN "A MeterRegistry is being added to this
            // CompositeMeterRegistry that already has registered Meters ... will not be reflected in it" (the scanners'
            // counters were published at 0 before the registry was bound), which reads as lost metrics
            assertThat(Files.readString(dir.resolve("stderr.txt"))).doesNotContain("CompositeMeterRegistry");
            URI metricsUri = URI.create(adminLine.substring(adminLine.indexOf("http://")));
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.eicarAttachment())
                                .smtpReply())
                        .hasValueSatisfying(reply -> assertThat(reply).startsWith("554 5.7.1"));
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.clean())
                                .accepted())
                        .isTrue();
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> metrics =
                    http.send(HttpRequest.newBuilder(metricsUri).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            String m = metrics.body();
            assertThat(sample(m, "hygiene_milter_messages_total{action=\"reject\"}"))
                    .isEqualTo(1.0);
            assertThat(sample(m, "hygiene_milter_messages_total{action=\"accept\"}"))
                    .isEqualTo(1.0);
            assertThat(sample(m, "hygiene_milter_replies_total{type=\"replycode\"}"))
                    .isEqualTo(1.0);
            assertThat(sample(m, "hygiene_milter_replies_total{type=\"accept\"}"))
                    .isEqualTo(1.0);
            assertThat(sample(m, "hygiene_milter_connections_total")).isEqualTo(1.0);
            assertThat(sample(m, "hygiene_milter_message_size_bytes_count")).isEqualTo(2.0);
            assertThat(sample(m, "hygiene_dispositions_total{action=\"reject\"}"))
                    .isEqualTo(1.0);
            assertThat(m).contains("hygiene_scan_duration_seconds_count{").contains("hygiene_scan_verdicts_total{");
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(metricsUri.resolve("/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"name\":\"milter\"");
            // The MTA client quit: the connection is counted as closed normally once the session has ended.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String body = "";
            while (System.nanoTime() < deadline) {
                body = http.send(HttpRequest.newBuilder(metricsUri).GET().build(), HttpResponse.BodyHandlers.ofString())
                        .body();
                if (sample(body, "hygiene_milter_connections_closed_total{reason=\"normal\"}") == 1.0) {
                    break;
                }
                Thread.onSpinWait();
            }
            assertThat(sample(body, "hygiene_milter_connections_closed_total{reason=\"normal\"}"))
                    .isEqualTo(1.0);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("exited after SIGTERM")
                    .isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    /** An envelope from s@example.net to u@example.test, received now, without a client. */
    private static org.mailhygiene.api.Envelope envelope() {
        return new org.mailhygiene.api.Envelope(
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                "s@example.net",
                List.of("u@example.test"),
                java.time.Instant.now());
    }

    /**
     * A message the policy tagged as spam but the MTA did not let the milter mark was answered 451 and counted as
     * tagged (again at each retry): the pipeline told the statistics its decision. It counts as tempfailed now.
     */
    @Test
    void aDispositionTheMilterCouldNotCarryOutCountsAsWhatTheMtaWasTold() throws Exception {
        NodeStatistics stats = NodeStatistics.open(dir.resolve("data"), "m", java.time.Clock.systemDefaultZone());
        org.mailhygiene.milter.MilterListener perMessage = MilterCommand.perMessage("m", stats, null, stats);
        org.mailhygiene.api.Envelope env = envelope();
        org.mailhygiene.api.Verdict spam = org.mailhygiene.api.Verdict.builder(
                        "bayes", org.mailhygiene.api.Outcome.SPAM)
                .score(0.99)
                .threshold(0.8)
                .build();
        org.mailhygiene.scanners.ScanReport tagged = new org.mailhygiene.scanners.ScanReport(
                List.of(spam),
                org.mailhygiene.api.policy.DefaultPolicy.defaults().decide(List.of(spam)),
                java.time.Duration.ofMillis(3));
        assertThat(tagged.disposition().action()).isEqualTo(org.mailhygiene.api.policy.Action.TAG);
        org.mailhygiene.api.MessageContent content = org.mailhygiene.api.MessageContent.ofBytes(SampleMessages.clean());
        perMessage.handled(
                env,
                content,
                tagged,
                new org.mailhygiene.milter.MilterOutcome(
                        org.mailhygiene.api.policy.Action.TEMPFAIL,
                        "451 4.7.0 The MTA does not let the milter mark this message",
                        java.util.Optional.empty(),
                        0,
                        0));
        perMessage.handled(
                env,
                content,
                tagged,
                new org.mailhygiene.milter.MilterOutcome(
                        org.mailhygiene.api.policy.Action.TAG, "accepted", java.util.Optional.empty(), 0, 2));
        stats.close();
        DailyCounts today = NodeStatistics.readDirectory(dir.resolve("data").resolve("stats"))
                .get(0);
        assertThat(today.get(Counter.TEMPFAILED)).isEqualTo(1);
        assertThat(today.get(Counter.TAGGED)).isEqualTo(1);
        assertThat(today.get(Counter.RECEIVED)).isEqualTo(1);
    }

    @Test
    void aMessageAnsweredWithoutAScanReportCountsAsTempfailedInTheStatistics() throws Exception {
        NodeStatistics stats = NodeStatistics.open(dir.resolve("data"), "m", java.time.Clock.systemDefaultZone());
        org.mailhygiene.milter.MilterListener perMessage = MilterCommand.perMessage("m", stats, null, stats);
        org.mailhygiene.api.Envelope env = envelope();
        // the backstop's 451 4.4.5, or a scan cut short by a stop: the pipeline recorded no disposition, so
        // hygiene report counted neither
        perMessage.handled(
                env,
                org.mailhygiene.api.MessageContent.ofBytes(SampleMessages.clean()),
                null,
                new org.mailhygiene.milter.MilterOutcome(
                        org.mailhygiene.api.policy.Action.TEMPFAIL,
                        "451 4.3.0 Scan interrupted, try again later",
                        java.util.Optional.empty(),
                        0,
                        0));
        stats.close();
        DailyCounts today = NodeStatistics.readDirectory(dir.resolve("data").resolve("stats"))
                .get(0);
        assertThat(today.get(Counter.TEMPFAILED)).isEqualTo(1);
        assertThat(today.get(Counter.RECEIVED)).isZero();
    }

    /**
     * Messages past the memory threshold went to files of the JVM's temporary directory, which a milter killed
     * outright (kill -9, the OOM killer) left there for good. They go into one private directory now, locked while the
     * milter runs: the next milter deletes a dead one's, a stopped milter its own.
     */
    @Test
    void aKilledMiltersSpilledMessagesAreDeletedByTheNextMilter() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process first = startMilter(tmp, "m-first");
        Path dead;
        try {
            dead = onlySpillDirectory(tmp);
            assertThat(dead.resolve(LockedDirectory.LOCK_FILE)).isRegularFile();
            Files.writeString(dead.resolve("hygiene-1.eml"), "Subject: a spilled message\r\n\r\nx\r\n");
            first.destroyForcibly(); // SIGKILL: nothing of the milter's own runs
            assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            first.destroyForcibly();
        }
        assertThat(dead.resolve("hygiene-1.eml"))
                .as("left by the killed milter")
                .isRegularFile();
        Files.setLastModifiedTime(
                dead.resolve(LockedDirectory.LOCK_FILE),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(120)));
        Process second = startMilter(tmp, "m-second");
        try {
            assertThat(dead).as("deleted by the next milter").doesNotExist();
            Path own = onlySpillDirectory(tmp);
            second.destroy(); // SIGTERM
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(own).as("a stopped milter deletes its own").doesNotExist();
        } finally {
            second.destroyForcibly();
        }
    }

    /** A temporary directory the milter cannot use is named as such, in words, not as an exception's class. */
    @Test
    void aTemporaryDirectoryItCannotUseIsSaidPlainly() throws Exception {
        Path missing = dir.resolve("no-such-tmp");
        List<String> command = new java.util.ArrayList<>(
                MainProcess.of("milter", "--builtin", "--listen", "127.0.0.1:0", "--name", "m-notmp")
                        .command());
        command.add(1, "-Djava.io.tmpdir=" + missing);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(said).isEqualTo(2);
        assertThat(said)
                .contains("hygiene milter: cannot make a temporary directory in " + missing)
                .doesNotContain("Exception");
    }

    private Process startMilter(Path tmp, String name) throws IOException {
        List<String> command = new java.util.ArrayList<>(
                MainProcess.of("milter", "--builtin", "--listen", "127.0.0.1:0", "--name", name)
                        .command());
        command.add(1, "-Djava.io.tmpdir=" + tmp);
        Path stderr = dir.resolve(name + ".stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as(Files.readString(stderr)).startsWith("milter inet:127.0.0.1:");
        return p;
    }

    private static Path onlySpillDirectory(Path tmp) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            List<Path> dirs = s.filter(f -> f.getFileName().toString().startsWith(MilterCommand.SPILL_PREFIX))
                    .toList();
            assertThat(dirs).hasSize(1);
            return dirs.get(0);
        }
    }

    /**
     * Session 43: scanners given by flags had no probes (a node's {@code scanner} lines, and the milter's
     * {@code --config}, run one every {@code *.probe-interval}), so a member of a {@code --spamd A,B} group that failed
     * stayed out for its whole back-off (30 s, doubling) after its daemon was back, and a lone {@code --spamd}
     * answered every message 451 meanwhile (measured: 23 s after a spamd restart). Members marked down are now PINGed
     * every second, and come back when they answer.
     */
    @Test
    void aDaemonMemberGivenByFlagsIsProbedBackAfterAFailure() throws Exception {
        Path stderr = dir.resolve("stderr.txt");
        try (org.mailhygiene.testkit.spamd.FakeSpamd a = org.mailhygiene.testkit.spamd.FakeSpamd.start();
                org.mailhygiene.testkit.spamd.FakeSpamd b = org.mailhygiene.testkit.spamd.FakeSpamd.start()) {
            a.enqueue(
                    org.mailhygiene.testkit.spamd.FakeSpamd.Method.REPORT,
                    org.mailhygiene.testkit.server.Fault.close());
            Process p = MainProcess.of(
                            "milter",
                            "--spamd",
                            a.address() + "," + b.address(),
                            "--listen",
                            "127.0.0.1:0",
                            "--name",
                            "m-probe")
                    .redirectError(stderr.toFile())
                    .start();
            try {
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                assertThat(line).as(Files.readString(stderr)).startsWith("milter inet:127.0.0.1:");
                int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
                try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                    // a fails (its connection closed), b answers: the message is scanned, a is marked down
                    assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.clean())
                                    .accepted())
                            .isTrue();
                }
                assertThat(b.requests()).hasSize(1);
                long reportsBefore = a.requests().stream()
                        .filter(r -> r.method().equals("REPORT"))
                        .count(); // the failed one, if the fake recorded it
                // the probe: a PING to the member marked down (before, none came: a waited out its back-off)
                assertThat(a.takeRequest(org.mailhygiene.testkit.spamd.FakeSpamd.Method.PING, Await.BOUND)
                                .method())
                        .isEqualTo("PING");
                Await.until("a is asked again", () -> {
                    try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                        mta.send("s@example.net", List.of("u@example.test"), SampleMessages.clean());
                    }
                    return a.requests().stream()
                                    .filter(r -> r.method().equals("REPORT"))
                                    .count()
                            > reportsBefore;
                });
            } finally {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    @Test
    void sighupIsLoggedAndIgnoredNotAStop() throws Exception {
        Path stderr = dir.resolve("stderr.txt");
        Process p = MainProcess.of("milter", "--builtin", "--listen", "127.0.0.1:0", "--name", "m-hup")
                .redirectError(stderr.toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as(Files.readString(stderr)).startsWith("milter inet:127.0.0.1:");
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            // An administrator's kill -HUP (a relay reloads on it, clamav-milter reopens its log): the JVM's default
            // stopped the milter, and Postfix then answered every message 451 until someone restarted it.
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid()))
                    .redirectErrorStream(true)
                    .start();
            assertThat(kill.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            Await.until(
                    "the SIGHUP was logged or the milter ended",
                    () -> !p.isAlive() || Files.readString(stderr).contains("SIGHUP ignored"));
            assertThat(p.isAlive()).as(Files.readString(stderr)).isTrue();
            assertThat(Files.readString(stderr)).contains("m-hup: SIGHUP ignored");
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.eicarAttachment())
                                .smtpReply())
                        .hasValueSatisfying(reply -> assertThat(reply).startsWith("554 5.7.1"));
            }
            p.destroy(); // SIGTERM still stops it
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("exited after SIGTERM")
                    .isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void runsUntilSigtermScanningWithStatisticsForTheReport() throws Exception {
        Path conf = dir.resolve("milter.conf");
        Files.writeString(conf, "name = milter-t\nlisten = 127.0.0.1:0\ndata = data\nscanner = builtin\n");
        Started m = start("milter", "--config", conf.toString());
        Process p = m.process();
        try {
            int port = m.port();
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                MilterResult virus =
                        mta.send("s@example.net", List.of("u@example.test"), SampleMessages.eicarAttachment());
                assertThat(virus.smtpReply()).contains("554 5.7.1 Virus found: Eicar-Test-Signature");
                byte[] gtube = SampleMessages.gtube();
                MilterResult spam = mta.send("s@example.net", List.of("u@example.test"), gtube);
                assertThat(spam.header(gtube, "Subject"))
                        .hasValueSatisfying(s -> assertThat(s).startsWith("[SPAM] "));
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.clean())
                                .accepted())
                        .isTrue();
            }
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("exited after SIGTERM")
                    .isTrue();
        } finally {
            p.destroyForcibly();
        }
        DailyCounts today = NodeStatistics.readDirectory(dir.resolve("data").resolve("stats"))
                .get(0);
        assertThat(today.get(Counter.RECEIVED)).isEqualTo(2);
        assertThat(today.viruses()).containsKey("Eicar-Test-Signature");
        assertThat(Files.readString(dir.resolve("stderr.txt")))
                .contains("milter-t id=")
                .contains("disposition=REJECT");
        Run report = Run.main("report", "--data", dir.resolve("data").toString(), "--html", "-");
        assertThat(report.status()).as(report.err()).isZero();
        assertThat(report.out()).contains("Eicar-Test-Signature");
    }

    @Test
    void aConfiguredBayesModelFileIsPickedUpWhenReplacedWithoutARestart() throws Exception {
        byte[] mail = SampleMessages.clean();
        java.util.Set<String> tokens = org.mailhygiene.scanners.bayes.Tokenizer.create()
                .tokenize(org.mailhygiene.api.MessageContent.ofBytes(mail));
        java.util.Set<String> other = java.util.Set.of("quarterly", "agenda", "minutes", "meeting");
        org.mailhygiene.scanners.bayes.BayesModel spammy = org.mailhygiene.scanners.bayes.BayesModel.empty();
        org.mailhygiene.scanners.bayes.BayesModel hammy = org.mailhygiene.scanners.bayes.BayesModel.empty();
        for (int i = 0; i < 20; i++) {
            spammy.learn(tokens, true);
            spammy.learn(other, false);
            hammy.learn(tokens, false);
            hammy.learn(other, true);
        }
        Path model = dir.resolve("site.model");
        spammy.save(model);
        Path conf = dir.resolve("milter.conf");
        Files.writeString(
                conf,
                "name = milter-b\nlisten = 127.0.0.1:0\nscanner = bayes:site.model\nbayes.reload-check = 200ms\n");
        Started m = start("milter", "--config", conf.toString());
        Process p = m.process();
        try {
            int port = m.port();
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(mta.send("s@example.net", List.of("u@example.test"), mail)
                                .header(mail, "Subject"))
                        .hasValueSatisfying(s -> assertThat(s).startsWith("[SPAM] "));
                // the administrator replaces the model (hygiene learn, train: write, then rename)
                Path next = dir.resolve("site.model.new");
                hammy.save(next);
                Files.move(next, model, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                boolean tagged = true;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (tagged && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    tagged = mta.send("s@example.net", List.of("u@example.test"), mail)
                            .header(mail, "Subject")
                            .orElseThrow()
                            .startsWith("[SPAM] ");
                }
                // was never: a milter's bayes: model was read once at start (the reload check was not run)
                assertThat(tagged)
                        .as("the replaced model is used (within seconds; a minute allowed for a loaded machine)")
                        .isFalse();
            }
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * README: backscatter detection is {@code bayes.local-domains} in a file, "also {@code --local-domains} on the
     * command line"; docs/milter.md: the milter takes {@code hygiene scan}'s scanner options. The milter refused
     * {@code --local-domains} as an unknown argument, so from the command line it could not tell backscatter.
     */
    @Test
    void localDomainsOnTheCommandLineMakeABounceForMailWeNeverSentBackscatter() throws Exception {
        Run bare = Run.main("milter", "--listen", "127.0.0.1:0", "--builtin", "--local-domains", "example.org");
        assertThat(bare.status()).isEqualTo(2);
        assertThat(bare.err()).contains("--local-domains goes with --bayes");
        Started m = start("milter", "--listen", "127.0.0.1:0", "--bayes", "default", "--local-domains", "example.org");
        Process p = m.process();
        try {
            int port = m.port();
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                MilterResult ours = mta.send("", List.of("bob@example.org"), bounce("bob@example.org"));
                assertThat(ours.accepted()).isTrue();
                assertThat(ours.quarantineReason()).isEmpty();
                MilterResult backscatter = mta.send("", List.of("bob@example.org"), bounce("someone@forged.example"));
                assertThat(backscatter.quarantineReason())
                        .hasValueSatisfying(r -> assertThat(r).contains("Backscatter"));
            }
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * {@code --builtin} with {@code --bayes} or {@code --attachment-policy}: those replace the embedded set's classifier
     * and policy, as in {@code hygiene scan} and a node's file. Until session 51 the milter refused to start ("duplicate
     * scanner name 'bayes'"), so the EICAR scanner could not go with a site's own model or policy.
     */
    @Test
    void builtinWithItsOwnModelAndPolicyKeepsTheSignatureScanner() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.txt"), "defaults\nblock extension txt\n");
        Started m = start(
                "milter",
                "--listen",
                "127.0.0.1:0",
                "--builtin",
                "--bayes",
                "default",
                "--attachment-policy",
                policy.toString());
        Process p = m.process();
        try {
            int port = m.port();
            try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(mta.send("s@example.net", List.of("u@example.test"), SampleMessages.eicarZip())
                                .smtpReply())
                        .hasValueSatisfying(reply -> assertThat(reply).startsWith("554 5.7.1 Virus found"));
                byte[] notes = ("From: a@example.net\r\nTo: u@example.test\r\nSubject: notes\r\n"
                                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                                + "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/plain\r\n"
                                + "Content-Disposition: attachment; filename=notes.txt\r\n\r\nsome notes\r\n--b--\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                MilterResult blocked = mta.send("s@example.net", List.of("u@example.test"), notes);
                assertThat(blocked.accepted() && blocked.quarantineReason().isEmpty())
                        .as("the file's policy blocks .txt: %s", blocked)
                        .isFalse();
            }
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * {@code --no-brand-check}: the classifier of {@code --builtin} or {@code --bayes} leaves a brand's name over a
     * stranger's address to its score, as {@code bayes.brand-check = off} does in a file; with {@code --config} the
     * key is the way, and without a classifier the flag is refused.
     */
    @Test
    void noBrandCheckLeavesASpoofToTheScore() throws Exception {
        Run bare = Run.main("milter", "--listen", "127.0.0.1:0", "--attachments", "--no-brand-check");
        assertThat(bare.status()).isEqualTo(2);
        assertThat(bare.err()).contains("--no-brand-check goes with --bayes or --builtin");
        Path conf = Files.writeString(dir.resolve("m.conf"), "scanner = builtin\n");
        Run withConfig = Run.main("milter", "--config", conf.toString(), "--no-brand-check", "--check");
        assertThat(withConfig.status()).isEqualTo(2);
        assertThat(withConfig.err()).contains("'bayes.brand-check = off'");
        byte[] spoof = ("From: \"Costco Member Services\" <lee@example.org>\r\nTo: bob@example.org\r\n"
                        + "Subject: Your membership renewal\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                        + "Message-ID: <r1@example.org>\r\n\r\nHi Bob,\r\n\r\nthanks for the notes from Tuesday's"
                        + " meeting. I moved the review to Thursday afternoon.\r\n\r\nBest,\r\nLee\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (boolean check : List.of(true, false)) {
            List<String> args = new java.util.ArrayList<>(List.of("milter", "--listen", "127.0.0.1:0", "--builtin"));
            if (!check) {
                args.add("--no-brand-check");
            }
            Started m = start(args.toArray(String[]::new));
            Process p = m.process();
            try {
                int port = m.port();
                try (MilterClient mta = MilterClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                    MilterResult r = mta.send("lee@example.org", List.of("bob@example.org"), spoof);
                    assertThat(r.accepted()).isTrue();
                    assertThat(r.header(spoof, "X-Spam-Flag")).hasValue(check ? "YES" : "NO");
                    assertThat(r.header(spoof, "X-Spam-Status"))
                            .hasValueSatisfying(v ->
                                    assertThat(v.contains("BAYES_BRAND_SPOOF")).isEqualTo(check));
                }
                p.destroy();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** A configuration file that cannot be read: the JDK's message is the bare path, the reason was lost. */
    @Test
    void aConfigurationFileThatCannotBeReadSaysWhy() {
        Path missing = dir.resolve("missing.conf");
        for (String command : List.of("relay", "milter")) {
            Run r = Run.main(command, "--config", missing.toString(), "--check");
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("hygiene " + command + ": cannot read " + missing + ": no such file");
        }
        // A directory fails with a bare "Is a directory" that names no file: the message must still name it.
        for (String command : List.of("relay", "milter")) {
            Run r = Run.main(command, "--config", dir.toString(), "--check");
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err().strip()).startsWith("hygiene " + command + ": cannot read " + dir + ": ");
        }
    }

    /** A delivery status notification to bob@example.org quoting a message from {@code originalFrom}. */
    private static byte[] bounce(String originalFrom) {
        String domain = originalFrom.substring(originalFrom.indexOf('@') + 1);
        return ("From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\r\n"
                        + "To: bob@example.org\r\n"
                        + "Subject: Undelivered Mail Returned to Sender\r\n"
                        + "MIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
                        + "--B\r\nContent-Type: text/plain\r\n\r\n"
                        + "Your message could not be delivered to one or more recipients.\r\n\r\n"
                        + "<nobody@remote.example>: 550 5.1.1 User unknown\r\n\r\n"
                        + "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
                        + "Reporting-MTA: dns; mx.remote.example\r\n\r\n"
                        + "Final-Recipient: rfc822; nobody@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
                        + "--B\r\nContent-Type: message/rfc822\r\n\r\n"
                        + "From: " + originalFrom + "\r\nTo: nobody@remote.example\r\nSubject: cheap pills\r\n"
                        + "Message-ID: <1@" + domain + ">\r\n\r\nbuy cheap pills now\r\n"
                        + "--B--\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The value of the sample line that starts with {@code nameAndLabels} and a space; NaN when there is none. */
    private static double sample(String exposition, String nameAndLabels) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(nameAndLabels + " ")) {
                return Double.parseDouble(
                        line.substring(nameAndLabels.length() + 1).trim().split(" ")[0]);
            }
        }
        return Double.NaN;
    }

    /**
     * {@code hygiene help milter} named the keys {@code --config} takes as a closed list that left out
     * {@code on-failure}, {@code dmarc-reject} and {@code spf-helo}, which the milter takes (and needs: with spamd,
     * {@code spamd.on-failure.too-large}); session 48. Every key of docs/node-config.md's tables without a dot that a
     * milter file takes (one the milter does not refuse as a relay node's key) is named in the help now.
     */
    @Test
    void theHelpNamesEveryKeyAMilterFileTakes() throws Exception {
        String doc = Files.readString(Path.of("../docs/node-config.md"));
        java.util.Set<String> keys = new java.util.TreeSet<>();
        boolean inKeyTable = false;
        for (String line : doc.split("\n")) {
            if (!line.startsWith("|")) {
                inKeyTable = false;
            } else if (line.startsWith("| key |")) {
                inKeyTable = true;
            } else if (inKeyTable) {
                java.util.regex.Matcher m =
                        java.util.regex.Pattern.compile("`([a-z][a-z0-9-]*)`").matcher(line.split("\\|")[1]);
                while (m.find()) {
                    keys.add(m.group(1));
                }
            }
        }
        assertThat(keys).contains("scanner", "route", "on-failure");
        String help = Run.main("help", "milter").out().replaceAll("\\s+", " ");
        List<String> taken = new java.util.ArrayList<>();
        List<String> unnamed = new java.util.ArrayList<>();
        for (String key : keys) {
            Path file = dir.resolve("m-" + key + ".conf");
            Files.writeString(file, "scanner = auth\n" + (key.equals("scanner") ? "" : key + " = x\n"));
            String error;
            try {
                org.mailhygiene.smtp.topology.NodeConfig.readScanning(file);
                error = "";
            } catch (org.mailhygiene.smtp.config.ConfigException e) {
                error = e.getMessage();
            }
            if (error.contains("a relay node's key")) {
                continue;
            }
            taken.add(key);
            if (!java.util.regex.Pattern.compile("(^|[ ,(])" + java.util.regex.Pattern.quote(key) + "[ ,)]")
                    .matcher(help)
                    .find()) {
                unnamed.add(key);
            }
        }
        assertThat(taken).as("keys a milter file takes").contains("scanner", "dmarc-reject", "stats-flush");
        assertThat(unnamed)
                .as("keys a milter file takes that 'hygiene help milter' does not name")
                .isEmpty();
    }

    /** The milter's line per message writes a bidirectional override of an SMTPUTF8 address as {@code ?} (session 50). */
    @Test
    void theLogLineWritesABidiOverrideInAnAddressAsAQuestionMark() {
        String line = MilterCommand.logLine(
                "m",
                org.mailhygiene.api.Envelope.of("j\u00f6rg\u202eexe.fdp@b.example", List.of("u\u2066@example.test")),
                org.mailhygiene.api.MessageContent.ofString("Subject: x\r\n\r\nx\r\n", StandardCharsets.UTF_8),
                null,
                new org.mailhygiene.milter.MilterOutcome(
                        org.mailhygiene.api.policy.Action.ACCEPT, "", java.util.Optional.empty(), 0, 0));
        assertThat(line).contains("from=<j\u00f6rg?exe.fdp@b.example> to=[<u?@example.test>]");
    }

    /** A milter started by {@link #start}: its process, standard output after the first line, and its port. */
    private record Started(Process process, BufferedReader out, int port) {}

    /**
     * Starts {@code hygiene milter} with these arguments, its standard error to {@code stderr.txt}, and reads the
     * {@code milter inet:127.0.0.1:PORT} line it prints once it accepts connections (what it wrote to standard error
     * is the failure's description when the line is another).
     */
    private Started start(String... args) throws IOException {
        Process p = MainProcess.of(args)
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as(Files.readString(dir.resolve("stderr.txt"))).startsWith("milter inet:127.0.0.1:");
        return new Started(p, out, Integer.parseInt(line.substring(line.lastIndexOf(':') + 1)));
    }
}
