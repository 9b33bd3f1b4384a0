package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;

import java.io.ByteArrayOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.CompressionTools;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.archive.RarWriter;

/**
 * One rule for what the scanner could not search: every file or archive passed over unread is named in the clean
 * verdict's {@code NOT_READ} rule. Until session 55 only a RAR's files were: an encrypted zip entry, an encrypted 7z
 * folder's files, and a 7z or RAR archive whose headers are encrypted gave a plain clean verdict.
 */
class SignatureScannerNotReadTest {
    private final SignatureScanner scanner = SignatureScanner.create();

    private Verdict scan(String name, byte[] attachment) throws Exception {
        return scanner.scan(Message.of(TestMessages.withAttachment("see attached", name, attachment)));
    }

    private static String notRead(Verdict v) {
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.rules()).as(v.toString()).extracting(r -> r.name()).containsExactly("NOT_READ");
        return v.rules().get(0).description();
    }

    @Test
    void anEncryptedZipEntryIsNamed() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("secret.doc"));
            z.write(ascii("locked content"));
            z.putNextEntry(new ZipEntry("readme.txt"));
            z.write(ascii("hello"));
        }
        byte[] zip = out.toByteArray();
        zip[6] |= 1; // secret.doc's local header: encrypted
        assertThat(notRead(scan("a.zip", zip)))
                .contains("a.zip")
                .endsWith("zip file \"secret.doc\" (encrypted)")
                .doesNotContain("readme.txt");
    }

    @Test
    void anEncryptedZipEntryWrittenToAPipeIsNamed() throws Exception {
        // zip -P from a pipe (a database dump zipped with a password on its way out) gives the entry ZIP64 sizes and a
        // data descriptor; the reader cannot pass over it: until session 55 the verdict was a plain clean one
        byte[] zip = CompressionTools.run(ascii("locked content"), "zip", "zip", "-q", "-P", "SECRET", "-", "-");
        // named once, though the directory at the zip's end names it again
        assertThat(notRead(scan("dump.zip", zip)))
                .endsWith("zip file \"-\" (encrypted)")
                .containsOnlyOnce("zip file");
    }

    @Test
    void encrypted7zFilesAndHeadersAreNamed() throws Exception {
        byte[] locked = CompressionTools.sevenZip(
                CompressionTools.entries("run.exe", ascii("MZ program")), "-pSECRET", "-mhe=off");
        assertThat(notRead(scan("l.7z", locked))).endsWith("7z file \"run.exe\" (encrypted)");
        byte[] hidden = CompressionTools.sevenZip(
                CompressionTools.entries("run.exe", ascii("MZ program")), "-pSECRET", "-mhe=on");
        assertThat(notRead(scan("h.7z", hidden))).endsWith("a 7z archive whose header is encrypted (no file of it)");
    }

    @Test
    void aRarWithEncryptedHeadersIsNamed() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter headers = new RarWriter().encryptedHeaders();
            headers.file("a.txt", ascii("x"));
            assertThat(notRead(scan("h.rar", five ? headers.rar5() : headers.rar4())))
                    .endsWith("a RAR archive whose headers are encrypted (no file of it)");
        }
    }
}
