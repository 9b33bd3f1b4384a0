package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * {@link Rar}: stored RAR4 and RAR5 archives written byte by byte ({@link RarWriter}) are listed as {@code 7z l -slt}
 * and {@code lsar -j} list them and read back byte for byte; archives written by WinRAR (libarchive's fixtures:
 * compressed entries, Unicode names, encrypted headers and files) are listed; broken and hostile headers are refused as
 * such.
 */
class RarTest {
    private static final byte[] HELLO = "hello, world\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static RarWriter sample() {
        RarWriter w = new RarWriter();
        w.file("invoice.exe", "MZ a program".getBytes(StandardCharsets.US_ASCII));
        w.directory("docs");
        w.file("docs/readme.txt", HELLO);
        w.file("docs/\u8868\u3060\u3088 r\u00e9sum\u00e9.txt", HELLO);
        w.file("empty.txt", new byte[0]);
        w.file("packed.doc", new byte[] {1, 2, 3, 4, 5, 6, 7}).method(3).declaredSize(40);
        w.file("locked.exe", new byte[16]).encrypted();
        return w;
    }

    private static Map<String, byte[]> readAll(Rar r) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Rar.Entry e : r.entries()) {
            if (e.readable()) {
                try (InputStream in = r.data(e)) {
                    out.put(e.name(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    /** One line a file: what both the tools and our reader say of it. */
    private static String line(String name, boolean folder, long size, long packed, boolean encrypted) {
        return name + " folder=" + folder + " size=" + size + " packed=" + packed + " encrypted=" + encrypted;
    }

    private static List<String> ours(Rar r) {
        List<String> out = new ArrayList<>();
        for (Rar.Entry e : r.entries()) {
            out.add(line(e.name(), e.directory(), e.size(), e.packedSize(), e.encrypted()));
        }
        return out;
    }

    private String run(byte[] archive, String program, String pkg, String... args) throws Exception {
        Path own = Files.createDirectory(dir.resolve("d" + System.nanoTime())); // lsar takes a*.rar for volumes
        Path f = own.resolve("a.rar");
        Files.write(f, archive);
        List<String> cmd = new ArrayList<>();
        cmd.add(RealBinaries.require(program, pkg).toString());
        cmd.addAll(List.of(args));
        cmd.add(f.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** What {@code 7z l -slt} lists, in our lines (7-Zip gives a folder's path without its slash, in / form). */
    private List<String> sevenZipLists(byte[] archive) throws Exception {
        String out = run(archive, "7z", "p7zip-full", "l", "-slt", "-sccUTF-8");
        List<String> lines = new ArrayList<>();
        String[] blocks = out.substring(out.indexOf("----------")).split("\n\n");
        for (String b : blocks) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String l : b.split("\n")) {
                int eq = l.indexOf(" = ");
                if (eq > 0) {
                    f.put(l.substring(0, eq), l.substring(eq + 3));
                }
            }
            if (f.containsKey("Path")) {
                lines.add(line(
                        f.get("Path"),
                        f.get("Folder").equals("+"),
                        Long.parseLong(f.get("Size")),
                        Long.parseLong(f.get("Packed Size")),
                        f.get("Encrypted").equals("+")));
            }
        }
        return lines;
    }

    @Test
    void storedArchivesAreListedAsSevenZipListsThemAndReadBack() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            byte[] archive = five ? sample().rar5() : sample().rar4();
            Rar r = Rar.open(Positioned.of(archive), 100);
            assertThat(r.format()).isEqualTo(five ? 5 : 4);
            assertThat(ours(r)).as("RAR" + (five ? 5 : 4)).isEqualTo(sevenZipLists(archive));
            assertThat(r.entries()).extracting(Rar.Entry::method).containsExactly(0, 0, 0, 0, 0, 3, 0);
            Map<String, byte[]> data = readAll(r);
            assertThat(data.keySet())
                    .containsExactly(
                            "invoice.exe",
                            "docs/readme.txt",
                            "docs/\u8868\u3060\u3088 r\u00e9sum\u00e9.txt",
                            "empty.txt");
            assertThat(data.get("docs/readme.txt")).isEqualTo(HELLO);
            assertThat(r.entries().get(5).whyUnread()).isEqualTo("compressed (RAR" + (five ? 5 : 4) + " method 3)");
            assertThat(r.entries().get(6).whyUnread()).isEqualTo("encrypted");
        }
    }

    @Test
    void storedArchivesAreListedAsLsarListsThem() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            byte[] archive = five ? sample().rar5() : sample().rar4();
            String json = run(archive, "lsar", "unar", "-j");
            List<String> names = new ArrayList<>();
            var m = java.util.regex.Pattern.compile("\"XADFileName\": \"((?:[^\"\\\\]|\\\\.)*)\"")
                    .matcher(json);
            while (m.find()) {
                names.add(m.group(1).replace("\\/", "/"));
            }
            List<String> expected = new ArrayList<>();
            for (Rar.Entry e : Rar.open(Positioned.of(archive), 100).entries()) {
                expected.add(e.name());
            }
            assertThat(names).as("RAR" + (five ? 5 : 4)).isEqualTo(expected);
            assertThat(json).contains("\"XADIsEncrypted\": 1");
            // lsar tests the stored files' CRCs (-t): the writer's CRCs are the ones the reader checks
            RarWriter one = new RarWriter();
            one.file("a.txt", HELLO);
            String tested = run(five ? one.rar5() : one.rar4(), "lsar", "unar", "-t");
            assertThat(tested).contains("a.txt").contains("OK");
        }
    }

    /**
     * A RAR5 file's NTFS alternate streams ({@code rar -os}, service headers named {@code STM}) hold data WinRAR writes
     * beside the file (7-Zip writes {@code readme.txt:run.exe}); until session 54 they were passed over as comments
     * are, a program or EICAR in one neither inspected nor searched. They are entries named as 7-Zip lists them.
     */
    @Test
    void ntfsStreamsAreEntriesNamedAsSevenZipListsThem() throws Exception {
        RarWriter w = new RarWriter();
        w.file("readme.txt", HELLO);
        w.stream(":run.exe", "MZ a program".getBytes(StandardCharsets.US_ASCII));
        w.stream(":..\\..\\Startup\\evil.lnk", HELLO);
        byte[] archive = w.rar5();
        Rar r = Rar.open(Positioned.of(archive), 10);
        List<String> names = r.entries().stream().map(Rar.Entry::name).toList();
        assertThat(names).containsExactly("readme.txt", "readme.txt:run.exe", "readme.txt:..\\..\\Startup\\evil.lnk");
        List<String> listed = new ArrayList<>();
        for (String l : run(archive, "7z", "p7zip-full", "l", "-slt", "-sns", "-sccUTF-8")
                .split("\n")) {
            if (l.startsWith("Path = ") && !l.endsWith("a.rar")) {
                listed.add(l.substring("Path = ".length()));
            }
        }
        assertThat(names).isEqualTo(listed);
        assertThat(readAll(r).get("readme.txt:run.exe"))
                .asString(StandardCharsets.US_ASCII)
                .isEqualTo("MZ a program");
    }

    @Test
    void aStoredFileFailingItsCrcIsBroken() throws IOException {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter();
            w.file("a.txt", HELLO).crc(12345);
            byte[] archive = five ? w.rar5() : w.rar4();
            Rar r = Rar.open(Positioned.of(archive), 10);
            assertThatThrownBy(() -> readAll(r))
                    .isInstanceOf(ZipException.class)
                    .hasMessageContaining("fails its CRC");
        }
    }

    @Test
    void aHeaderFailingItsCrcOrCutShortIsBroken() throws IOException {
        for (boolean five : new boolean[] {false, true}) {
            byte[] archive = five ? sample().rar5() : sample().rar4();
            byte[] changed = archive.clone();
            int at = new String(changed, StandardCharsets.ISO_8859_1).indexOf("invoice");
            changed[at] = 'X';
            assertThatThrownBy(() -> Rar.open(Positioned.of(changed), 100))
                    .isInstanceOf(ZipException.class)
                    .hasMessageContaining("fails its CRC");
            byte[] cut = java.util.Arrays.copyOf(archive, archive.length - 12);
            assertThatThrownBy(() -> Rar.open(Positioned.of(cut), 100)).isInstanceOf(ZipException.class);
        }
    }

    @Test
    void aStoredFileDeclaringAnotherSizeThanItsDataIsBroken() {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter();
            w.file("a.txt", HELLO).declaredSize(HELLO.length + 100);
            byte[] archive = five ? w.rar5() : w.rar4();
            assertThatThrownBy(() -> Rar.open(Positioned.of(archive), 10))
                    .isInstanceOf(ZipException.class)
                    .hasMessageContaining("stored file \"a.txt\" of 13 bytes declaring 113");
        }
    }

    /**
     * An old-style block (here a recovery record, type 0x78) whose CRC covers its data after its header too, as
     * libarchive reads those blocks: it was taken for a block failing its CRC, the archive for broken.
     */
    @Test
    void anOldStyleBlockWhoseCrcCoversItsDataIsRead() throws IOException {
        RarWriter w = new RarWriter();
        w.file("a.txt", HELLO);
        byte[] base = w.rar4();
        int end = base.length - 7; // the end of archive block
        byte[] data = "recovery data, twenty".getBytes(StandardCharsets.US_ASCII);
        byte[] block = {0, 0, 0x78, 0, (byte) 0x80, 11, 0, (byte) data.length, 0, 0, 0};
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(block, 2, block.length - 2);
        crc.update(data);
        block[0] = (byte) crc.getValue();
        block[1] = (byte) (crc.getValue() >> 8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(base, 0, end);
        out.writeBytes(block);
        out.writeBytes(data);
        out.write(base, end, 7);
        Rar r = Rar.open(Positioned.of(out.toByteArray()), 10);
        assertThat(readAll(r).get("a.txt")).isEqualTo(HELLO);
        byte[] damaged = out.toByteArray();
        damaged[end + block.length + 3] ^= 1; // its data changed: the CRC fails either way
        assertThatThrownBy(() -> Rar.open(Positioned.of(damaged), 10))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("RAR block of type 0x78");
    }

    @Test
    void encryptedHeadersAreEncrypted() {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter().encryptedHeaders();
            w.file("secret.exe", HELLO);
            byte[] archive = five ? w.rar5() : w.rar4();
            assertThatThrownBy(() -> Rar.open(Positioned.of(archive), 100)).isInstanceOf(Rar.Encrypted.class);
        }
    }

    @Test
    void moreFilesThanAllowedIsALimitBeforeTheRest() {
        RarWriter w = new RarWriter();
        for (int i = 0; i < 50; i++) {
            w.file("f" + i + ".txt", HELLO);
        }
        for (byte[] archive : List.of(w.rar4(), w.rar5())) {
            assertThatThrownBy(() -> Rar.open(Positioned.of(archive), 20))
                    .isInstanceOf(Compressed.Unreadable.class)
                    .hasMessageContaining("more than 20 files");
        }
    }

    @Test
    void hostileSizesAreRefusedWithoutAllocating() throws IOException {
        // a RAR5 header claiming 2^40 bytes, and one claiming a name of a million bytes
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.writeBytes(new byte[] {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00});
        o.writeBytes(new byte[4]);
        RarWriter.vint(o, 1L << 40);
        o.writeBytes(new byte[20]);
        byte[] huge = o.toByteArray();
        assertThatThrownBy(() -> Rar.open(Positioned.of(huge), 100))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("at most " + Rar.MAX_HEADER);
        // a number of eleven bytes
        byte[] endless = huge.clone();
        for (int i = 12; i < endless.length; i++) {
            endless[i] = (byte) 0xff;
        }
        assertThatThrownBy(() -> Rar.open(Positioned.of(endless), 100)).isInstanceOf(ZipException.class);
    }

    /**
     * A RAR4 file header with 64-bit sizes (LHD_LARGE) whose high words make a size of 2^63 or more: the data size
     * read as negative moved the reading back to the same header, which was listed again until the entry limit, and
     * the broken archive was "more than 100 files" (ARCHIVE_LIMIT, not ARCHIVE_BROKEN).
     */
    @Test
    void aRar4SizeOf2To63OrMoreIsBroken() {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.writeBytes(new byte[] {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00});
        RarWriter.block4(o, 0x73, 0, new byte[6]);
        byte[] name = "a.exe".getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(33 + name.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long packed = -(7 + 33 + name.length); // back to this header's start
        h.putInt((int) packed)
                .putInt(1000)
                .put((byte) 2)
                .putInt(0)
                .putInt(0)
                .put((byte) 29)
                .put((byte) 0x33);
        h.putShort((short) name.length)
                .putInt(0x20)
                .putInt((int) (packed >>> 32))
                .putInt(0)
                .put(name);
        RarWriter.block4(o, 0x74, 0x8000 | 0x0100, h.array());
        RarWriter.block4(o, 0x7b, 0x4000, new byte[0]);
        byte[] archive = o.toByteArray();
        assertThatThrownBy(() -> Rar.open(Positioned.of(archive), 100))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("2^63");
    }

    /**
     * The headers of an archive of many small entries are read through a window of the file: 571,428 empty service
     * headers in 8 MB took 500 ms from a spool on disk (two reads of the file each), 48 ms so.
     */
    @Test
    void manyHeadersAreReadInFewReadsOfTheFile() throws IOException {
        RarWriter w = new RarWriter();
        for (int i = 0; i < 5000; i++) {
            w.directory("d" + i);
        }
        for (byte[] archive : List.of(w.rar4(), w.rar5())) {
            Positioned bytes = Positioned.of(archive);
            int[] reads = {0};
            Positioned counted = new Positioned() {
                @Override
                public long size() {
                    return bytes.size();
                }

                @Override
                public int read(long at, byte[] b, int off, int len) throws IOException {
                    reads[0]++;
                    return bytes.read(at, b, off, len);
                }
            };
            assertThat(Rar.open(counted, 10_000).entries()).hasSize(5000);
            assertThat(reads[0])
                    .as(archive.length + " bytes")
                    .isLessThanOrEqualTo(2 + 2 * (archive.length / 65536 + 1));
        }
    }

    @Test
    void aUnicodeNameIsDecodedLinearlyAndBounded() {
        // RAR4's Unicode form: runs copying the ASCII name (type 3) cannot go past it however many there are
        byte[] h = new byte[2 + 1 + 1 + 1 + 2000];
        h[0] = 'a';
        h[1] = 0;
        h[2] = 0; // high byte
        for (int i = 3; i < h.length; i += 3) {
            h[i] = (byte) 0xff; // four runs
            if (i + 1 < h.length) {
                h[i + 1] = 0x7f;
            }
        }
        String name = Rar.name4(h, 0, h.length, true);
        assertThat(name.length()).isLessThanOrEqualTo(1);
    }

    private static Rar fixture(String name) throws IOException {
        try (InputStream in = RarTest.class.getResourceAsStream("rar/" + name + ".rar")) {
            return Rar.open(Positioned.of(in.readAllBytes()), 100);
        }
    }

    @Test
    void winRarArchivesAreListed() throws IOException {
        Rar four = fixture("rar");
        assertThat(four.entries())
                .extracting(Rar.Entry::name)
                .containsExactly(
                        "test.txt", "testlink", "testdir\\test.txt", "testdir", "testemptydir"); // as WinRAR wrote them
        assertThat(four.entries()).extracting(Rar.Entry::directory).containsExactly(false, false, false, true, true);
        assertThat(new String(readAll(four).get("test.txt"), StandardCharsets.US_ASCII))
                .isEqualTo("test text document\r\n"); // stored by WinRAR, its CRC checked

        Rar unicode = fixture("rar_unicode");
        assertThat(unicode.entries())
                .extracting(Rar.Entry::name)
                .contains(
                        "abcdefghijklmnopqrs\u30c6\u30b9\u30c8.txt",
                        "\u8868\u3060\u3088\\\u6f22\u5b57\u9577\u3044\u30d5\u30a1\u30a4\u30eb\u540dlong-filename-in-"
                                + "\u6f22\u5b57.txt");

        Rar stored = fixture("rar5_stored");
        assertThat(stored.format()).isEqualTo(5);
        assertThat(stored.entries()).extracting(Rar.Entry::name).containsExactly("helloworld.txt");
        assertThat(new String(readAll(stored).get("helloworld.txt"), StandardCharsets.US_ASCII))
                .startsWith("hello libarchive test suite!");

        Rar compressed = fixture("rar5_compressed");
        assertThat(compressed.entries().get(0).readable()).isFalse();
        assertThat(compressed.entries().get(0).size()).isEqualTo(1200);

        Rar links = fixture("rar5_unicode"); // a file, then a hard link and a symbolic link to it
        assertThat(links.entries()).extracting(Rar.Entry::name).first().isEqualTo("\ud83d\udc4b\ud83c\udf0e.txt");
        assertThat(links.entries()).extracting(Rar.Entry::link).containsExactly(false, true, true);
        assertThat(links.entries().get(1).whyUnread()).isEqualTo("a link");
        assertThat(fixture("rar4_encrypted").entries())
                .extracting(Rar.Entry::encrypted)
                .containsExactly(false, true, false, true);

        // a header of a type not in the format description (16, flagged "skip if unknown"), as RAR's tools pass over
        assertThat(fixture("rar5_skip_block_extra_bytes").entries())
                .extracting(Rar.Entry::name)
                .containsExactly("helloworld.txt");
        assertThatThrownBy(() -> fixture("rar_encryption_header")).isInstanceOf(Rar.Encrypted.class);
        assertThatThrownBy(() -> fixture("rar5_encrypted_filenames")).isInstanceOf(Rar.Encrypted.class);
    }
}
