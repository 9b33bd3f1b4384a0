package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.eicar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.CompressionTools;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.archive.TnefSamples;
import org.mailhygiene.scanners.mime.MimeWalker;

/**
 * The built-in signature scanner opens zip, gzip and tar archives, as clamd does: until session 51 the EICAR test file
 * in a zip (EICAR's own {@code eicar_com.zip}, the usual test of a mail gateway) was clean for it, and only the
 * attachment policy's {@code EXECUTABLE_ATTACHMENT} for the {@code .com} stood between it and a mailbox.
 */
class SignatureScannerArchiveTest {
    private final SignatureScanner scanner = SignatureScanner.create();

    private static byte[] zip(String name, byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("readme.txt"));
            z.write(ascii("nothing here\r\n"));
            z.putNextEntry(new ZipEntry(name));
            z.write(content);
        }
        return out.toByteArray();
    }

    /** A zip of a stored entry (its sizes in its local header, no descriptor), then EICAR deflated in eicar.com. */
    private static byte[] storedThenEicar(String name, byte[] content) throws IOException {
        return storedThenEicar(name, content, 0);
    }

    /** The same, then {@code padding} zero bytes deflated in pad.bin when more than 0. */
    private static byte[] storedThenEicar(String name, byte[] content, int padding) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            ZipEntry first = new ZipEntry(name);
            first.setMethod(ZipEntry.STORED);
            first.setSize(content.length);
            first.setCrc(crc.getValue());
            zip.putNextEntry(first);
            zip.write(content);
            zip.putNextEntry(new ZipEntry("eicar.com"));
            zip.write(ascii(eicar()));
            if (padding > 0) {
                ZipEntry pad = new ZipEntry("pad.bin");
                pad.setMethod(ZipEntry.STORED);
                pad.setSize(padding);
                CRC32 zeros = new CRC32();
                zeros.update(new byte[padding]);
                pad.setCrc(zeros.getValue());
                zip.putNextEntry(pad);
                zip.write(new byte[padding]);
            }
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(content);
        }
        return out.toByteArray();
    }

    /** A ustar archive of one file. */
    private static byte[] tar(String name, byte[] content) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o\0", content.length));
        put(h, 136, "00000000000\0");
        h[156] = '0';
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        put(h, 148, "        ");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        int padded = (content.length + 511) / 512 * 512;
        byte[] tar = new byte[512 + padded + 1024];
        System.arraycopy(h, 0, tar, 0, 512);
        System.arraycopy(content, 0, tar, 512, content.length);
        return tar;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private Verdict scan(String name, byte[] attachment) throws Exception {
        return scanner.scan(Message.of(TestMessages.withAttachment("see attached", name, attachment)));
    }

    @Test
    void eicarInAZipIsInfectedAndTheFindingSaysWhere() throws Exception {
        Verdict v = scan("eicar_com.zip", zip("eicar.com", ascii(eicar())));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly(SignatureScanner.EICAR_THREAT);
        assertThat(v.rules().get(0).description())
                .isEqualTo("EICAR test file in MIME part '2' (application/octet-stream, eicar_com.zip) > eicar.com");
    }

    @Test
    void eicarInAZipInAZipAndInATarInAGzipIsInfected() throws Exception {
        Verdict twice = scan("eicarcom2.zip", zip("eicar_com.zip", zip("eicar.com", ascii(eicar()))));
        assertThat(twice.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(twice.rules().get(0).description()).endsWith("eicarcom2.zip) > eicar_com.zip > eicar.com");
        Verdict tgz = scan("files.tgz", gzip(tar("dir/eicar.com", ascii(eicar()))));
        assertThat(tgz.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(tgz.rules().get(0).description()).endsWith("files.tgz) > gzip content > dir/eicar.com");
    }

    @Test
    void aZipDeclaredTextOrUuencodedIntoATextIsOpenedToo() throws Exception {
        byte[] z = zip("eicar.com", ascii(eicar()));
        String declaredText = TestMessages.crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; name=notes.txt",
                "Content-Transfer-Encoding: base64",
                "",
                TestMessages.base64(z));
        assertThat(scanner.scan(Message.of(ascii(declaredText))).outcome()).isEqualTo(Outcome.INFECTED);
        byte[] uu = ascii("From: a@example.org\r\nSubject: notes\r\n\r\nhello\r\n\r\n"
                + TestMessages.uuencode("notes.zip", z) + "bye\r\n");
        Verdict v = scanner.scan(Message.of(uu));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description())
                .isEqualTo("EICAR test file in the message body (text/plain) > uuencoded \"notes.zip\" > eicar.com");
    }

    @Test
    void cleanArchivesAreCleanAndGtubeInOneIsNoSpam() throws Exception {
        assertThat(scan("docs.zip", zip("a.txt", ascii("hello"))).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(scan("docs.tar.gz", gzip(tar("a.txt", ascii("hello")))).outcome())
                .isEqualTo(Outcome.CLEAN);
        // GTUBE is a test of a message's spam filtering, not of an attachment's content
        assertThat(scan("g.zip", zip("g.txt", ascii(TestMessages.gtube()))).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void aBrokenArchiveIsSearchedAsFarAsItCanBeRead() throws Exception {
        byte[] z = zip("eicar.com", ascii(eicar()));
        // cut inside the directory at its end: the entries are whole, so unzip would still extract them
        byte[] cut = Arrays.copyOf(z, z.length - 30);
        assertThat(scan("cut.zip", cut).outcome()).isEqualTo(Outcome.INFECTED);
        byte[] headOnly = Arrays.copyOf(z, 40);
        assertThat(scan("head.zip", headOnly).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void anEncryptedEntryIsLeftAsClamdLeavesIt() throws Exception {
        byte[] z = zip("eicar.com", ascii(eicar()));
        // the general purpose flag's bit 0 of the second local header: encrypted (the JDK's reader refuses it)
        int second = indexOf(z, new byte[] {'P', 'K', 3, 4}, 4);
        z[second + 6] |= 1;
        assertThat(scan("locked.zip", z).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void aDeflatedEntryWithAZip64DataDescriptorIsRead() throws Exception {
        // Python's zipfile writing to a stream with force_zip64 (and Info-ZIP's zip reading a pipe) writes a ZIP64
        // field and a descriptor of 8-byte sizes, which the JDK's reader (17) read with 4-byte sizes and refused
        byte[] data = ascii(eicar());
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(data);
        deflater.finish();
        byte[] deflated = new byte[256];
        int n = deflater.deflate(deflated);
        deflater.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        byte[] name = ascii("eicar.com");
        java.nio.ByteBuffer z = java.nio.ByteBuffer.allocate(30 + name.length + 20 + n + 24 + 1024)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        z.putInt(0x04034b50)
                .putShort((short) 45)
                .putShort((short) 8)
                .putShort((short) 8)
                .putInt(0);
        z.putInt(0).putInt(0xffffffff).putInt(0xffffffff); // CRC and sizes in the descriptor (ZIP64: all ones)
        z.putShort((short) name.length).putShort((short) 20).put(name);
        z.putShort((short) 1).putShort((short) 16).putLong(0).putLong(0); // the ZIP64 field
        z.put(deflated, 0, n);
        z.putInt(0x08074b50).putInt((int) crc.getValue()).putLong(n).putLong(data.length);
        byte[] zip = Arrays.copyOf(z.array(), z.position());
        Verdict v = scan("z64.zip", zip);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("z64.zip) > eicar.com");
    }

    @Test
    void theEntriesAfterAnEncryptedOneAreRead() throws Exception {
        // clamd reads the entries after a locked one too: a locked readme first left eicar.com after it clean
        byte[] z = storedThenEicar("readme.txt", ascii("locked\r\n"));
        z[6] |= 1; // readme.txt's local header: encrypted
        int central = indexOf(z, new byte[] {'P', 'K', 1, 2}, 0);
        z[central + 8] |= 1;
        Verdict v = scan("locked-first.zip", z);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("locked-first.zip) > eicar.com");
    }

    /**
     * Info-ZIP's {@code zip -e} sets an encrypted entry's data-descriptor flag whether or not its header has the sizes
     * (it has them in a file, not when zip writes to a pipe), and the JDK's reader refuses both: until session 52 the
     * zip's reading ended at the first locked entry, and EICAR after it was clean.
     */
    @Test
    void theEntriesAfterAnEncryptedOneWithADataDescriptorAreRead() throws Exception {
        byte[] readme = ascii("locked, and its descriptor follows\r\n".repeat(20));
        CRC32 crc = new CRC32();
        crc.update(readme);
        // as zip -e writes to a file: the sizes in the header, and a signed descriptor after the data
        byte[] plain = storedThenEicar("readme.txt", readme);
        int dataEnd = 30 + "readme.txt".length() + readme.length;
        ByteArrayOutputStream withDescriptor = new ByteArrayOutputStream();
        withDescriptor.write(plain, 0, dataEnd);
        withDescriptor.write(new byte[] {'P', 'K', 7, 8});
        for (long v : new long[] {crc.getValue(), readme.length, readme.length}) {
            withDescriptor.write(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
        }
        withDescriptor.write(plain, dataEnd, plain.length - dataEnd);
        byte[] sized = withDescriptor.toByteArray();
        sized[6] |= 9; // encrypted, and a descriptor follows
        Verdict v = scan("locked-first.zip", sized);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("locked-first.zip) > eicar.com");

        // as zip -e writes to a pipe: no sizes in the header, the descriptor the only place they are (the JDK's
        // writer makes deflated entries so; the flag is set by hand)
        ByteArrayOutputStream piped = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(piped)) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write(readme);
            zip.putNextEntry(new ZipEntry("eicar.com"));
            zip.write(ascii(eicar()));
        }
        byte[] streamed = piped.toByteArray();
        streamed[6] |= 1;
        Verdict w = scan("locked-piped.zip", streamed);
        assertThat(w.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(w.rules().get(0).description()).endsWith("locked-piped.zip) > eicar.com");
    }

    /**
     * An encrypted entry with no sizes in its header is passed over up to the first bytes that read as its data
     * descriptor and a header after it, and an encrypted entry's data is anyone's to write: a "descriptor" in it
     * followed by a central directory's signature ended the reading there, and EICAR deflated in the next entry, which
     * unzip lists and extracts without a password, was clean (session 52). The entries the directory at the end names
     * where no entry read from the start began are read too.
     */
    @Test
    void aDescriptorForgedInsideEncryptedDataHidesNoEntryTheDirectoryNames() throws Exception {
        Verdict v = scan("forged.zip", forgedDescriptor(0));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("forged.zip) > eicar.com");
    }

    /**
     * The same zip with a stored entry of 4 MiB and more after eicar.com: the directory names eicar.com before the
     * zip's last bytes kept, where it cannot be read from its header, and it was passed over: clean (session 52, 5 MiB
     * of zeros; unzip extracts it). Such an entry is UNSCANNABLE now, never clean.
     */
    @Test
    void anEntryTheDirectoryNamesBeforeTheBytesKeptIsNeverClean() throws Exception {
        byte[] z = forgedDescriptor(SignatureScanner.MAX_KEPT_ZIP + 1);
        assertThatThrownBy(() -> scan("forged.zip", z)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("a zip whose directory names eicar.com at byte 222, before its last "
                            + SignatureScanner.MAX_KEPT_ZIP + " bytes, not reached from its start");
        });
    }

    /**
     * The same zip with a ZIP64 end record (unzip reads it, and extracts EICAR): EICAR was clean (session 52); its
     * directory is read through the ZIP64 end record now, and EICAR found. With the ZIP64 locator broken, so that no
     * tool can read the directory, a directory that cannot be read after an encrypted entry is UNSCANNABLE.
     */
    @Test
    void aZip64DirectoryAfterAnEncryptedEntryIsNeverClean() throws Exception {
        assertThat(scan("zip64.zip", zip64ForgedDescriptor(false)).threats())
                .containsExactly(SignatureScanner.EICAR_THREAT);
        byte[] broken = zip64ForgedDescriptor(true);
        assertThatThrownBy(() -> scan("zip64.zip", broken)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("a zip with an encrypted entry whose directory cannot be read (ZIP64,");
        });
    }

    /** {@link #forgedDescriptor} with a ZIP64 end record and locator (the locator's signature broken if asked). */
    private static byte[] zip64ForgedDescriptor(boolean breakLocator) throws IOException {
        byte[] z = forgedDescriptor(0);
        int end = z.length - 22; // Java writes no comment
        ByteArrayOutputStream zip64 = new ByteArrayOutputStream();
        zip64.write(z, 0, end);
        zip64.write(le(0x06064b50, 4)); // the ZIP64 end record, its size 44, versions 45
        zip64.write(le(44, 8));
        zip64.write(le(45, 2));
        zip64.write(le(45, 2));
        zip64.write(le(0, 8)); // this disk, the directory's disk
        zip64.write(le(2, 8)); // entries: on this disk, in all
        zip64.write(le(2, 8));
        zip64.write(Arrays.copyOfRange(z, end + 12, end + 16)); // the directory's size
        zip64.write(le(0, 4));
        zip64.write(Arrays.copyOfRange(z, end + 16, end + 20)); // and offset
        zip64.write(le(0, 4));
        zip64.write(le(breakLocator ? 0x07064b51 : 0x07064b50, 4)); // its locator
        zip64.write(le(0, 4));
        zip64.write(le(end, 8));
        zip64.write(le(1, 4));
        zip64.write(le(0x06054b50, 4)); // the end record, its counts and offsets ZIP64's
        zip64.write(le(0, 4));
        zip64.write(le(0xffff, 2));
        zip64.write(le(0xffff, 2));
        zip64.write(le(0xffffffffL, 4));
        zip64.write(le(0xffffffffL, 4));
        zip64.write(le(0, 2));
        return zip64.toByteArray();
    }

    /** The zip of the tests above: locked.bin's data forges a descriptor and a directory, then eicar.com. */
    private static byte[] forgedDescriptor(int padding) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        payload.write(ascii("x".repeat(112)));
        payload.write(new byte[] {'P', 'K', 7, 8, 0, 0, 0, 0, 112, 0, 0, 0, 112, 0, 0, 0, 'P', 'K', 1, 2});
        payload.write(ascii("y".repeat(50)));
        byte[] locked = payload.toByteArray();
        // EICAR deflated: not in the zip's own bytes
        byte[] z = storedThenEicar("locked.bin", locked, padding);
        z[6] |= 9; // locked.bin's local header: encrypted, a descriptor follows, and no CRC or sizes
        Arrays.fill(z, 14, 26, (byte) 0);
        int central = indexOf(z, new byte[] {'P', 'K', 1, 2}, 40 + locked.length);
        z[central + 8] |= 1;
        return z;
    }

    /**
     * The entries a directory names where none was read from the start are read from their headers, each byte counted
     * against the archives' budget: a directory of 2,000 entries, each an encrypted one with no sizes at a different
     * place in one long stored entry (each passed over to the zip's end, 2,000 times its 200 kB), is too large for a
     * 2 MB budget, never clean.
     */
    @Test
    void directoryEntriesPointingIntoOneLongEntryCostNoMoreThanTheBudget() throws Exception {
        ByteArrayOutputStream hidden = new ByteArrayOutputStream();
        int count = 2_000;
        long[] at = new long[count];
        int dataStart = 30 + "big.bin".length();
        for (int i = 0; i < count; i++) {
            at[i] = dataStart + hidden.size();
            hidden.write(localHeader("e" + i, 9, 0, 0));
        }
        hidden.write(new byte[200_000]);
        byte[] data = hidden.toByteArray();
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        zip.write(localHeader("big.bin", 0, crc.getValue(), data.length));
        zip.write(data);
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        central.write(centralHeader("big.bin", 0, crc.getValue(), data.length, 0));
        for (int i = 0; i < count; i++) {
            central.write(centralHeader("e" + i, 9, 0, 0, at[i]));
        }
        int directoryAt = zip.size();
        zip.write(central.toByteArray());
        zip.write(le(0x06054b50, 4));
        zip.write(le(0, 4));
        zip.write(le(count + 1, 2));
        zip.write(le(count + 1, 2));
        zip.write(le(central.size(), 4));
        zip.write(le(directoryAt, 4));
        zip.write(le(0, 2));
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(2_000_000).build());
        byte[] msg = TestMessages.withAttachment("x", "many.zip", zip.toByteArray());
        assertThatThrownBy(() -> limited.scan(Message.of(msg)))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
    }

    /** A stored entry's local header, no extra field. */
    private static byte[] localHeader(String name, int flags, long crc, int size) throws IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        for (long[] field : new long[][] {
            {0x04034b50, 4},
            {20, 2},
            {flags, 2},
            {0, 2},
            {0, 2},
            {0, 2},
            {crc, 4},
            {size, 4},
            {size, 4},
            {name.length(), 2},
            {0, 2}
        }) {
            h.write(le(field[0], (int) field[1]));
        }
        h.write(ascii(name));
        return h.toByteArray();
    }

    /** A stored entry's central directory header, its local header at {@code at}. */
    private static byte[] centralHeader(String name, int flags, long crc, int size, long at) throws IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        for (long[] field : new long[][] {
            {0x02014b50, 4},
            {20, 2},
            {20, 2},
            {flags, 2},
            {0, 2},
            {0, 2},
            {0, 2},
            {crc, 4},
            {size, 4},
            {size, 4},
            {name.length(), 2},
            {0, 2},
            {0, 2},
            {0, 2},
            {0, 2},
            {0, 4},
            {at, 4}
        }) {
            h.write(le(field[0], (int) field[1]));
        }
        h.write(ascii(name));
        return h.toByteArray();
    }

    private static byte[] le(long v, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (v >> (8 * i));
        }
        return b;
    }

    /**
     * Until session 52 bzip2, xz and LZMA files, tars in them and zip entries compressed with bzip2 or LZMA (methods 12
     * and 14, as Python's {@code zipfile} and 7-Zip write them) were not opened: EICAR in each was clean for this
     * scanner, while clamd finds it in all but the zip's LZMA entries.
     */
    @Test
    void eicarInBzip2XzAndLzmaFilesTarsInThemAndSuchZipEntriesIsInfected() throws Exception {
        // EICAR with text around it, so that no format stores it as it is
        byte[] file = ascii("padding ".repeat(40) + eicar() + " padding".repeat(40));
        byte[] tar = tar("dir/eicar.com", file);
        java.util.Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("eicar.com.bz2", CompressionTools.bzip2(file));
        cases.put("files.tar.bz2", CompressionTools.bzip2(tar));
        cases.put("eicar.com.xz", CompressionTools.xz(file));
        cases.put("files.tar.xz", CompressionTools.xz(tar, "-9"));
        cases.put("eicar.com.lzma", CompressionTools.lzma(file));
        for (int method : new int[] {12, 14}) {
            for (boolean toStream : new boolean[] {false, true}) {
                cases.put(
                        "m" + method + (toStream ? "-streamed" : "") + ".zip",
                        CompressionTools.pythonZip(
                                method,
                                toStream,
                                CompressionTools.entries("readme.txt", ascii("nothing here"), "eicar.com", file)));
            }
        }
        for (java.util.Map.Entry<String, byte[]> c : cases.entrySet()) {
            byte[] bytes = c.getValue();
            assertThat(new String(bytes, StandardCharsets.ISO_8859_1))
                    .as(c.getKey())
                    .doesNotContain(eicar());
            Verdict v = scan(c.getKey(), bytes);
            assertThat(v.outcome()).as(c.getKey()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description())
                    .as(c.getKey())
                    .endsWith(
                            c.getKey().endsWith(".zip")
                                    ? c.getKey() + ") > eicar.com"
                                    : c.getKey().startsWith("files")
                                            ? " content > dir/eicar.com"
                                            : c.getKey() + ") > "
                                                    + (c.getKey().endsWith(".bz2")
                                                            ? "bzip2"
                                                            : c.getKey().endsWith(".xz") ? "xz" : "lzma")
                                                    + " content");
        }
        // the same, clean
        assertThat(scan("files.tar.bz2", CompressionTools.bzip2(tar("a.txt", ascii("hello"))))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /** Bombs stop at the archives' budgets: expansion (TOO_LARGE), nesting, and the memory an LZMA header asks for. */
    @Test
    void bzip2AndXzBombsAndHugeDictionariesAreNeverClean() throws Exception {
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(5_000_000).build());
        byte[] zeros = new byte[20_000_000];
        for (byte[] bomb : java.util.List.of(CompressionTools.bzip2(zeros), CompressionTools.xz(zeros))) {
            assertThat(bomb.length).isLessThan(20_000);
            byte[] msg = TestMessages.withAttachment("x", "zeros.bin.bz2", bomb);
            assertThatThrownBy(() -> limited.scan(Message.of(msg)))
                    .isInstanceOfSatisfying(
                            ScanException.class,
                            e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
        }
        byte[] deep = ascii("hello");
        for (int i = 0; i <= SignatureScanner.MAX_ARCHIVE_DEPTH; i++) {
            deep = CompressionTools.bzip2(deep);
        }
        byte[] tooDeep = deep;
        assertThatThrownBy(() -> scan("deep.bz2", tooDeep))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE));
        // an LZMA header asking for a 4 GiB dictionary, and a zip's LZMA entry asking for 2 GiB
        byte[] lz = CompressionTools.lzma(ascii("hello ".repeat(100)));
        Arrays.fill(lz, 1, 5, (byte) 0xff);
        assertThatThrownBy(() -> scan("huge.lzma", lz)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail()).contains("its LZMA dictionary needs 4096 MiB of memory");
        });
        byte[] zip = CompressionTools.pythonZip(14, false, CompressionTools.entries("a.txt", ascii("hello")));
        zip[30 + 5 + 8] = (byte) 0x80;
        assertThatThrownBy(() -> scan("huge.zip", zip))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE));
    }

    @Test
    void archivesNestedDeeperThanTheLimitAreUnscannableNotClean() throws Exception {
        byte[] deep = ascii(eicar());
        String name = "eicar.com";
        for (int i = 0; i < SignatureScanner.MAX_ARCHIVE_DEPTH; i++) {
            deep = zip(name, deep);
            name = "level" + i + ".zip";
        }
        assertThat(scan("deep.zip", deep).outcome()).isEqualTo(Outcome.INFECTED);
        byte[] clean = ascii("hello");
        name = "a.txt";
        for (int i = 0; i <= SignatureScanner.MAX_ARCHIVE_DEPTH; i++) {
            clean = zip(name, clean);
            name = "level" + i + ".zip";
        }
        byte[] tooDeep = clean;
        assertThatThrownBy(() -> scan("deeper.zip", tooDeep)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .isEqualTo("MIME part '2' (application/octet-stream, deeper.zip): archives nested deeper than "
                            + SignatureScanner.MAX_ARCHIVE_DEPTH + " levels; the rest was not examined");
        });
    }

    @Test
    void archivesExpandingBeyondTheWalkersLimitAreTooLargeUnlessEicarIsFoundElsewhere() throws Exception {
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(1_000_000).build());
        byte[] bomb = zip("zeros.bin", new byte[2_000_000]);
        assertThat(bomb.length).isLessThan(10_000);
        byte[] msg = TestMessages.withAttachment("x", "bomb.zip", bomb);
        assertThatThrownBy(() -> limited.scan(Message.of(msg))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
            assertThat(e.failure().detail()).contains("archives expand beyond 1000000 bytes in all");
        });
        String two = TestMessages.crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=b",
                "",
                "--b",
                "Content-Type: application/zip; name=bomb.zip",
                "Content-Transfer-Encoding: base64",
                "",
                TestMessages.base64(bomb),
                "--b",
                "Content-Type: application/octet-stream; name=eicar.com",
                "Content-Transfer-Encoding: base64",
                "",
                TestMessages.base64(ascii(eicar())),
                "--b--");
        assertThat(limited.scan(Message.of(ascii(two))).outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(SignatureScanner.create().scan(Message.of(msg)).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /**
     * Outlook's {@code winmail.dat} (TNEF) was not opened (session 51): EICAR's {@code eicar_com.zip} sent from Outlook
     * inside one was clean for this scanner while clamd found it, and EICAR stored in one was reported without the file
     * holding it. Each attached file is now an archive entry under its long name, zips in it and it in a zip alike.
     */
    @Test
    void eicarInAWinmailDatIsInfectedUnderTheFilesLongName() throws Exception {
        Verdict stored = scan("winmail.dat", TnefSamples.tnef("EICAR.COM", ascii(eicar()), "eicar.com", true));
        assertThat(stored.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(stored.rules().get(0).description())
                .isEqualTo("EICAR test file in MIME part '2' (application/octet-stream, winmail.dat) > eicar.com");
        byte[] zipped = TnefSamples.tnef("EICAR_~1.ZIP", zip("eicar.com", ascii(eicar())), "eicar_com.zip", false);
        Verdict zipInTnef = scan("winmail.dat", zipped);
        assertThat(zipInTnef.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(zipInTnef.rules().get(0).description()).endsWith("winmail.dat) > eicar_com.zip > eicar.com");
        Verdict tnefInZip = scan("mail.zip", zip("winmail.dat", zipped));
        assertThat(tnefInZip.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(tnefInZip.rules().get(0).description())
                .endsWith("mail.zip) > winmail.dat > eicar_com.zip > eicar.com");
        byte[] harmless = TnefSamples.tnef("NOTES.TXT", zip("notes.txt", ascii("hello")), "notes.zip", true);
        assertThat(scan("winmail.dat", harmless).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /**
     * A winmail.dat cut short is searched as far as it reads: cut before the attachment's properties (its long name),
     * the file is found under its title; cut inside its header, nothing is there to find.
     */
    @Test
    void aBrokenWinmailDatIsSearchedAsFarAsItReads() throws Exception {
        byte[] w = TnefSamples.tnef("EICAR_~1.ZIP", zip("eicar.com", ascii(eicar())), "eicar_com.zip", true);
        // the attAttachment attribute (level 2, id 0x00069005) holding the long name; its data's checksum before it
        int properties = indexOf(w, new byte[] {2, 5, (byte) 0x90, 6, 0}, 0);
        Verdict cut = scan("winmail.dat", Arrays.copyOf(w, properties - 1));
        assertThat(cut.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(cut.rules().get(0).description()).endsWith("winmail.dat) > EICAR_~1.ZIP > eicar.com");
        assertThat(scan("winmail.dat", Arrays.copyOf(w, 5)).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /**
     * A winmail.dat's file counts against the archives' expanded-bytes budget before it is read into memory: one
     * claiming 4 GiB is too large, not clean.
     */
    @Test
    void aWinmailDatFileClaimingMoreThanTheBudgetIsTooLarge() throws Exception {
        assertThatThrownBy(() -> scan("winmail.dat", TnefSamples.claiming("DATA.BIN", 0xFFFFFFF0)))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
                    assertThat(e.failure().detail())
                            .isEqualTo("MIME part '2' (application/octet-stream, winmail.dat): archives expand beyond "
                                    + MimeWalker.DEFAULT_MAX_DECODED_BYTES
                                    + " bytes in all; the rest was not examined");
                });
    }

    /**
     * EICAR in a winmail.dat's first bytes (here its title) is looked for in its files first, so that the finding names
     * the file holding it: a limit met there (a file claiming 4 GiB) does not hide it, nor does the nesting limit.
     */
    @Test
    void eicarInAWinmailDatsFirstBytesIsFoundWhenItsFilesCannotBeRead() throws Exception {
        byte[] titled = TnefSamples.claiming(eicar(), 0xFFFFFFF0);
        Verdict inZip = scan("mail.zip", zip("winmail.dat", titled));
        assertThat(inZip.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(inZip.rules().get(0).description()).endsWith("mail.zip) > winmail.dat");
        byte[] deep = TnefSamples.tnef("EICAR.COM", ascii(eicar()), "eicar.com", true);
        String name = "winmail.dat";
        for (int i = 0; i < SignatureScanner.MAX_ARCHIVE_DEPTH; i++) {
            deep = zip(name, deep);
            name = "level" + i + ".zip";
        }
        Verdict nested = scan("deep.zip", deep);
        assertThat(nested.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(nested.rules().get(0).description()).endsWith("level0.zip > winmail.dat");
    }

    @Test
    void aDirectoryEntrysDataCountsAgainstTheLimitToo() throws Exception {
        // no tool extracts it, but the reader inflates it to reach the next entry: uncounted, 2 GB of zeros under
        // "d/" took 4 s of a 3 MB message's scan
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("d/"));
            z.write(new byte[2_000_000]);
            z.putNextEntry(new ZipEntry("a.txt"));
            z.write(ascii("hello"));
        }
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(1_000_000).build());
        byte[] msg = TestMessages.withAttachment("x", "dir.zip", out.toByteArray());
        assertThatThrownBy(() -> limited.scan(Message.of(msg))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
            assertThat(e.failure().detail()).contains("archives expand beyond 1000000 bytes in all");
        });
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        outer:
        for (int i = from; i + what.length <= b.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (b[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /**
     * A 7z whose stored data puts {@code ustar} at offset 257, where a tar header has it, is still a 7z (its signature
     * at its start): it was read as a tar, found broken, and the zip in it never opened (review, session 54).
     */
    @Test
    void a7zHoldingATarMagicIsReadAsA7z() throws Exception {
        byte[] first = new byte[400];
        java.util.Arrays.fill(first, (byte) 'x');
        System.arraycopy(ascii("ustar"), 0, first, 257 - 32, 5); // the pack stream starts after the 32-byte header
        byte[] archive = CompressionTools.sevenZip(
                CompressionTools.entries("a.bin", first, "inner.zip", zip("eicar.com", ascii(eicar()))),
                "-m0=Copy",
                "-ms=off");
        assertThat(new String(archive, 257, 5, StandardCharsets.ISO_8859_1)).isEqualTo("ustar");
        Verdict v = scan("t.7z", archive);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("> inner.zip > eicar.com");
    }

    /**
     * An xz file whose first chunk is stored (incompressible data: LZMA2 keeps it as it is) can hold {@code ustar} at
     * offset 257, where a tar's magic is: it was read as a tar, found broken, and the zip in it never opened (review,
     * session 54). The xz magic at its start decides, as for 7z and RAR.
     */
    @Test
    void anXzHoldingATarMagicIsReadAsXz() throws Exception {
        // a zip whose first entry, stored, is incompressible noise, so that xz keeps its chunk as it is, with "ustar"
        // where it lands at 257: stream header (12 bytes), block header (12), the chunk's control byte and size (3),
        // the zip's local header (30) and the entry's one-letter name before it
        byte[] noise = new byte[20_000];
        new java.util.Random(54).nextBytes(noise);
        System.arraycopy(ascii("ustar"), 0, noise, 257 - 27 - 30 - 1, 5);
        byte[] xz = CompressionTools.xz(storedThenEicar("n", noise), "--check=crc32", "-0");
        assertThat(new String(xz, 257, 5, StandardCharsets.ISO_8859_1)).isEqualTo("ustar");
        assertThat(new String(xz, StandardCharsets.ISO_8859_1)).doesNotContain(eicar());
        Verdict v = scan("t.xz", xz);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("> eicar.com");
    }

    /**
     * Until session 53 7z archives were not opened: EICAR in a .7z (any coder 7-Zip writes by default or for a .exe,
     * solid or not, a .7z in a zip, a zip in a .7z) was clean for this scanner, while clamd finds it.
     */
    @Test
    void eicarInA7zArchiveIsInfectedWhateverItsCoderAndNesting() throws Exception {
        byte[] file = ascii("padding ".repeat(40) + eicar() + " padding".repeat(40));
        java.util.Map<String, byte[]> files =
                CompressionTools.entries("readme.txt", ascii("nothing here"), "dir/eicar.com", file);
        java.util.Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("lzma2.7z", CompressionTools.sevenZip(files));
        cases.put("lzma.7z", CompressionTools.sevenZip(files, "-m0=LZMA"));
        cases.put("bcj.7z", CompressionTools.sevenZip(files, "-m0=BCJ", "-m1=LZMA2"));
        cases.put("deflate.7z", CompressionTools.sevenZip(files, "-m0=Deflate", "-ms=off"));
        cases.put("bzip2.7z", CompressionTools.sevenZip(files, "-m0=BZip2"));
        cases.put("in-a.zip", zip("inner.7z", CompressionTools.sevenZip(files)));
        cases.put(
                "zip-in.7z",
                CompressionTools.sevenZip(
                        CompressionTools.entries("a.txt", ascii("x"), "inner.zip", zip("eicar.com", file))));
        for (java.util.Map.Entry<String, byte[]> c : cases.entrySet()) {
            assertThat(new String(c.getValue(), StandardCharsets.ISO_8859_1))
                    .as(c.getKey())
                    .doesNotContain(eicar());
            Verdict v = scan(c.getKey(), c.getValue());
            assertThat(v.outcome()).as(c.getKey()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description())
                    .as(c.getKey())
                    .endsWith(
                            c.getKey().equals("in-a.zip")
                                    ? "> inner.7z > dir/eicar.com"
                                    : c.getKey().equals("zip-in.7z") ? "> inner.zip > eicar.com" : "> dir/eicar.com");
        }
        // a 7z beyond the 4 MiB kept in heap, read by offset from its temporary file: EICAR after 5 MB of random bytes
        byte[] random = new byte[5_000_000];
        new java.util.Random(53).nextBytes(random);
        Verdict big = scan(
                "big.7z", CompressionTools.sevenZip(CompressionTools.entries("a.bin", random, "z/eicar.com", file)));
        assertThat(big.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(big.rules().get(0).description()).endsWith("> z/eicar.com");
        assertThat(scan("clean.7z", CompressionTools.sevenZip(CompressionTools.entries("a.txt", ascii("hello"))))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /**
     * A 7z archive's AES-encrypted folders are passed over as encrypted zip entries are (clamd's AlertEncrypted no; the
     * attachment policy reports them): a password-protected 7z was UNSCANNABLE, so a relay deferred it for ever. The
     * files of its unencrypted folders are still searched, and what an encrypted folder declares is not decoded, so
     * it does not count against the budget.
     */
    @Test
    void encrypted7zFoldersArePassedOverAndTheOthersSearched() throws Exception {
        java.util.Map<String, byte[]> text = CompressionTools.entries("a.txt", ascii("hello ".repeat(500)));
        assertThat(scan("aes.7z", CompressionTools.sevenZip(text, "-psecret")).outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(scan("hidden.7z", CompressionTools.sevenZip(text, "-psecret", "-mhe=on"))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        byte[] locked = CompressionTools.sevenZip(text, "-psecret");
        Verdict mixed = scan(
                "mixed.7z",
                CompressionTools.sevenZipAdding(locked, CompressionTools.entries("z/eicar.com", ascii(eicar()))));
        assertThat(mixed.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(mixed.rules().get(0).description()).endsWith("> z/eicar.com");
        assertThat(scan(
                                "clean.7z",
                                CompressionTools.sevenZipAdding(
                                        locked, CompressionTools.entries("b.txt", ascii("plain"))))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(5_000_000).build());
        byte[] zeros = CompressionTools.sevenZip(
                CompressionTools.entries("zeros.bin", new byte[50_000_000]), "-psecret", "-mx9");
        assertThat(limited.scan(Message.of(TestMessages.withAttachment("x", "zeros.7z", zeros)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /**
     * Archives with small LZMA dictionaries nest: EICAR in a .7z in a .7z in a .7z was UNSCANNABLE (each decoder took
     * 65 MiB of the two decoders' allowance whatever its dictionary), while three .lzma files of 64 MiB dictionaries
     * in each other still are.
     */
    @Test
    void smallDictionariesNestAndLargeOnesDoNotMultiply() throws Exception {
        byte[] inner = CompressionTools.sevenZip(CompressionTools.entries("eicar.com", ascii(eicar())));
        for (int level = 2; level <= 4; level++) {
            inner = CompressionTools.sevenZip(CompressionTools.entries("l" + (level - 1) + ".7z", inner));
        }
        Verdict v = scan("l4.7z", inner);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("> l3.7z > l2.7z > l1.7z > eicar.com");
        byte[] large = ascii(eicar());
        for (int level = 0; level < 3; level++) {
            large = CompressionTools.xz(large, "--format=lzma", "-9");
        }
        byte[] bomb = large;
        assertThatThrownBy(() -> scan("x.lzma", bomb))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE))
                .hasMessageContaining("more than the 1 MiB allowed");
    }

    /** A 7z archive that cannot be read whole is never clean: coders not read, a cut or corrupt file, a bomb. */
    @Test
    void a7zArchiveThatCannotBeReadIsNeverClean() throws Exception {
        java.util.Map<String, byte[]> files = CompressionTools.entries("a.txt", ascii("hello ".repeat(500)));
        byte[] good = CompressionTools.sevenZip(files);
        byte[] corrupt = good.clone();
        corrupt[40] ^= 1;
        java.util.Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("ppmd.7z", CompressionTools.sevenZip(files, "-m0=PPMd"));
        cases.put("bcj2.7z", CompressionTools.sevenZip(files, "-m0=BCJ2", "-m1=LZMA"));
        cases.put("cut.7z", Arrays.copyOf(good, good.length - 10));
        cases.put("corrupt.7z", corrupt);
        for (java.util.Map.Entry<String, byte[]> c : cases.entrySet()) {
            assertThatThrownBy(() -> scan(c.getKey(), c.getValue()))
                    .as(c.getKey())
                    .isInstanceOfSatisfying(
                            ScanException.class,
                            e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE));
        }
        // 50 MB of zeros in a few kilobytes, against a 5 MB budget: refused from its declared size, before decoding
        SignatureScanner limited = SignatureScanner.create(
                MimeWalker.builder().maxDecodedBytes(5_000_000).build());
        byte[] bomb = CompressionTools.sevenZip(CompressionTools.entries("zeros.bin", new byte[50_000_000]), "-mx9");
        assertThat(bomb.length).isLessThan(50_000);
        long start = System.nanoTime();
        assertThatThrownBy(() -> limited.scan(Message.of(TestMessages.withAttachment("x", "bomb.7z", bomb))))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(2));
    }
}
