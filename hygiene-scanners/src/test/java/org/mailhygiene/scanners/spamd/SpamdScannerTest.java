package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.junit.FakeSpamdExtension;
import org.mailhygiene.testkit.spamd.FakeSpamd;
import org.mailhygiene.testkit.spamd.Fault;

@ExtendWith(FakeSpamdExtension.class)
@SuppressWarnings("deprecation") // the per-connection fault API on purpose: one client per test, and it guards that API
class SpamdScannerTest {

    private static Message msg(String body) {
        return Message.of(("Subject: t\r\n\r\n" + body + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Loopback ports where nothing listens, held until each test ends. */
    @org.junit.jupiter.api.extension.RegisterExtension
    final org.mailhygiene.testkit.junit.ClosedPortsExtension closedPorts =
            new org.mailhygiene.testkit.junit.ClosedPortsExtension();

    /** A loopback port where nothing listens, held until the test ends. */
    private int closedPort() {
        return closedPorts.reserve();
    }

    @Test
    void gtubeIsSpamWithScoreThresholdAndRule(FakeSpamd fake) throws Exception {
        SpamdScanner scanner = SpamdScanner.builder().server(fake.address()).build();
        Verdict v = scanner.scan(Message.of(TestMessages.gtube()));
        assertThat(v.scanner()).isEqualTo("spamd");
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.score()).hasValue(1000.0);
        assertThat(v.threshold()).hasValue(5.0);
        assertThat(v.rules())
                .containsExactly(Rule.of("GTUBE", 1000.0, "BODY: Generic Test for Unsolicited Bulk Email"));
        assertThat(fake.takeRequest(Duration.ofSeconds(5)).method()).isEqualTo("REPORT");
    }

    @Test
    void hamIsCleanAndRulesAreSortedBySignificance(FakeSpamd fake) throws Exception {
        fake.script(
                "newsletter",
                2.0,
                Rule.of("A_SMALL", 0.5, "small"),
                Rule.of("B_BIG", 2.5, "big"),
                Rule.of("C_NEG", -1.0, "negative"));
        Verdict v = SpamdScanner.builder().server(fake.address()).build().scan(msg("our newsletter"));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.score()).hasValue(2.0);
        assertThat(v.rules()).extracting(Rule::name).containsExactly("B_BIG", "A_SMALL", "C_NEG");
    }

    /**
     * An interrupt (the pipeline's deadline cancelling the scan, or the pipeline closing) ends a request that spamd has
     * not answered at once, with {@link InterruptedException}, on a platform thread (whose blocking socket reads the
     * JDK does not interrupt) as on a virtual one (where the JDK closes the socket and threw "Closed by interrupt"),
     * and it is no failure of spamd: the next scan is asked normally. Before, a platform thread stayed blocked until
     * the read timeout (30 s by default, measured by a downstream audit in session 41), and on a virtual thread the
     * closed socket counted as spamd failing, so spamd was marked down and every scan for the next 30 s failed with
     * "all members are down".
     */
    @Test
    void anInterruptEndsAnUnansweredRequestAndDoesNotMarkSpamdDown(FakeSpamd fake) throws Exception {
        fake.enqueue(FakeSpamd.Method.REPORT, org.mailhygiene.testkit.server.Fault.stall());
        // Timeouts far beyond the test's wait: only the interrupt can end the stalled request in time.
        SpamdScanner scanner = SpamdScanner.builder()
                .server(fake.address())
                .readTimeout(Duration.ofMinutes(5))
                .deadline(Duration.ofMinutes(5))
                .build();
        for (boolean virtual : virtualThreadsIfAvailable()) {
            java.util.concurrent.CompletableFuture<Object> outcome = new java.util.concurrent.CompletableFuture<>();
            Runnable task = () -> {
                try {
                    outcome.complete(scanner.scan(Message.of(TestMessages.gtube())));
                } catch (Exception e) {
                    outcome.complete(e);
                }
            };
            Thread t = virtual ? startVirtual(task) : new Thread(task, "scan");
            if (!virtual) {
                t.start();
            }
            assertThat(fake.takeRequest(FakeSpamd.Method.REPORT, Duration.ofSeconds(10)))
                    .isNotNull();
            t.interrupt();
            Object result = outcome.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(result).as("virtual thread: " + virtual).isInstanceOf(InterruptedException.class);
            // spamd did nothing wrong: it is still asked, and answers.
            Verdict next = scanner.scan(Message.of(TestMessages.gtube()));
            assertThat(next.outcome()).isEqualTo(Outcome.SPAM);
            fake.takeRequest(FakeSpamd.Method.REPORT, Duration.ofSeconds(5));
            fake.enqueue(FakeSpamd.Method.REPORT, org.mailhygiene.testkit.server.Fault.stall());
        }
    }

    /**
     * A scan deadline above the client's default 60 s reaches the clients built by address, so a slow spamd is waited
     * for as configured. Before (found by the session 41 audit), every request stopped at the client's own 60 s
     * ("request deadline of 1m passed") whatever deadline and read timeout the scanner was given.
     */
    @Test
    void theScanDeadlineBoundsEachRequestInsteadOfTheClientsDefault() {
        for (boolean deadlineFirst : List.of(true, false)) {
            SpamdScanner.Builder b = SpamdScanner.builder();
            if (deadlineFirst) {
                b.deadline(Duration.ofMinutes(3)).server("127.0.0.1:783");
            } else {
                b.server("127.0.0.1:783").deadline(Duration.ofMinutes(3));
            }
            SpamdClient client = b.readTimeout(Duration.ofMinutes(2))
                    .build()
                    .group()
                    .values()
                    .get(0);
            assertThat(client.deadline()).isEqualTo(Duration.ofMinutes(3));
            assertThat(client.readTimeout()).isEqualTo(Duration.ofMinutes(2));
        }
        SpamdClient defaults = SpamdScanner.builder()
                .server("127.0.0.1:783")
                .build()
                .group()
                .values()
                .get(0);
        assertThat(defaults.deadline()).isEqualTo(SpamdScanner.DEFAULT_DEADLINE);
    }

    /** Platform threads, and virtual threads too where the runtime has them (Java 21+). */
    private static List<Boolean> virtualThreadsIfAvailable() {
        return Runtime.version().feature() >= 21 ? List.of(false, true) : List.of(false);
    }

    private static Thread startVirtual(Runnable task) throws Exception {
        return (Thread)
                Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null, task);
    }

