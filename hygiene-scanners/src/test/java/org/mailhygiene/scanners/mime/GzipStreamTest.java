package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/** A gzip file read member by member, refusing what gzip tools would read differently. */
class GzipStreamTest {

    static final int FHCRC = 2;
    static final int FEXTRA = 4;
    static final int FNAME = 8;
    static final int FCOMMENT = 16;

    /**
     * One gzip member holding {@code data}, written byte by byte as RFC 1952 lays it out (the JDK's writer sets no
     * flags), with the header fields {@code flags} asks for; {@code goodHeaderCrc} false stores a wrong checksum.
     */
    static byte[] member(byte[] data, int flags, String name, boolean goodHeaderCrc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
        if ((flags & FEXTRA) != 0) {
            out.writeBytes(new byte[] {6, 0, 'A', 'B', 2, 0, 9, 9});
        }
        if ((flags & FNAME) != 0) {
            out.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
            out.write(0);
        }
        if ((flags & FCOMMENT) != 0) {
            out.writeBytes("a comment".getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
        if ((flags & FHCRC) != 0) {
            CRC32 crc = new CRC32();
            crc.update(out.toByteArray());
            int c = (int) crc.getValue() & 0xffff;
            if (!goodHeaderCrc) {
                c ^= 0x5555;
            }
            out.write(c & 0xff);
            out.write(c >>> 8);
        }
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        byte[] chunk = new byte[4096];
        while (!d.finished()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        d.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        le32(out, crc.getValue());
        le32(out, data.length);
        return out.toByteArray();
    }

    private static void le32(ByteArrayOutputStream out, long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Reads all of it in reads of varying length, so that reads end anywhere in the 8 KiB blocks of the source. */
    static byte[] readAll(byte[] gz, Random lengths) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GzipStream in = new GzipStream(new TrickleStream(gz, lengths))) {
            byte[] b = new byte[5000];
            while (true) {
                int n = in.read(b, 3, 1 + lengths.nextInt(4000));
                if (n < 0) {
                    return out.toByteArray();
                }
                assertThat(n).isPositive();
                out.write(b, 3, n);
            }
        }
    }

    /** A source that hands out a few bytes at a time and reports none available, as a decoding stream does. */
    static final class TrickleStream extends InputStream {
        private final ByteArrayInputStream in;
        private final Random lengths;

        TrickleStream(byte[] b, Random lengths) {
            this.in = new ByteArrayInputStream(b);
            this.lengths = lengths;
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, Math.min(len, 1 + lengths.nextInt(3000)));
        }

        @Override
        public int available() {
            return 0;
        }
    }

    static byte[] text(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            // half the time a letter (compressible), else any byte
            b[i] = (byte) (r.nextBoolean() ? 'a' + r.nextInt(6) : r.nextInt(256));
        }
        return b;
    }

