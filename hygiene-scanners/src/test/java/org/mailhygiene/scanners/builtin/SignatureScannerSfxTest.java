package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.eicar;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.CompressionTools;
import org.mailhygiene.scanners.Programs;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.archive.RarWriter;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * Until session 55 an archive behind a program (a self-extractor: WinRAR's, 7-Zip's, a zip appended to a PE) was not
 * opened: a PE followed by a RAR holding a zipped EICAR was clean, while clamd finds it. Its files are searched now; a
 * signature in a program's data that does not read as an archive is neither an archive nor an error.
 */
class SignatureScannerSfxTest {
    private final SignatureScanner scanner = SignatureScanner.create();

    @TempDir
    Path dir;

    private Verdict scan(String name, byte[] attachment) throws Exception {
        return scanner.scan(Message.of(TestMessages.withAttachment("see attached", name, attachment)));
    }

    private static byte[] zippedEicar() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("eicar.com"));
            z.write(ascii(eicar()));
        }
        return out.toByteArray();
    }

    @Test
    void eicarZippedInARarBehindAPeIsInfected() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter();
            w.file("readme.txt", ascii("install me"));
            w.file("inner.zip", zippedEicar());
            byte[] sfx = Programs.pe(Programs.code(), five ? w.rar5() : w.rar4());
            assertThat(new String(sfx, StandardCharsets.ISO_8859_1)).doesNotContain(eicar());
            assertThat(Programs.sevenZipLists(sfx, dir)).contains("inner.zip");
            Verdict v = scan("setup.exe", sfx);
            assertThat(v.outcome()).as("RAR" + (five ? 5 : 4)).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description())
                    .endsWith("> self-extracting archive at byte 2560 > inner.zip > eicar.com");
        }
    }

    @Test
    void aZipThatAPesSectionClaimsIsFoundAsUnzipFindsIt() throws Exception {
        // the section's size is the attacker's to write: its data said to cover the zip, to end past the file (by
        // 2 GiB, or at 2^32) hid a zipped EICAR until session 55, though unzip extracts it (warning of the bytes before
        // it)
        byte[] zip = zippedEicar();
        byte[] plain = Programs.pe(Programs.code(), zip);
        int sizeOfRawData = 0x80 + 24 + 0xe0 + 16;
        int pointerToRawData = sizeOfRawData + 4;
        long[][] cases = {
            {plain.length - zip.length - 0x200 + zip.length, 0x200}, {0x90000000L, 0x200}, {0x200, 0xffffff00L}
        };
        for (long[] c : cases) {
            byte[] sfx = plain.clone();
            ByteBuffer.wrap(sfx)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(sizeOfRawData, (int) c[0])
                    .putInt(pointerToRawData, (int) c[1]);
            assertThat(new String(sfx, StandardCharsets.ISO_8859_1)).doesNotContain(eicar());
            assertThat(unzipLists(sfx)).contains("eicar.com");
            Verdict v = scan("setup.exe", sfx);
            assertThat(v.outcome())
                    .as(Long.toHexString(c[0]) + " at " + Long.toHexString(c[1]))
                    .isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description())
                    .endsWith("> self-extracting archive at byte " + (plain.length - zip.length) + " > eicar.com");
        }
    }

    @Test
    void aZipBehindAProgramWhoseHeadersDoNotReadIsFound() throws Exception {
        // a PE header beyond the first 64 KiB, an ELF section header table at 2^64 - 2^16: no end to search after, and
        // until session 55 no zip either, though unzip extracts it
        byte[] zip = zippedEicar();
        byte[] pe = Programs.pe(Programs.code(), zip);
        ByteBuffer.wrap(pe).order(ByteOrder.LITTLE_ENDIAN).putInt(0x3c, 0x20000);
        byte[] elf = Programs.elf(Programs.code(), zip);
        ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).putLong(0x28, 0xffffffffffff0000L);
        for (byte[] program : new byte[][] {pe, elf}) {
            assertThat(unzipLists(program)).contains("eicar.com");
            Verdict v = scan("setup.exe", program);
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description())
                    .endsWith("> self-extracting archive at byte " + (program.length - zip.length) + " > eicar.com");
        }
    }

    @Test
    void sixteenFake7zSignaturesDoNotHideTheArchive() throws Exception {
        // each a bare 7z signature whose start header does not read: until session 55 the sixteenth ended the search
        byte[] sevenZip = CompressionTools.sevenZip(CompressionTools.entries("inner.zip", zippedEicar()));
        byte[] fakes = new byte[16 * 32];
        for (int i = 0; i < 16; i++) {
            System.arraycopy(sevenZip, 0, fakes, i * 32, 6);
        }
        byte[] sfx = Programs.pe(Programs.code(), Programs.concat(fakes, sevenZip));
        Verdict v = scan("setup.exe", sfx);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description())
                .endsWith("> self-extracting archive at byte " + (sfx.length - sevenZip.length)
                        + " > inner.zip > eicar.com");
    }

    /** {@code unzip -l}'s output (which warns, exit status 1, of the bytes before the zip). */
    private String unzipLists(byte[] file) throws Exception {
        Path f = Files.write(Files.createTempFile(dir, "sfx", ".exe"), file);
        Process p = new ProcessBuilder(RealBinaries.require("unzip", "unzip").toString(), "-l", f.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void eicarIn7zAndZipSelfExtractorsIsInfected() throws Exception {
        byte[] sevenZip = CompressionTools.sevenZip(CompressionTools.entries("inner.zip", zippedEicar()));
        // 7-Zip's installer stub puts its configuration between the program and the archive
        byte[] config = ascii(";!@Install@!UTF-8!\r\nTitle=\"Setup\"\r\n;!@InstallEnd@!");
        byte[] zip = zippedEicar();
        byte[][] cases = {
            Programs.pe(Programs.code(), sevenZip),
            Programs.pe(Programs.code(), Programs.concat(config, sevenZip)),
            Programs.pe(Programs.code(), zip),
            Programs.elf(Programs.code(), sevenZip),
            Programs.elf(Programs.code(), zip),
        };
        for (byte[] sfx : cases) {
            assertThat(Programs.sevenZipLists(sfx, dir)).containsAnyOf("inner.zip", "eicar.com");
            Verdict v = scan("setup.exe", sfx);
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description()).contains("> self-extracting archive at byte");
        }
    }

    /**
     * A zip beyond the first MiB after the program (installer data before it) is found as unzip finds it, from its
     * directory at the end.
     */
    @Test
    void aZipFurtherBehindAProgramIsFoundFromItsDirectory() throws Exception {
        byte[] data = new byte[1_500_000];
        new java.util.Random(55).nextBytes(data);
        byte[] sfx = Programs.pe(Programs.code(), Programs.concat(data, zippedEicar()));
        assertThat(Programs.sevenZipLists(sfx, dir)).contains("eicar.com");
        Verdict v = scan("setup.exe", sfx);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description())
                .endsWith("> self-extracting archive at byte " + (2560 + data.length) + " > eicar.com");
    }

    @Test
    void signaturesInAProgramThatReadAsNoArchiveAreNeitherArchivesNorErrors() throws Exception {
        // a RAR's, a 7z's and a zip's signatures in a program's data and after its end, with nothing after them
        byte[] rar5 = {'R', 'a', 'r', '!', 0x1a, 7, 1, 0};
        byte[] rar4 = {'R', 'a', 'r', '!', 0x1a, 7, 0};
        byte[] sevenZip = {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c, 0, 4};
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0};
        byte[] junk =
                Programs.concat(rar5, new byte[40], rar4, new byte[40], sevenZip, new byte[40], zip, new byte[99]);
        for (byte[] file : new byte[][] {Programs.pe(junk, junk), Programs.elf(junk, junk)}) {
            Verdict v = scan("tool.exe", file);
            assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
            assertThat(v.rules()).isEmpty();
        }
        // EICAR in the program's own bytes is found as before
        assertThat(scan("tool.exe", Programs.pe(ascii(eicar()), junk)).outcome())
                .isEqualTo(Outcome.INFECTED);
    }
}
