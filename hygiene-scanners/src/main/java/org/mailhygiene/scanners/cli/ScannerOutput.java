package org.mailhygiene.scanners.cli;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * Turns a scanner's output bytes into text. Stateless; thread-safe.
 *
 * <p>Scanners from Windows (and wrappers written in PowerShell or .NET) print UTF-16, with or without a byte order
 * mark; read as 8-bit text, every other byte was a NUL, so no threat name, no {@code FILE: OK} line and no file name
 * was ever found in it. Output is read as UTF-16 when its bytes say so: UTF-16 of the ASCII text scanners print (paths,
 * {@code OK}, threat names) has a zero byte in every other place. A byte order mark ({@code FF FE}, {@code FE FF}) at
 * the start picks the byte order and is dropped; without one, the order is the side the zero bytes are on. A mark alone
 * is not enough: the bytes after it must have zero bytes on the side it names in at least a quarter of the code units
 * (so an 8-bit line that happens to begin with {@code ÿþ} stays 8-bit text). Anything else is read as before, line by
 * line ({@link TextDecoding#decodeReportLines}: UTF-8 where valid, else ISO-8859-1), after a UTF-8 byte order mark is
 * dropped.
 */
final class ScannerOutput {

    private ScannerOutput() {}

    /**
     * @param bytes the output as the scanner wrote it (stdout and stderr merged)
     * @return the text
     */
    static String decode(byte[] bytes) {
        int start = 0;
        Boolean bigEndian = null;
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xfe) {
            start = 2;
            bigEndian = false;
        } else if (bytes.length >= 2 && (bytes[0] & 0xff) == 0xfe && (bytes[1] & 0xff) == 0xff) {
            start = 2;
            bigEndian = true;
        }
        int units = (bytes.length - start) / 2;
        int zeroLow = 0; // zero bytes in the first byte of a unit (the high byte of big-endian ASCII)
        int zeroHigh = 0; // zero bytes in the second byte of a unit (the high byte of little-endian ASCII)
        for (int i = 0; i < units; i++) {
            if (bytes[start + 2 * i] == 0) {
                zeroLow++;
            }
            if (bytes[start + 2 * i + 1] == 0) {
                zeroHigh++;
            }
        }
        boolean little = utf16(zeroHigh, zeroLow, units);
        boolean big = utf16(zeroLow, zeroHigh, units);
        if (bigEndian != null ? (bigEndian ? big : little) : (little || big)) {
            Charset cs = (bigEndian != null ? bigEndian : big) ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE;
            // an odd last byte (output cut by the cap) is dropped; a lone surrogate becomes U+FFFD
            return new String(bytes, start, units * 2, cs);
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            return TextDecoding.decodeReportLines(Arrays.copyOfRange(bytes, 3, bytes.length));
        }
        return TextDecoding.decodeReportLines(bytes);
    }

    /** Whether zero bytes on the high side of at least a quarter of the units, and hardly any on the other side. */
    private static boolean utf16(int zeroHighSide, int zeroOtherSide, int units) {
        return units > 0 && zeroHighSide * 4 >= units && zeroOtherSide * 8 <= zeroHighSide;
    }
}
