package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import jakarta.activation.DataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.ParseException;
import jakarta.mail.util.SharedByteArrayInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link MultipartSplit} splits as Jakarta Mail's {@code MimeMultipart} splits a shared stream (the scanners' handling of
 * odd multiparts was built against it): differential, over bodies made of delimiter lines, near misses, headers, text
 * and every line end, with and without a boundary parameter; and its part budget only ever shortens that split.
 */
class MultipartSplitTest {
    /** Lines for boundary {@code b}: delimiters, close delimiters, near misses, header and body lines. */
    private static final String[] LINES = {
        "--b",
        "--b",
        "--b",
        "--b--",
        "--b \t",
        "--b--x",
        "--b-",
        "--bx",
        "--b -",
        "--b --",
        "x--b",
        " --b",
        "-",
        "--",
        "---",
        "------",
        "-- --",
        "--c",
        "--c--",
        "",
        "",
        "Content-Type: text/plain",
        "text",
        " ",
        "\t",
        "-b",
        "--B",
        "--b\u00e9",
        "\u00e9"
    };

    private static final String[] ENDS = {"\r\n", "\n", "\r", "", "\r\r\n", "\n\r"};

    /** What Jakarta Mail made of a body: its parts' bytes and completeness, or its failure. */
    private record Outcome(List<String> parts, boolean complete, String failure) {}

    @Test
    void splitsAsJakartaMailDoes() {
        qt().withExamples(3000)
                .forAll(
                        lists().of(integers().between(0, LINES.length * ENDS.length - 1))
                                .ofSizeBetween(0, 30),
                        integers().between(0, 2))
                .checkAssert((lines, boundaryChoice) -> {
                    byte[] body = body(lines);
                    String boundary = boundaryChoice == 0 ? null : boundaryChoice == 1 ? "b" : "c";
                    assertThat(ours(body, boundary, Integer.MAX_VALUE - 1))
                            .as("%s with boundary %s", printable(body), boundary)
                            .isEqualTo(jakarta(body, boundary));
                });
    }

    @Test
    void theBudgetOnlyShortensTheSplit() {
        qt().withExamples(1000)
                .forAll(
                        lists().of(integers().between(0, LINES.length * ENDS.length - 1))
                                .ofSizeBetween(0, 40),
                        integers().between(1, 4))
                .checkAssert((lines, maxParts) -> {
                    byte[] body = body(lines);
                    try {
                        MultipartSplit whole = MultipartSplit.split(new ByteArrayInputStream(body), "b", 1 << 30);
                        MultipartSplit budgeted = MultipartSplit.split(new ByteArrayInputStream(body), "b", maxParts);
                        String what = printable(body);
                        if (budgeted.cut()) {
                            assertThat(budgeted.parts()).as(what).isEqualTo(maxParts + 1);
                            assertThat(budgeted.complete()).as(what).isFalse();
                            assertThat(whole.parts()).as(what).isGreaterThanOrEqualTo(maxParts + 1);
                        } else {
                            assertThat(budgeted.parts()).as(what).isEqualTo(whole.parts());
                            assertThat(budgeted.complete()).as(what).isEqualTo(whole.complete());
                        }
                        for (int i = 0; i < budgeted.parts(); i++) {
                            assertThat(budgeted.start(i)).as(what).isEqualTo(whole.start(i));
                            assertThat(budgeted.end(i)).as(what).isEqualTo(whole.end(i));
                        }
                    } catch (IOException | ParseException e) {
                        assertThat(e).hasMessage("Missing start boundary");
                    }
                });
    }

    @Test
    void splitsLongBodiesReadInSmallPiecesAsWholeOnes() throws Exception {
        StringBuilder m = new StringBuilder("preamble\r\n--b\r\n\r\n");
        for (int i = 0; i < 2000; i++) {
            m.append("line ").append(i).append(i % 7 == 0 ? "\r" : "\r\n");
            if (i % 100 == 99) {
                m.append("--b  \r\nContent-Type: text/plain\r\n\r\n");
            }
        }
        m.append("-".repeat(70_000)).append("\r\n--b--\r\nepilogue");
        byte[] body = m.toString().getBytes(StandardCharsets.ISO_8859_1);
        Outcome expected = jakarta(body, "b");
        // a stream that hands out a few bytes per read: lines and line ends cross every buffer edge
        InputStream trickle = new ByteArrayInputStream(body) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        MultipartSplit s = MultipartSplit.split(trickle, "b", 1000);
        assertThat(outcome(body, s)).isEqualTo(expected);
        assertThat(expected.parts()).hasSize(21);
        assertThat(expected.complete()).isTrue();
    }

    @Test
    void refusesAGuessedDelimiterLongerThanTheWalkerSplits() {
        String line = "--" + "x".repeat(MimeWalker.MAX_BOUNDARY + 1);
        byte[] body = (line + "\r\n\r\nbody\r\n" + line + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> MultipartSplit.split(new ByteArrayInputStream(body), null, 10))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("boundary of " + (MimeWalker.MAX_BOUNDARY + 1) + " characters");
        String shorter = "--" + "x".repeat(MimeWalker.MAX_BOUNDARY);
        byte[] ok = (shorter + "\r\n\r\nbody\r\n" + shorter + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(jakarta(ok, null).parts()).hasSize(1);
    }

    private static byte[] body(List<Integer> lines) {
        StringBuilder text = new StringBuilder();
        lines.forEach(i -> text.append(LINES[i % LINES.length]).append(ENDS[i / LINES.length]));
        return text.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String printable(byte[] body) {
        return new String(body, StandardCharsets.ISO_8859_1)
                .replace("\r", "<CR>")
                .replace("\n", "<LF>");
    }

    private static Outcome ours(byte[] body, String boundary, int maxParts) {
        try {
            MultipartSplit s = MultipartSplit.split(new ByteArrayInputStream(body), boundary, maxParts);
            assertThat(s.cut()).isFalse();
            return outcome(body, s);
        } catch (IOException | ParseException e) {
            return new Outcome(List.of(), false, e.getMessage());
        }
    }

    private static Outcome outcome(byte[] body, MultipartSplit s) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < s.parts(); i++) {
            parts.add(new String(
                    Arrays.copyOfRange(body, (int) s.start(i), (int) s.end(i)), StandardCharsets.ISO_8859_1));
        }
        return new Outcome(parts, s.complete(), null);
    }

    private static Outcome jakarta(byte[] body, String boundary) {
        List<String> got = new ArrayList<>();
        MimeMultipart mp;
        try {
            mp =
                    new MimeMultipart(new DataSource() {
                        @Override
                        public InputStream getInputStream() {
                            return new SharedByteArrayInputStream(body);
                        }

                        @Override
                        public OutputStream getOutputStream() throws IOException {
                            throw new IOException("read-only");
                        }

                        @Override
                        public String getContentType() {
                            return boundary == null
                                    ? "multipart/mixed"
                                    : "multipart/mixed; boundary=\"" + boundary + "\"";
                        }

                        @Override
                        public String getName() {
                            return "body";
                        }
                    }) {
                        @Override
                        protected MimeBodyPart createMimeBodyPart(InputStream is) throws MessagingException {
                            try {
                                got.add(new String(is.readAllBytes(), StandardCharsets.ISO_8859_1));
                            } catch (IOException e) {
                                throw new MessagingException("read", e);
                            }
                            return new MimeBodyPart();
                        }
                    };
            mp.getCount();
            return new Outcome(got, mp.isComplete(), null);
        } catch (MessagingException e) {
            return new Outcome(List.of(), false, e.getMessage());
        }
    }
}
