package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import jakarta.mail.util.SharedByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The budget's count does not depend on how the stream is consumed: Jakarta Mail's boundary search marks, reads a few
 * bytes, resets and skips, and the count must end the stream where plain reading ends it.
 */
class PartBudgetStreamTest {
    /** Lines of a multipart body, boundary lines (for boundary {@code b}) and near misses; the close line is rare. */
    private static final String[] LINES = {
        "--b", "--b", "--b", "--b \t", "--b-", "--bx", "x--b", "-", "", "text", "--b--"
    };

    private static final String[] ENDS = {"\r\n", "\n", "\r", "\r\r\n", ""};

    @Test
    void markResetAndSkipCountAsPlainReading() {
        qt().withExamples(400)
                .forAll(
                        lists().of(integers().between(0, LINES.length * ENDS.length - 1))
                                .ofSizeBetween(0, 40),
                        integers().between(1, 6),
                        integers().all())
                .checkAssert((lines, maxParts, seed) -> {
                    StringBuilder text = new StringBuilder();
                    lines.forEach(i -> text.append(LINES[i % LINES.length]).append(ENDS[i / LINES.length]));
                    byte[] body = text.toString().getBytes(StandardCharsets.ISO_8859_1);
                    Consumed plain = readPlainly(body, maxParts);
                    Consumed jakartaLike = readLikeJakarta(body, maxParts, new Random(seed));
                    assertThat(jakartaLike).as("%s", text).isEqualTo(plain);
                });
    }

    @Test
    void endsAfterTheBoundaryLineBeyondTheBudget() throws IOException {
        byte[] body =
                "pre\r\n--b\r\none\r\n--b \r\ntwo\r\n--b\r\nthree\r\n--b--\r\n".getBytes(StandardCharsets.US_ASCII);
        Consumed c = readPlainly(body, 1);
        // delimiter 3 (maxParts + 2) ends the stream after its line end
        assertThat(new String(c.bytes(), StandardCharsets.US_ASCII))
                .isEqualTo("pre\r\n--b\r\none\r\n--b \r\ntwo\r\n--b\r");
        assertThat(c.cut()).isTrue();
        assertThat(c.position()).isEqualTo(c.bytes().length);
        assertThat(readPlainly(body, 3).cut()).isFalse();
    }

    private record Consumed(byte[] bytes, boolean cut, long position) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Consumed c
                    && java.util.Arrays.equals(bytes, c.bytes)
                    && cut == c.cut
                    && position == c.position;
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.ISO_8859_1)
                            .replace("\r", "\\r")
                            .replace("\n", "\\n") + " cut=" + cut + " at " + position;
        }
    }

    private static Consumed readPlainly(byte[] body, int maxParts) {
        try (PartBudgetStream s = new PartBudgetStream(new SharedByteArrayInputStream(body), "b", maxParts)) {
            byte[] all = s.readAllBytes();
            return new Consumed(all, s.cut(), s.getPosition());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Consumes as Jakarta Mail's search does: mark, read a window, reset, skip part of it; single reads between. */
    private static Consumed readLikeJakarta(byte[] body, int maxParts, Random random) {
        try (PartBudgetStream s = new PartBudgetStream(new SharedByteArrayInputStream(body), "b", maxParts)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] window = new byte[8];
            while (true) {
                int op = random.nextInt(3);
                if (op == 0) {
                    int c = s.read();
                    if (c < 0) {
                        break;
                    }
                    out.write(c);
                } else {
                    s.mark(100);
                    int want = 1 + random.nextInt(window.length);
                    int n = s.read(window, 0, want);
                    if (n < 0) {
                        break;
                    }
                    s.reset();
                    int keep = op == 1 ? n : 1 + random.nextInt(n);
                    if (random.nextBoolean()) {
                        long skipped = s.skip(keep);
                        out.write(window, 0, (int) skipped);
                        if (skipped < keep) {
                            break;
                        }
                    } else {
                        int m = s.read(window, 0, keep);
                        out.write(window, 0, Math.max(m, 0));
                    }
                }
            }
            return new Consumed(out.toByteArray(), s.cut(), s.getPosition());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
