package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

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

    /** The data both BinHex fixtures hold: runs (of 'A', of 0x90), a 0x90 0x00 pair, and every byte value. */
    static byte[] binHexSample() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x4d, 0x5a, (byte) 0x90, 0x00});
        b.writeBytes("A".repeat(300).getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90});
        b.writeBytes("hello program".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 256; i++) {
            b.write(i);
        }
        return b.toByteArray();
    }

    private static String resource(String name) throws IOException {
        try (java.io.InputStream in = TextFilesTest.class.getResourceAsStream("/binhex/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void binHexFilesOfTwoEncodersGiveTheDataForkUnderItsName() throws IOException {
        String data = new String(binHexSample(), StandardCharsets.ISO_8859_1);
        for (String fixture : List.of("rle-py.hqx", "rle-perl.hqx")) {
            assertThat(files("Here it is:\r\n\r\n" + resource(fixture) + "\r\nbye\r\n"))
                    .as(fixture)
                    .containsExactly(new Found(TextFiles.Encoding.BINHEX, "Setup Tool.exe", data));
        }
    }

    @Test
    void binHexRoundTrips() {
        qt().withExamples(300)
                .forAll(
                        lists().of(integers().between(0, 255)).ofSizeBetween(0, 700),
                        integers().between(0, 40),
                        integers().between(2, 9),
                        integers().between(1, 200))
                .checkAssert((values, rsrcLength, minRun, lineLength) -> {
                    byte[] data = new byte[values.size()];
                    for (int i = 0; i < data.length; i++) {
                        // runs and markers are what the run-length coding is about: many of them
                        int v = values.get(i);
                        data[i] = (byte) (v < 64 ? 0x90 : v < 128 ? 'A' : v);
                    }
                    byte[] rsrc = new byte[rsrcLength];
                    java.util.Arrays.fill(rsrc, (byte) 0x90);
                    String text = "before\r\n"
                            + BinHexFixtures.encode("f" + data.length + ".exe", data, rsrc, minRun, lineLength, false)
                            + "after\r\n";
                    try {
                        assertThat(files(text))
                                .containsExactly(new Found(
                                        TextFiles.Encoding.BINHEX,
                                        "f" + data.length + ".exe",
                                        new String(data, StandardCharsets.ISO_8859_1)));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void aBrokenBinHexFileSaysWhatIsWrong() {
        byte[] data = "MZ program".getBytes(StandardCharsets.US_ASCII);
        String damaged = BinHexFixtures.encode("run.exe", data, new byte[0], 3, 64, true);
        assertThatThrownBy(() -> files(damaged))
                .isInstanceOf(TextFiles.BrokenException.class)
                .hasMessage("BinHex file \"run.exe\": the data fork's CRC does not match (a broken BinHex file)");
        String good = BinHexFixtures.encode("run.exe", data, new byte[0], 3, 64, false);
        String cut = good.substring(0, good.length() - 12) + "\r\n";
        assertThatThrownBy(() -> files(cut))
                .isInstanceOf(TextFiles.BrokenException.class)
                .hasMessageStartingWith("BinHex file \"run.exe\": cut short in the data fork");
        int colon = good.indexOf(':');
        String wrongCharacter = good.substring(0, colon + 3) + "7" + good.substring(colon + 3);
        assertThatThrownBy(() -> files(wrongCharacter))
                .isInstanceOf(TextFiles.BrokenException.class)
                .hasMessageContaining("byte 0x37 is not a BinHex character");
        String headerOnly = good.substring(0, good.indexOf(':') + 5) + ":\r\n";
        assertThatThrownBy(() -> files(headerOnly))
                .isInstanceOf(TextFiles.BrokenException.class)
                .hasMessage("BinHex file: cut short in the header (a broken BinHex file)");
    }

    @Test
    void aBannerWithoutEncodedLinesBeginsNoFileAndTheTextIsReadOn() throws IOException {
        String text = "(This file must be converted with BinHex 4.0)\r\n\r\nas the old tool said\r\n"
                + "(This file must be converted with BinHex 4.0)\r\n"
                + "begin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n";
        assertThat(files(text)).containsExactly(new Found(TextFiles.Encoding.UUENCODE, "cat.txt", "Cat"));
    }

    @Test
    void binHexBytesAreCountedAfterTheRunLengthDecoding() {
        byte[] zeros = new byte[100_000];
        String text = BinHexFixtures.encode("z.bin", zeros, new byte[0], 3, 64, false);
        assertThat(text.length()).as("runs of 255 in 3 bytes").isLessThan(2_000);
        long[] counted = {0};
        TextFiles.Budget budget = (encoding, bytes) -> {
            counted[0] += bytes;
            if (counted[0] > 50_000) {
                throw new TextFiles.LimitException("over 50000");
            }
        };
        assertThatThrownBy(() -> TextFiles.read(
                        new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)),
                        budget,
                        (encoding, name, content) -> content.transferTo(java.io.OutputStream.nullOutputStream())))
                .isInstanceOf(TextFiles.LimitException.class);
    }
}
