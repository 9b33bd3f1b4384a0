package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arrays;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * A short message scored as spam on its header and structure alone, holding nothing spam is carried by, is clean
 * ({@code BAYES_NO_SPAM_CONTENT}); each thing spam could be carried by makes it spam again. The messages are written
 * here after the shape of Japanese mobile decoration mail (an HTML part showing one pictogram, a few words); the
 * default model scores that shape as image spam.
 */
class NoSpamContentTest {

    private static BayesScanner scanner;

    @BeforeAll
    static void loadDefaultModel() throws Exception {
        scanner = BayesScanner.create(BayesModels.loadDefault());
    }

    /** A GIF header of the given size (the pixels do not matter to the test, only the header). */
    static byte[] gif(int width, int height) {
        byte[] b = new byte[26];
        System.arraycopy("GIF89a".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 6);
        b[6] = (byte) width;
        b[7] = (byte) (width >> 8);
        b[8] = (byte) height;
        b[9] = (byte) (height >> 8);
        b[25] = ';';
        return b;
    }

    /** A PNG signature and IHDR chunk of the given size. */
    static byte[] png(int width, int height) {
        byte[] b = new byte[33];
        byte[] sig = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        System.arraycopy(sig, 0, b, 0, sig.length);
        for (int i = 0; i < 4; i++) {
            b[16 + i] = (byte) (width >>> (24 - 8 * i));
            b[20 + i] = (byte) (height >>> (24 - 8 * i));
        }
        return b;
    }

