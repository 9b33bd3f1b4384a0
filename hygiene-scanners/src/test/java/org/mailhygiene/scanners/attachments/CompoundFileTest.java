package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.archive.Spool;

/**
 * A binary Excel file's streams read along their chains in the compound file's allocation tables ({@link CompoundFile}),
 * not in the file's order: until session 52 a macro sheet whose BOF straddled a jump between two sectors of the
 * workbook stream, with a decoy EOF after the stream's first sector, was clean. The files are xlwt's
 * ({@code make-xlwt-xls.py} beside them says how each was made).
 */
class CompoundFileTest {
    private static final AttachmentPolicyScanner ON = AttachmentPolicyScanner.builder()
            .policy(AttachmentPolicy.builder().officeMacroCheck(true).build())
            .build();
    private static final String XLS = "application/vnd.ms-excel";

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = CompoundFileTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    private static Verdict scan(byte[] file) throws Exception {
        return ON.scan(Message.of(Samples.attachment("figures.xls", XLS, file)));
    }

    private static String macros(byte[] file) throws Exception {
        Verdict v = scan(file);
        assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        return v.rules().get(0).description();
    }

    @Test
    void aMacroSheetWhoseBofStraddlesASectorJumpIsFound() throws Exception {
        assertThat(macros(resource("xlwt-straddle.xls")))
                .isEqualTo("part 2 \"figures.xls\": Office document with macros"
                        + " (Excel 4.0 macro sheet 'Macro1' (very hidden))");
        // in the mini stream, its 64-byte sectors so laid out
        assertThat(macros(resource("xlwt-mini.xls"))).endsWith("(Excel 4.0 macro sheet 'Macro1' (very hidden))");
        // 4,096-byte sectors (version 4)
        assertThat(macros(resource("xlwt-version4.xls"))).endsWith("(Excel 4.0 macro sheet 'Macro1' (very hidden))");
        assertThat(scan(resource("xlwt-plain.xls")).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /** xlwt-straddle.xls with one change made to its header, allocation table or directory. */
    private static byte[] straddle(Consumer<ByteBuffer> change) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(resource("xlwt-straddle.xls")).order(ByteOrder.LITTLE_ENDIAN);
        change.accept(b);
        return b.array();
    }

    private static final int FAT = 512;
    private static final int DIRECTORY = 512 * 3;

    private static void unscannable(byte[] file, String why) {
        assertThatThrownBy(() -> scan(file)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("part 2 \"figures.xls\": compound file whose allocation table cannot be followed (" + why
                            + "); macros not ruled out");
        });
    }

    /**
     * Tables that cannot be followed are never clean: the workbook's chain (file sectors 3, 11, 10, ... 5) looping,
     * leaving the file, ending early, running into a free sector; a header whose sector size is not its version's, or
     * that counts more FAT sectors than the file has; a directory tree reaching an entry twice.
     */
    @Test
    void aCompoundFileWhoseTablesCannotBeFollowedIsNotClean() throws Exception {
        unscannable(
                straddle(b -> b.putInt(FAT + 4 * 11, 3)),
                "the stream Workbook's sector 2 is sector 3, reached twice (a loop, or two chains sharing it)");
        unscannable(
                straddle(b -> b.putInt(FAT + 4 * 11, 5000)),
                "the stream Workbook's sector 2 is sector 5000, not in the file (12 sectors)");
        unscannable(straddle(b -> b.putInt(FAT + 4 * 11, -2)), "the stream Workbook ends after 2 of its 8 sectors");
        unscannable(
                straddle(b -> b.putInt(FAT + 4 * 11, -1)),
                "the stream Workbook runs into a free sector after sector 11");
        unscannable(
                straddle(b -> b.putShort(30, (short) 10)),
                "version 3 with sectors of 2^10 bytes (version 3 has 512-byte sectors, version 4 4,096)");
        unscannable(
                straddle(b -> b.putInt(44, 13)),
                "its header counts 13 FAT sectors, more than the 12 sectors the file has");
        unscannable(straddle(b -> b.putInt(DIRECTORY + 128 + 68, 1)), "its directory tree reaches entry 1 twice");
        // xlwt's file cut short: its FAT, after the workbook, is gone (its globals read whole, it was clean)
        unscannable(
                java.util.Arrays.copyOf(resource("xlwt-plain.xls"), 3000),
                "FAT sector 0 is sector 8, not in the file (5 sectors)");
        // a stream claiming more than the file holds
        unscannable(
                straddle(b -> b.putInt(DIRECTORY + 128 + 120, 1 << 20)),
                "the stream Workbook claims 1048576 bytes, more than the file holds");
    }

    /**
     * A version 4 file's stream sizes are 64 bits: one of 2^63 or more read as negative (a NegativeArraySizeException
     * escaped the scanner), one near 2^63 overflowed the count of its sectors (an ArrayIndexOutOfBoundsException);
     * both are sizes the file cannot hold, and a file whose tables cannot be followed.
     */
    @Test
    void aVersion4StreamSizeBeyondTheFileIsDamagedNotAnError() throws Exception {
        int workbookSize = 3 * 4096 + 128 + 120; // the directory is sector 2, the workbook its entry 1
        for (long size : new long[] {-128, Long.MAX_VALUE, 1L << 40}) {
            ByteBuffer b = ByteBuffer.wrap(resource("xlwt-version4.xls")).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(workbookSize, size);
            // its macro sheet is still found, in the file's order (without it, the file is NOT_INSPECTED: the tables)
            assertThat(macros(b.array())).endsWith("(Excel 4.0 macro sheet 'Macro1' (very hidden))");
        }
    }

    /** The spool keeps 4 MiB in heap and the rest in a temporary file; both read back at any offset. */
    @Test
    void aSpoolReadsBackWhatWasWrittenInHeapAndOnDisk() throws IOException {
        byte[] data = new byte[Spool.HEAP + 300_000];
        new Random(52).nextBytes(data);
        try (Spool spool = new Spool()) {
            for (int at = 0; at < data.length; at += 7_777) {
                spool.write(data, at, Math.min(7_777, data.length - at));
            }
            assertThat(spool.onDisk()).isTrue();
            assertThat(spool.size()).isEqualTo(data.length);
            for (long at : new long[] {0, 65_535, Spool.HEAP - 10, Spool.HEAP + 65_530, data.length - 5}) {
                byte[] back = new byte[20];
                int n = spool.read(at, back, 0, 20);
                assertThat(n).isEqualTo((int) Math.min(20, data.length - at));
                assertThat(java.util.Arrays.copyOf(back, n))
                        .isEqualTo(java.util.Arrays.copyOfRange(data, (int) at, (int) at + n));
            }
            assertThat(spool.read(data.length, new byte[4], 0, 4)).isZero();
        }
    }
}
