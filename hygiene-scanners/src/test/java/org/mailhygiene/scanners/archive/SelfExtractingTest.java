package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.Programs;

/** {@link SelfExtracting}: where a program ends, and what behind it is taken as an archive. */
class SelfExtractingTest {
    private static final byte[] CODE = "code ".repeat(300).getBytes(StandardCharsets.US_ASCII);

    @Test
    void aProgramEndsWhereItsHeadersSay() {
        byte[] pe = Programs.pe(CODE, new byte[0]);
        assertThat(SelfExtracting.programEnd(pe, pe.length))
                .isEqualTo(pe.length)
                .isEqualTo(0x200 + 0x600);
        byte[] elf = Programs.elf(CODE, new byte[100]);
        assertThat(SelfExtracting.programEnd(elf, elf.length)).isEqualTo(elf.length - 100);
        // a 32-bit big-endian ELF (a MIPS or PowerPC program): one segment of 1,000 bytes at 52, no sections
        ByteBuffer be = ByteBuffer.allocate(200).order(ByteOrder.BIG_ENDIAN);
        be.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 1, 0}).put(new byte[8]);
        be.putShort((short) 2)
                .putShort((short) 8)
                .putInt(1)
                .putInt(0)
                .putInt(52)
                .putInt(0)
                .putInt(0);
        be.putShort((short) 52)
                .putShort((short) 32)
                .putShort((short) 1)
                .putShort((short) 40)
                .putShort((short) 0)
                .putShort((short) 0);
        be.putInt(1)
                .putInt(52)
                .putInt(0)
                .putInt(0)
                .putInt(1000)
                .putInt(1000)
                .putInt(5)
                .putInt(4);
        assertThat(SelfExtracting.programEnd(be.array(), 200)).isEqualTo(1052);
    }

    @Test
    void headersThatDoNotReadMakeNoProgram() {
        byte[] pe = Programs.pe(CODE, new byte[0]);
        byte[] cut = java.util.Arrays.copyOf(pe, 0x100); // the section table cut off
        assertThat(SelfExtracting.programEnd(cut, cut.length)).isEqualTo(-1);
        byte[] many = pe.clone();
        many[0x86] = (byte) 200; // 200 sections: more than Windows loads
        assertThat(SelfExtracting.programEnd(many, many.length)).isEqualTo(-1);
        byte[] far = pe.clone();
        far[0x3d] = 0x70; // the PE header beyond the bytes read
        assertThat(SelfExtracting.programEnd(far, far.length)).isEqualTo(-1);
        assertThat(SelfExtracting.programEnd("MZ not a program".getBytes(StandardCharsets.US_ASCII), 16))
                .isEqualTo(-1);
    }

    @Test
    void aProgramShorterThanItsHeadersSayHasNothingBehindIt() throws Exception {
        RarWriter w = new RarWriter();
        w.file("a.txt", "x".getBytes(StandardCharsets.US_ASCII));
        byte[] whole = Programs.pe(CODE, w.rar5());
        byte[] shorter = java.util.Arrays.copyOf(whole, 0x300); // its section's data cut short, the RAR gone
        assertThat(SelfExtracting.find(new ByteArrayInputStream(shorter), new byte[4096], 100))
                .isNull();
        try (SelfExtracting sfx = SelfExtracting.find(new ByteArrayInputStream(whole), new byte[4096], 100)) {
            assertThat(sfx.kind()).isEqualTo(ArchiveKind.RAR);
            assertThat(sfx.offset()).isEqualTo(0x800);
            assertThat(sfx.archive().readAllBytes()).isEqualTo(w.rar5());
        }
    }
}