    /**
     * spamd answers EX_OK with a low score and the rule TIME_LIMIT_EXCEEDED when SpamAssassin's time_limit passed
     * mid-scan (checked with spamd 4.0.1 and time_limit 2 against a slow rule): that is not a clean verdict. Spam
     * found before the limit stands.
     */
    @Test
    void aScanSpamdStoppedAtItsTimeLimitIsUnscannableNotClean(FakeSpamd fake) throws Exception {
        fake.script(
                "slow",
                0.0,
                Rule.of("NO_RELAYS", -0.0, "Informational: message was not relayed via SMTP"),
                Rule.of("TIME_LIMIT_EXCEEDED", 0.0, "Exceeded time limit / deadline"));
        fake.script(
                "fast",
                7.0,
                Rule.of("SPAMMY", 7.0, "spammy"),
                Rule.of("TIME_LIMIT_EXCEEDED", 0.0, "Exceeded time limit / deadline"));
        for (SpamdScanner.RuleDetail detail :
                List.of(SpamdScanner.RuleDetail.REPORT, SpamdScanner.RuleDetail.SYMBOLS)) {
            SpamdScanner scanner = SpamdScanner.builder()
                    .server(fake.address())
                    .ruleDetail(detail)
                    .build();
            assertThatThrownBy(() -> scanner.scan(msg("a slow one"))).isInstanceOfSatisfying(ScanException.class, e -> {
                assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                assertThat(e.failure().detail()).contains("TIME_LIMIT_EXCEEDED", "not fully scanned");
            });
            assertThat(scanner.scan(msg("a fast one")).outcome()).isEqualTo(Outcome.SPAM);
        }
    }

