package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The uuencode and yEnc reader shared by the attachment policy and the clamd scanner. */
class TextFilesTest {
    private static TextFiles.Lines lines(String text) throws java.io.IOException {
        TextFiles.Lines l =
                new TextFiles.Lines(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(l.next()).isTrue();
        return l;
    }

    @Test
    void uuDecodingReadsEachLineAsUudecodeDoes() throws Exception {
        byte[] out = new byte[64];
        byte[] cat = "#0V%T".getBytes(StandardCharsets.US_ASCII); // "Cat"
        assertThat(new String(out, 0, TextFiles.uuDecodeLine(cat, cat.length, out), StandardCharsets.US_ASCII))
                .isEqualTo("Cat");
        // characters 64 higher are masked to the same six bits, as uudecode does: the same bytes
        byte[] lower = "cpVeT".getBytes(StandardCharsets.US_ASCII);
        assertThat(new String(out, 0, TextFiles.uuDecodeLine(lower, lower.length, out), StandardCharsets.US_ASCII))
                .isEqualTo("Cat");
        assertThat(lines("begin 0755 a b.exe \r\nnext").uuBegin()).isEqualTo("a b.exe");
        for (String notBegin : List.of("begin 64 a", "begin 644", "begin 648 a", "Begin 644 a", " begin 644 a")) {
            assertThat(lines(notBegin + "\n").uuBegin()).as(notBegin).isNull();
        }
        // a name longer than the line's kept start still shows its end
        String longName = "x".repeat(3000) + ".exe";
        assertThat(lines("begin 644 " + longName + "\r\n").uuBegin()).endsWith(".exe");
        // lines end at LF, CRLF or a bare CR
        TextFiles.Lines l = lines("one\rtwo\r\nthree\nfour");
        List<String> read = new java.util.ArrayList<>();
        do {
            read.add(new String(l.head, 0, l.headLength, StandardCharsets.ISO_8859_1));
        } while (l.next());
        assertThat(read).containsExactly("one", "two", "three", "four");
    }

    /** One file found: its encoding, name and decoded bytes. */
    private record Found(TextFiles.Encoding encoding, String name, String content) {}

    private static List<Found> files(String text) throws IOException {
        List<Found> found = new ArrayList<>();
        TextFiles.read(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)),
                new TextFiles.Budget() {
                    @Override
                    public void decoded(TextFiles.Encoding encoding, int bytes) {}

                    @Override
                    public void lineTooLong() throws IOException {
                        throw new IOException("too long");
                    }
                },
                (encoding, name, content) -> found.add(
                        new Found(encoding, name, new String(content.readAllBytes(), StandardCharsets.ISO_8859_1))));
        return found;
    }

    /** yEnc-encodes bytes as one line (every byte plus 42, the critical ones escaped with '=' and plus 64). */
    static String yEncode(String name, byte[] data) {
        StringBuilder sb = new StringBuilder("=ybegin line=128 size=" + data.length + " name=" + name + "\r\n");
        for (byte b : data) {
            int c = ((b & 0xff) + 42) & 0xff;
            if (c == 0 || c == '\n' || c == '\r' || c == '=') {
                sb.append('=').append((char) ((c + 64) & 0xff));
            } else {
                sb.append((char) c);
            }
        }
        return sb.append("\r\n=yend size=").append(data.length).append("\r\n").toString();
    }

    @Test
    void filesOfBothEncodingsAreFoundAndDecoded() throws Exception {
        String text = "Hello,\r\nthe files:\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n"
                + yEncode("run.exe", "MZ\r\n=\0\u00ff".getBytes(StandardCharsets.ISO_8859_1)) + "bye\r\n";
        assertThat(files(text))
                .containsExactly(
                        new Found(TextFiles.Encoding.UUENCODE, "cat.txt", "Cat"),
                        new Found(TextFiles.Encoding.YENC, "run.exe", "MZ\r\n=\0\u00ff"));
    }

    @Test
    void everyBeginLineStartsAFileAndNamesAreCutAtANul() throws Exception {
        // a begin line inside an open file starts the next; an unended file ends at the end of the text
        String text = "=ybegin line=128 size=3 name=a.txt\r\nklm\r\nbegin 644 b.js\0.txt\r\n#0V%T\r\n"
                + "=ybegin line=1 size=0 name=\r\n";
        assertThat(files(text))
                .containsExactly(
                        new Found(TextFiles.Encoding.YENC, "a.txt", "ABC"),
                        new Found(TextFiles.Encoding.UUENCODE, "b.js", "Cat"),
                        new Found(TextFiles.Encoding.YENC, "", ""));
    }

    /**
     * A begin line longer than the kept start names the file by the end of its name, which is before the first NUL and
     * before the blanks that end the line: its last bytes were taken as they were, so a NUL or more than 256 blanks
     * after {@code invoice.exe} left a name of letters or blanks, and the program passed (parser audit, session 38).
     */
    @Test
    void aLongBeginLineIsNamedByTheEndOfItsNameNotOfTheLine() throws Exception {
        String pad = "x".repeat(TextFiles.LINE_HEAD);
        assertThat(lines("begin 644 invoice.exe" + " ".repeat(TextFiles.LINE_HEAD + 300) + "\r\n")
                        .uuBegin())
                .isEqualTo("invoice.exe");
        assertThat(lines("begin 644 invoice.exe \t \0" + pad + "\r\n").uuBegin())
                .isEqualTo("invoice.exe");
        assertThat(lines("begin 644 " + pad + "invoice.exe\0" + pad + " \r\n").uuBegin())
                .endsWith("xinvoice.exe");
        assertThat(lines("begin 644 " + pad + "a b\tinvoice.exe" + " \t".repeat(200) + "\r\n")
                        .uuBegin())
                .endsWith("xa b\tinvoice.exe")
                .hasSize(256);
        assertThat(lines("=ybegin line=128 size=1 name=run.exe\0" + pad + "\r\n")
                        .yBegin())
                .isEqualTo("run.exe");
        assertThat(lines("=ybegin line=128 size=1 name=" + " ".repeat(2 * TextFiles.LINE_HEAD) + "\r\n")
                        .yBegin())
                .isEmpty();
    }

    /** Found by review (session 29): the two ways a yEnc line decoded differently from Thunderbird. */
    @Test
    void yEncLinesDecodeAsThunderbirdDecodesThem() throws Exception {
        // an escape at the line's end escapes its CR (0x0D - 64 - 42 = 0xA3), or its LF (0xA0)
        assertThat(files("=ybegin line=128 size=2 name=a.bin\r\nk=\r\n=yend size=2\r\n"))
                .containsExactly(new Found(TextFiles.Encoding.YENC, "a.bin", "A\u00a3"));
        assertThat(files("=ybegin line=128 size=2 name=a.bin\nk=\n=yend size=2\n"))
                .containsExactly(new Found(TextFiles.Encoding.YENC, "a.bin", "A\u00a0"));
        // a NUL ends the line's data
        assertThat(files("=ybegin line=128 size=2 name=a.bin\r\nkl\0JUNK\r\nm\r\n=yend size=3\r\n"))
                .containsExactly(new Found(TextFiles.Encoding.YENC, "a.bin", "ABC"));
    }

    @Test
    void aYEncLineLongerThanTheKeptStartGoesToTheBudget() {
        String text = "=ybegin line=128 size=3 name=a.exe\r\n" + "k".repeat(TextFiles.LINE_HEAD + 1) + "\r\n";
        assertThatThrownBy(() -> files(text)).hasMessage("too long");
    }

    @Test
    void theBudgetSeesEveryDecodedLineBeforeItIsRead() {
        List<Integer> counted = new ArrayList<>();
        byte[] text = (yEncode("a.bin", new byte[300]) + "begin 644 b\r\n#0V%T\r\nend\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        TextFiles.Budget budget = new TextFiles.Budget() {
            @Override
            public void decoded(TextFiles.Encoding encoding, int bytes) throws IOException {
                counted.add(bytes);
                if (encoding == TextFiles.Encoding.UUENCODE) {
                    throw new IOException("stop");
                }
            }

            @Override
            public void lineTooLong() {}
        };
        // a handler that reads nothing: the rest of each file is read, and counted, after it returns
        assertThatThrownBy(
                        () -> TextFiles.read(new ByteArrayInputStream(text), budget, (encoding, name, content) -> {}))
                .hasMessage("stop");
        assertThat(counted).containsExactly(300, 3);
    }
}
