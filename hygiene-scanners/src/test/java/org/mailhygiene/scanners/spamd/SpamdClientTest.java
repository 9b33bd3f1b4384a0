package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.testkit.junit.FakeSpamdExtension;
import org.mailhygiene.testkit.spamd.FakeSpamd;
import org.mailhygiene.testkit.spamd.Fault;
import org.mailhygiene.testkit.spamd.RecordedRequest;

@ExtendWith(FakeSpamdExtension.class)
@SuppressWarnings("deprecation") // the per-connection fault API on purpose: one client per test, and it guards that API
class SpamdClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static SpamdClient client(FakeSpamd fake) {
        return SpamdClient.builder(fake.address()).build();
    }

    private static MessageContent content(byte[] b) {
        return MessageContent.ofBytes(b);
    }

    @Test
    void requestIsWrittenExactlyAsSpamdExpectsIt(FakeSpamd fake) throws Exception {
        byte[] msg = TestMessages.ham();
        SpamdClient c = SpamdClient.builder(fake.address()).user("mailhygiene").build();
        c.check(content(msg));
        RecordedRequest r = fake.takeRequest(WAIT);
        assertThat(r.method()).isEqualTo("CHECK");
        assertThat(r.protocolVersion()).isEqualTo("1.5");
        assertThat(r.header("Content-length")).contains(String.valueOf(msg.length));
        assertThat(r.header("Content-Length")).isEmpty();
        assertThat(r.header("User")).contains("mailhygiene");
        assertThat(r.header("Compress")).isEmpty();
        assertThat(r.body()).isEqualTo(msg);
        assertThat(r.halfClosed()).as("half-closed after the body").isTrue();
    }

    @Test
    void bodyWithoutFinalNewlineIsNotLeftHanging(FakeSpamd fake) throws Exception {
        byte[] msg = "Subject: x\r\n\r\nno newline at the end".getBytes(StandardCharsets.US_ASCII);
        SpamdResponse r = client(fake).check(content(msg));
        assertThat(r.spam()).contains(false);
        assertThat(fake.takeRequest(WAIT).body()).isEqualTo(msg);
    }

    @Test
    void compressedBodiesAreZlibWithCompressedLength(FakeSpamd fake) throws Exception {
        byte[] msg = TestMessages.hamOfSize(20_000);
        SpamdClient c = SpamdClient.builder(fake.address()).compress(true).build();
        c.check(content(msg));
        RecordedRequest r = fake.takeRequest(WAIT);
        assertThat(r.header("Compress")).contains("zlib");
        assertThat(r.header("Content-length")).contains(String.valueOf(r.wireBody().length));
        assertThat(r.wireBody().length).isLessThan(msg.length);
        assertThat(r.body()).isEqualTo(msg);
    }

    @Test
    void perRequestUserOverridesTheClientsUser(FakeSpamd fake) throws Exception {
        SpamdClient c = SpamdClient.builder(fake.address()).user("default").build();
        c.execute(
                SpamdRequest.of(SpamdCommand.CHECK, content(TestMessages.ham())).withUser("bob"));
        assertThat(fake.takeRequest(WAIT).header("User")).contains("bob");
        assertThatThrownBy(() -> SpamdRequest.ping().withUser("bad user")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdClient.builder("h:1").user("x\r\nSet: local"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyCommandParsesItsReply(FakeSpamd fake) throws Exception {
        fake.script("cheap pills", 7.5, Rule.of("PILLS", 4.0, "Talks about pills"), Rule.of("CHEAP", 3.5, "Cheap"));
        SpamdClient c = client(fake);
        MessageContent spam =
                content(("Subject: offer\r\n\r\ncheap pills here\r\n").getBytes(StandardCharsets.US_ASCII));
        MessageContent ham = content(TestMessages.ham());

        assertThat(c.ping()).isPositive();
        assertThat(fake.takeRequest(WAIT).method()).isEqualTo("PING");

        SpamdResponse check = c.check(spam);
        assertThat(check.protocolVersion()).isEqualTo("1.1");
        assertThat(check.spam()).contains(true);
        assertThat(check.score()).hasValue(7.5);
        assertThat(check.threshold()).hasValue(5.0);
        assertThat(check.body()).isEmpty();

        assertThat(c.symbols(spam).symbols()).containsExactly("CHEAP", "PILLS");
        assertThat(c.symbols(ham).symbols()).isEmpty();

        SpamdResponse report = c.report(spam);
        assertThat(report.reportRules().orElseThrow())
                .containsExactlyInAnyOrder(Rule.of("PILLS", 4.0, "Talks about pills"), Rule.of("CHEAP", 3.5, "Cheap"));

        SpamdResponse ifSpamHam = c.reportIfSpam(ham);
        assertThat(ifSpamHam.spam()).contains(false);
        assertThat(ifSpamHam.body()).isEmpty();
        assertThat(ifSpamHam.headers()).containsEntry("Content-length", "0");
        assertThat(c.reportIfSpam(spam).reportRules().orElseThrow()).hasSize(2);

        String processed = c.process(spam).bodyText();
        assertThat(processed).contains("X-Spam-Flag: YES\r\n").endsWith("\r\ncheap pills here\r\n");
        String headers = c.headers(spam).bodyText();
        assertThat(headers).contains("X-Spam-Status: Yes, score=7.5").doesNotContain("cheap pills here");
        assertThatThrownBy(check::symbols).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void tellLearnsAndForgets() throws Exception {
        try (FakeSpamd fake = FakeSpamd.builder().allowTell(true).start()) {
            SpamdClient c = client(fake);
            MessageContent msg = content(TestMessages.spammy());
            SpamdResponse learned = c.tell(msg, TellRequest.learn(TellRequest.MessageClass.SPAM));
            assertThat(learned.didSet()).containsExactly(TellRequest.Database.LOCAL);
            RecordedRequest r = fake.takeRequest(WAIT);
            assertThat(r.method()).isEqualTo("TELL");
            assertThat(r.header("Message-class")).contains("spam");
            assertThat(r.header("Set")).contains("local");
            assertThat(fake.learned("spam")).hasSize(1);

            SpamdResponse forgot = c.tell(msg, TellRequest.forget());
            assertThat(forgot.didRemove()).containsExactly(TellRequest.Database.LOCAL);
            assertThat(fake.takeRequest(WAIT).header("Remove")).contains("local");
            assertThat(fake.learned("spam")).isEmpty();

            assertThat(c.tell(msg, TellRequest.learn(TellRequest.MessageClass.HAM))
                            .didSet())
                    .isNotEmpty();
            assertThat(fake.takeRequest(WAIT).header("Message-class")).contains("ham");
        }
        assertThatThrownBy(() -> new TellRequest(
                        java.util.Optional.empty(), java.util.Set.of(TellRequest.Database.LOCAL), java.util.Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TellRequest(
                        java.util.Optional.of(TellRequest.MessageClass.SPAM),
                        java.util.Set.of(TellRequest.Database.LOCAL),
                        java.util.Set.of(TellRequest.Database.LOCAL)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tellWithoutAllowTellIsUnavailable(FakeSpamd fake) {
        assertThatThrownBy(() -> client(fake).tell(content(TestMessages.ham()), TellRequest.forget()))
                .isInstanceOfSatisfying(SpamdException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
                    assertThat(e.responseCode()).hasValue(69);
                });
    }

    @ParameterizedTest
    @CsvSource({
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 12.0 / 5.0\r\n\r\n', true, 12.0, 5.0",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.0 / 5.0\r\n\r\n', false, 0.0, 5.0",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: Yes ; 6.9 / 6.8\r\n\r\n', true, 6.9, 6.8",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: No ; -2.4 / 5.0\r\n\r\n', false, -2.4, 5.0",
        "'SPAMD/1.3 0 EX_OK\nSpam: false ; 1.0 / 5.0\n\n', false, 1.0, 5.0",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True\r\n\r\n', true, , ",
        // a real spamd started with --cf='required_score -1.5' answered a plain hello so
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 5.2 / -1.5\r\n\r\n', true, 5.2, -1.5",
    })
    void replyVariants(String reply, boolean spam, Double score, Double threshold, FakeSpamd fake) throws Exception {
        fake.enqueue(Fault.garbage(reply));
        SpamdResponse r = client(fake).check(content(TestMessages.ham()));
        assertThat(r.spam()).contains(spam);
        if (score == null) {
            assertThat(r.score()).isEmpty();
            assertThat(r.threshold()).isEmpty();
        } else {
            assertThat(r.score()).hasValue(score);
            assertThat(r.threshold()).hasValue(threshold);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "64, PROTOCOL_ERROR", "65, PROTOCOL_ERROR", "66, PROTOCOL_ERROR", "67, PROTOCOL_ERROR", "68, UNAVAILABLE",
        "69, UNAVAILABLE", "70, SCANNER_ERROR", "71, SCANNER_ERROR", "72, SCANNER_ERROR", "73, SCANNER_ERROR",
        "74, SCANNER_ERROR", "75, UNAVAILABLE", "76, PROTOCOL_ERROR", "77, SCANNER_ERROR", "78, SCANNER_ERROR",
        "79, TIMED_OUT", "98, TOO_LARGE", "123, PROTOCOL_ERROR"
    })
    void errorCodesBecomeFailureKinds(int code, ScanFailure.Kind kind, FakeSpamd fake) {
        fake.enqueue(Fault.error(code, "Something: (detail)"));
        assertThatThrownBy(() -> client(fake).check(content(TestMessages.ham())))
                .isInstanceOfSatisfying(SpamdException.class, e -> {
                    assertThat(e.kind()).isEqualTo(kind);
                    assertThat(e.responseCode()).hasValue(code);
                    assertThat(e.getMessage()).contains(fake.address()).contains(code + " Something: (detail)");
                });
    }

    @ParameterizedTest
    @CsvSource({
        "'', UNAVAILABLE",
        "'HTTP/1.1 200 OK\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: Perhaps ; 1 / 5\r\n\r\n', PROTOCOL_ERROR",
        // a body shorter than its Content-length: the connection closed mid-reply (spamd stopped or killed), as below
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: 50\r\nSpam: True ; 9.0 / 5.0\r\n\r\nshort', UNAVAILABLE",
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: many\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nno colon here\r\n\r\n', PROTOCOL_ERROR",
        // two verdicts or two lengths: which would be spamd's? (the last Spam header was believed)
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nSpam: False ; 0.0 / 5.0\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nspam: False ; 0.0 / 5.0\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nContent-Length: 2\r\n\r\nab', PROTOCOL_ERROR",
        // cut off before the empty line that ends the headers (spamd writes the status line of CHECK and SYMBOLS on
        // its own, then the rest): whatever the headers that arrived said, the reply is not whole (was CLEAN). A closed
        // connection, as a spamd stopped mid-reply leaves: UNAVAILABLE, as a connection closed before any reply (was
        // PROTOCOL_ERROR, so a spamd stopped under load failed some scans as protocol errors, decided by another
        // on-failure setting than the one for a spamd that is down)
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; 0.0 / 5.0\r\n', UNAVAILABLE",
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; 0.0 / 5.0', UNAVAILABLE",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n', UNAVAILABLE",
        "'SPAMD/1.1 0 EX_OK\r\n', UNAVAILABLE",
        // a flag that contradicts its own score: spamd cannot send one (both were believed)
        "'SPAMD/1.1 0 EX_OK\r\nSpam: False ; 9.0 / 5.0\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1.0 / 5.0\r\n\r\n', PROTOCOL_ERROR",
        // a Content-length that is less than the body that followed (the body was cut at it and believed)
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.0 / 5.0\r\nContent-length: 3\r\n\r\nBAYES_99,URIBL_BLACK', PROTOCOL_ERROR",
        // lengths spamd never writes: a sign, a number past any long
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: +3\r\n\r\nabc', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nContent-length: 99999999999999999999\r\n\r\n', PROTOCOL_ERROR",
        // NaN and infinite numbers are no scores
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; NaN / 5.0\r\n\r\n', PROTOCOL_ERROR",
        "'SPAMD/1.1 0 EX_OK\r\nSpam: True ; Infinity / 5.0\r\n\r\n', PROTOCOL_ERROR",
    })
    void brokenRepliesAreNamedFailures(String reply, ScanFailure.Kind kind, FakeSpamd fake) {
        fake.enqueue(reply.isEmpty() ? Fault.close() : Fault.garbage(reply));
        assertThatThrownBy(() -> client(fake).check(content(TestMessages.ham())))
                .isInstanceOfSatisfying(
                        SpamdException.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }

    @Test
    void aReplyCutAtEveryByteIsUnavailable(FakeSpamd fake) throws Exception {
        // a spamd stopped mid-reply can close the connection after any byte: every cut is the same closed connection
        // (a cut inside the status line or inside a header line, such as "SPAMD/1.1 " or "Content-len", was a
        // PROTOCOL_ERROR: 28 of this reply's 85 cuts; "SPAMD/1.1 7" of "SPAMD/1.1 76 ..." read as code 7)
        String whole = "SPAMD/1.1 0 EX_OK\r\nContent-length: 20\r\nSpam: True ; 9.0 / 5.0\r\n\r\nBAYES_99,URIBL_BLACK";
        fake.enqueue(Fault.garbage(whole));
        assertThat(client(fake).symbols(content(TestMessages.ham())).symbols())
                .containsExactly("BAYES_99", "URIBL_BLACK");
        for (int cut = 1; cut < whole.length(); cut++) {
            fake.enqueue(Fault.garbage(whole.substring(0, cut)));
            String sent = whole.substring(0, cut);
            assertThatThrownBy(() -> client(fake).symbols(content(TestMessages.ham())))
                    .as("cut after %d bytes: %s", cut, sent)
                    .isInstanceOfSatisfying(
                            SpamdException.class, e -> assertThat(e.kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE));
        }
    }

    @Test
    void theFakesHamJustUnderAThresholdOfTwoDecimalsAgreesWithItsFlag() throws Exception {
        // spamd rounds the threshold before it compares the rounded score: ham at 6.80 under 6.84 is
        // "False ; 6.7 / 6.8"; the fake compared with 6.84 and sent "False ; 6.8 / 6.8", which contradicts itself
        try (FakeSpamd fake = FakeSpamd.builder().threshold(6.84).start()) {
            fake.defaultScore(6.80);
            SpamdResponse r = client(fake).check(content(TestMessages.ham()));
            assertThat(r.spam()).contains(false);
            assertThat(r.score()).hasValue(6.7);
            assertThat(r.threshold()).hasValue(6.8);
        }
    }

    @Test
    void pingMustBePong(FakeSpamd fake) {
        fake.enqueue(Fault.garbage("SPAMD/1.5 0 PANG\r\n"));
        assertThatThrownBy(() -> client(fake).ping())
                .isInstanceOfSatisfying(
                        SpamdException.class, e -> assertThat(e.kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR));
    }

    @Test
    void stalledReplyTimesOutAtTheReadTimeout(FakeSpamd fake) {
        fake.enqueue(Fault.stall());
        SpamdClient c = SpamdClient.builder(fake.address())
                .readTimeout(Duration.ofMillis(300))
                .build();
        assertThatThrownBy(() -> c.check(content(TestMessages.ham())))
                .isInstanceOfSatisfying(SpamdException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    void aPeerThatStopsReadingCannotOutliveTheDeadline(FakeSpamd fake) {
        fake.enqueue(Fault.stallReading());
        SpamdClient c = SpamdClient.builder(fake.address())
                .deadline(Duration.ofMillis(500))
                .build();
        // 8 MB fills the socket buffers, so the write blocks until the deadline closes the socket
        byte[] big = new byte[8 << 20];
        java.util.Arrays.fill(big, (byte) 'a');
        assertThatThrownBy(() -> c.check(content(big))).isInstanceOfSatisfying(SpamdException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
            assertThat(e.getMessage()).contains("deadline");
        });
    }

    @Test
    void slowButInTimeSucceeds(FakeSpamd fake) throws Exception {
        fake.enqueue(Fault.slow(Duration.ofMillis(200)));
        assertThat(client(fake).check(content(TestMessages.ham())).spam()).contains(false);
    }

    @Test
    void budgetShorterThanTheDeadlineWins(FakeSpamd fake) {
        fake.enqueue(Fault.slow(Duration.ofSeconds(3)));
        assertThatThrownBy(() -> client(fake)
                        .execute(
                                SpamdRequest.of(SpamdCommand.CHECK, content(TestMessages.ham())),
                                Duration.ofMillis(300)))
                .isInstanceOfSatisfying(
                        SpamdException.class, e -> assertThat(e.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT));
        assertThatThrownBy(() -> client(fake).execute(SpamdRequest.ping(), Duration.ZERO))
                .isInstanceOfSatisfying(
                        SpamdException.class, e -> assertThat(e.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT));
    }

    @Test
    void refusedConnectionIsUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = s.getLocalPort();
        }
        SpamdClient c = SpamdClient.builder("127.0.0.1", port).build();
        assertThatThrownBy(c::ping).isInstanceOfSatisfying(SpamdException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
            assertThat(e.retryable()).isTrue();
        });
    }

    @Test
    void unreadableContentIsAScannerErrorNotRetried(FakeSpamd fake) {
        MessageContent broken = new MessageContent() {
            @Override
            public long size() {
                return 100;
            }

            @Override
            public InputStream openStream() throws IOException {
                return new ByteArrayInputStream(new byte[10]); // shorter than it claims
            }
        };
        assertThatThrownBy(() -> client(fake).check(broken)).isInstanceOfSatisfying(SpamdException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(e.retryable()).isFalse();
        });
    }

    @Test
    void addressesAreValidated() {
        // as written in the configuration: "spamd ::1:783: connect failed" read as one IPv6 address (until session 45)
        assertThat(SpamdClient.builder("[::1]:783").build().address()).isEqualTo("[::1]:783");
        for (String bad : List.of("host", "host:", ":783", "host:0", "host:70000", "host:x", "::1:783")) {
            assertThatThrownBy(() -> SpamdClient.builder(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> SpamdClient.builder("h", 1).readTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readTimeout");
        assertThatThrownBy(() -> SpamdClient.builder("h", 1).maxReplySize(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The defaults written in the class Javadoc are the defaults in the code. */
    @Test
    void documentedDefaultsEqualTheCode() throws IOException {
        SpamdClient c = SpamdClient.builder("127.0.0.1", 783).build();
        String doc = javadoc("SpamdClient");
        assertThat(c.connectTimeout())
                .isEqualTo(seconds(doc, "connect timeout"))
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(c.readTimeout()).isEqualTo(seconds(doc, "read timeout")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.deadline()).isEqualTo(seconds(doc, "request deadline")).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxReplySize()).isEqualTo(16L << 20);
        assertThat(doc).contains("largest reply 16 MiB");
        assertThat(c.user()).isEmpty();
        assertThat(c.compress()).isFalse();
    }

    static String javadoc(String className) throws IOException {
        Path src = Path.of("src/main/java/org/mailhygiene/scanners/spamd/" + className + ".java");
        String text = Files.readString(src);
        return text.substring(0, text.indexOf("public final class")).replaceAll("\\s*\\n\\s*\\*\\s*", " ");
    }

    static Duration seconds(String doc, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what) + " (\\d+) s\\b").matcher(doc);
        assertThat(m.find()).as("the Javadoc states the default " + what).isTrue();
        return Duration.ofSeconds(Long.parseLong(m.group(1)));
    }

    /**
     * The fake's report rows as spamd 4.0.1 prints them (seen from a real spamd with local rules scoring 12, -20 and
     * 3.333 and a UTF-8 description): "  12", " -20", " 3.3", the description's UTF-8 bytes. The fake printed
     * "12.0", "-20." and "?" for each letter outside Latin-1.
     */
    @Test
    void reportRowsHaveSpamdsScoreColumnAndUtf8Descriptions(FakeSpamd fake) throws Exception {
        fake.script(
                "marker-x",
                -4.7,
                Rule.of("LOCAL_POS", 12.0, "\u65e5\u672c\u8a9e r\u00e8gle"),
                Rule.of("LOCAL_NEG", -20.0, "negative"),
                Rule.of("LOCAL_SMALL", 3.333, "small"));
        SpamdResponse report =
                client(fake).report(content("Subject: x\r\n\r\nmarker-x\r\n".getBytes(StandardCharsets.US_ASCII)));
        String raw = new String(report.body(), StandardCharsets.UTF_8);
        assertThat(raw)
                .contains("\n  12 LOCAL_POS              \u65e5\u672c\u8a9e r\u00e8gle\n")
                .contains("\n -20 LOCAL_NEG              negative\n")
                .contains("\n 3.3 LOCAL_SMALL            small\n");
        assertThat(report.reportRules().orElseThrow())
                .containsExactlyInAnyOrder(
                        Rule.of("LOCAL_POS", 12.0, "\u65e5\u672c\u8a9e r\u00e8gle"),
                        Rule.of("LOCAL_NEG", -20.0, "negative"),
                        Rule.of("LOCAL_SMALL", 3.3, "small"));
    }
}
