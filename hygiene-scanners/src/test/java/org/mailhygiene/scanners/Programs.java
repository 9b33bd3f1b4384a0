package org.mailhygiene.scanners;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * Programs built byte by byte for the self-extractor tests: a minimal PE (DOS header, {@code PE} signature, COFF header,
 * a PE32 optional header, one {@code .text} section) and a minimal 64-bit ELF (one loadable segment, a section header
 * table at its end), each with what a self-extractor appends after it.
 */
public final class Programs {
    private Programs() {}

    /**
     * A PE of {@code 0x200 + code.length} bytes rounded up to 0x200 (its headers, then its one section's data), then
     * {@code overlay}.
     *
     * @param code the section's data (a program's code and data, which may hold anything)
     * @param overlay what follows the program's end
     */
    public static byte[] pe(byte[] code, byte[] overlay) {
        int raw = (code.length + 0x1ff) & ~0x1ff;
        ByteBuffer b = ByteBuffer.allocate(0x200 + raw).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 'M').put(1, (byte) 'Z').putInt(0x3c, 0x80);
        b.position(0x80);
        b.put(new byte[] {'P', 'E', 0, 0});
        b.putShort((short) 0x14c).putShort((short) 1).putInt(0).putInt(0).putInt(0); // i386, one section
        b.putShort((short) 0xe0).putShort((short) 0x0102); // optional header's size; executable, 32-bit
        int optional = b.position();
        b.putShort((short) 0x10b)
                .put((byte) 14)
                .put((byte) 0)
                .putInt(raw)
                .putInt(0)
                .putInt(0);
        b.putInt(0x1000)
                .putInt(0x1000)
                .putInt(0x2000)
                .putInt(0x400000)
                .putInt(0x1000)
                .putInt(0x200);
        b.putShort((short) 6)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) 6)
                .putShort((short) 0);
        b.putInt(0)
                .putInt(0x1000 + ((raw + 0xfff) & ~0xfff))
                .putInt(0x200)
                .putInt(0)
                .putShort((short) 2)
                .putShort((short) 0x8540);
        b.putInt(0x100000)
                .putInt(0x1000)
                .putInt(0x100000)
                .putInt(0x1000)
                .putInt(0)
                .putInt(16);
        b.position(optional + 0xe0);
        b.put(".text\0\0\0".getBytes(StandardCharsets.US_ASCII));
        b.putInt(code.length)
                .putInt(0x1000)
                .putInt(raw)
                .putInt(0x200)
                .putInt(0)
                .putInt(0)
                .putShort((short) 0)
                .putShort((short) 0)
                .putInt(0x60000020);
        b.position(0x200);
        b.put(code);
        return concat(b.array(), overlay);
    }

    /**
     * A 64-bit little-endian ELF: its header, one program header loading {@code code}, the code, a section header
     * table of one null section at its end; then {@code overlay}.
     */
    public static byte[] elf(byte[] code, byte[] overlay) {
        int codeAt = 64 + 56;
        int shoff = codeAt + code.length;
        ByteBuffer b = ByteBuffer.allocate(shoff + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 2)
                .putShort((short) 62)
                .putInt(1)
                .putLong(0x400000 + codeAt)
                .putLong(64)
                .putLong(shoff);
        b.putInt(0)
                .putShort((short) 64)
                .putShort((short) 56)
                .putShort((short) 1)
                .putShort((short) 64)
                .putShort((short) 1)
                .putShort((short) 0);
        b.putInt(1)
                .putInt(5)
                .putLong(codeAt)
                .putLong(0x400000 + codeAt)
                .putLong(0x400000 + codeAt)
                .putLong(code.length)
                .putLong(code.length)
                .putLong(0x1000);
        b.put(code);
        return concat(b.array(), overlay);
    }

    /**
     * A program's section data for the tests: 1,600 bytes of text (a self-extractor's archive then starts at byte 2560
     * of a {@link #pe}).
     *
     * @return new bytes each call
     */
    public static byte[] code() {
        return "This program cannot be run in DOS mode. ".repeat(40).getBytes(StandardCharsets.US_ASCII);
    }

    /** The bytes one after the other. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * What {@code 7z l} (p7zip-full) lists of a file, so that a test's self-extractor is one 7-Zip opens too.
     *
     * @param file the file's bytes
     * @param dir where to write it
     * @return 7-Zip's output
     */
    public static String sevenZipLists(byte[] file, Path dir) throws Exception {
        Path f = Files.write(Files.createTempFile(dir, "sfx", ".exe"), file);
        List<String> cmd =
                new ArrayList<>(List.of(RealBinaries.require("7z", "p7zip-full").toString(), "l"));
        cmd.add(f.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("7z l failed: " + out);
        }
        return out;
    }
}
