package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;

/** The DATA reader: dot-unstuffing, the one true end of data, and smuggling sequences. */
class DataReaderTest {
    private static final byte[] TRAILER = "MAIL FROM:<next@example.net>\r\n".getBytes(StandardCharsets.US_ASCII);

    /** A stream that hands out its bytes in pseudo-random chunk sizes. */
    static final class ChunkedStream extends InputStream {
        private final byte[] data;
        private final Random random;
        private int pos;

        ChunkedStream(byte[] data, long seed) {
            this.data = data;
            this.random = new Random(seed);
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, data.length - pos), 1 + random.nextInt(random.nextBoolean() ? 3 : 700));
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    record Outcome(byte[] content, DataReader.Violation violation, byte[] rest) {
        String text() {
            return new String(content, StandardCharsets.ISO_8859_1);
        }
    }

    static Outcome read(byte[] wire, long seed, long maxSize, int maxHops) throws IOException {
        SmtpInput in = new SmtpInput(new ChunkedStream(wire, seed));
        DataReader r = new DataReader(in, maxSize, SmtpLimits.MAX_TEXT_LINE, maxHops);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Random rnd = new Random(seed ^ 0x5DEECE66DL);
        byte[] buf = new byte[1024];
        for (; ; ) {
            int want = 1 + rnd.nextInt(rnd.nextBoolean() ? 2 : buf.length);
            int n = r.read(buf, 0, want);
            if (n < 0) {
                break;
            }
            out.write(buf, 0, n);
        }
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            rest.write(c);
        }
        return new Outcome(out.toByteArray(), r.violation(), rest.toByteArray());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Lines of arbitrary bytes except CR and LF, often starting with dots, each ending in CRLF. */
    static Gen<String> messages() {
        Gen<String> line = lists().of(integers().between(0, 255))
                .ofSizeBetween(0, 120)
                .map(bytes -> {
                    StringBuilder sb = new StringBuilder();
                    for (int b : bytes) {
                        sb.append(b == '\r' || b == '\n' ? '.' : (char) b);
                    }
                    return sb.toString();
                });
        return lists().of(line).ofSizeBetween(0, 40).map(lines -> {
            StringBuilder sb = new StringBuilder();
            for (String l : lines) {
                sb.append(l).append("\r\n");
            }
            return sb.toString();
        });
    }