    @Test
    void configuredThresholdDecidesAndSpamdsOwnStaysAvailable(FakeSpamd fake) throws Exception {
        fake.script("six", 6.0, Rule.of("SIX", 6.0, "six"));
        fake.script("edge", 6.8, Rule.of("EDGE", 6.8, "edge"));
        SpamdScanner edge =
                SpamdScanner.builder().server(fake.address()).threshold(6.8).build();

        SpamdScanner.Check six = edge.check(msg("six"));
        assertThat(six.verdict().outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(six.verdict().threshold()).hasValue(6.8);
        assertThat(six.spamdSaysSpam()).isTrue();
        assertThat(six.spamdThreshold()).hasValue(5.0);
        assertThat(six.server()).isEqualTo(fake.address());

        Verdict atThreshold = edge.scan(msg("edge"));
        assertThat(atThreshold.outcome()).as("score >= threshold is spam").isEqualTo(Outcome.SPAM);
        assertThat(atThreshold.scoreReachedThreshold()).isTrue();

        Verdict spamdDecides =
                SpamdScanner.builder().server(fake.address()).build().scan(msg("six"));
        assertThat(spamdDecides.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(spamdDecides.threshold()).hasValue(5.0);
    }

    @Test
    void missingScoreFollowsSpamdUnlessAThresholdNeedsIt(FakeSpamd fake) throws Exception {
        fake.enqueue(Fault.garbage("SPAMD/1.1 0 EX_OK\r\nSpam: True\r\n\r\n"));
        Verdict v = SpamdScanner.builder()
                .server(fake.address())
                .ruleDetail(SpamdScanner.RuleDetail.NONE)
                .build()
                .scan(msg("x"));
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.score()).isEmpty();

        fake.enqueue(Fault.garbage("SPAMD/1.1 0 EX_OK\r\nSpam: True\r\n\r\n"));
        SpamdScanner withThreshold = SpamdScanner.builder()
                .server(fake.address())
                .threshold(6.8)
                .ruleDetail(SpamdScanner.RuleDetail.NONE)
                .build();
        assertThatThrownBy(() -> withThreshold.scan(msg("x")))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR));

