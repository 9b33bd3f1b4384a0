package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mailhygiene.scanners.CompressionTools.bzip2;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/**
 * {@link Bzip2Stream}, our own decoder, against what the {@code bzip2} program writes: every kind of content reads back
 * as written, and damage is a {@link ZipException} naming it, never other bytes.
 */
class Bzip2StreamTest {
    private static byte[] decode(byte[] bz, boolean concatenated) throws IOException {
        try (Bzip2Stream in = new Bzip2Stream(new ByteArrayInputStream(bz), concatenated)) {
            return in.readAllBytes();
        }
    }

    /** Text, random bytes, long runs (the run-length codings), one byte value, and their mixtures. */
    private static byte[] content(Random r, int length) {
        byte[] b = new byte[length];
        int i = 0;
        while (i < length) {
            int n = Math.min(length - i, 1 + r.nextInt(3000));
            switch (r.nextInt(4)) {
                case 0 -> Arrays.fill(b, i, i + n, (byte) r.nextInt(256)); // a run, longer than 255 and 4 too
                case 1 -> {
                    for (int k = 0; k < n; k++) {
                        b[i + k] = (byte) r.nextInt(256);
                    }
                }
                case 2 -> {
                    for (int k = 0; k < n; k++) {
                        b[i + k] = (byte) "the quick brown fox ".charAt((i + k) % 20);
                    }
                }
                default -> {
                    for (int k = 0; k < n; k++) {
                        b[i + k] = (byte) (r.nextInt(3) == 0 ? 'a' : 'b'); // runs of 4 then a count byte
                    }
                }
            }
            i += n;
        }
        return b;
    }

    @Test
    void whatBzip2WritesReadsBackAsWritten() throws IOException {
        Random r = new Random(52);
        for (int length : new int[] {0, 1, 4, 5, 259, 4096, 150_000, 1_200_000}) {
            byte[] data = content(r, length);
            for (int level : new int[] {1, 9}) {
                assertThat(decode(bzip2(data, level), true))
                        .as("%d bytes at level %d", length, level)
                        .isEqualTo(data);
            }
        }
        // 256 byte values, and a run of one byte long enough to span blocks of 100 kB
        byte[] all = new byte[256 * 40];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertThat(decode(bzip2(all, 1), true)).isEqualTo(all);
        byte[] zeros = new byte[3_000_000];
        assertThat(decode(bzip2(zeros, 1), true)).isEqualTo(zeros);
    }

    @Test
    void streamsOneAfterTheOtherReadAsOneUnlessOnlyOneIsAsked() throws IOException {
        byte[] a = "first stream\n".getBytes();
        byte[] b = "second stream\n".getBytes();
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(bzip2(a));
        int firstLength = both.size();
        both.writeBytes(bzip2(b));
        byte[] joined = both.toByteArray();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(a);
        expected.writeBytes(b);
        assertThat(decode(joined, true)).isEqualTo(expected.toByteArray());

        // one stream only (a zip entry): what follows it is given back
        Bzip2Stream one = new Bzip2Stream(new ByteArrayInputStream(joined), false);
        assertThat(one.readAllBytes()).isEqualTo(a);
        assertThat(one.unusedInput()).isEqualTo(Arrays.copyOfRange(joined, firstLength, joined.length));
    }

    @Test
    void damageIsAnExceptionNamingIt() throws IOException {
        byte[] data = content(new Random(7), 50_000);
        byte[] good = bzip2(data);

        byte[] cut = Arrays.copyOf(good, good.length - 20);
        assertThatThrownBy(() -> decode(cut, true))
                .isInstanceOf(ZipException.class)
                .hasMessage("bzip2 stream cut short");

        byte[] crc = good.clone();
        crc[10] ^= 1; // the first block's CRC, after BZh9 and the block's magic number
        assertThatThrownBy(() -> decode(crc, true))
                .isInstanceOf(ZipException.class)
                .hasMessage("bzip2 block CRC does not match its data");

        byte[] level = good.clone();
        level[3] = '0';
        assertThatThrownBy(() -> decode(level, true))
                .isInstanceOf(ZipException.class)
                .hasMessage("bzip2 block size 0 is not 1 to 9");

        byte[] magic = good.clone();
        magic[5] ^= 0x40;
        assertThatThrownBy(() -> decode(magic, true))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("no block or end");

        byte[] randomised = good.clone();
        randomised[14] |= (byte) 0x80; // the bit after the block's CRC
        assertThatThrownBy(() -> decode(randomised, true))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("randomised");

        // every byte of the compressed data flipped in turn: an exception or the data itself, never other bytes
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            int at = 14 + r.nextInt(bad.length - 14);
            bad[at] ^= (byte) (1 + r.nextInt(255));
            try {
                assertThat(decode(bad, true)).as("byte %d changed", at).isEqualTo(data);
            } catch (ZipException expected) {
                // named damage
            }
        }
    }

    @Test
    void aBlockLongerThanItsHeaderSaysIsRefused() throws IOException {
        // a stream written with 900 kB blocks whose header says 100 kB
        byte[] data = content(new Random(11), 400_000);
        byte[] big = bzip2(data, 9);
        big[3] = '1';
        assertThatThrownBy(() -> decode(big, true))
                .isInstanceOf(ZipException.class)
                .hasMessageContaining("longer than its");
    }
}