    /**
     * A decoration mail: a plain and an HTML alternative with {@code text}, the HTML showing the images, each attached
     * as a related part; {@code extra} is one more part of the outer multipart (or empty).
     */
    static Message decoration(String subject, String text, String htmlExtra, String extra, byte[]... images) {
        StringBuilder m = new StringBuilder();
        m.append("From: hanako@mobile.example.jp\r\nTo: taro@example.jp\r\nSubject: ")
                .append(subject)
                .append("\r\nDate: Tue, 01 Dec 2026 10:00:00 +0900\r\nMessage-ID: <deco1@mobile.example.jp>\r\n")
                .append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n")
                .append("--outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n")
                .append("--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
                .append("--alt\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                .append(b64(text.getBytes(StandardCharsets.UTF_8)))
                .append("--alt\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        StringBuilder html = new StringBuilder("<html><body><div align=\"center\">").append(text);
        for (int i = 0; i < images.length; i++) {
            html.append("<img src=\"cid:pic").append(i).append("@mobile.example.jp\">");
        }
        html.append(htmlExtra).append("</div></body></html>");
        m.append(b64(html.toString().getBytes(StandardCharsets.UTF_8))).append("--alt--\r\n");
        for (int i = 0; i < images.length; i++) {
            boolean isPng = images[i][1] == 'P';
            m.append("--rel\r\nContent-Type: image/")
                    .append(isPng ? "png" : "gif")
                    .append("; name=\"pic")
                    .append(i)
                    .append(isPng ? ".png" : ".gif")
                    .append("\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <pic")
                    .append(i)
                    .append("@mobile.example.jp>\r\n\r\n")
                    .append(b64(images[i]));
        }
        m.append("--rel--\r\n").append(extra).append("--outer--\r\n");
        return Message.of(m.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getMimeEncoder().encodeToString(b) + "\r\n";
    }

    private static Message plainDecoration(String text, byte[]... images) {
        return decoration("テスト", text, "", "", images);
    }

    private static Verdict scan(Message m) throws Exception {
        Verdict v = scanner.scan(m);
        assertThat(scanner.judge(m).spam()).as("judge agrees with scan: " + v).isEqualTo(v.outcome() == Outcome.SPAM);
        return v;
    }

    private static boolean freed(Verdict v) {
        return v.rules().stream().map(Rule::name).anyMatch(NoSpamContent.RULE::equals);
    }

    @Test
    void aShortDecorationMailWithOnePictogramIsCleanAndSaysWhyDespiteItsScore() throws Exception {
        Verdict v = scan(plainDecoration("テストです", gif(20, 20)));
        assertThat(v.score().getAsDouble())
                .as("the default model scores the shape as image spam")
                .isGreaterThanOrEqualTo(v.threshold().getAsDouble());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        Rule rule = v.rules().stream()
                .filter(r -> r.name().equals(NoSpamContent.RULE))
                .findFirst()
                .orElseThrow();
        assertThat(rule.description()).contains("no spam clue", "1 icon", "header and structure alone");
        assertThat(v.rules().stream().map(Rule::name)).doesNotContain("BAYES_UNSURE");
    }

    @Test
    void iconsUpToTheLimitInEitherFormatStayClean() throws Exception {
        byte[][] ten = new byte[10][];
        for (int i = 0; i < ten.length; i++) {
            ten[i] = i % 2 == 0 ? gif(32, 1) : png(1, 32);
        }
        Verdict v = scan(plainDecoration("テストです", ten));
        assertThat(v.score().getAsDouble()).isGreaterThanOrEqualTo(v.threshold().getAsDouble());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(freed(v)).isTrue();
    }

    @Test
    void eachThingSpamIsCarriedByMakesItSpamAgain() throws Exception {
        byte[][] eleven = new byte[11][];
        java.util.Arrays.fill(eleven, gif(20, 20));
        StringBuilder manyWords = new StringBuilder();
        for (int i = 0; i < 21; i++) {
            manyWords.append("qzvx").append((char) ('a' + i)).append("wyk ");
        }
        String pdf =
                "--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + b64("%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII));
        Message[] spam = {
            plainDecoration("テストです", gif(33, 20)), // a picture, not an icon
            plainDecoration("テストです", gif(20, 20), png(20, 400)),
            plainDecoration("テストです", "GIF89a".getBytes(StandardCharsets.US_ASCII)), // no size to read
            plainDecoration("テストです", eleven), // icons enough to tile a picture
            decoration("テスト", "テストです", "<a href=\"http://offer.example.com/\">.</a>", "", gif(20, 20)),
            decoration("テスト", "テストです", "<form action=\"http://x.example/\"></form>", "", gif(20, 20)),
            decoration("テスト", "テストです", "", pdf, gif(20, 20)),
            decoration("", "", "", "", gif(20, 20)), // not one word: the header's score stands
            plainDecoration(manyWords.toString(), gif(20, 20)), // words the model does not know, too many of them
            plainDecoration("viagra テストです", gif(20, 20)), // a word the model counts as a spam clue
        };
        for (Message m : spam) {
            Verdict v = scan(m);
            assertThat(v.score().getAsDouble())
                    .isGreaterThanOrEqualTo(v.threshold().getAsDouble());
            assertThat(v.outcome())
                    .as(new String(m.content().openStream().readAllBytes(), StandardCharsets.UTF_8) + "\n" + v)
                    .isEqualTo(Outcome.SPAM);
            assertThat(freed(v)).isFalse();
        }
    }

    /** A DMARC aggregate report's XML (RFC 7489 appendix C), its first lines. */
    private static final byte[] XML = ("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<feedback>\n<report_metadata>"
                    + "<org_name>reporter.example</org_name></report_metadata>\n</feedback>\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** A zip of the given entries, name then content. */
    static byte[] zip(Object... entries) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            for (int i = 0; i < entries.length; i += 2) {
                z.putNextEntry(new java.util.zip.ZipEntry((String) entries[i]));
                z.write((byte[]) entries[i + 1]);
                z.closeEntry();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[]... data) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            for (byte[] d : data) {
                z.write(d);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The zip Google sends: one XML entry named as the zip without {@code .zip}. */
    private static final byte[] ZIP = zip("reporter.example!ours.example!1549929600!1550015999.xml", XML);

    private static final String REPORT_SUBJECT =
            "Report domain: ours.example Submitter: reporter.example Report-ID: 949348866075514174";
    private static final String REPORT_FILE = "reporter.example!ours.example!1549929600!1550015999.zip";

    /**
     * A DMARC aggregate report as Google sends one (RFC 7489 section 7.2.1.1), received through an Office 365 tenant,
     * whose relays the default model learned from spam only: scored about 0.97 for its header, its zip and its Subject
     * (a real one, in a held-out collection, 0.94). {@code note} is the text part, {@code file} the attachment's bytes,
     * {@code extra} one more part.
     */
    static Message report(String subject, String note, String fileType, String fileName, byte[] file, String extra) {
        String m = "Received: from mail-it1-f201.reporter.example (192.0.2.201) by BY2NAM03FT014.mail.protection."
                + "outlook.com (10.152.84.239) with Microsoft SMTP Server id 15.20.1580.10 via Frontend Transport;"
                + " Wed, 13 Feb 2019 10:48:12 +0000\r\n"
                + "Received: from DM5PR04CA0035.namprd04.prod.outlook.com (2603:10b6:3:12b::21) by SN6PR04MB4480.namprd04"
                + ".prod.outlook.com with Microsoft SMTP Server id 15.20.1622.16; Wed, 13 Feb 2019 10:48:12 +0000\r\n"
                + "Received: from BY2NAM03FT014.eop-NAM03.prod.protection.outlook.com (2a01:111:f400:7e4a::207) by"
                + " DM5PR04CA0035.outlook.office365.com (2603:10b6:3:12b::21) with Microsoft SMTP Server;"
                + " Wed, 13 Feb 2019 10:48:12 +0000\r\n"
                + "From: <noreply-dmarc-support@reporter.example>\r\nTo: <dmarc-rua@ours.example>\r\nSubject: "
                + subject + "\r\nDate: Tue, 12 Feb 2019 15:59:59 -0800\r\n"
                + "Message-ID: <949348866075514174@reporter.example>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\n" + note
                + "--b1\r\nContent-Type: " + fileType + "; name=\"" + fileName + "\"\r\n"
                + "Content-Disposition: attachment; filename=\"" + fileName + "\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + b64(file)
                + extra + "--b1--\r\n";
        return Message.of(org.mailhygiene.api.MessageContent.ofBytes(m.getBytes(StandardCharsets.UTF_8)));
    }

    /** A plain-text note of the report, base64 as Google writes it. */
    static String note(String text) {
        return "Content-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A DMARC aggregate report scored as spam for its header and its zip holds nothing a spam is carried by: its file
     * is a report's, named and made as RFC 7489 prescribes, and its few words are no spam clue. It is freed as a
     * decoration mail is (the rule names the file), and only in that form: a pitch in its words, a link, HTML, a
     * second attachment, a file that holds something else than a report, a MIME fault, or a Subject of another form
     * makes it spam again.
     */
    @Test
    void anAggregateReportWithNothingElseIsFreedAndOnlyInItsForm() throws Exception {
        String quiet = note("This is an aggregate report from reporter.example.\n");
        Verdict v = scan(report(REPORT_SUBJECT, quiet, "application/zip", REPORT_FILE, ZIP, ""));
        assertThat(v.score().getAsDouble())
                .as("the default model scores the shape as spam")
                .isGreaterThanOrEqualTo(v.threshold().getAsDouble());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(v.rules().stream().filter(r -> r.name().equals(NoSpamContent.RULE)))
                .singleElement()
                .satisfies(r ->
                        assertThat(r.description()).contains("no spam clue", "aggregate report (" + REPORT_FILE + ")"));
        // the forms reporters use: a gzip with an id, SMTP TLS's JSON, an octet stream, no note at all
        byte[] gzip = gzip(XML);
        Message[] reports = {
            report(
                    REPORT_SUBJECT,
                    quiet,
                    "application/gzip",
                    "reporter.example!ours.example!1549929600!1550015999!a1b2.xml.gz",
                    gzip,
                    ""),
            report(
                    "Report Domain: ours.example Submitter: reporter.example Report-ID: <1@reporter.example>",
                    quiet,
                    "application/tlsrpt+json",
                    "mail.reporter.example!ours.example!1725321600!1725407999!001.json",
                    "{\"organization-name\":\"x\"}".getBytes(StandardCharsets.US_ASCII),
                    ""),
            report(
                    REPORT_SUBJECT,
                    quiet,
                    "application/octet-stream",
                    "reporter.example!ours.example!1663545600!1663632000.xml.gz",
                    gzip,
                    ""),
            report(REPORT_SUBJECT, note(""), "application/zip", REPORT_FILE, ZIP, ""),
        };
        for (Message m : reports) {
            Verdict r = scan(m);
            assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.CLEAN);
        }
        String pdf = "--b1\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n\r\n%PDF-1.4\r\n";
        String html = "--b1\r\nContent-Type: text/html\r\n\r\n<p>This is an aggregate report.</p>\r\n";
        byte[] picture = png(600, 400);
        byte[] page = "<html><body><form action=\"https://x.example/\"><input name=p></form></body></html>"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] second = zip("invoice.exe", new byte[] {'M', 'Z'});
        byte[] twoZips = java.util.Arrays.copyOf(ZIP, ZIP.length + second.length);
        System.arraycopy(second, 0, twoZips, ZIP.length, second.length);
        Message[] spam = {
            // what the file holds (second review): a page, a PDF, XHTML, two entries, a second zip behind the first
            report(
                    REPORT_SUBJECT,
                    quiet,
                    "application/zip",
                    REPORT_FILE,
                    zip("reporter.example!ours.example!1549929600!1550015999.xml", page),
                    ""),
            report(
                    REPORT_SUBJECT,
                    quiet,
                    "application/zip",
                    REPORT_FILE,
                    zip(
                            "reporter.example!ours.example!1549929600!1550015999.xml",
                            "%PDF-1.4".getBytes(StandardCharsets.US_ASCII)),
                    ""),
            report(
                    REPORT_SUBJECT,
                    quiet,
                    "application/zip",
                    REPORT_FILE,
                    zip("reporter.example!ours.example!1549929600!1550015999.xml", XML, "readme.html", page),
                    ""),
            report(REPORT_SUBJECT, quiet, "application/zip", REPORT_FILE, twoZips, ""),
            // words spelled to hide
            report(
                    REPORT_SUBJECT,
                    note("Yo\u00adur ac\u00adcount pass\u00adword ex\u00adpires to\u00adday\n"),
                    "application/zip",
                    REPORT_FILE,
                    ZIP,
                    ""),
            report(
                    REPORT_SUBJECT,
                    note("VIAGRA CIALIS 80% off, no prescription\n"),
                    "application/zip",
                    REPORT_FILE,
                    ZIP,
                    ""),
            report(
                    REPORT_SUBJECT,
                    note("Our report: https://reporter.example/dmarc\n"),
                    "application/zip",
                    REPORT_FILE,
                    ZIP,
                    ""),
            report(REPORT_SUBJECT, quiet, "application/zip", "report.zip", ZIP, ""),
            report(REPORT_SUBJECT, quiet, "application/zip", REPORT_FILE, picture, ""),
            report(REPORT_SUBJECT, quiet, "application/zip", REPORT_FILE, ZIP, pdf),
            report(REPORT_SUBJECT, quiet, "application/zip", REPORT_FILE, ZIP, html),
            report("Report domain: ours.example", quiet, "application/zip", REPORT_FILE, ZIP, ""),
            // two transfer encodings: which one a reader decodes is not known, so neither are its words
            report(
                    REPORT_SUBJECT,
                    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
                            + "Content-Transfer-Encoding: 7bit\r\n\r\nThis is an aggregate report.\r\n",
                    "application/zip",
                    REPORT_FILE,
                    ZIP,
                    ""),
        };
        for (Message m : spam) {
            Verdict s = scan(m);
            assertThat(s.outcome())
                    .as(new String(m.content().openStream().readAllBytes(), StandardCharsets.UTF_8) + "\n" + s)
                    .isEqualTo(Outcome.SPAM);
            assertThat(freed(s)).isFalse();
        }
    }

    /** Words spelled to look like others hide from the model; a word of Russian as such does not (session 30). */
    @Test
    void wordsSpelledToHideAreToldFromForeignWords() throws Exception {
        BayesModel model = BayesModels.loadDefault();
        assertThat(NoSpamContent.disguised("ac\u00adcount", model)).isTrue();
        assertThat(NoSpamContent.disguised("pass\u200bword", model)).isTrue();
        assertThat(NoSpamContent.disguised("p\u0430ypal", model)).isTrue(); // a Cyrillic a among Latin letters
        assertThat(NoSpamContent.disguised("\u0440\u0430\u0443", model)).isTrue(); // "pay" drawn in Cyrillic
        assertThat(NoSpamContent.disguised("\u0441\u043e\u043e\u0431\u0449\u0435\u043d\u0438\u0435", model))
                .isFalse(); // "message" in Russian
        assertThat(NoSpamContent.disguised("account", model)).isFalse();
    }

    @Test
    void aReportsFileHoldsAReport() {
        String entry = "a.example!b.example!1!2.xml";
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.zip", zip(entry, XML)))
                .isTrue();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.zip", gzip(XML)))
                .isFalse();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.zip", zip("report.xml", XML)))
                .isFalse();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml.gz", gzip(XML)))
                .isTrue();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.gz", zip(entry, XML)))
                .isFalse();
        assertThat(AggregateReport.holdsReport(
                        "a.example!b.example!1!2.xml",
                        "\uFEFF <?xml version=\"1.0\"?>".getBytes(StandardCharsets.UTF_8)))
                .isTrue();
        assertThat(AggregateReport.holdsReport(
                        "a.example!b.example!1!2.json", " {\"a\":1}".getBytes(StandardCharsets.UTF_8)))
                .isTrue();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.json", "<x/>".getBytes(StandardCharsets.UTF_8)))
                .isFalse();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml", new byte[0]))
                .isFalse();
        byte[] xhtml = "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body>Sign in</body></html>"
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml", xhtml))
                .isFalse();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml.gz", gzip(xhtml)))
                .isFalse();
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.zip", new byte[] {'P', 'K', 3, 4}))
                .isFalse();
        // a page behind the report in a second member (past the first bytes read to see what it is): no report
        // (session 31); a line break after it (Mimecast's reports) or zero padding is no member
        byte[] report = gzip(XML, " ".repeat(2000).getBytes(StandardCharsets.US_ASCII));
        byte[] page = gzip(xhtml);
        byte[] both = java.util.Arrays.copyOf(report, report.length + page.length);
        System.arraycopy(page, 0, both, report.length, page.length);
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml.gz", both))
                .isFalse();
        byte[] padded = java.util.Arrays.copyOf(report, report.length + 100 + page.length);
        System.arraycopy(page, 0, padded, report.length + 100, page.length);
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml.gz", padded))
                .isFalse(); // a second member behind zero padding, which Python reads past
        byte[] trailing = java.util.Arrays.copyOf(report, report.length + 2);
        trailing[report.length] = '\r';
        trailing[report.length + 1] = '\n';
        assertThat(AggregateReport.holdsReport("a.example!b.example!1!2.xml.gz", trailing))
                .isTrue();
        assertThat(AggregateReport.holdsReport(
                        "a.example!b.example!1!2.xml.gz", java.util.Arrays.copyOf(report, report.length + 64)))
                .isTrue(); // zero padding
        assertThat(AggregateReport.holdsReport(
                        "a.example!b.example!1!2.xml.gz", gzip(XML, new byte[AggregateReport.MAX_EXPANDED_BYTES])))
                .isFalse();
        assertThat(NoSpamContent.phoneLike("1-888-555-0147")).isTrue();
        assertThat(NoSpamContent.phoneLike("18885550147")).isTrue();
        assertThat(NoSpamContent.phoneLike("949348866075514174")).isFalse();
        assertThat(NoSpamContent.phoneLike("2026")).isFalse();
        assertThat(AggregateReport.namedBy("Report Domain: a.example; Submitter: Mail.Ru;"))
                .isTrue();
        assertThat(AggregateReport.namedBy("Submitter: b.example Report Domain: a.example"))
                .isFalse();
        assertThat(AggregateReport.namedBy("Your DMARC report")).isFalse();
    }

    @Test
    void aCleanVerdictNeedsNoFreeing() throws Exception {
        Verdict v = scan(org.mailhygiene.testkit.SampleMessages.cleanMessage());
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(freed(v))
                .as("the test runs only for a score at the threshold")
                .isFalse();
    }

    @Test
    void iconHeadersAreReadExactly() {
        qt().forAll(integers().between(0, 70_000), integers().between(0, 70_000))
                .checkAssert((w, h) -> {
                    boolean icon = w >= 1 && w <= 32 && h >= 1 && h <= 32;
                    boolean gifSized = w <= 0xffff && h <= 0xffff;
                    if (gifSized) {
                        assertThat(NoSpamContent.isIcon(gif(w, h))).isEqualTo(icon);
                    }
                    assertThat(NoSpamContent.isIcon(png(w, h))).isEqualTo(icon);
                });
        assertThat(NoSpamContent.isIcon(png(-1, 20)))
                .as("a PNG width over 2^31")
                .isFalse();
        assertThat(NoSpamContent.isIcon(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0}))
                .as("a JPEG: no size read, not an icon")
                .isFalse();
    }

    @Test
    void anyHeadIsReadWithoutFailing() {
        qt().forAll(arrays().ofIntegers(integers().between(0, 255)).withLengthBetween(0, 40))
                .checkAssert(ints -> {
                    byte[] b = new byte[ints.length];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) (int) ints[i];
                    }
                    NoSpamContent.isIcon(b);
                    if (b.length >= 3) {
                        b[0] = 'G';
                        b[1] = 'I';
                        b[2] = 'F';
                        NoSpamContent.isIcon(b);
                    }
                });
    }
}
