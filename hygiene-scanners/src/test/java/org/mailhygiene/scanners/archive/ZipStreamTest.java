package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.mime.ZipDirectory;

/**
 * {@link ZipStream}: every kind of entry a zip writer going from the start makes reads back as written, whatever its
 * content holds, and damaged zips end in an {@link IOException} (or JDK 17's {@link IllegalArgumentException} for a name) or early,
 * never elsewhere.
 */
class ZipStreamTest {
    /** Stored with its sizes in its header; stored with a descriptor, signed or not, or ZIP64; deflated. */
    private static final int KINDS = 5;

    @Test
    void everyKindOfEntryReadsBackAsWritten() {
        qt().withExamples(400)
                .forAll(lists().of(integers().between(0, 1_000_000)).ofSizeBetween(0, 6))
                .checkAssert(seeds -> {
                    List<byte[]> contents = new ArrayList<>();
                    List<Integer> kinds = new ArrayList<>();
                    for (int seed : seeds) {
                        contents.add(content(new Random(seed)));
                        kinds.add(seed % KINDS);
                    }
                    byte[] zip = zip(contents, kinds);
                    List<String> names = new ArrayList<>();
                    List<byte[]> read = new ArrayList<>();
                    List<Long> offsets = new ArrayList<>();
                    try (ZipStream z = new ZipStream(new ByteArrayInputStream(zip))) {
                        for (ZipStream.Entry e = z.next(); e != null; e = z.next()) {
                            names.add(e.name());
                            offsets.add(e.offset());
                            read.add(e.data().readAllBytes());
                        }
                    } catch (IOException e) {
                        throw new AssertionError("kinds " + kinds, e);
                    }
                    assertThat(names).hasSize(contents.size());
                    // each entry's local header where the directory says it is (after a stored entry read by its
                    // descriptor, given-back bytes were counted twice)
                    assertThat(offsets)
                            .as("kinds %s", kinds)
                            .isEqualTo(ZipDirectory.read(zip, 0).orElseThrow().offsets());
                    for (int i = 0; i < contents.size(); i++) {
                        assertThat(names.get(i)).isEqualTo("f" + i + ".bin");
                        assertThat(read.get(i))
                                .as("entry %d of kind %d", i, kinds.get(i))
                                .isEqualTo(contents.get(i));
                    }
                });
    }

    @Test
    void aDamagedZipEndsInAnIOExceptionOrEarly() {
        qt().withExamples(1000)
                .forAll(integers().between(0, 1_000_000), integers().between(0, 1_000_000))
                .checkAssert((seed, damage) -> {
                    Random r = new Random(seed);
                    List<byte[]> contents = new ArrayList<>();
                    List<Integer> kinds = new ArrayList<>();
                    for (int i = 0; i < 1 + r.nextInt(4); i++) {
                        contents.add(content(r));
                        kinds.add(r.nextInt(KINDS));
                    }
                    byte[] zip = zip(contents, kinds);
                    Random d = new Random(damage);
                    byte[] bad = java.util.Arrays.copyOf(zip, d.nextBoolean() ? zip.length : d.nextInt(zip.length));
                    for (int i = 0; i < 1 + d.nextInt(4) && bad.length > 0; i++) {
                        bad[d.nextInt(bad.length)] = (byte) d.nextInt(256);
                    }
                    long total = 0;
                    try (ZipStream z = new ZipStream(new ByteArrayInputStream(bad))) {
                        for (ZipStream.Entry e = z.next(); e != null; e = z.next()) {
                            total += e.data().readAllBytes().length;
                        }
                    } catch (IOException | IllegalArgumentException expected) {
                        // damaged: refused (JDK 17's reader refuses a name that is not UTF-8 so, as Inspection knows)
                    }
                    // a stored entry never reads past the bytes: the zip holds all that was read
                    assertThat(total).isLessThanOrEqualTo(64L * bad.length + 1024);
                });
    }

    /** Random bytes, sometimes with descriptor signatures and sizes that do not end the entry inside. */
    private static byte[] content(Random r) {
        byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(40) : r.nextInt(70_000)];
        r.nextBytes(b);
        if (r.nextBoolean()) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) "PK\u0007\u0008ab".charAt(r.nextInt(6)); // compressible, full of signatures
            }
        }
        for (int k = 0; k < 3 && b.length >= 24; k++) {
            int at = r.nextInt(b.length - 23);
            java.nio.ByteBuffer.wrap(b, at, 24)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putInt(0x08074b50)
                    .putInt(r.nextInt())
                    .putInt(at) // this place's size, the CRC of anything else
                    .putInt(at);
        }
        return b;
    }

    /** A zip as a writer going from the start makes it, its entries of the given kinds, then its directory. */
    private static byte[] zip(List<byte[]> contents, List<Integer> kinds) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream dir = new ByteArrayOutputStream();
        for (int i = 0; i < contents.size(); i++) {
            byte[] data = contents.get(i);
            int kind = kinds.get(i);
            byte[] name = ("f" + i + ".bin").getBytes(StandardCharsets.US_ASCII);
            CRC32 crc = new CRC32();
            crc.update(data);
            byte[] stored = data;
            if (kind == 4) {
                Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
                deflater.setInput(data);
                deflater.finish();
                ByteArrayOutputStream d = new ByteArrayOutputStream();
                byte[] chunk = new byte[8192];
                while (!deflater.finished()) {
                    d.write(chunk, 0, deflater.deflate(chunk));
                }
                deflater.end();
                stored = d.toByteArray();
            }
            boolean descriptor = kind != 0;
            boolean zip64 = kind == 3;
            int offset = out.size();
            le(out, 0x04034b50, 4);
            le(out, zip64 ? 45 : 20, 2);
            le(out, descriptor ? 8 : 0, 2);
            le(out, kind == 4 ? 8 : 0, 2);
            le(out, 0, 4);
            le(out, descriptor ? 0 : crc.getValue(), 4);
            le(out, descriptor ? 0 : stored.length, 4);
            le(out, descriptor ? 0 : data.length, 4);
            le(out, name.length, 2);
            le(out, zip64 ? 20 : 0, 2);
            out.writeBytes(name);
            if (zip64) {
                le(out, 1, 2);
                le(out, 16, 2);
                le(out, 0, 8);
                le(out, 0, 8);
            }
            out.writeBytes(stored);
            if (descriptor) {
                if (kind != 2) {
                    le(out, 0x08074b50, 4);
                }
                le(out, crc.getValue(), 4);
                le(out, stored.length, zip64 ? 8 : 4);
                le(out, data.length, zip64 ? 8 : 4);
            }
            le(dir, 0x02014b50, 4);
            le(dir, 20, 2);
            le(dir, 20, 2);
            le(dir, descriptor ? 8 : 0, 2);
            le(dir, kind == 4 ? 8 : 0, 2);
            le(dir, 0, 4);
            le(dir, crc.getValue(), 4);
            le(dir, stored.length, 4);
            le(dir, data.length, 4);
            le(dir, name.length, 2);
            le(dir, 0, 2);
            le(dir, 0, 2);
            le(dir, 0, 2);
            le(dir, 0, 2);
            le(dir, 0, 4);
            le(dir, offset, 4);
            dir.writeBytes(name);
        }
        int start = out.size();
        out.writeBytes(dir.toByteArray());
        le(out, 0x06054b50, 4);
        le(out, 0, 4);
        le(out, contents.size(), 2);
        le(out, contents.size(), 2);
        le(out, dir.size(), 4);
        le(out, start, 4);
        le(out, 0, 2);
        return out.toByteArray();
    }

    private static void le(ByteArrayOutputStream out, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }
}
