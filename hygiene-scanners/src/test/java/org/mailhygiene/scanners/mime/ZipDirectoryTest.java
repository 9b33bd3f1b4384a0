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

    /**
     * A ZIP64 archive: the end record's counts and offset {@code 0xffff}/{@code 0xffffffff}, the directory found through
     * the ZIP64 end record and its locator, each entry's local header offset in its ZIP64 extra field. Until session 52
     * the directory of such an archive was not read (empty).
     */
    @Test
    void aZip64DirectoryIsReadThroughItsEndRecordAndExtraFields() throws IOException {
        byte[] plain = zip(null, "a.txt", "dir/b.txt", "c.exe");
        ZipDirectory before = ZipDirectory.read(plain, 0).orElseThrow();
        byte[] z64 = asZip64(plain, false);
        ZipDirectory d = ZipDirectory.read(z64, 0).orElseThrow();
        assertThat(d.names()).containsExactly("a.txt", "dir/b.txt", "c.exe");
        assertThat(d.offsets()).isEqualTo(before.offsets());
        // read from a tail, as the signature scanner reads the last bytes it kept
        int from = 40;
        assertThat(ZipDirectory.read(Arrays.copyOfRange(z64, from, z64.length), from)
                        .orElseThrow()
                        .offsets())
                .isEqualTo(before.offsets());
        // the locator broken: nothing to read the directory by
        assertThat(ZipDirectory.read(asZip64(plain, true), 0)).isEmpty();
    }

    /** {@code zip} rewritten as ZIP64 writes it: offsets in extra fields, a ZIP64 end record and locator. */
    static byte[] asZip64(byte[] zip, boolean breakLocator) throws IOException {
        int eocd = ZipDirectory.endOfDirectory(zip);
        int count = le(zip, eocd + 10, 2);
        int start = le(zip, eocd + 16, 4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(zip, 0, start);
        int p = start;
        for (int i = 0; i < count; i++) {
            int n = le(zip, p + 28, 2);
            int extra = le(zip, p + 30, 2);
            int comment = le(zip, p + 32, 2);
            long local = le(zip, p + 42, 4);
            byte[] header = Arrays.copyOfRange(zip, p, p + 46);
            put(header, 30, 2, extra + 12);
            put(header, 42, 4, 0xffffffffL);
            out.write(header);
            out.write(zip, p + 46, n + extra);
            out.write(new byte[] {1, 0, 8, 0});
            byte[] offset = new byte[8];
            put(offset, 0, 8, local);
            out.write(offset);
            out.write(zip, p + 46 + n + extra, comment);
            p += 46 + n + extra + comment;
        }
        long size = out.size() - start;
        long record = out.size();
        byte[] r = new byte[56];
        put(r, 0, 4, 0x06064b50L);
        put(r, 4, 8, 44);
        put(r, 12, 2, 45);
        put(r, 14, 2, 45);
        put(r, 24, 8, count);
        put(r, 32, 8, count);
        put(r, 40, 8, size);
        put(r, 48, 8, start);
        out.write(r);
        byte[] locator = new byte[20];
        put(locator, 0, 4, breakLocator ? 0x07064b51L : 0x07064b50L);
        put(locator, 8, 8, record);
        put(locator, 16, 4, 1);
        out.write(locator);
        byte[] end = new byte[22];
        put(end, 0, 4, 0x06054b50L);
        put(end, 8, 2, 0xffff);
        put(end, 10, 2, 0xffff);
        put(end, 12, 4, 0xffffffffL);
        put(end, 16, 4, 0xffffffffL);
        out.write(end);
        return out.toByteArray();
    }

    private static int le(byte[] b, int at, int bytes) {
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xff);
        }
        return (int) v;
    }

    private static void put(byte[] b, int at, int bytes, long v) {
        for (int i = 0; i < bytes; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
