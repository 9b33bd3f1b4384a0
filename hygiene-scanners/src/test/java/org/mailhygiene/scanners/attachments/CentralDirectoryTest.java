package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CentralDirectoryTest {
    private static final byte[] ZIP = Samples.zip(
            "a.txt", "alpha".getBytes(StandardCharsets.US_ASCII),
            "dir/b.bin", new byte[300],
            "c.txt", "".getBytes(StandardCharsets.US_ASCII));

    @Test
    void readsEachEntryWhereItsDataLies() throws Exception {
        List<CentralDirectory.Entry> entries = CentralDirectory.read(ZIP).orElseThrow();
        assertThat(entries).extracting(CentralDirectory.Entry::name).containsExactly("a.txt", "dir/b.bin", "c.txt");
        try (java.util.zip.ZipInputStream z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(ZIP))) {
            for (CentralDirectory.Entry e : entries) {
                z.getNextEntry();
                byte[] expected = z.readAllBytes();
                java.io.InputStream data = new java.util.zip.InflaterInputStream(
                        new java.io.ByteArrayInputStream(ZIP, e.dataStart(), e.compressedSize()),
                        new java.util.zip.Inflater(true));
                assertThat(e.method()).isEqualTo(java.util.zip.ZipEntry.DEFLATED);
                assertThat(data.readAllBytes()).as(e.name()).isEqualTo(expected);
            }
        }
        assertThat(CentralDirectory.read(new byte[0])).isEmpty();
        assertThat(CentralDirectory.read(Arrays.copyOf(ZIP, ZIP.length - 1))).isEmpty();
    }

    /** Any byte changed, or the zip cut anywhere: an answer, never an exception, and data only inside the bytes. */
    @Test
    void aDamagedDirectoryNeverReadsOutsideTheBytes() {
        qt().withExamples(3000)
                .forAll(
                        integers().between(0, ZIP.length - 1),
                        integers().between(0, 255),
                        integers().between(0, 2))
                .checkAssert((at, value, how) -> {
                    byte[] z = how == 0 ? Arrays.copyOf(ZIP, at) : ZIP.clone();
                    if (how > 0) {
                        z[at] = (byte) (int) value;
                    }
                    byte[] bytes = z;
                    CentralDirectory.read(bytes).ifPresent(entries -> {
                        for (CentralDirectory.Entry e : entries) {
                            assertThat(e.dataStart()).isBetween(0, bytes.length);
                            assertThat(e.compressedSize()).isBetween(0, bytes.length - e.dataStart());
                        }
                    });
                });
    }
}
