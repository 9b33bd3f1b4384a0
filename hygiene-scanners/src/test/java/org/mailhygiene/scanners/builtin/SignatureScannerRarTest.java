package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.eicar;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.archive.RarWriter;

/**
 * Until session 54 a RAR archive's bytes were searched as they are and its files were not opened: EICAR in a zip in a
 * stored RAR was clean. Stored files are searched now (RAR 4.x and 5.0), their CRC checked; compressed files, which are
 * not decoded, are passed over and named in the clean verdict's {@code NOT_READ} rule.
 */
class SignatureScannerRarTest {
    private final SignatureScanner scanner = SignatureScanner.create();

    private Verdict scan(String name, byte[] attachment) throws Exception {
        return scanner.scan(Message.of(TestMessages.withAttachment("see attached", name, attachment)));
    }

    private static byte[] deflatedZip(String name, byte[] content) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry(name));
            z.write(content);
        }
        return out.toByteArray();
    }

    @Test
    void eicarInAnNtfsStreamIsInfected() throws Exception {
        // a RAR5 file's alternate stream (rar -os) was passed over until session 54, with no NOT_READ: a zip in one
        // holding EICAR deflated was clean
        RarWriter w = new RarWriter();
        w.file("readme.txt", ascii("nothing here"));
        w.stream(":x.zip", deflatedZip("eicar.com", ascii(eicar())));
        Verdict v = scan("a.rar", w.rar5());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.rules().get(0).description()).endsWith("> readme.txt:x.zip > eicar.com");
    }

    @Test
    void eicarInAStoredRarFileIsInfectedAndTheFindingSaysWhere() throws Exception {
        byte[] file = ascii("padding ".repeat(40) + eicar() + " padding".repeat(40));
        for (boolean five : new boolean[] {false, true}) {
            RarWriter plain = new RarWriter();
            plain.file("readme.txt", ascii("nothing here"));
            plain.file("dir/eicar.com", file);
            Verdict v = scan("a.rar", five ? plain.rar5() : plain.rar4());
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description()).endsWith("> dir/eicar.com");
            // a zip in a stored RAR: EICAR deflated is not in the RAR's bytes
            RarWriter nested = new RarWriter();
            nested.file("inner.zip", deflatedZip("eicar.com", file));
            byte[] rar = five ? nested.rar5() : nested.rar4();
            assertThat(new String(rar, StandardCharsets.ISO_8859_1)).doesNotContain(eicar());
            Verdict n = scan("b.rar", rar);
            assertThat(n.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(n.rules().get(0).description()).endsWith("> inner.zip > eicar.com");
        }
    }

    @Test
    void compressedFilesArePassedOverAndNamedInTheCleanVerdict() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter w = new RarWriter();
            w.file("a.txt", ascii("hello"));
            w.file("invoice.exe", new byte[] {9, 8, 7, 6}).method(3).declaredSize(1000);
            Verdict v = scan("c.rar", five ? w.rar5() : w.rar4());
            assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
            assertThat(v.rules()).extracting(r -> r.name()).containsExactly("NOT_READ");
            assertThat(v.rules().get(0).description())
                    .isEqualTo(
                            "not searched: MIME part '2' (application/octet-stream, c.rar): RAR file \"invoice.exe\" (compressed (RAR"
                                    + (five ? 5 : 4) + " method 3))");
        }
        byte[] winrar;
        try (InputStream in = RarWriter.class.getResourceAsStream("rar/rar5_compressed.rar")) {
            winrar = in.readAllBytes();
        }
        Verdict real = scan("w.rar", winrar);
        assertThat(real.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(real.rules().get(0).description()).contains("RAR file \"test.bin\" (compressed (RAR5 method");
        // links (RAR5 file redirections: a hard and a symbolic link) have no data of their own: neither broken nor
        // unread
        byte[] links;
        try (InputStream in = RarWriter.class.getResourceAsStream("rar/rar5_unicode.rar")) {
            links = in.readAllBytes();
        }
        Verdict linked = scan("links.rar", links);
        assertThat(linked.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(linked.rules()).isEmpty();
        // named by part, each part once: ten files, then how many more
        RarWriter many = new RarWriter();
        for (int i = 0; i < 12; i++) {
            many.file("f" + i + ".doc", new byte[] {1}).method(5);
        }
        String said = scan("m.rar", many.rar5()).rules().get(0).description();
        assertThat(said)
                .startsWith("not searched: MIME part '2' (application/octet-stream, m.rar): RAR file \"f0.doc\""
                        + " (compressed (RAR5 method 5)), RAR file \"f1.doc\"")
                .contains("RAR file \"f9.doc\"")
                .doesNotContain("f10.doc")
                .endsWith("; and 2 more");
        assertThat(said.split("MIME part", -1)).hasSize(2);
        // a clean stored RAR says nothing
        RarWriter stored = new RarWriter();
        stored.file("a.txt", ascii("hello"));
        assertThat(scan("s.rar", stored.rar5()).rules()).isEmpty();
    }

    @Test
    void longNamesOfFilesNotReadAreBoundedInTheVerdict() throws Exception {
        // ten names of 8,000 characters made an 80 KB rule, kept in the verdict cache and the shared store
        RarWriter w = new RarWriter();
        for (int i = 0; i < 10; i++) {
            w.file("a".repeat(8_000) + i + ".doc", new byte[] {1}).method(5);
        }
        String said = scan("long.rar", w.rar5()).rules().get(0).description();
        assertThat(said).hasSizeLessThan(4_000).contains("... (8005 characters)");
    }

    @Test
    void encryptedFilesAndHeadersArePassedOverAndBrokenOnesAreUnscannable() throws Exception {
        for (boolean five : new boolean[] {false, true}) {
            RarWriter locked = new RarWriter();
            locked.file("a.exe", new byte[16]).encrypted();
            locked.file("z/eicar.com", ascii(eicar()));
            Verdict v = scan("l.rar", five ? locked.rar5() : locked.rar4());
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description()).endsWith("> z/eicar.com");
            // an encrypted file is named in the clean verdict's NOT_READ rule, as a compressed one is
            // (docs/archives.md)
            RarWriter quiet = new RarWriter();
            quiet.file("a.exe", new byte[16]).encrypted();
            quiet.file("b.txt", ascii("x"));
            Verdict q = scan("q.rar", five ? quiet.rar5() : quiet.rar4());
            assertThat(q.outcome()).isEqualTo(Outcome.CLEAN);
            assertThat(q.rules()).extracting(r -> r.name()).containsExactly("NOT_READ");
            assertThat(q.rules().get(0).description()).endsWith("RAR file \"a.exe\" (encrypted)");
            RarWriter headers = new RarWriter().encryptedHeaders();
            headers.file("a.txt", ascii("x"));
            assertThat(scan("h.rar", five ? headers.rar5() : headers.rar4()).outcome())
                    .isEqualTo(Outcome.CLEAN);
            RarWriter bad = new RarWriter();
            bad.file("a.txt", ascii("hello")).crc(1);
            byte[] broken = five ? bad.rar5() : bad.rar4();
            assertThatThrownBy(() -> scan("b.rar", broken))
                    .isInstanceOfSatisfying(
                            ScanException.class,
                            e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE))
                    .hasMessageContaining("a broken RAR archive");
        }
    }

    /**
     * A RAR archive whose first file's name puts {@code ustar} where a tar header has it (offset 257) is still a RAR:
     * its signature at its start says so, as RAR tools and 7-Zip read it. It was opened as a tar, which failed, so
     * its stored files were never opened: EICAR deflated in a zip stored in it was clean (review, session 54).
     */
    @Test
    void aRarWhoseNameLooksLikeATarHeaderIsReadAsARar() throws Exception {
        byte[] file = ascii(eicar());
        for (boolean five : new boolean[] {false, true}) {
            RarWriter polyglot = new RarWriter();
            polyglot.file(RarWriter.tarMagicName(five), ascii("x"));
            polyglot.file("inner.zip", deflatedZip("eicar.com", file));
            byte[] rar = five ? polyglot.rar5() : polyglot.rar4();
            assertThat(new String(rar, 257, 5, StandardCharsets.ISO_8859_1)).isEqualTo("ustar");
            Verdict v = scan("p.rar", rar);
            assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules().get(0).description()).endsWith("> inner.zip > eicar.com");
        }
    }
}
