package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.spamd.RealSpamd;

/**
 * The report text of a real spamd whose site configuration is not English ASCII: SpamAssassin copies rule
 * descriptions and the report template byte for byte from its configuration files, ISO-8859-1 in its own French,
 * German and Portuguese texts, UTF-8 in many a site's rules, and its French template ({@code 30_text_fr.cf}) has no
 * separator line above the rule rows. Before: descriptions came out as mojibake ("N\u00c3\u00a9gatif"), and a
 * French-style report lost every score and cost a second (SYMBOLS) request per message.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
class RealSpamdReportTextTest {

    @TempDir
    Path dir;

    @Test
    void aFrenchStyleTemplateWithLatin1AndUtf8DescriptionsGivesScoresAndLettersInOneRequest() throws Exception {
        Path spamd = RealBinaries.require("spamd", "spamd");
        Path site = Files.createDirectory(dir.resolve("site"));
        // a site configuration directory replaces /etc/spamassassin, whose .pre files load the plugins
        List<Path> pre;
        try (Stream<Path> s = Files.list(Path.of("/etc/spamassassin"))) {
            pre = s.filter(p -> p.getFileName().toString().endsWith(".pre")).toList();
        } catch (IOException e) {
            pre = List.of();
        }
        if (pre.isEmpty()) {
            String reason = "no /etc/spamassassin/*.pre (the plugin loaders of the spamassassin package)";
            if (RealBinaries.underCi()) {
                throw new AssertionError(reason + "; under CI this test is mandatory");
            }
            Assumptions.abort(reason + "; skipping");
        }
        for (Path p : pre) {
            Files.copy(p, site.resolve(p.getFileName()));
        }
        ByteArrayOutputStream cf = new ByteArrayOutputStream();
        cf.writeBytes(ascii("clear_report_template\n"));
        cf.writeBytes(latin1("report D\u00e9tails de l'analyse du message:   (_SCORE_ points, _REQD_ requis)\n"));
        cf.writeBytes(ascii("report _SUMMARY_\n"));
        cf.writeBytes(ascii("report -------------------- Fin de Rapport SpamAssassin ---------------------\n"));
        cf.writeBytes(ascii("body LOCAL_LATIN /latinmarker/\nscore LOCAL_LATIN 2.5\n"));
        cf.writeBytes(latin1("describe LOCAL_LATIN R\u00e8gle locale \u00e9crite en Latin-1\n"));
        cf.writeBytes(ascii("body LOCAL_UTF8 /utf8marker/\nscore LOCAL_UTF8 12\n"));
        cf.writeBytes("describe LOCAL_UTF8 \u65e5\u672c\u8a9e\u306e\u8aac\u660e, r\u00e8gle en UTF-8\n"
                .getBytes(StandardCharsets.UTF_8));
        Files.write(site.resolve("local.cf"), cf.toByteArray());
        Path work = Files.createDirectory(dir.resolve("spamd"));
        // spamd's children drop root: the site directory must be readable by them
        for (Path p : List.of(dir, site)) {
            p.toFile().setReadable(true, false);
            p.toFile().setExecutable(true, false);
        }
        try (Stream<Path> s = Files.list(site)) {
            s.forEach(p -> p.toFile().setReadable(true, false));
        }
        try (RealSpamd real = RealSpamd.start(spamd, work, 1, List.of("--siteconfigpath=" + site))) {
            SpamdScanner scanner = SpamdScanner.builder().server(real.address()).build();
            byte[] msg = ("From: a@example.org\r\nTo: b@example.org\r\nSubject: t\r\n"
                            + "Message-ID: <enc@example.org>\r\nDate: Sun, 06 Dec 2026 06:00:00 +0000\r\n\r\n"
                            + "hello latinmarker utf8marker\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            Verdict v = scanner.scan(Message.of(msg));
            assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
            Rule utf8 = v.rules().stream()
                    .filter(r -> r.name().equals("LOCAL_UTF8"))
                    .findFirst()
                    .orElseThrow();
            Rule latin = v.rules().stream()
                    .filter(r -> r.name().equals("LOCAL_LATIN"))
                    .findFirst()
                    .orElseThrow();
            assertThat(utf8.score()).as("scores read from the table").hasValue(12.0);
            assertThat(latin.score()).hasValue(2.5);
            assertThat(utf8.description()).isEqualTo("BODY: \u65e5\u672c\u8a9e\u306e\u8aac\u660e, r\u00e8gle en UTF-8");
            assertThat(latin.description()).isEqualTo("BODY: R\u00e8gle locale \u00e9crite en Latin-1");
            // spamd logs a request's result line after its answer: a later request's line (one child, requests in
            // turn) shows that every line of the scan above is written (read at once, the line was not always there)
            scanner.scan(Message.of(
                    ("From: a@example.org\r\nSubject: s\r\nMessage-ID: <sentinel@example.org>\r\n\r\n" + "hello\r\n")
                            .getBytes(StandardCharsets.US_ASCII)));
            Await.until(
                    "spamd's result line of the sentinel message", () -> results(real, "<sentinel@example.org>") == 1);
            assertThat(results(real, "<enc@example.org>"))
                    .as("spamd answered one request, no SYMBOLS retry")
                    .isEqualTo(1);
        }
    }

    /** spamd's log lines for finished scans ({@code spamd: result:}) of one message, each request one. */
    private static long results(RealSpamd real, String messageId) throws IOException {
        try (Stream<String> lines = Files.lines(real.log(), StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains("spamd: result:") && l.contains("mid=" + messageId))
                    .count();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
