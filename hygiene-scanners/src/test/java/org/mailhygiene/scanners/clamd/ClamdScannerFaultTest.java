package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.clamd.FakeClamd;
import org.mailhygiene.testkit.clamd.FakeClamd.Command;
import org.mailhygiene.testkit.junit.FakeClamdExtension;
import org.mailhygiene.testkit.server.Fault;

/** Reply mapping, fault handling and failover of {@link ClamdScanner} against {@link FakeClamd}. */
class ClamdScannerFaultTest {
    @RegisterExtension
    final FakeClamdExtension primary = FakeClamdExtension.create();

    @RegisterExtension
    final FakeClamdExtension backup = FakeClamdExtension.create();

    private ClamdScanner.Builder single() {
        return ClamdScanner.builder()
                .address(primary.get().tcpAddress())
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(2))
                .scanDeadline(Duration.ofSeconds(5));
    }

    private static Kind failureKind(ClamdScanner s, byte[] message) {
        try {
            Verdict v = s.scan(Message.of(message));
            throw new AssertionError("expected a failure, got " + v);
        } catch (ScanException e) {
            return e.failure().kind();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void foundNamesAreReportedExactlyAsClamdGivesThem() throws Exception {
        for (String name : List.of(
                "Local.Eicar.NDB.UNOFFICIAL",
                "Heuristics.Phishing.Email.SpoofedDomain",
                "Heuristics.Encrypted.Zip",
                "Win.Test.EICAR_HDB-1")) {
            primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: " + name + " FOUND"));
            Verdict v = single().build().scan(Message.of(ClamdTestMessages.clean()));
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.threats()).containsExactly(name);
        }
    }

    /**
     * A fake clamd's 900,000-character threat name went whole into the verdict (and from there into headers, logs and
     * the statistics): it is cut at 256 characters, says its length, and the cache identity says names are bounded.
     */
    @Test
    void aThreatNameLongerThanAnySignaturesIsCutAndSaysItsLength() throws Exception {
        String name = "Win.Trojan." + "A".repeat(900_000 - 11);
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: " + name + " FOUND"));
        ClamdScanner s = single().build();
        Verdict v = s.scan(Message.of(ClamdTestMessages.clean()));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).singleElement().isEqualTo(name.substring(0, 256) + "... (900000 characters)");
        // a name that a real database has, of the longest kind, stays whole
        String yara = "YARA." + "r".repeat(128) + ".UNOFFICIAL";
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: " + yara + " FOUND"));
        assertThat(s.scan(Message.of(ClamdTestMessages.clean())).threats()).containsExactly(yara);
    }

    /** An ERROR reply of 900,000 characters went whole into the failure's detail. */
    @Test
    void aHugeErrorReplyIsAbbreviatedInTheFailure() throws Exception {
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: " + "E".repeat(900_000) + " ERROR"));
        try {
            single().build().scan(Message.of(ClamdTestMessages.clean()));
            throw new AssertionError("expected a failure");
        } catch (ScanException e) {
            assertThat(e.failure().kind()).isEqualTo(Kind.PROTOCOL_ERROR);
            assertThat(e.failure().detail()).hasSizeLessThan(1000);
        }
    }

    /**
     * A server that never sends clamd's terminating NUL is cut at {@link ClamdClient#MAX_REPLY_BYTES} (1 MiB), not read
     * until memory runs out: a protocol error well within the deadline.
     */
    @Test
    void aReplyWithoutEndIsCutAtTheReplyLimit() throws Exception {
        byte[] chunk = "A".repeat(64 * 1024).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ScanOutcome o = rawServer(out -> {
            for (int i = 0; i < 1024; i++) { // 64 MiB at most, if the client kept reading
                out.write(chunk);
            }
        });
        assertThat(o.failure().kind()).isEqualTo(Kind.PROTOCOL_ERROR);
        assertThat(o.failure().detail()).contains("reply longer than " + ClamdClient.MAX_REPLY_BYTES + " bytes");
    }

    @Test
    void limitsExceededIsUnscannableNotAVirus() {
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND"));
        assertThat(failureKind(single().build(), ClamdTestMessages.clean())).isEqualTo(Kind.UNSCANNABLE);
    }

    @Test
    void garbageAndOtherErrorsAreProtocolErrors() {
        primary.get().enqueue(Command.INSTREAM, Fault.reply("HTTP/1.1 400 Bad Request"));
        assertThat(failureKind(single().build(), ClamdTestMessages.clean())).isEqualTo(Kind.PROTOCOL_ERROR);
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: Can't allocate memory ERROR"));
        assertThat(failureKind(single().build(), ClamdTestMessages.clean())).isEqualTo(Kind.PROTOCOL_ERROR);
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: OK "));
        assertThat(failureKind(single().build(), ClamdTestMessages.clean())).isEqualTo(Kind.PROTOCOL_ERROR);
    }

    /**
     * clamd ends every INSTREAM reply with a NUL and says nothing after it: a clean reply cut off by the end of the
     * connection, or followed by a second reply, is not clamd's whole answer and is never taken as clean (both were).
     * A threat reply without its NUL is still a threat: clamd closes after some replies it ends with a newline.
     */
    @Test
    void aCleanReplyMustBeWholeAndSingle() throws Exception {
        assertThat(rawReply("stream: OK").failure().kind()).isEqualTo(Kind.PROTOCOL_ERROR);
        assertThat(rawReply("stream: OK").failure().detail()).contains("without its terminating NUL");
        assertThat(rawReply("stream: OK\0stream: Eicar-Test-Signature FOUND\0")
                        .failure()
                        .kind())
                .isEqualTo(Kind.PROTOCOL_ERROR);
        assertThat(rawReply("stream: OK\0\n").verdict().outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(rawReply("stream: OK\0").verdict().outcome()).isEqualTo(Outcome.CLEAN);
        Verdict found = rawReply("stream: Eicar-Test-Signature FOUND").verdict();
        assertThat(found.outcome()).isEqualTo(Outcome.INFECTED);
    }

    /** What one scan against a server that reads an INSTREAM request and answers {@code reply} byte for byte gave. */
    private static ScanOutcome rawReply(String reply) throws Exception {
        return rawServer(out -> out.write(reply.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** What bytes a server writes after reading an INSTREAM request. */
    private interface ReplyWriter {
        void write(java.io.OutputStream out) throws java.io.IOException;
    }

    /** What one scan against a server that reads an INSTREAM request and then runs {@code writer} gave. */
    private static ScanOutcome rawServer(ReplyWriter writer) throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket()) {
            server.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            Thread t = new Thread(() -> {
                try (java.net.Socket c = server.accept()) {
                    java.io.DataInputStream in = new java.io.DataInputStream(c.getInputStream());
                    byte[] cmd = new byte["zINSTREAM\0".length()];
                    in.readFully(cmd);
                    for (int n = in.readInt(); n > 0; n = in.readInt()) {
                        in.skipNBytes(n);
                    }
                    writer.write(c.getOutputStream());
                    c.getOutputStream().flush();
                } catch (java.io.IOException e) {
                    // the test's assertions say what the client made of it
                }
            });
            t.start();
            ClamdScanner scanner = ClamdScanner.builder()
                    .address(ClamdAddress.tcp("127.0.0.1", server.getLocalPort()))
                    .connectTimeout(Duration.ofSeconds(5))
                    .readTimeout(Duration.ofSeconds(5))
                    .scanDeadline(Duration.ofSeconds(10))
                    .build();
            try {
                return new ScanOutcome(scanner.scan(Message.of(ClamdTestMessages.clean())), null);
            } catch (ScanException e) {
                return new ScanOutcome(null, e.failure());
            } finally {
                t.join(10_000);
            }
        }
    }

    private record ScanOutcome(Verdict verdict, org.mailhygiene.api.ScanFailure failure) {}

    @Test
    void sizeLimitErrorReadAfterTheDaemonStopsReadingIsTooLarge() {
        // 4 MB in 64 KiB chunks: the fake answers after 100 KB and closes; the client's writes break, and it must
        // still read the reply.
        primary.get().enqueue(Command.INSTREAM, Fault.replyAfter(100_000, FakeClamd.SIZE_LIMIT_ERROR));
        assertThat(failureKind(single().build(), ClamdTestMessages.cleanOfSize(4_000_000)))
                .isEqualTo(Kind.TOO_LARGE);
    }

    @Test
    void cleanReplyBeforeTheMessageWasSentIsAProtocolError() {
        // Something answers "stream: OK" after 100 KB of a 20 MB message and closes: it cannot have judged the rest.
        // 20 MB is far more than loopback's socket buffers hold, so the writes break before the end is sent.
        primary.get().enqueue(Command.INSTREAM, Fault.replyAfter(100_000, "stream: OK"));
        assertThat(failureKind(single().build(), ClamdTestMessages.cleanOfSize(20_000_000)))
                .isEqualTo(Kind.PROTOCOL_ERROR);
        // the same inside the last chunk: one 16 MiB chunk carries all of a 12 MB message and its terminator
        primary.get().enqueue(Command.INSTREAM, Fault.replyAfter(100_000, "stream: OK"));
        assertThat(failureKind(single().chunkSize(16 * 1024 * 1024).build(), ClamdTestMessages.cleanOfSize(12_000_000)))
                .isEqualTo(Kind.PROTOCOL_ERROR);
    }

    @Test
    void threatReplyBeforeTheMessageWasSentIsStillAThreat() throws Exception {
        primary.get().enqueue(Command.INSTREAM, Fault.replyAfter(100_000, "stream: Early.Test.Sig FOUND"));
        Verdict v = single().build().scan(Message.of(ClamdTestMessages.cleanOfSize(20_000_000)));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("Early.Test.Sig");
    }

    @Test
    void closeMidStreamIsUnavailable() {
        primary.get().enqueue(Command.INSTREAM, Fault.closeAfter(100_000));
        assertThat(failureKind(single().build(), ClamdTestMessages.cleanOfSize(1_000_000)))
                .isEqualTo(Kind.UNAVAILABLE);
    }

    @Test
    void stallIsTimedOutByTheReadTimeout() {
        primary.get().enqueue(Command.INSTREAM, Fault.stall());
        // The whole-scan deadline is far away: only the read timeout can end this scan (no stopwatch needed).
        ClamdScanner s = single().readTimeout(Duration.ofMillis(300))
                .scanDeadline(Duration.ofMinutes(10))
                .build();
        assertThatThrownBy(() -> s.scan(Message.of(ClamdTestMessages.clean())))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(Kind.TIMED_OUT);
                    assertThat(e.failure().detail()).contains("no progress for 300ms");
                });
    }

    @Test
    void slowReplyWithinTheReadTimeoutIsFine() throws Exception {
        primary.get().enqueue(Command.INSTREAM, Fault.delay(Duration.ofMillis(200)));
        assertThat(single().readTimeout(Duration.ofSeconds(60))
                        .scanDeadline(Duration.ofSeconds(60))
                        .build()
                        .scan(Message.of(ClamdTestMessages.eicarPlain()))
                        .threats())
                .containsExactly("Eicar-Test-Signature");
    }

    @Test
    void slowReplyPastTheWholeScanDeadlineIsTimedOut() {
        // The reply would come after a minute (closing the fake ends that wait), whatever the machine's load.
        primary.get().enqueue(Command.INSTREAM, Fault.delay(Duration.ofMinutes(1)));
        ClamdScanner s = single().readTimeout(Duration.ofMillis(500))
                .connectTimeout(Duration.ofMillis(500))
                .scanDeadline(Duration.ofMillis(500))
                .build();
        assertThatThrownBy(() -> s.scan(Message.of(ClamdTestMessages.clean())))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(Kind.TIMED_OUT);
                    assertThat(e.failure().detail()).contains("scan deadline passed");
                });
    }

    @Test
    void messageIsStreamedInChunksAndArrivesIntact() throws Exception {
        byte[] m = ClamdTestMessages.cleanOfSize(300_000);
        ClamdScanner s = single().chunkSize(4096).build();
        assertThat(s.scan(Message.of(m)).outcome()).isEqualTo(Outcome.CLEAN);
        FakeClamd.Request r = primary.get().requests().get(0);
        assertThat(r.command()).isEqualTo("INSTREAM");
        assertThat(r.framing()).isEqualTo('z');
        assertThat(r.streamBytes()).isEqualTo(m.length);
        assertThat(r.stream()).isEqualTo(m);
    }

    @Test
    void emptyAndExactChunkMultipleMessagesAreFramedCorrectly() throws Exception {
        ClamdScanner s = single().chunkSize(4096).build();
        assertThat(s.scan(Message.of(new byte[0])).outcome()).isEqualTo(Outcome.CLEAN);
        byte[] m = java.util.Arrays.copyOf(ClamdTestMessages.eicarPlain(), 8192);
        assertThat(s.scan(Message.of(m)).threats()).containsExactly("Eicar-Test-Signature");
        assertThat(primary.get().requests())
                .extracting(FakeClamd.Request::streamBytes)
                .containsExactly(0L, 8192L);
    }

    @Test
    void contentThatCannotBeReadIsAScannerErrorAndDoesNotFailOver() {
        MessageContent broken = new MessageContent() {
            @Override
            public long size() {
                return 10;
            }

            @Override
            public InputStream openStream() throws IOException {
                throw new IOException("spool file vanished");
            }
        };
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        assertThatThrownBy(() -> s.scan(Message.of(broken)))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(Kind.SCANNER_ERROR));
        assertThat(s.group().members()).allMatch(m -> m.available());
    }

    @Test
    void unavailableTimedOutAndProtocolErrorsFailOverAndNeverReportClean() throws Exception {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        HygieneListener l = new HygieneListener() {
            @Override
            public void failover(String group, String from, String to, String reason) {
                events.add(from + "->" + to);
            }
        };
        // Back-off on a clock the test moves; a read timeout (for the stall) and a deadline that the backup's normal
        // answer cannot miss on a busy machine.
        FakeClock clock = FakeClock.start();
        ClamdScanner s = single().address(backup.get().tcpAddress())
                .readTimeout(Duration.ofSeconds(2))
                .scanDeadline(Duration.ofSeconds(60))
                .clock(clock)
                .listener(l)
                .initialBackoff(Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(1))
                .build();
        for (Fault f :
                List.of(Fault.reply("HTTP/1.1 400 Bad Request"), Fault.stall(), Fault.refuse(), Fault.closeAfter(10))) {
            primary.get().enqueue(Command.INSTREAM, f);
            Verdict v = s.scan(Message.of(ClamdTestMessages.eicarPlain()));
            assertThat(v.threats()).as("after %s", f).containsExactly("Eicar-Test-Signature");
            clock.advance(Duration.ofSeconds(1)); // the back-off passes: the primary is preferred again
        }
        assertThat(events)
                .hasSize(4)
                .allMatch(e -> e.equals(
                        primary.get().tcpAddress() + "->" + backup.get().tcpAddress()));
        assertThat(backup.get().requests()).hasSize(4);
    }

    @Test
    void tooLargeAndUnscannableDoNotFailOver() {
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        primary.get().enqueue(Command.INSTREAM, Fault.replyAfter(10, FakeClamd.SIZE_LIMIT_ERROR));
        assertThat(failureKind(s, ClamdTestMessages.cleanOfSize(200_000))).isEqualTo(Kind.TOO_LARGE);
        primary.get().enqueue(Command.INSTREAM, Fault.reply("stream: Heuristics.Limits.Exceeded.MaxScanSize FOUND"));
        assertThat(failureKind(s, ClamdTestMessages.clean())).isEqualTo(Kind.UNSCANNABLE);
        assertThat(backup.get().connectionCount()).isZero();
        assertThat(s.group().members()).allMatch(m -> m.available());
    }

    @Test
    void allInstancesDownIsUnavailable() throws Exception {
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        primary.get().close();
        backup.get().close();
        assertThat(failureKind(s, ClamdTestMessages.eicarPlain())).isEqualTo(Kind.UNAVAILABLE);
        // both are now in back-off: the next scan fails at once, still UNAVAILABLE
        assertThat(failureKind(s, ClamdTestMessages.eicarPlain())).isEqualTo(Kind.UNAVAILABLE);
        assertThat(s.health().isUp()).isFalse();
    }

    @Test
    void aDeadInstanceIsProbedBackWithPing() throws Exception {
        FakeClock clock = FakeClock.start();
        ClamdScanner s =
                single().address(backup.get().tcpAddress()).clock(clock).build();
        primary.get().enqueue(Command.INSTREAM, Fault.refuse());
        s.scan(Message.of(ClamdTestMessages.clean()));
        assertThat(s.group().members().get(0).available()).isFalse();
        assertThat(s.probe()).isEmpty(); // still in back-off: not probed
        clock.advance(ClamdScanner.DEFAULT_INITIAL_BACKOFF);
        assertThat(s.probe()).containsExactly(primary.get().tcpAddress());
        assertThat(primary.get().requests())
                .extracting(FakeClamd.Request::command)
                .contains("PING");
        assertThat(s.group().members().get(0).available()).isTrue();
    }

    /**
     * Session 43: {@code health()} ran {@link ClamdScanner#probe()} first, which counts a failed PING of an instance
     * whose back-off has ended: each {@code /health} request during an outage doubled the back-off and sent a
     * member-down event (a "DOWN for 60s" WARN line in a node), while spamd's {@code health()} marked an instance down
     * on its first failed PING. A health check of either now only observes: no failure counted, no event; an instance
     * that answers comes back.
     */
    @Test
    void healthObservesAndNeverCountsAFailure() throws Exception {
        List<String> downs = Collections.synchronizedList(new ArrayList<>());
        FakeClock clock = FakeClock.start();
        ClamdScanner s = single().clock(clock)
                .listener(new HygieneListener() {
                    @Override
                    public void memberDown(String group, String member, String reason, Duration backoff) {
                        downs.add(member + " for " + backoff);
                    }
                })
                .build();
        primary.get().enqueue(Command.INSTREAM, Fault.refuse());
        assertThat(failureKind(s, ClamdTestMessages.clean())).isEqualTo(Kind.UNAVAILABLE);
        assertThat(downs).hasSize(1);
        clock.advance(ClamdScanner.DEFAULT_INITIAL_BACKOFF); // due for a probe
        primary.get().always(Command.PING, Fault.refuse());
        assertThat(s.health().isUp()).isFalse();
        assertThat(s.health().isUp()).isFalse();
        assertThat(downs).as("a health check counts no failure").hasSize(1);
        assertThat(s.group().members().get(0).consecutiveFailures()).isEqualTo(1);

        // an instance that answers a health check is marked up, as by probeDown()
        primary.get().clearFaults();
        ClamdScanner fresh = single().clock(clock).build();
        fresh.group().markDown(primary.get().tcpAddress(), "test");
        assertThat(fresh.health().isUp()).isTrue();
        assertThat(fresh.group().members().get(0).available()).isTrue();
        // and one that never failed stays as it was when it does not answer
        primary.get().always(Command.PING, Fault.refuse());
        assertThat(fresh.health().isUp()).isFalse();
        assertThat(fresh.group().members().get(0).available()).isTrue();
        assertThat(fresh.group().members().get(0).consecutiveFailures()).isZero();
    }

    @Test
    void unixSocketTransport() throws Exception {
        ClamdScanner s =
                ClamdScanner.builder().address(primary.get().unixAddress()).build();
        assertThat(s.scan(Message.of(ClamdTestMessages.eicarZipInAttachment())).threats())
                .containsExactly("Eicar-Test-Signature");
        assertThat(primary.get().requests().get(0).transport()).isEqualTo("unix");
    }

    @Test
    void missingUnixSocketIsUnavailable() {
        ClamdScanner s = ClamdScanner.builder()
                .address(ClamdAddress.unix(Path.of("/tmp/no-such-dir-mh/clamd.sock")))
                .build();
        assertThat(failureKind(s, ClamdTestMessages.clean())).isEqualTo(Kind.UNAVAILABLE);
    }

    @Test
    void cacheIdentityChangesWithReloadAndIsWithheldWhileItSettles() throws Exception {
        FakeClock clock = FakeClock.start();
        ClamdScanner s = single().clock(clock)
                .reloadSettle(Duration.ofSeconds(60))
                .versionCheckExecutor(Runnable::run)
                .build();
        String before = s.cacheIdentity().orElseThrow();
        ClamdScanner.ReloadResult r = s.reloadAll();
        assertThat(r.success()).isTrue();
        assertThat(primary.get().reloadCount()).isEqualTo(1);
        assertThat(s.cacheIdentity()).isEmpty();
        clock.advance(Duration.ofSeconds(60));
        String after = s.cacheIdentity().orElseThrow();
        assertThat(after).isNotEqualTo(before);
        String other = ClamdScanner.builder()
                .address(primary.get().tcpAddress())
                .versionCheckExecutor(Runnable::run)
                .build()
                .cacheIdentity()
                .orElseThrow();
        assertThat(other)
                .as("a scanner configured alike shares the identity (a cluster's shared cache) until its own reload")
                .isEqualTo(before)
                .isNotEqualTo(after);
    }

    @Test
    void reloadReportsInstancesThatFailed() throws Exception {
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        backup.get().close();
        ClamdScanner.ReloadResult r = s.reloadAll();
        assertThat(r.success()).isFalse();
        assertThat(r.failed()).isEqualTo(1);
        assertThat(r.replies().get(primary.get().tcpAddress())).isEqualTo("RELOADING");
        assertThatThrownBy(() -> s.reloadStep().run()).hasMessageContaining("RELOAD failed on 1 of 2");
    }

    @Test
    void versionChangeSeenByRefreshStartsANewIdentity() throws Exception {
        ClamdScanner s = single().reloadSettle(Duration.ZERO)
                .versionCheckExecutor(Runnable::run)
                .build();
        assertThat(s.refreshVersions()).isFalse(); // first look
        String id = s.cacheIdentity().orElseThrow();
        assertThat(s.refreshVersions()).isFalse();
        assertThat(s.cacheIdentity()).contains(id);
        primary.get().enqueue(Command.VERSION, Fault.reply("ClamAV 1.4.6/27001/Fri Nov 27 09:00:00 2026"));
        assertThat(s.refreshVersions()).isTrue();
        assertThat(s.cacheIdentity()).isPresent().get().isNotEqualTo(id);
    }

    @Test
    void clientCommands() throws Exception {
        ClamdClient c = ClamdClient.of(ClamdAddress.parse(primary.get().tcpAddress()));
        assertThat(c.ping(Duration.ofSeconds(2))).isEqualTo("PONG");
        assertThat(c.version(Duration.ofSeconds(2)).engine()).isEqualTo("ClamAV 1.4.6");
        assertThat(c.reload(Duration.ofSeconds(2))).isEqualTo("RELOADING");
        assertThat(c.stats(Duration.ofSeconds(2)).liveThreads()).hasValue(1);
        primary.get().enqueue(Command.PING, Fault.reply("PANG"));
        assertThatThrownBy(() -> c.ping(Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(
                        ClamdException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_ERROR));
        assertThat(primary.get().requests())
                .extracting(FakeClamd.Request::command)
                .containsExactly("PING", "VERSION", "RELOAD", "STATS", "PING");
    }

    @Test
    void builderRejectsBadSettingsNamingThem() {
        assertThatThrownBy(() -> ClamdScanner.builder().build()).hasMessageContaining("at least one address");
        assertThatThrownBy(() -> ClamdScanner.builder().readTimeout(Duration.ZERO))
                .hasMessageContaining("readTimeout");
        assertThatThrownBy(() -> ClamdScanner.builder()
                        .address("a:1")
                        .readTimeout(Duration.ofMinutes(5))
                        .build())
                .hasMessage("readTimeout PT5M exceeds scanDeadline PT2M (the default)");
        assertThatThrownBy(() -> ClamdScanner.builder()
                        .address("a:1")
                        .scanDeadline(Duration.ofSeconds(1))
                        .build())
                .hasMessage("connectTimeout PT5S exceeds scanDeadline PT1S");
        assertThatThrownBy(() -> ClamdScanner.builder().streamMaxLength(0)).hasMessageContaining("streamMaxLength");
        assertThatThrownBy(() -> ClamdScanner.builder().chunkSize(10)).hasMessageContaining("chunkSize");
        assertThatThrownBy(() -> ClamdScanner.builder().address("a:1").address("a:1"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> ClamdScanner.builder().address("nonsense")).hasMessageContaining("HOST:PORT");
    }

    /**
     * A socket path with nothing there (clamd stopped, which removes its socket, or a wrong LocalSocket) read
     * {@code unix:/...: connect failed: java.net.SocketException: No such file or directory} in the scan's ERROR line,
     * the node's log and {@code --check}, where a TCP address says {@code connect failed: Connection refused} (session
     * 48, from outside); now the system's reason alone, as for TCP.
     */
    @Test
    void aSocketPathWithNothingThereIsSaidWithoutTheExceptionClass(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        ClamdAddress address = ClamdAddress.unix(dir.resolve("clamd.ctl"));
        ClamdClient client = ClamdClient.of(address);
        assertThatThrownBy(() -> client.ping(Duration.ofSeconds(2)))
                .isInstanceOf(ClamdException.class)
                .hasMessage(address + ": connect failed: No such file or directory");
    }

    /**
     * A directory or a regular file at the socket path: the system refuses the connect as it does a socket nobody
     * listens on, and the scan said only "connect failed: Connection refused" (hygiene scan --clamd unix:DIR), as if
     * clamd were stopped, though none can ever listen there.
     */
    @Test
    void aDirectoryOrFileAtTheSocketPathIsNamedAsNoSocket(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("clamd.conf"), "LocalSocket /run/clamav/clamd.ctl\n");
        for (Path path : List.of(dir, file)) {
            ClamdScanner s =
                    ClamdScanner.builder().address(ClamdAddress.unix(path)).build();
            assertThatThrownBy(
                            () -> s.scan(Message.of("Subject: x\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII))))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(Kind.UNAVAILABLE);
                        assertThat(e.failure().detail())
                                .contains("unix:" + path + ": connect failed: ")
                                .contains(path + (path.equals(dir) ? " is a directory" : " is a regular file")
                                        + ", not a socket");
                    });
        }
    }
}