    static String stuff(String message) {
        String[] lines = message.split("\r\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                sb.append("\r\n");
            }
            sb.append(lines[i].startsWith(".") ? "." + lines[i] : lines[i]);
        }
        return sb.toString();
    }

    @Test
    void randomChunkingNeverChangesWhatIsStored() {
        qt().withExamples(300).forAll(messages(), longs().all()).checkAssert((message, seed) -> {
            byte[] wire = concat(ascii(stuff(message)), ascii(".\r\n"), TRAILER);
            try {
                Outcome o = read(wire, seed, Long.MAX_VALUE, 1000);
                if (message.startsWith(" ") || message.startsWith("\t")) {
                    // refused whatever the chunking (the Received field on top would take its first line)
                    assertThat(o.violation()).isEqualTo(DataReader.Violation.FOLDED_FIRST_LINE);
                } else {
                    assertThat(o.violation()).isNull();
                    assertThat(o.text()).isEqualTo(message);
                }
                assertThat(o.rest())
                        .as("nothing after the terminator is consumed")
                        .isEqualTo(TRAILER);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void noInputEndsDataEarly() {
        // Arbitrary bytes biased towards CR, LF and dots; whatever they are, only CRLF.CRLF may end the data.
        Gen<byte[]> noise = lists().of(integers().between(0, 7))
                .ofSizeBetween(0, 300)
                .map(codes -> {
                    byte[] b = new byte[codes.size()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) "\r\n.\r\n.ax".charAt(codes.get(i));
                    }
                    return b;
                });
        qt().withExamples(500).forAll(noise, longs().all()).checkAssert((bytes, seed) -> {
            String s = "\r\n" + new String(bytes, StandardCharsets.ISO_8859_1);
            int end = s.indexOf("\r\n.\r\n");
            try {
                Outcome o = read(bytes, seed, Long.MAX_VALUE, 1000);
                // It ended: then the input held the terminator, and it ended exactly there.
                assertThat(end).as("ended without CRLF.CRLF").isGreaterThanOrEqualTo(0);
                assertThat(o.rest().length).isEqualTo(bytes.length - (end + 3));
            } catch (EOFException eof) {
                assertThat(end).as("missed a CRLF.CRLF").isLessThan(0);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n", "\n.\r", "\r.\n"})
    void smugglingSequencesNeverEndTheDataAndRefuseTheMessage(String sequence) throws IOException {
        String smuggled = "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
                + "From: ceo@bank.example\r\n\r\nspoofed\r\n";
        byte[] wire = ascii("From: a@example.net\r\n\r\nhello" + sequence + smuggled + "\r\n.\r\n" + "QUIT\r\n");
        for (long seed = 0; seed < 50; seed++) {
            Outcome o = read(wire, seed, Long.MAX_VALUE, 1000);
            assertThat(o.violation()).isEqualTo(DataReader.Violation.BARE_CR_OR_LF);
            assertThat(new String(o.rest(), StandardCharsets.US_ASCII)).isEqualTo("QUIT\r\n");
        }
    }

    @Test
    void sizeLimitCountsUnstuffedOctetsAndStillReadsToTheEnd() throws IOException {
        byte[] wire = ascii("..12345678\r\n.\r\nQUIT\r\n"); // content ".12345678\r\n" = 11 octets
        assertThat(read(wire, 1, 11, 1000).violation()).isNull();
        Outcome o = read(wire, 1, 10, 1000);
        assertThat(o.violation()).isEqualTo(DataReader.Violation.SIZE);
        assertThat(o.content().length).as("nothing past the limit is delivered").isLessThanOrEqualTo(10);
        assertThat(o.rest()).isEqualTo(ascii("QUIT\r\n"));
    }

    @Test
    void emptyMessageAndEndOfStream() throws IOException {
        assertThat(read(ascii(".\r\n"), 1, 100, 10).content()).isEmpty();
        assertThatThrownBy(() -> read(ascii("abc\r\n.\r"), 1, 100, 10)).isInstanceOf(EOFException.class);
    }

    @Test
    void lineLengthLimit() throws IOException {
        String ok = "x".repeat(998) + "\r\n";
        assertThat(read(ascii("." + ".".repeat(1) + ok.substring(1) + ".\r\n"), 3, 10_000, 10)
                        .violation())
                .as("a stuffed dot does not count")
                .isNull();
        assertThat(read(ascii("y" + ok + ".\r\n"), 3, 10_000, 10).violation())
                .isEqualTo(DataReader.Violation.LINE_TOO_LONG);
    }

    @Test
    void aFirstLineStartingWithSpaceOrTabIsAViolation() throws IOException {
        assertThat(read(ascii(" From: a@x\r\n\r\nb\r\n.\r\n"), 2, 10_000, 10).violation())
                .isEqualTo(DataReader.Violation.FOLDED_FIRST_LINE);
        assertThat(read(ascii(". x\r\n.\r\n"), 2, 10_000, 10).violation())
                .isEqualTo(DataReader.Violation.FOLDED_FIRST_LINE);
        assertThat(read(ascii("From: a@x\r\n folded\r\n\r\n b\r\n.\r\n"), 2, 10_000, 10)
                        .violation())
                .isNull();
    }

    @Test
    void hopsAreCountedInTheHeaderOnly() throws IOException {
        String headers = "Received: a\r\n\tb\r\nreceived:c\r\nX-Received: no\r\nReceivedX: no\r\n";
        Outcome o = read(ascii(headers + "\r\nReceived: body\r\n.\r\n"), 9, 10_000, 3);
        assertThat(o.violation()).isNull();
        assertThat(read(ascii(headers + "Received: d\r\n\r\n.\r\n"), 9, 10_000, 3)
                        .violation())
                .isEqualTo(DataReader.Violation.TOO_MANY_HOPS);
    }

    @Test
    void contentListIsIndependentOfTheReadSizes() {
        qt().withExamples(100).forAll(messages(), longs().all(), longs().all()).checkAssert((m, s1, s2) -> {
            byte[] wire = concat(ascii(stuff(m)), ascii(".\r\n"));
            try {
                assertThat(read(wire, s1, Long.MAX_VALUE, 1000).content())
                        .isEqualTo(read(wire, s2, Long.MAX_VALUE, 1000).content());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }
}
