package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParameterList;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * Issue 12: a short malformed header parameter ({@code name="} and 1,500+ characters, the quote left open or junk after
 * it) threw {@link StackOverflowError} in the lenient header parser (a regular expression with an alternation under a
 * star), so the built-in and the attachment scanner failed every scan of such a message (451 for ever over SMTP). The
 * parser is now one linear scan; these tests hold it to that with long and adversarial values.
 */
class MalformedHeaderParameterTest {

    private static final String LONG = "x".repeat(1_600);

    private static byte[] message(String contentType, String body) {
        return ("From: a@example.org\r\nSubject: malformed\r\nMIME-Version: 1.0\r\nContent-Type: " + contentType
                        + "\r\n\r\n" + body + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> shortMalformedHeaders() {
        return List.of(
                "text/plain; name=\"" + LONG,
                "text/plain; name=\"" + LONG + "\"junk",
                "text/plain; name=\"" + LONG + "\"junk; charset=us-ascii",
                "text/plain; name=\"" + "\\\"".repeat(1_000),
                "text/plain; name=\"" + "a\\".repeat(1_000),
                "application/octet-stream; name=\"" + LONG + ".exe");
    }

    @Test
    void theBuiltInScannerGivesAVerdictAndStillFindsEicar() throws Exception {
        SignatureScanner scanner = SignatureScanner.create();
        for (String header : shortMalformedHeaders()) {
            assertThat(scanner.scan(Message.of(message(header, "hello"))).outcome())
                    .as(header.substring(0, 40))
                    .isEqualTo(Outcome.CLEAN);
            assertThat(scanner.scan(Message.of(message(header, TestMessages.eicar())))
                            .outcome())
                    .isEqualTo(Outcome.INFECTED);
        }
    }

    @Test
    void theAttachmentScannerGivesAVerdict() throws Exception {
        AttachmentPolicyScanner scanner = AttachmentPolicyScanner.create();
        for (String header : shortMalformedHeaders()) {
            Verdict v = scanner.scan(Message.of(message(header, "hello")));
            assertThat(v.outcome()).as(header.substring(0, 40)).isIn(Outcome.CLEAN, Outcome.SUSPICIOUS);
        }
        // the file name in the broken header is still read: an executable cannot hide behind it
        Verdict exe = scanner.scan(Message.of(message(
                "application/octet-stream; name=\"invoice.pdf.exe\"junk",
                Base64.getMimeEncoder().encodeToString("MZ".getBytes(StandardCharsets.US_ASCII)))));
        assertThat(exe.outcome()).isNotEqualTo(Outcome.CLEAN);
    }

    @Test
    void openQuotesAndJunkAfterTheQuoteAreReadAsMailClientsDo() {
        ContentType open = LenientHeaders.contentType("text/plain; name=\"a b; c")
                .orElseThrow()
                .value();
        assertThat(open.getParameter("name")).isEqualTo("a b; c");
        ContentType junk = LenientHeaders.contentType("text/plain; name=\"a.txt\"junk; charset=utf-8")
                .orElseThrow()
                .value();
        assertThat(junk.getParameter("name")).isEqualTo("a.txt");
        assertThat(junk.getParameter("charset")).isEqualTo("utf-8");
        ContentType escaped = LenientHeaders.contentType("text/plain; name=\"a\\\"b\"junk")
                .orElseThrow()
                .value();
        assertThat(escaped.getParameter("name")).isEqualTo("a\"b");
    }

    @Test
    void rfc2231ContinuationsInABrokenHeaderAreJoinedAndDecoded() {
        ContentType ct = LenientHeaders.contentType(
                        "application/octet-stream; name*0*=utf-8''%E6%97%A5; name*1=\"report\"; name*2=.exe; junk=\"")
                .orElseThrow()
                .value();
        assertThat(ct.getParameter("name")).isEqualTo("\u65e5report.exe");
    }

    /** Header values built from fragments that stress a parser: quotes, backslashes, RFC 2231 names, comments. */
    private static final String[] FRAGMENTS = {
        "\"",
        "\\",
        ";",
        "=",
        " ",
        "\t",
        "(",
        ")",
        "x",
        "name",
        "name*",
        "*0*",
        "*1",
        "utf-8''",
        "%",
        "%4",
        "%41",
        "'",
        "filename=\"",
        "; name=",
        "\r\n "
    };

    private static String adversarial(List<Integer> codes) {
        StringBuilder sb = new StringBuilder();
        for (int code : codes) {
            String f = FRAGMENTS[code % FRAGMENTS.length];
            int repeat = 1 + code / FRAGMENTS.length;
            for (int r = 0; r < repeat && sb.length() < 100_000; r++) {
                sb.append(f);
            }
        }
        return sb.toString();
    }

    @Test
    void theLenientParameterParserIsLinearOnAdversarialValues() {
        qt().withExamples(400)
                .forAll(lists().of(integers().between(0, FRAGMENTS.length * 2_000 - 1))
                        .ofSizeBetween(0, 80))
                .checkAssert(codes -> {
                    String value = adversarial(codes);
                    long[] steps = new long[1];
                    ParameterList list = LenientHeaders.params("; name=" + value, steps);
                    assertThat(list).isNotNull();
                    // every character is looked at a bounded number of times (scan, then copy/decode)
                    assertThat(steps[0]).isLessThanOrEqualTo(4L * (value.length() + 8));
                    assertThat(LenientHeaders.contentType("text/plain; name=" + value))
                            .isPresent();
                    assertThat(LenientHeaders.disposition("attachment; filename=" + value))
                            .isPresent();
                });
    }

    @Test
    void theWalkerNeverThrowsOnAdversarialContentTypeParameters() {
        qt().withExamples(150)
                .forAll(lists().of(integers().between(0, FRAGMENTS.length * 2_000 - 1))
                        .ofSizeBetween(0, 40))
                .checkAssert(codes -> {
                    String value = adversarial(codes)
                            .replace("\r\n ", " ")
                            .replace("\r", "")
                            .replace("\n", "");
                    byte[] m = message("text/plain; name=" + value, "body");
                    List<PartInfo> parts = new ArrayList<>();
                    try {
                        MimeWalker.defaults().walk(MessageContent.ofBytes(m), (PartInfo p, InputStream in) -> {
                            parts.add(p);
                            in.readAllBytes();
                            return true;
                        });
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(parts).hasSize(1);
                    assertThat(parts.get(0).mimeType()).isEqualTo("text/plain");
                    assertThat(parts.get(0).fileName()).isNotNull().isInstanceOf(Optional.class);
                });
    }
}
