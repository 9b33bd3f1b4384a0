package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mailhygiene.scanners.CompressionTools.ascii;
import static org.mailhygiene.scanners.CompressionTools.bzip2;
import static org.mailhygiene.scanners.CompressionTools.entries;
import static org.mailhygiene.scanners.CompressionTools.lzma;
import static org.mailhygiene.scanners.CompressionTools.pythonZip;
import static org.mailhygiene.scanners.CompressionTools.xz;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/**
 * {@link Compressed} and {@link ArchiveKind}: bzip2, xz and LZMA-alone files and zip entries of methods 12 and 14, as
 * the real tools write them, are told by their first bytes and read back; a header asking for a dictionary beyond the
 * memory allowed is refused before anything is allocated.
 */
class CompressedTest {
    private static final byte[] TEXT = ascii("hello world, ".repeat(300));

    private static ArchiveKind kind(byte[] b) {
        byte[] prefix = Arrays.copyOf(b, Math.min(b.length, ArchiveKind.PREFIX));
        return ArchiveKind.of(prefix, prefix.length);
    }

    private static byte[] open(byte[] file, Compressed.Allowance memory) throws IOException {
        try (InputStream in = Compressed.open(kind(file), new ByteArrayInputStream(file), memory)) {
            return in.readAllBytes();
        }
    }

    @Test
    void bzip2XzAndLzmaFilesAreToldAndRead() throws IOException {
        Compressed.Allowance memory = new Compressed.Allowance(Compressed.MAX_MEMORY);
        byte[] empty = new byte[0];
        for (byte[] content : List.of(TEXT, empty)) {
            assertThat(kind(bzip2(content))).isEqualTo(ArchiveKind.BZIP2);
            assertThat(kind(xz(content))).isEqualTo(ArchiveKind.XZ);
            assertThat(kind(lzma(content))).isEqualTo(ArchiveKind.LZMA);
            assertThat(open(bzip2(content), memory)).isEqualTo(content);
            assertThat(open(xz(content, "-9"), memory)).isEqualTo(content);
            assertThat(open(lzma(content), memory)).isEqualTo(content);
        }
        assertThat(memory.left()).as("given back when closed").isEqualTo(Compressed.MAX_MEMORY);
        // text that starts with the letters of a header is none of them
        assertThat(kind(ascii("BZh9 is what bzip2 files start with"))).isNull();
        assertThat(kind(ascii("]]]]]]]]]]]]]]]]]]]]"))).isNull();
    }

    @Test
    void aDictionaryBeyondTheMemoryAllowedIsRefused() throws IOException {
        // an LZMA-alone header asking for a 4 GiB dictionary
        byte[] lz = lzma(TEXT);
        Arrays.fill(lz, 1, 5, (byte) 0xff);
        assertThat(kind(lz)).isEqualTo(ArchiveKind.LZMA);
        Compressed.Allowance memory = new Compressed.Allowance(2 * Compressed.MAX_MEMORY);
        assertThatThrownBy(() -> open(lz, memory))
                .isInstanceOf(Compressed.MemoryLimit.class)
                .hasMessage("its LZMA dictionary needs 4096 MiB of memory, more than the 65 MiB allowed");
        assertThat(memory.left()).isEqualTo(2 * Compressed.MAX_MEMORY);

        // an xz block header asking for 1 GiB (dictionary byte 36), its CRC made good again
        byte[] x = xz(TEXT, "-0");
        int size = ((x[12] & 0xff) + 1) * 4;
        int dictAt = indexOf(x, new byte[] {0x21, 0x01}, 12) + 2;
        x[dictAt] = 36;
        CRC32 crc = new CRC32();
        crc.update(x, 12, size - 4);
        int c = (int) crc.getValue();
        for (int i = 0; i < 4; i++) {
            x[12 + size - 4 + i] = (byte) (c >>> (8 * i));
        }
        assertThatThrownBy(() -> open(x, memory))
                .isInstanceOf(Compressed.MemoryLimit.class)
                .hasMessageContaining("more than the 65 MiB allowed");
        // 2 GiB and more (bytes 38 to 40), which XZ for Java does not support: unreadable, not broken
        x[dictAt] = 40;
        crc.reset();
        crc.update(x, 12, size - 4);
        c = (int) crc.getValue();
        for (int i = 0; i < 4; i++) {
            x[12 + size - 4 + i] = (byte) (c >>> (8 * i));
        }
        assertThatThrownBy(() -> open(x, memory))
                .isInstanceOf(Compressed.Unreadable.class)
                .hasMessageContaining("XZ for Java does not read");

        // two decoders of the largest at once use the allowance: a third is refused (an xz file's at its first block)
        Compressed.Allowance two = new Compressed.Allowance(2 * Compressed.MAX_MEMORY);
        byte[] small = xz(TEXT, "-0");
        List<InputStream> open = new ArrayList<>();
        open.add(Compressed.open(ArchiveKind.XZ, new ByteArrayInputStream(small), two));
        open.add(Compressed.open(ArchiveKind.XZ, new ByteArrayInputStream(small), two));
        assertThatThrownBy(() -> Compressed.open(ArchiveKind.XZ, new ByteArrayInputStream(small), two)
                        .read())
                .isInstanceOf(Compressed.MemoryLimit.class)
                .hasMessageEndingWith("more than the 0 MiB allowed (what is left while other LZMA decoders of the same"
                        + " archives are open; 65 MiB for one alone)");
        for (InputStream in : open) {
            in.close();
        }
        assertThat(two.left()).isEqualTo(2 * Compressed.MAX_MEMORY);
    }