    /** Any number of members with any header fields read back as their data run together, as gunzip gives it. */
    @Test
    void everyMemberIsReadAsGunzipReadsIt() {
        qt().withExamples(300)
                .forAll(
                        lists().of(integers().between(0, 40_000)).ofSizeBetween(1, 5),
                        integers().all())
                .checkAssert((sizes, seed) -> {
                    Random r = new Random(seed);
                    ByteArrayOutputStream file = new ByteArrayOutputStream();
                    ByteArrayOutputStream data = new ByteArrayOutputStream();
                    for (int size : sizes) {
                        byte[] d = text(r, size);
                        data.writeBytes(d);
                        file.writeBytes(member(d, r.nextInt(32) & ~1 | (r.nextBoolean() ? 1 : 0), "f" + size, true));
                    }
                    if (r.nextBoolean()) {
                        file.writeBytes(new byte[r.nextInt(600)]); // zero padding, which the tools ignore
                    }
                    try {
                        assertThat(readAll(file.toByteArray(), r)).isEqualTo(data.toByteArray());
                        try (GZIPInputStream jdk = new GZIPInputStream(new ByteArrayInputStream(file.toByteArray()))) {
                            assertThat(jdk.readAllBytes()).isEqualTo(data.toByteArray());
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void theFirstMembersStoredNameIsTheFilesName() throws IOException {
        byte[] gz = concat(member(new byte[3], FNAME, "report.xml", true), member(new byte[3], FNAME, "x.exe", true));
        try (GzipStream in = new GzipStream(new ByteArrayInputStream(gz))) {
            assertThat(in.storedName()).contains("report.xml");
            assertThat(in.members()).isEqualTo(1);
            assertThat(in.readAllBytes()).hasSize(6);
            assertThat(in.members()).isEqualTo(2);
        }
        try (GzipStream in = new GzipStream(new ByteArrayInputStream(member(new byte[0], 0, null, true)))) {
            assertThat(in.storedName()).isEmpty();
            assertThat(in.read()).isEqualTo(-1);
        }
        String longest = "n".repeat(GzipStream.MAX_NAME);
        try (GzipStream in = new GzipStream(new ByteArrayInputStream(member(new byte[1], FNAME, longest, true)))) {
            assertThat(in.storedName()).contains(longest);
        }
    }

    /**
     * What the JDK's reader stopped at silently, and Python extracts: a program in a second member whose header
     * checksum is wrong passed the attachment policy (noticed in session 30, closed in 31).
     */
    @Test
    void whatGzipToolsReadDifferentlyIsRefused() throws IOException {
        byte[] first = member("readme".getBytes(StandardCharsets.US_ASCII), 0, null, true);
        byte[] hidden = member("MZ program".getBytes(StandardCharsets.US_ASCII), FHCRC, null, false);
        byte[] badSecond = concat(first, hidden);
        try (GZIPInputStream jdk = new GZIPInputStream(new ByteArrayInputStream(badSecond))) {
            assertThat(jdk.readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("readme"); // stops silently
        }
        assertRefused(badSecond, "header checksum");
        assertThatThrownBy(() -> new GzipStream(new ByteArrayInputStream(hidden)))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("header checksum");
        // bytes that start no member end the data, as for gunzip (a warning), 7-Zip and libarchive: Mimecast's DMARC
        // reports end in a line break; a member behind such bytes is extracted by none of them
        for (byte[] after : List.of(
                "\r\n".getBytes(StandardCharsets.US_ASCII),
                concat("garbage".getBytes(StandardCharsets.US_ASCII), hidden),
                new byte[] {0x1f},
                new byte[] {0x1f, 0x00, 0x1f, (byte) 0x8b},
                concat(new byte[10_000], "\r\n".getBytes(StandardCharsets.US_ASCII)),
                new byte[10_000])) {
            assertThat(readAll(concat(first, after), new Random(1)))
                    .asString(StandardCharsets.US_ASCII)
                    .isEqualTo("readme");
        }
        // zero padding and then a member: Python reads past the zeros and extracts it (review, session 31), so it is
        // read here too
        try (GzipStream in = new GzipStream(new ByteArrayInputStream(concat(first, new byte[700], hidden.clone())))) {
            assertThatThrownBy(in::readAllBytes)
                    .isInstanceOf(ZipException.class)
                    .hasMessageContaining("checksum");
        }
        byte[] good = member("MZ program".getBytes(StandardCharsets.US_ASCII), 0, null, true);
        assertThat(readAll(concat(first, new byte[700], good), new Random(2)))
                .asString(StandardCharsets.US_ASCII)
                .isEqualTo("readmeMZ program");
        // a source handing out the magic's first byte alone, then the second
        InputStream split = new java.io.SequenceInputStream(
                new ByteArrayInputStream(concat(first, new byte[] {0x1f})),
                new ByteArrayInputStream(Arrays.copyOfRange(first, 1, first.length)));
        try (GzipStream in = new GzipStream(split)) {
            assertThat(in.readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("readmereadme");
            assertThat(in.members()).isEqualTo(2);
        }
        // a second header cut short, a reserved flag, a method other than deflate
        assertRefused(concat(first, Arrays.copyOf(first, 7)), "cut short");
        byte[] reserved = member(new byte[1], 0, null, true);
        reserved[3] = (byte) 0x20;
        assertRefused(concat(first, reserved), "reserved header flags");
        byte[] stored = member(new byte[1], 0, null, true);
        stored[2] = 7;
        assertRefused(concat(first, stored), "not deflate");
        // data failing its CRC-32, a size differing from the trailer, a trailer cut short
        byte[] crc = first.clone();
        crc[crc.length - 8] ^= 1;
        assertRefused(crc, "CRC-32");
        byte[] size = first.clone();
        size[size.length - 1] = 1;
        assertRefused(size, "size");
        assertRefused(Arrays.copyOf(first, first.length - 3), "trailer");
        // a name longer than the limit, and things that are no gzip file at all
        assertThatThrownBy(() -> new GzipStream(new ByteArrayInputStream(
                        member(new byte[1], FNAME, "n".repeat(GzipStream.MAX_NAME + 1), true))))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("longer than");
        for (byte[] none : List.of(new byte[0], new byte[] {0x1f}, new byte[] {0x1f, (byte) 0x8b}, "PK".getBytes())) {
            assertThatThrownBy(() -> new GzipStream(new ByteArrayInputStream(none)))
                    .isInstanceOf(ZipException.class);
        }
    }

    private static void assertRefused(byte[] gz, String why) {
        assertThatThrownBy(() -> readAll(gz, new Random(7)))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining(why);
    }

    /**
     * Cut anywhere but where a member ends (or one byte after it), a file is refused; edited anywhere, it is read as
     * written or refused (or, with the second member's magic edited, read as the first member alone).
     */
    @Test
    void anyCutIsRefusedAndAnyEditReadOrRefused() throws IOException {
        Random r = new Random(3);
        byte[] dataA = text(r, 9000);
        byte[] dataB = text(r, 300);
        byte[] a = member(dataA, FNAME | FHCRC, "a.tar", true);
        byte[] b = member(dataB, FCOMMENT | FEXTRA, null, true);
        byte[] gz = concat(a, b);
        byte[] data = concat(dataA, dataB);
        byte[] magic = gz.clone();
        magic[a.length] ^= 1; // found by a verify run: the second member is then bytes that start none
        assertThat(readAll(magic, new Random(1))).isEqualTo(dataA);
        qt().withExamples(1500)
                .forAll(
                        integers().between(1, gz.length - 1),
                        lists().of(integers().all()).ofSizeBetween(0, 4))
                .checkAssert((cut, edits) -> {
                    if (cut != a.length && cut != a.length + 1) { // the end, or a byte that starts no member
                        assertThatThrownBy(() -> readAll(Arrays.copyOf(gz, cut), new Random(cut)))
                                .isInstanceOf(ZipException.class);
                    }
                    byte[] edited = gz.clone();
                    boolean secondMagic = false;
                    for (int e : edits) {
                        int at = Math.floorMod(e, edited.length);
                        edited[at] ^= (byte) (1 + (e >>> 24 & 0x7f));
                        secondMagic |= at == a.length || at == a.length + 1;
                    }
                    try {
                        // read only when every member's CRC-32 and size held: what was written (an edit of a
                        // header's time or of a name), or a collision of CRC-32; with the second member's magic
                        // edited, that member is bytes that start none, ignored as gunzip ignores them
                        byte[] read = readAll(edited, new Random(cut));
                        if (secondMagic && read.length == dataA.length) {
                            assertThat(read).isEqualTo(dataA);
                        } else {
                            assertThat(read).isEqualTo(data);
                        }
                    } catch (ZipException expected) {
                        // refused
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void closingEndsReading() throws IOException {
        List<Boolean> closed = new ArrayList<>();
        GzipStream in = new GzipStream(new ByteArrayInputStream(member(new byte[10], 0, null, true)) {
            @Override
            public void close() {
                closed.add(true);
            }
        });
        in.close();
        in.close();
        assertThat(closed).containsExactly(true);
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }
}
