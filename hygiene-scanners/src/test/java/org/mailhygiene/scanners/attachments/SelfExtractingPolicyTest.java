package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.CompressionTools;
import org.mailhygiene.scanners.Programs;
import org.mailhygiene.scanners.archive.RarWriter;

/**
 * Until session 55 the policy called a self-extractor (a program with an archive behind it) an executable and never
 * named what its archive holds. Its archive is inspected now as any archive of its kind; a signature in a program that
 * does not read as an archive is nothing (no false ARCHIVE_BROKEN for an ordinary program).
 */
class SelfExtractingPolicyTest {
    private final AttachmentPolicyScanner scanner = AttachmentPolicyScanner.create();

    private Verdict scan(String name, byte[] file) throws Exception {
        return scanner.scan(Message.of(Samples.attachment(name, "application/octet-stream", file)));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> said(Verdict v) {
        return v.rules().stream().map(Rule::description).toList();
    }

    @Test
    void theFilesOfASelfExtractingRarOr7zAreNamed() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter();
            w.file("docs/readme.txt", ascii("hello"));
            w.file("payload.exe", new byte[64]).method(5); // compressed: its name is what is checked
            Verdict v = scan("setup.exe", Programs.pe(Programs.code(), five ? w.rar5() : w.rar4()));
            assertThat(said(v))
                    .as(v.toString())
                    .anyMatch(d -> d.contains("self-extracting archive at byte 2560 > payload.exe"));
        }
        byte[] sevenZip = CompressionTools.sevenZip(CompressionTools.entries("run.js", ascii("WScript.Echo(1)")));
        Verdict v = scan("setup.exe", Programs.pe(Programs.code(), sevenZip));
        assertThat(said(v)).as(v.toString()).anyMatch(d -> d.contains("self-extracting archive at byte 2560 > run.js"));
    }

    @Test
    void signaturesThatReadAsNoArchiveAreNothing() throws Exception {
        byte[] rar5 = {'R', 'a', 'r', '!', 0x1a, 7, 1, 0};
        byte[] sevenZip = {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c, 0, 4};
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0};
        byte[] junk = Programs.concat(rar5, new byte[40], sevenZip, new byte[40], zip, new byte[99]);
        for (byte[] file : new byte[][] {Programs.pe(junk, junk), Programs.elf(junk, junk)}) {
            Verdict v = scan("tool.bin", file);
            assertThat(v.rules().stream().map(Rule::name))
                    .as(v.toString())
                    .doesNotContain("ARCHIVE_BROKEN", "ARCHIVE_LIMIT", "ENCRYPTED_ARCHIVE");
        }
    }
}