    /**
     * An LZMA decoder takes what its dictionary needs, not 65 MiB whatever it is: three nested small-dictionary
     * archives were refused (the third decoder found "0 MiB" left), while two of the largest still leave no room for a
     * third of them.
     */
    @Test
    void lzmaDecodersTakeWhatTheirDictionaryNeeds() throws IOException {
        Compressed.Allowance memory = new Compressed.Allowance(2 * Compressed.MAX_MEMORY);
        byte[] small = xz(TEXT, "--format=lzma", "-0"); // a 256 KiB dictionary
        List<InputStream> open = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            open.add(Compressed.open(ArchiveKind.LZMA, new ByteArrayInputStream(small), memory));
        }
        assertThat(memory.left()).isGreaterThan(2 * Compressed.MAX_MEMORY - 5 * (1L << 20));
        for (InputStream in : open) {
            assertThat(in.readAllBytes()).isEqualTo(TEXT);
            in.close();
        }
        assertThat(memory.left()).isEqualTo(2 * Compressed.MAX_MEMORY);
        byte[] large = xz(TEXT, "--format=lzma", "-9"); // 64 MiB
        open.clear();
        open.add(Compressed.open(ArchiveKind.LZMA, new ByteArrayInputStream(large), memory));
        open.add(Compressed.open(ArchiveKind.LZMA, new ByteArrayInputStream(large), memory));
        assertThatThrownBy(() -> Compressed.open(ArchiveKind.LZMA, new ByteArrayInputStream(large), memory))
                .isInstanceOf(Compressed.MemoryLimit.class)
                .hasMessageStartingWith("its LZMA dictionary needs 65 MiB of memory, more than the 1 MiB allowed");
        for (InputStream in : open) {
            in.close();
        }
        assertThat(memory.left()).isEqualTo(2 * Compressed.MAX_MEMORY);
    }

    @Test
    void zipEntriesOfBzip2AndLzmaAreReadWithTheirSizesInTheirHeadersOrAfterTheirData() throws IOException {
        byte[] random = new byte[70_000];
        new Random(5).nextBytes(random);
        for (int method : new int[] {12, 14}) {
            for (boolean toStream : new boolean[] {false, true}) {
                byte[] zip = pythonZip(
                        method,
                        toStream,
                        entries("a.txt", TEXT, "empty", new byte[0], "b.bin", random, "c.txt", ascii("last")));
                List<String> names = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                try (ZipStream z = new ZipStream(new ByteArrayInputStream(zip))) {
                    for (ZipStream.Entry e = z.next(); e != null; e = z.next()) {
                        names.add(e.name());
                        data.add(e.data().readAllBytes());
                    }
                }
                String what = "method " + method + (toStream ? " with data descriptors" : "");
                assertThat(names).as(what).containsExactly("a.txt", "empty", "b.bin", "c.txt");
                assertThat(data.get(0)).as(what).isEqualTo(TEXT);
                assertThat(data.get(1)).as(what).isEmpty();
                assertThat(data.get(2)).as(what).isEqualTo(random);
                assertThat(data.get(3)).as(what).isEqualTo(ascii("last"));
            }
        }
    }

    @Test
    void aDamagedOrOversizedZipEntryIsAnException() throws IOException {
        byte[] zip = pythonZip(12, false, entries("a.txt", TEXT));
        byte[] bad = zip.clone();
        bad[30 + 5 + 10] ^= 1; // the entry's first block CRC (after the header, its name and BZh9 and the magic)
        assertThatThrownBy(() -> readAll(bad)).isInstanceOf(ZipException.class).hasMessageContaining("CRC");

        byte[] lz = pythonZip(14, false, entries("a.txt", TEXT));
        byte[] huge = lz.clone();
        // zip's LZMA header after the local header and the name: version (2), size (2), properties (5)
        int props = 30 + 5;
        huge[props + 5] = 0;
        huge[props + 6] = 0;
        huge[props + 7] = 0;
        huge[props + 8] = (byte) 0x80; // a 2 GiB dictionary
        assertThatThrownBy(() -> readAll(huge))
                .isInstanceOf(Compressed.MemoryLimit.class)
                .hasMessage("its LZMA dictionary needs 2048 MiB of memory, more than the 65 MiB allowed");
    }

    private static void readAll(byte[] zip) throws IOException {
        try (ZipStream z = new ZipStream(new ByteArrayInputStream(zip))) {
            for (ZipStream.Entry e = z.next(); e != null; e = z.next()) {
                e.data().readAllBytes();
            }
        }
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        for (int i = from; i + what.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + what.length, what, 0, what.length)) {
                return i;
            }
        }
        return -1;
    }
}
