package org.mailhygiene.scanners.mime;

import java.nio.charset.StandardCharsets;

/**
 * A BinHex 4.0 encoder for tests, written from the format description (RFC 1741): checked against files of Debian's
 * {@code Convert::BinHex} and of a Python encoder ({@code src/test/resources/binhex}).
 */
public final class BinHexFixtures {
    private BinHexFixtures() {}

    private static final String HQX = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

    private static int crc(byte[] b) {
        int crc = 0;
        for (byte x : b) {
            crc ^= (x & 0xff) << 8;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xffff;
        }
        return crc;
    }

    /**
     * BinHex-encodes a file (test encoder: header, forks and CRCs, runs of {@code minRun} or more bytes run-length
     * coded, lines of {@code lineLength} characters); {@code damage} flips a bit of the data fork's CRC when true.
     */
    public static String encode(String name, byte[] data, byte[] rsrc, int minRun, int lineLength, boolean damage) {
        java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream header = new java.io.ByteArrayOutputStream();
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        header.write(n.length);
        header.writeBytes(n);
        header.writeBytes(new byte[] {0, 'T', 'E', 'X', 'T', 't', 't', 'x', 't', 0, 0});
        java.nio.ByteBuffer lengths =
                java.nio.ByteBuffer.allocate(8).putInt(data.length).putInt(rsrc.length);
        header.writeBytes(lengths.array());
        byte[] h = header.toByteArray();
        plain.writeBytes(h);
        plain.writeBytes(new byte[] {(byte) (crc(h) >> 8), (byte) crc(h)});
        int dataCrc = crc(data) ^ (damage ? 1 : 0);
        plain.writeBytes(data);
        plain.writeBytes(new byte[] {(byte) (dataCrc >> 8), (byte) dataCrc});
        plain.writeBytes(rsrc);
        plain.writeBytes(new byte[] {(byte) (crc(rsrc) >> 8), (byte) crc(rsrc)});
        byte[] p = plain.toByteArray();
        java.io.ByteArrayOutputStream rle = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < p.length; ) {
            int c = p[i] & 0xff;
            if (c == 0x90) {
                rle.writeBytes(new byte[] {(byte) 0x90, 0});
                i++;
                continue;
            }
            int run = 1;
            while (i + run < p.length && p[i + run] == p[i] && run < 255) {
                run++;
            }
            if (run >= minRun) {
                rle.writeBytes(new byte[] {(byte) c, (byte) 0x90, (byte) run});
                i += run;
            } else {
                rle.write(c);
                i++;
            }
        }
        StringBuilder six = new StringBuilder(":");
        int bits = 0;
        int count = 0;
        for (byte b : rle.toByteArray()) {
            bits = (bits << 8) | (b & 0xff);
            count += 8;
            while (count >= 6) {
                count -= 6;
                six.append(HQX.charAt((bits >> count) & 63));
            }
            bits &= (1 << count) - 1;
        }
        if (count > 0) {
            six.append(HQX.charAt((bits << (6 - count)) & 63));
        }
        six.append(':');
        StringBuilder text = new StringBuilder("(This file must be converted with BinHex 4.0)\r\n");
        for (int i = 0; i < six.length(); i += lineLength) {
            text.append(six, i, Math.min(six.length(), i + lineLength)).append("\r\n");
        }
        return text.toString();
    }
}
