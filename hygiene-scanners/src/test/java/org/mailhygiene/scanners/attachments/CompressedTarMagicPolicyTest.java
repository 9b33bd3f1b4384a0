package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.CompressionTools;

/**
 * A compressed file whose bytes put {@code ustar} at offset 257, where a tar's magic is (a stored deflate block, an
 * xz of incompressible data), is opened by the signature at its start: until session 54 the policy read it as a tar,
 * found it broken and never saw the program inside.
 */
class CompressedTarMagicPolicyTest {
    private final AttachmentPolicyScanner scanner = AttachmentPolicyScanner.create();

    /**
     * A program of noise (its DOS and PE signatures where a loader looks for them; incompressible, so that xz keeps it
     * as it is), with {@code ustar} where it lands at 257 once the format's header of {@code headerBytes} is before it.
     */
    private static byte[] program(int headerBytes) {
        byte[] p = new byte[20_000];
        new java.util.Random(54).nextBytes(p);
        byte[] pe = Samples.pe();
        System.arraycopy(pe, 0, p, 0, 0x40); // MZ ... e_lfanew = 0x80
        System.arraycopy(pe, 0x80, p, 0x80, 6); // PE\0\0, i386
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, p, 257 - headerBytes, 5);
        return p;
    }

    @Test
    void aGzipOrXzHoldingATarMagicIsOpenedAsWhatItIs() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // gzip header (10 bytes), then a stored block's header (5): the content from 15 on
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(Deflater.NO_COMPRESSION);
            }
        }) {
            gz.write(program(15));
        }
        byte[] gzip = out.toByteArray();
        // stream header (12 bytes), block header (12), the stored chunk's control byte and size (3): from 27 on
        byte[] xz = CompressionTools.xz(program(27), "--check=crc32", "-0");
        for (Object[] c : new Object[][] {{"report.gz", gzip}, {"report.xz", xz}}) {
            byte[] file = (byte[]) c[1];
            assertThat(new String(file, 257, 5, StandardCharsets.ISO_8859_1)).isEqualTo("ustar");
            Verdict v = scanner.scan(Message.of(Samples.attachment((String) c[0], "application/octet-stream", file)));
            assertThat(v.rules().stream().map(Rule::name))
                    .as(v.toString())
                    .contains("EXECUTABLE_ATTACHMENT")
                    .doesNotContain("ARCHIVE_BROKEN");
        }
    }
}
