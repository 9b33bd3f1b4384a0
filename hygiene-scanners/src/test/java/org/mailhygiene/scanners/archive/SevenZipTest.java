package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mailhygiene.scanners.CompressionTools.ascii;
import static org.mailhygiene.scanners.CompressionTools.entries;
import static org.mailhygiene.scanners.CompressionTools.sevenZip;
import static org.mailhygiene.scanners.CompressionTools.sevenZipAdding;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/**
 * {@link SevenZip}: archives the real {@code 7z} tool writes with each coder it reads are read back byte for byte;
 * coders it does not read, encryption, and broken or hostile headers are refused as such, never read as empty.
 */
class SevenZipTest {
    private static final byte[] TEXT = ascii("hello world, ".repeat(3000));

    /** Some x86-looking code: E8 calls, which the BCJ filter rewrites. */
    private static byte[] code() {
        byte[] b = new byte[20_000];
        new Random(7).nextBytes(b);
        for (int i = 0; i < b.length - 5; i += 37) {
            b[i] = (byte) 0xe8;
        }
        b[0] = 'M';
        b[1] = 'Z';
        return b;
    }

    private static Map<String, byte[]> read(byte[] archive) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (SevenZip z =
                SevenZip.open(Positioned.of(archive), 1000, new Compressed.Allowance(2 * Compressed.MAX_MEMORY))) {
            z.read((e, data) -> {
                out.put(e.name() + (e.directory() ? "/" : ""), data.readAllBytes());
                return true;
            });
        }
        return out;
    }

    @Test
    void everyCoderReadIsReadBackAsWritten() throws IOException {
        byte[] exe = code();
        Map<String, byte[]> files = entries("a.txt", TEXT, "b.exe", exe, "c.txt", ascii("third"));
        for (List<String> options : List.<List<String>>of(
                List.of(),
                List.of("-m0=LZMA"),
                List.of("-m0=Copy"),
                List.of("-m0=Deflate"),
                List.of("-m0=BZip2"),
                List.of("-m0=BCJ", "-m1=LZMA"),
                List.of("-m0=BCJ", "-m1=LZMA2"),
                List.of("-m0=ARM64", "-m1=LZMA2"),
                List.of("-m0=ARM", "-m1=LZMA2"),
                List.of("-m0=SPARC", "-m1=LZMA"),
                List.of("-m0=Delta:4", "-m1=LZMA2"),
                List.of("-ms=off"),
                List.of("-mx9"))) {
            byte[] archive = sevenZip(files, options.toArray(String[]::new));
            assertThat(SevenZip.starts(archive, archive.length)).isTrue();
            Map<String, byte[]> back = read(archive);
            assertThat(back.keySet()).as("%s", options).containsExactly("a.txt", "b.exe", "c.txt");
            for (String name : files.keySet()) {
                assertThat(back.get(name)).as("%s %s", options, name).isEqualTo(files.get(name));
            }
        }
    }

    @Test
    void solidFoldersEmptyFilesDirectoriesAndNonAsciiNames() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            files.put("dir/f" + i + ".txt", ascii("file " + i + " ".repeat(i)));
        }
        files.put("empty.txt", new byte[0]);
        files.put("leer/", new byte[0]);
        files.put("Rechnung-\u00fcber-\u65e5\u672c.txt", "gr\u00fc\u00dfe".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> back = read(sevenZip(files, "-ms=on"));
        assertThat(back).containsKey("leer/");
        assertThat(back.get("empty.txt")).isEmpty();
        assertThat(back.get("Rechnung-\u00fcber-\u65e5\u672c.txt"))
                .isEqualTo("gr\u00fc\u00dfe".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 50; i++) {
            assertThat(back.get("dir/f" + i + ".txt")).isEqualTo(files.get("dir/f" + i + ".txt"));
        }
    }

    /**
     * An archive of empty files and directories only, its header packed (7-Zip's default): the packed header's own
     * stream was taken for a file's, and the archive read as broken ("0 files with data in 1 streams").
     */
    @Test
    void onlyEmptyFilesBehindAPackedHeader() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 300; i++) {
            files.put("d/f" + i + ".txt", new byte[0]);
        }
        files.put("leer/", new byte[0]);
        Map<String, byte[]> back = read(sevenZip(files));
        assertThat(back).hasSize(301).containsKey("leer/");
        assertThat(back.get("d/f299.txt")).isEmpty();
    }

    @Test
    void codersNotReadAreUnreadableAndAesIsEncrypted() throws IOException {
        Map<String, byte[]> files = entries("a.exe", code());
        for (String[] options : List.of(
                new String[] {"-m0=PPMd"}, new String[] {"-m0=BCJ2", "-m1=LZMA"}, new String[] {"-m0=Deflate64"})) {
            byte[] archive = sevenZip(files, options);
            assertThatThrownBy(() -> read(archive))
                    .as(Arrays.toString(options))
                    .isInstanceOf(Compressed.Unreadable.class)
                    .isNotInstanceOf(SevenZip.Encrypted.class)
                    .hasMessageContaining("is not read here");
        }
        // an encrypted folder is not decoded (it threw Encrypted): its files come flagged, without data, and the
        // other folders' files are read; what it declares is left out of the unpacked bytes
        byte[] locked = sevenZip(files, "-psecret");
        byte[] mixed = sevenZipAdding(locked, entries("b.txt", TEXT));
        try (SevenZip z = SevenZip.open(Positioned.of(mixed), 10, new Compressed.Allowance(Compressed.MAX_MEMORY))) {
            assertThat(z.entries()).extracting(SevenZip.Entry::name).containsExactlyInAnyOrder("a.exe", "b.txt");
            assertThat(z.entries())
                    .filteredOn(SevenZip.Entry::encrypted)
                    .extracting(SevenZip.Entry::name)
                    .containsExactly("a.exe");
            assertThat(z.unpackedBytes()).isEqualTo(TEXT.length);
            Map<String, byte[]> read = new LinkedHashMap<>();
            z.read((e, d) -> {
                read.put(e.name(), d.readAllBytes());
                return true;
            });
            assertThat(read.get("a.exe")).isEmpty();
            assertThat(read.get("b.txt")).isEqualTo(TEXT);
        }
        byte[] hidden = sevenZip(files, "-psecret", "-mhe=on");
        assertThatThrownBy(
                        () -> SevenZip.open(Positioned.of(hidden), 10, new Compressed.Allowance(Compressed.MAX_MEMORY)))
                .isInstanceOf(SevenZip.Encrypted.class);
    }

    @Test
    void cutAndCorruptArchivesAreBroken() throws IOException {
        byte[] archive = sevenZip(entries("a.txt", TEXT, "b.txt", ascii("bee")));
        for (int cut : new int[] {0, 5, 31, 32, 40, archive.length / 2, archive.length - 1}) {
            assertThatThrownBy(() -> read(Arrays.copyOf(archive, cut)))
                    .as("cut at %d", cut)
                    .isInstanceOf(ZipException.class);
        }
        // a flipped byte anywhere fails a CRC or breaks the structure, or is one the decoders do not use: it never
        // reads as other content (the minor version, byte 7, is not checked, as 7-Zip does not)
        Map<String, byte[]> original = read(archive);
        List<Integer> readAnyway = new java.util.ArrayList<>();
        for (int at = 0; at < archive.length; at++) {
            byte[] bad = archive.clone();
            bad[at] ^= 0x40;
            try {
                Map<String, byte[]> back = read(bad);
                if (at == 7
                        || back.keySet().equals(original.keySet())
                                && back.keySet().stream().allMatch(k -> Arrays.equals(back.get(k), original.get(k)))) {
                    continue;
                }
                readAnyway.add(at);
            } catch (IOException expected) {
                // broken, as it should be
            }
        }
        assertThat(readAnyway)
                .as("bytes flipped read as other content, of %d", archive.length)
                .isEmpty();
        // the same with the data stored: a flipped data byte fails the file's CRC
        byte[] stored = sevenZip(entries("a.txt", TEXT), "-m0=Copy", "-mhc=off");
        byte[] bad = stored.clone();
        bad[32 + 100] ^= 1;
        assertThatThrownBy(() -> read(bad)).isInstanceOf(ZipException.class).hasMessageContaining("fails its CRC");
    }

    /** A signature header pointing at {@code header}, which follows it directly. */
    static byte[] handMade(byte[] header) {
        return handMade(new byte[0], header);
    }

    /** A signature header, then {@code packed}, then {@code header}, which the signature header points at. */
    static byte[] handMade(byte[] packed, byte[] header) {
        byte[] b = new byte[32 + packed.length + header.length];
        System.arraycopy(new byte[] {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c, 0, 4}, 0, b, 0, 8);
        putLong(b, 12, packed.length);
        putLong(b, 20, header.length);
        putInt(b, 28, crc(header, 0, header.length));
        System.arraycopy(packed, 0, b, 32, packed.length);
        System.arraycopy(header, 0, b, 32 + packed.length, header.length);
        putInt(b, 8, crc(b, 12, 20));
        return b;
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void hostileHeadersAreRefusedBeforeAllocating() throws IOException {
        // 2^56 pack streams, 2^56 folders, 2^62 files, a header 1 TB long, a coder chain bound to itself
        List<byte[]> headers = List.of(
                bytes(0x01, 0x04, 0x06, 0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, 1),
                bytes(0x01, 0x04, 0x07, 0x0b, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0),
                bytes(0x01, 0x05, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x40, 0),
                bytes(
                        0x01, 0x04, 0x06, 0x00, 0x01, 0x09, 0x10, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x21, 0x01, 0x00,
                        0x0c, 0x10, 0x00, 0x00, 0x00));
        for (byte[] h : headers) {
            assertThatThrownBy(() -> read(handMade(h))).isInstanceOf(IOException.class);
        }
        byte[] longHeader = handMade(bytes(0x01, 0x00));
        putLong(longHeader, 20, 1L << 40);
        putInt(longHeader, 8, crc(longHeader, 12, 20));
        assertThatThrownBy(() -> read(longHeader))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("cut short");
        // an empty archive, and a header of no files, are empty
        assertThat(read(handMade(bytes(0x01, 0x00)))).isEmpty();
    }

    /**
     * A size of 2^63 or more (a NUMBER of eight bytes after ff) is refused: as a negative unpack size it read the
     * stored file "a" as empty, its five bytes ("hello") and its CRC never read (the scanners happened to fail such an
     * archive on their budgets, TOO_LARGE and ARCHIVE_LIMIT, not on its damage).
     */
    @Test
    void sizesOf2To63AndMoreAreBroken() throws IOException {
        byte[] stored = ascii("hello");
        byte[] beforeSize =
                bytes(0x01, 0x04, 0x06, 0x00, 0x01, 0x09, 0x05, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c);
        byte[] afterSize = bytes(0x00, 0x00, 0x05, 0x01, 0x11, 0x05, 0x00, 'a', 0x00, 0x00, 0x00, 0x00, 0x00);
        java.io.ByteArrayOutputStream h = new java.io.ByteArrayOutputStream();
        h.writeBytes(beforeSize);
        h.write(0x05); // five bytes: read as they are
        h.writeBytes(afterSize);
        assertThat(read(handMade(stored, h.toByteArray())).get("a")).isEqualTo(stored);
        h.reset();
        h.writeBytes(beforeSize);
        h.writeBytes(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)); // 2^64 - 1: -1 as a long
        h.writeBytes(afterSize);
        byte[] negative = handMade(stored, h.toByteArray());
        assertThatThrownBy(() -> read(negative))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("18446744073709551615 is beyond 2^63");
    }

    @Test
    void moreFilesThanAllowedIsALimitNotBroken() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            files.put("f" + i, ascii("x" + i));
        }
        byte[] archive = sevenZip(files);
        assertThatThrownBy(() ->
                        SevenZip.open(Positioned.of(archive), 10, new Compressed.Allowance(Compressed.MAX_MEMORY)))
                .isInstanceOf(Compressed.Unreadable.class)
                .hasMessageContaining("more than 10 files");
    }
}