        fake.enqueue(Fault.garbage("SPAMD/1.1 0 EX_OK\r\n\r\n"));
        assertThatThrownBy(() -> SpamdScanner.builder()
                        .server(fake.address())
                        .ruleDetail(SpamdScanner.RuleDetail.NONE)
                        .build()
                        .scan(msg("x")))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().detail()).contains("no Spam header"));
    }

    @Test
    void ruleDetailChoosesTheCommand(FakeSpamd fake) throws Exception {
        fake.script("pills", 7.0, Rule.of("PILLS", 7.0, "pills"));
        Verdict symbols = SpamdScanner.builder()
                .server(fake.address())
                .ruleDetail(SpamdScanner.RuleDetail.SYMBOLS)
                .build()
                .scan(msg("pills"));
        assertThat(fake.takeRequest(Duration.ofSeconds(5)).method()).isEqualTo("SYMBOLS");
        assertThat(symbols.rules()).containsExactly(Rule.of("PILLS"));
        Verdict none = SpamdScanner.builder()
                .server(fake.address())
                .ruleDetail(SpamdScanner.RuleDetail.NONE)
                .build()
                .scan(msg("pills"));
        assertThat(fake.takeRequest(Duration.ofSeconds(5)).method()).isEqualTo("CHECK");
        assertThat(none.rules()).isEmpty();
        assertThat(none.outcome()).isEqualTo(Outcome.SPAM);
    }

    @Test
    void reportWithoutTableFallsBackToSymbols(FakeSpamd fake) throws Exception {
        fake.script("pills", 7.0, Rule.of("PILLS", 7.0, "pills"));
        String custom = "custom template\n";
        fake.enqueue(Fault.garbage("SPAMD/1.1 0 EX_OK\r\nContent-length: " + custom.length()
                + "\r\nSpam: True ; 7.0 / 5.0\r\n\r\n" + custom));
        Verdict v = SpamdScanner.builder().server(fake.address()).build().scan(msg("pills"));
        assertThat(v.rules()).containsExactly(Rule.of("PILLS"));
        assertThat(fake.requests()).extracting(r -> r.method()).containsExactly("REPORT", "SYMBOLS");
    }

    @Test
    void oversizeMessagesAreNotSentAndFailAsTooLarge(FakeSpamd fake) throws Exception {
        SpamdScanner scanner = SpamdScanner.builder().server(fake.address()).build();
        byte[] exactly = TestMessages.hamOfSize(512_000);
        byte[] limit = java.util.Arrays.copyOf(exactly, 512_000);
        assertThat(scanner.scan(Message.of(limit)).outcome()).isEqualTo(Outcome.CLEAN);
        byte[] over = java.util.Arrays.copyOf(TestMessages.hamOfSize(512_001), 512_001);
        int before = fake.connectionCount();
        assertThatThrownBy(() -> scanner.scan(Message.of(over))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
            assertThat(e.failure().scanner()).isEqualTo("spamd");
            assertThat(e.failure().detail()).contains("512001").contains("512000");
        });
        assertThat(fake.connectionCount()).as("nothing sent").isEqualTo(before);

        SpamdScanner small = SpamdScanner.builder()
                .server(fake.address())
                .maxMessageSize(100)
                .build();
        assertThatThrownBy(() -> small.scan(Message.of(TestMessages.ham())))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
    }

    @Test
    void failsOverToTheNextInstance(FakeSpamd fake) throws Exception {
        int dead = closedPort();
        SpamdScanner scanner = SpamdScanner.builder()
                .server("127.0.0.1:" + dead)
                .server(fake.address())
                .clock(FakeClock.start())
                .build();
        SpamdScanner.Check c = scanner.check(Message.of(TestMessages.gtube()));
        assertThat(c.verdict().outcome()).isEqualTo(Outcome.SPAM);
        assertThat(c.server()).isEqualTo(fake.address());
        assertThat(scanner.group().members().get(0).available()).isFalse();
        assertThat(scanner.group().members().get(0).lastError())
                .hasValueSatisfying(err -> assertThat(err).contains("cannot connect"));
    }

    @Test
    void errorReplyFromOneInstanceFailsOverButOurOwnBadRequestDoesNot() throws Exception {
        try (FakeSpamd a = FakeSpamd.start();
                FakeSpamd b = FakeSpamd.start()) {
            SpamdScanner scanner = SpamdScanner.builder()
                    .server(a.address())
                    .server(b.address())
                    .clock(FakeClock.start())
                    .build();
            a.enqueue(Fault.error(79, "Timeout: (30 second socket timeout reading input from client)"));
            assertThat(scanner.check(Message.of(TestMessages.ham())).server()).isEqualTo(b.address());
            scanner.group().markUp(a.address());

            a.enqueue(Fault.error(76, "Bad header line: (Content-Length mismatch)"));
            assertThatThrownBy(() -> scanner.scan(Message.of(TestMessages.ham())))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
                        assertThat(e.failure().detail()).contains("76");
                    });
            assertThat(b.requests()).hasSize(1);
        }
    }

    @Test
    void allInstancesDownIsUnavailableAndDeadlineIsTimedOut(FakeSpamd fake) throws Exception {
        SpamdScanner down = SpamdScanner.builder()
                .server("127.0.0.1:" + closedPort())
                .server("127.0.0.1:" + closedPort())
                .clock(FakeClock.start())
                .build();
        assertThatThrownBy(() -> down.scan(Message.of(TestMessages.ham())))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE));
        assertThatThrownBy(() -> down.scan(Message.of(TestMessages.ham())))
                .as("every member in back-off")
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
                    assertThat(e.failure().detail()).contains("all members are down");
                });

        fake.failAll(Fault.stall());
        SpamdScanner stalled = SpamdScanner.builder()
                .server(fake.address())
                .deadline(Duration.ofMillis(400))
                .build();
        assertThatThrownBy(() -> stalled.scan(Message.of(TestMessages.ham())))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                    assertThat(e.failure().elapsed()).isPositive();
                });
        assertThat(stalled.health().status()).isEqualTo(Health.Status.DOWN);
    }

    @Test
    void healthIsAPing(FakeSpamd fake) throws Exception {
        Health h = SpamdScanner.builder().server(fake.address()).build().health();
        assertThat(h.isUp()).isTrue();
        assertThat(h.detail()).contains("PONG").contains(fake.address());
        assertThat(fake.takeRequest(Duration.ofSeconds(5)).method()).isEqualTo("PING");
    }

    /**
     * Session 43: {@code health()} PINGed through the failover group, so an instance that did not answer a health
     * check was marked down for 30 s as if a scan had failed: a member-down event (the node's "DOWN for 30s" WARN
     * line, which {@code hygiene relay --check} printed and never waited for), and scans failed "all members are
     * down" without any scan having failed. clamd's {@code health()} never did. Now a health check only observes.
     */
    @Test
    void healthObservesAndNeverMarksAnInstanceDown(FakeSpamd fake) throws Exception {
        List<String> downs = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        org.mailhygiene.api.events.HygieneListener listener = new org.mailhygiene.api.events.HygieneListener() {
            @Override
            public void memberDown(String group, String member, String reason, Duration backoff) {
                downs.add(member + ": " + reason);
            }
        };
        String dead = "127.0.0.1:" + closedPort();
        SpamdScanner pair = SpamdScanner.builder()
                .server(dead)
                .server(fake.address())
                .listener(listener)
                .build();
        Health h = pair.health();
        assertThat(h.isUp()).isTrue();
        assertThat(h.detail())
                .startsWith("1/2 up: ")
                .contains("cannot connect to spamd " + dead)
                .contains(fake.address() + " PONG");
        SpamdScanner alone =
                SpamdScanner.builder().server(dead).listener(listener).build();
        Health down = alone.health();
        assertThat(down.status()).isEqualTo(Health.Status.DOWN);
        assertThat(down.detail()).startsWith("0/1 up: cannot connect to spamd " + dead);
        assertThat(downs).as("no health check marks an instance down").isEmpty();
        assertThat(pair.group().members()).allMatch(m -> m.available() && m.consecutiveFailures() == 0);
        assertThat(alone.group().members()).allMatch(m -> m.available() && m.consecutiveFailures() == 0);

        // a failed scan marks an instance down; a health check that it answers brings it back at once
        fake.failAll(Fault.close());
        SpamdScanner one =
                SpamdScanner.builder().server(fake.address()).listener(listener).build();
        assertThatThrownBy(() -> one.scan(Message.of(TestMessages.ham()))).isInstanceOf(ScanException.class);
        assertThat(downs).hasSize(1);
        assertThat(one.group().members().get(0).available()).isFalse();
        fake.clearFaults();
        assertThat(one.health().isUp()).isTrue();
        assertThat(one.group().members().get(0).available()).isTrue();
        assertThat(one.scan(Message.of(TestMessages.ham())).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /**
     * A spamd that accepts connections and never answers (stopped with SIGSTOP, every child busy) held a health check,
     * and so {@code --check}, for the read timeout (30 s by default, measured: 33.7 s); clamd's holds it for its
     * 5 s probe timeout. spamd's PING now has a probe timeout of its own.
     */
    @Test
    void healthOfASpamdThatNeverAnswersEndsAtTheProbeTimeout(FakeSpamd fake) throws Exception {
        fake.failAll(Fault.stall());
        SpamdScanner s = SpamdScanner.builder()
                .server(fake.address())
                .probeTimeout(Duration.ofMillis(300))
                .build();
        Health h = s.health();
        assertThat(h.status()).isEqualTo(Health.Status.DOWN);
        assertThat(h.detail()).contains("spamd " + fake.address()).contains("deadline of 300ms passed");
        s.group().markDown(fake.address(), "test");
        assertThat(s.probeDown()).isEmpty();
        assertThatThrownBy(() -> SpamdScanner.builder().probeTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("probeTimeout");
    }

    /** A maximum back-off caps the doubling: with the least there is, the next scan tries a failed instance again. */
    @Test
    void maxBackoffCapsTheBackoffSoTheNextScanTriesAgain(FakeSpamd fake) throws Exception {
        SpamdScanner s = SpamdScanner.builder()
                .server(fake.address())
                .initialBackoff(Duration.ofNanos(1))
                .maxBackoff(Duration.ofNanos(1))
                .build();
        for (int i = 0; i < 3; i++) {
            fake.enqueue(FakeSpamd.Method.REPORT, org.mailhygiene.testkit.server.Fault.close());
            assertThatThrownBy(() -> s.scan(Message.of(TestMessages.ham()))).isInstanceOf(ScanException.class);
        }
        assertThat(s.scan(Message.of(TestMessages.ham())).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /** The explicit failure policy: the same failure becomes a marked accept or a tempfail, never an unmarked pass. */
    @Test
    void failurePolicyIsExplicit(FakeSpamd fake) throws Exception {
        fake.failAll(Fault.close());
        SpamdScanner scanner = SpamdScanner.builder().server(fake.address()).build();
        ScanResult failure;
        try {
            scanner.scan(Message.of(TestMessages.ham()));
            throw new AssertionError("a closed connection must not give a verdict");
        } catch (ScanException e) {
            failure = e.failure();
        }
        assertThat(((ScanFailure) failure).kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);

        DefaultPolicy open = SpamdFailureMode.FAIL_OPEN
                .applyTo(DefaultPolicy.builder(), scanner.name())
                .build();
        Disposition accepted = open.decide(List.of(failure));
        assertThat(accepted.action()).isEqualTo(Action.ACCEPT);
        assertThat(accepted.headers()).contains(new Header(DefaultPolicy.UNSCANNED_HEADER, "spamd (unavailable)"));

        DefaultPolicy closed =
                DefaultPolicy.builder().onFailureOf("spamd", Action.TEMPFAIL).build();
        Disposition tempfail = closed.decide(List.of(failure));
        assertThat(tempfail.action()).isEqualTo(Action.TEMPFAIL);
        assertThat(tempfail.reply().code()).isEqualTo(451);
        assertThat(SpamdFailureMode.TEMPFAIL
                        .applyTo(DefaultPolicy.builder(), "spamd")
                        .build()
                        .decide(List.of(failure)))
                .isEqualTo(tempfail);

        ScanFailure tooLarge = new ScanFailure("spamd", ScanFailure.Kind.TOO_LARGE, "big", Duration.ZERO);
        assertThat(open.decide(List.of(tooLarge)).headers())
                .contains(new Header(DefaultPolicy.UNSCANNED_HEADER, "spamd (too_large)"));
        Disposition bigUnderTempfail = SpamdFailureMode.TEMPFAIL
                .applyTo(DefaultPolicy.builder(), "spamd")
                .build()
                .decide(List.of(tooLarge));
        assertThat(bigUnderTempfail.action())
                .as("oversize is skipped, marked, not retried forever")
                .isEqualTo(Action.ACCEPT);
        assertThat(bigUnderTempfail.headers())
                .contains(new Header(DefaultPolicy.UNSCANNED_HEADER, "spamd (too_large)"));
    }

    @Test
    void buildersRejectBadSettings() {
        assertThatThrownBy(() -> SpamdScanner.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> SpamdScanner.builder().threshold(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdScanner.builder().maxMessageSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdScanner.builder().deadline(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadline");
        assertThatThrownBy(() -> SpamdScanner.builder().name(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdScanner.builder().server("a:1").server("a:1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        var group = org.mailhygiene.api.failover.FailoverGroup.<SpamdClient>builder("g")
                .member("a", SpamdClient.builder("a:1").build(), 0)
                .build();
        // A ready group and settings it would ignore are refused by build(), whatever the order of the calls.
        assertThatThrownBy(
                        () -> SpamdScanner.builder().group(group).server("b:1").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("remove servers");
        assertThatThrownBy(
                        () -> SpamdScanner.builder().server("b:1").group(group).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("remove servers");
        assertThatThrownBy(() -> SpamdScanner.builder()
                        .deadline(Duration.ofSeconds(1))
                        .group(group)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("remove deadline");
        assertThatThrownBy(() -> SpamdScanner.builder()
                        .group(group)
                        .deadline(Duration.ofSeconds(1))
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("remove deadline");
        assertThatThrownBy(() -> SpamdScanner.builder().maxBackoff(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBackoff");
        assertThatThrownBy(() -> SpamdScanner.builder()
                        .group(group)
                        .maxBackoff(Duration.ofSeconds(1))
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("remove maxBackoff");
        assertThatThrownBy(() -> SpamdScanner.builder()
                        .maxBackoff(Duration.ofMinutes(1))
                        .initialBackoff(Duration.ofMinutes(2))
                        .server("b:1")
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exceeds maxBackoff");
        // Timeouts apply to instances added by address before or after them.
        SpamdScanner timeoutsLast = SpamdScanner.builder()
                .server("127.0.0.1:1")
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        SpamdScanner timeoutsFirst = SpamdScanner.builder()
                .connectTimeout(Duration.ofSeconds(2))
                .server("127.0.0.1:1")
                .build();
        assertThat(timeoutsLast.group().values().get(0).connectTimeout())
                .isEqualTo(timeoutsFirst.group().values().get(0).connectTimeout())
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void documentedDefaultsEqualTheCode() throws IOException {
        SpamdScanner s = SpamdScanner.builder().server("127.0.0.1:783").build();
        String doc = SpamdClientTest.javadoc("SpamdScanner");
        assertThat(s.name()).isEqualTo("spamd");
        assertThat(doc).contains("Defaults: name {@code spamd}");
        assertThat(s.threshold()).isEmpty();
        assertThat(doc).contains("spamd's own threshold;");
        assertThat(s.ruleDetail()).isEqualTo(SpamdScanner.RuleDetail.REPORT);
        assertThat(doc).contains("{@link RuleDetail#REPORT}; size limit");
        assertThat(s.maxMessageSize()).isEqualTo(512_000L);
        assertThat(doc).contains("size limit 512000 bytes");
        assertThat(SpamdScanner.DEFAULT_DEADLINE).isEqualTo(SpamdClientTest.seconds(doc, "scan deadline"));
        SpamdClient member = s.group().values().get(0);
        assertThat(member.connectTimeout()).isEqualTo(SpamdClientTest.seconds(doc, "connect"));
        assertThat(member.readTimeout()).isEqualTo(SpamdClientTest.seconds(doc, "read"));
        assertThat(s.probeTimeout()).isEqualTo(SpamdClientTest.seconds(doc, "probe timeout"));
        assertThat(s.cacheIdentity()).isEmpty();
    }
}
