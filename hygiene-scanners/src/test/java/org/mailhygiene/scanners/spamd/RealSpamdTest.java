package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.tagging.MessageTagger;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.junit.RealSpamdExtension;
import org.mailhygiene.testkit.spamd.RealSpamd;

/** Cases that only the installed spamd can answer: real rules, spamc agreement, tagging a real Japanese verdict. */
@ExtendWith(RealSpamdExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
class RealSpamdTest {
    private final RealSpamd spamd;

    RealSpamdTest(RealSpamd spamd) {
        this.spamd = spamd;
    }

    private SpamdScanner scanner(double threshold) {
        return SpamdScanner.builder()
                .server(spamd.address())
                .threshold(threshold)
                .build();
    }

    @Test
    void japaneseSpamIsTaggedWithAValidEncodedSubjectAndHamIsLeftAlone() throws Exception {
        SpamdScanner edge = scanner(6.8);
        DefaultPolicy policy = SpamdFailureMode.TEMPFAIL
                .applyTo(DefaultPolicy.builder(), edge.name())
                .build();

        byte[] spam = TestMessages.japanese(true);
        Verdict v = edge.scan(Message.of(spam));
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.rules()).extracting(Rule::name).contains("GTUBE");
        Disposition d = policy.decide(List.of(v));
        assertThat(d.action()).isEqualTo(Action.TAG);
        byte[] tagged = tag(d, spam);
        String text = new String(tagged, StandardCharsets.ISO_8859_1);
        String head = text.substring(0, text.indexOf("\r\n\r\n") + 2);
        String subject = head.replaceAll("\r\n[ \t]", " ")
                .lines()
                .filter(l -> l.startsWith("Subject: "))
                .findFirst()
                .orElseThrow()
                .substring(9);
        assertThat(subject.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        assertThat(MimeUtility.decodeText(subject)).isEqualTo("[SPAM] " + TestMessages.JAPANESE_SUBJECT);
        assertThat(head).contains("X-Spam-Flag: YES\r\n").contains("X-Spam-Status: Yes, score=");
        int bodyAt = indexOf(spam, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] body = Arrays.copyOfRange(spam, bodyAt, spam.length);
        assertThat(Arrays.copyOfRange(tagged, tagged.length - body.length, tagged.length))
                .isEqualTo(body);

        byte[] ham = TestMessages.japanese(false);
        Verdict hv = edge.scan(Message.of(ham));
        assertThat(hv.outcome())
                .as("the Japanese newsletter is not spam: %s", hv)
                .isEqualTo(Outcome.CLEAN);
        Disposition accept = policy.decide(List.of(hv));
        assertThat(accept.action()).isEqualTo(Action.ACCEPT);
        // the ham keeps every byte; only spamd's status is added at the end of the header section
        String hamText = new String(ham, StandardCharsets.ISO_8859_1);
        int hamBody = hamText.indexOf("\r\n\r\n") + 2;
        String markedHam = new String(tag(accept, ham), StandardCharsets.ISO_8859_1);
        assertThat(markedHam)
                .startsWith(hamText.substring(0, hamBody) + "X-Spam-Flag: NO\r\nX-Spam-Score: ")
                .endsWith(hamText.substring(hamBody));
        assertThat(markedHam.substring(hamBody))
                .matches("(?s)X-Spam-Flag: NO\r\nX-Spam-Score: -?[0-9]+\\.[0-9]+\r\nX-Spam-Status: No, score=.*");
        assertThat(tag(DefaultPolicy.builder().spamHeadersOnClean(false).build().decide(List.of(hv)), ham))
                .isEqualTo(ham);
    }

    /** The adapter and spamc, on the same spamd and the same bytes, agree on score and rules. */
    @Test
    void scoresAndRulesEqualSpamc() throws Exception {
        Path spamc = RealBinaries.require("spamc", "spamc");
        Map<String, byte[]> messages = Map.of(
                "ham", TestMessages.ham(),
                "gtube", TestMessages.gtube(),
                "spammy", TestMessages.spammy(),
                "japanese", TestMessages.japanese(false),
                "japanese-gtube", TestMessages.japanese(true));
        SpamdScanner report = SpamdScanner.builder().server(spamd.address()).build();
        SpamdScanner symbols = SpamdScanner.builder()
                .server(spamd.address())
                .ruleDetail(SpamdScanner.RuleDetail.SYMBOLS)
                .build();
        for (Map.Entry<String, byte[]> e : messages.entrySet()) {
            Message m = Message.of(e.getValue());
            String c = run(spamc, e.getValue(), "-c").strip();
            String y = run(spamc, e.getValue(), "-y").strip();
            SpamdScanner.Check check = report.check(m);
            Verdict v = check.verdict();
            String ours = String.format(
                    Locale.ROOT,
                    "%.1f/%.1f",
                    v.score().getAsDouble(),
                    check.spamdThreshold().getAsDouble());
            assertThat(ours).as(e.getKey() + " score").isEqualTo(c);
            List<String> spamcRules = y.isEmpty() ? List.of() : List.of(y.split(","));
            TreeSet<String> fromReport = new TreeSet<>();
            v.rules().forEach(r -> fromReport.add(r.name()));
            assertThat(fromReport).as(e.getKey() + " rules from REPORT").isEqualTo(new TreeSet<>(spamcRules));
            assertThat(symbols.scan(m).rules())
                    .extracting(Rule::name)
                    .as(e.getKey() + " SYMBOLS")
                    .isEqualTo(spamcRules);
            assertThat(v.outcome() == Outcome.SPAM).as(e.getKey() + " decision").isEqualTo(check.spamdSaysSpam());
        }
    }

    /** Over the limit: spamc silently passes it ("0/0"); the adapter reports TOO_LARGE, and scans it if allowed. */
    @Test
    void oversizeMessageIsNotScannedUnlessTheLimitAllows() throws Exception {
        byte[] big = TestMessages.hamOfSize(600_000);
        assertThatThrownBy(() -> scanner(6.8).scan(Message.of(big)))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
        Verdict v = SpamdScanner.builder()
                .server(spamd.address())
                .maxMessageSize(1_000_000)
                .build()
                .scan(Message.of(big));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.score()).isPresent();
        RealBinaries.find("spamc").ifPresent(spamc -> {
            try {
                assertThat(run(spamc, big, "-c").strip()).as("spamc skips it").isEqualTo("0/0");
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
        });
    }

    private String run(Path spamc, byte[] input, String flag) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(spamc.toString(), "-d", spamd.host(), "-p", String.valueOf(spamd.port()), flag)
                .redirectErrorStream(true)
                .start();
        Thread writer = new Thread(() -> {
            try (var out = p.getOutputStream()) {
                out.write(input);
            } catch (IOException ignored) {
                // spamc may stop reading (oversize); its output says what happened
            }
        });
        writer.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("spamc did not finish");
        }
        writer.join();
        return new String(out, StandardCharsets.US_ASCII);
    }

    private static byte[] tag(Disposition d, byte[] message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageTagger.apply(d, new ByteArrayInputStream(message), out);
        return out.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
