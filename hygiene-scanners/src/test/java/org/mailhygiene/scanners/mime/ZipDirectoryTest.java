package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** A zip's directory read from its end, as archive tools read it. */
class ZipDirectoryTest {

    static byte[] zip(String comment, String... names) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            if (comment != null) {
                z.setComment(comment);
            }
            for (String n : names) {
                z.putNextEntry(new ZipEntry(n));
                z.write(n.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void namesTheFilesArchiveToolsList() throws IOException {
        byte[] z = zip(null, "a.txt", "dir/b.txt", "c.exe");
        ZipDirectory d = ZipDirectory.read(z, 0).orElseThrow();
        assertThat(d.names()).containsExactly("a.txt", "dir/b.txt", "c.exe");
        assertThat(d.endsFile()).isTrue();
        assertThat(ZipDirectory.firstLocalName(z)).contains("a.txt");
        // a comment: the record no longer ends the file
        assertThat(ZipDirectory.read(zip("see me", "a.txt"), 0).orElseThrow().endsFile())
                .isFalse();
        // a second zip appended: the directory at the end is the second's
        byte[] first = zip(null, "readme.txt");
        byte[] second = zip(null, "invoice.exe");
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        assertThat(ZipDirectory.read(both, 0).orElseThrow().names()).containsExactly("invoice.exe");
        assertThat(ZipDirectory.firstLocalName(both)).contains("readme.txt");
        // only the tail kept, its offset given
        byte[] tail = Arrays.copyOfRange(z, 7, z.length);
        assertThat(ZipDirectory.read(tail, 7).orElseThrow().names()).hasSize(3);
        assertThat(ZipDirectory.read(new byte[100], 0)).isEmpty();
        assertThat(ZipDirectory.firstLocalName(new byte[3])).isEmpty();
    }

    /** Whatever bytes it is given, it answers or says it cannot, and never throws. */
    @Test
    void anyBytesAreReadWithoutFailing() throws IOException {
        byte[] real = zip("x", "a.txt", "b.txt");
        qt().withExamples(2000)
                .forAll(lists().of(integers().between(0, 1 << 20)).ofSizeBetween(0, 12))
                .checkAssert(edits -> {
                    byte[] b = real.clone();
                    for (int e : edits) {
                        b[e % b.length] = (byte) (e >>> 8);
                    }
                    int cut = edits.isEmpty() ? b.length : edits.get(0) % (b.length + 1);
                    byte[] z = Arrays.copyOf(b, cut);
                    ZipDirectory.read(z, 0)
                            .ifPresent(d -> assertThat(d.names().size()).isLessThanOrEqualTo(0xffff));
                    ZipDirectory.read(z, edits.isEmpty() ? 0 : edits.get(0))
                            .ifPresent(d -> assertThat(d).isNotNull());
                    ZipDirectory.firstLocalName(z);
                });
    }
}
