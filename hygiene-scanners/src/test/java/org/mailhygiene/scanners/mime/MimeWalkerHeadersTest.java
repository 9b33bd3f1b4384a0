package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import jakarta.mail.internet.InternetHeaders;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * {@link MimeWalker#readHeaders} must read exactly what Jakarta Mail's own {@link InternetHeaders} constructor reads:
 * the same header lines, and the same number of bytes consumed (the body starts where the walker thinks it does).
 */
class MimeWalkerHeadersTest {

    /** Pieces header blocks are made of, including the awkward ones: folds, blank-looking and colon-less lines. */
    private static final List<String> PIECES = List.of(
            "Subject: hello",
            "From: a@b.example",
            "X-Empty:",
            "Received: from a",
            "\tby b",
            "  with c",
            " ",
            "\t",
            "not a header line",
            ": no name",
            "Content-Type: text/plain;",
            " charset=us-ascii",
            "X-8bit: caf\u00e9",
            "X-Long: " + "y".repeat(300));

    private static final List<String> ENDINGS = List.of("\r\n", "\n", "\r");

    private static Gen<byte[]> headerBlocks() {
        return lists().of(integers().between(0, PIECES.size() * ENDINGS.size() - 1))
                .ofSizeBetween(0, 15)
                .map(choices -> {
                    StringBuilder sb = new StringBuilder();
                    for (int c : choices) {
                        sb.append(PIECES.get(c % PIECES.size())).append(ENDINGS.get(c / PIECES.size()));
                    }
                    sb.append(choices.isEmpty() || choices.get(0) % 2 == 0 ? "\r\n" : "\n");
                    sb.append("body line\r\nmore body\r\n");
                    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
                });
    }

    @Test
    void readsTheSameHeadersAndStopsAtTheSameByteAsJakartaMail() {
        qt().forAll(headerBlocks()).checkAssert(bytes -> {
            ByteArrayInputStream theirs = new ByteArrayInputStream(bytes);
            ByteArrayInputStream ours = new ByteArrayInputStream(bytes);
            // Jakarta Mail itself throws on some inputs (a fold before any field): then ours must throw the same
            assertThat(outcome(() -> new InternetHeaders(theirs)))
                    .isEqualTo(outcome(() -> MimeWalker.readHeaders(ours)));
            assertThat(ours.available()).isEqualTo(theirs.available());
        });
    }

    private interface HeaderRead {
        InternetHeaders read() throws Exception;
    }

    /** The header lines read, or the class of what was thrown. */
    private static Object outcome(HeaderRead r) {
        try {
            return Collections.list(r.read().getAllHeaderLines());
        } catch (Exception e) {
            return e.getClass();
        }
    }

    @Test
    void aStreamWithoutAnEmptyLineIsReadToItsEnd() throws Exception {
        byte[] bytes = "Subject: a\r\n\tb\r\nFrom: c".getBytes(StandardCharsets.US_ASCII);
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        InternetHeaders h = MimeWalker.readHeaders(in);
        assertThat(h.getHeader("Subject", null)).isEqualTo("a\r\n\tb");
        assertThat(h.getHeader("From", null)).isEqualTo("c");
        assertThat(in.available()).isZero();
    }

    /** "X-Long: aaaa...(n letters)\r\n\r\nbody\r\n", made as it is read, with the bytes read counted. */
    private static final class LongHeaderLine extends java.io.InputStream {
        private final byte[] head = "X-Long: ".getBytes(StandardCharsets.US_ASCII);
        private final byte[] tail = "\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        private final long letters;
        long position;

        LongHeaderLine(long letters) {
            this.letters = letters;
        }

        @Override
        public int read() {
            long total = head.length + letters + tail.length;
            if (position >= total) {
                return -1;
            }
            long p = position++;
            if (p < head.length) {
                return head[(int) p];
            }
            return p < head.length + letters ? 'a' : tail[(int) (p - head.length - letters)];
        }
    }

    @Test
    void aHeaderSectionOverItsBoundIsRefusedAfterReadingNoMoreThanTheBound() {
        LongHeaderLine in = new LongHeaderLine(64L << 20); // one 64 MiB line: held whole, it filled a small heap
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MimeWalker.readHeaders(in))
                .isInstanceOf(jakarta.mail.MessagingException.class)
                .hasMessageContaining("header section over 4 MiB");
        assertThat(in.position).isLessThanOrEqualTo(MimeWalker.MAX_HEADER_BYTES + 1L);
        // just under the bound it is read as Jakarta Mail reads it
        LongHeaderLine fits = new LongHeaderLine(MimeWalker.MAX_HEADER_BYTES - 100);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> assertThat(MimeWalker.readHeaders(fits).getHeader("X-Long", null))
                                .hasSize(MimeWalker.MAX_HEADER_BYTES - 100)))
                .isNull();
    }

    @Test
    void aMessageWhoseHeaderIsOverTheBoundIsWalkedAsOneRawLeafWithALimitFinding() throws Exception {
        byte[] big = ("X-Long: " + "a".repeat(MimeWalker.MAX_HEADER_BYTES) + "\r\nSubject: x\r\n\r\nhello\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long[] seen = new long[1];
        MimeWalkResult r = MimeWalker.defaults().walk(org.mailhygiene.api.MessageContent.ofBytes(big), (part, in) -> {
            seen[0] += in.readAllBytes().length;
            return true;
        });
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.kind()).isEqualTo(MimeFinding.Kind.SIZE_LIMIT);
            assertThat(f.detail()).contains("header section over 4 MiB");
        });
        assertThat(seen[0])
                .as("the raw message is still handed to the scanners")
                .isEqualTo(big.length);
        assertThat(r.limitReached()).isTrue();
    }
}
