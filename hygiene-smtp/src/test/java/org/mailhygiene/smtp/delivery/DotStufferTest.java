package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class DotStufferTest {

    static byte[] encode(byte[] in, int chunk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffer s = DotStuffer.to(out);
        for (int i = 0; i < in.length; i += chunk) {
            s.write(in, i, Math.min(chunk, in.length - i));
        }
        s.finish();
        return out.toByteArray();
    }

    /** The content after making every CR, LF and CRLF a CRLF, and ending it with one. */
    static byte[] canonical(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < in.length && in[i + 1] == '\n') {
                    i++;
                }
            } else if (in[i] == '\n') {
                out.write('\r');
                out.write('\n');
            } else {
                out.write(in[i]);
            }
        }
        byte[] b = out.toByteArray();
        if (b.length > 0 && b[b.length - 1] != '\n') {
            out.write('\r');
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** A strict receiver: the data ends at the first CRLF.CRLF (or a leading .CRLF); one leading dot is removed. */
    static byte[] receive(byte[] wire, int[] consumed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < wire.length) {
            int end = i;
            while (end + 1 < wire.length && !(wire[end] == '\r' && wire[end + 1] == '\n')) {
                end++;
            }
            int lineEnd = end + 2; // exclusive, including CRLF
            if (end + 1 >= wire.length) {
                throw new AssertionError("no CRLF-terminated line at " + i);
            }
            if (end - i == 1 && wire[i] == '.') {
                consumed[0] = lineEnd;
                return out.toByteArray();
            }
            int from = wire[i] == '.' ? i + 1 : i;
            out.write(wire, from, lineEnd - from);
            i = lineEnd;
        }
        throw new AssertionError("no end of data");
    }

    static Gen<byte[]> contents() {
        // Bias towards the interesting bytes: CR, LF, dot and 'a'.
        Gen<Integer> b = integers().between(0, 9).map(k -> switch (k) {
            case 0, 1 -> (int) '\r';
            case 2, 3 -> (int) '\n';
            case 4, 5 -> (int) '.';
            case 6 -> 0xE9;
            default -> (int) 'a';
        });
        return lists().of(b).ofSizeBetween(0, 200).map(l -> {
            byte[] a = new byte[l.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (byte) (int) l.get(i);
            }
            return a;
        });
    }

    @Test
    void aStrictReceiverGetsTheCanonicalContentAndTheDataEndsExactlyAtTheEnd() {
        qt().withExamples(3000).forAll(contents(), integers().between(1, 17)).checkAssert((content, chunk) -> {
            try {
                byte[] wire = encode(content, chunk);
                int[] consumed = {0};
                byte[] got = receive(wire, consumed);
                assertThat(consumed[0]).as("data ends only at the final dot").isEqualTo(wire.length);
                assertThat(got).isEqualTo(canonical(content));
                for (int i = 0; i < wire.length; i++) {
                    if (wire[i] == '\n') {
                        assertThat(i).isPositive();
                        assertThat(wire[i - 1]).as("no bare LF on the wire").isEqualTo((byte) '\r');
                    }
                    if (wire[i] == '\r') {
                        assertThat(wire[i + 1]).as("no bare CR on the wire").isEqualTo((byte) '\n');
                    }
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void crlfContentIsSentUnchangedApartFromStuffing() throws Exception {
        byte[] in = "a\r\n.b\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(new String(encode(in, 1000), StandardCharsets.US_ASCII)).isEqualTo("a\r\n..b\r\n\r\n.\r\n");
        assertThat(encode(new byte[0], 1)).isEqualTo(".\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(encode("x".getBytes(StandardCharsets.US_ASCII), 1))
                .isEqualTo("x\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
    }
}
