package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link OfficeRecords} fed a workbook's records directly, for what a whole scan does not show. */
class OfficeRecordsTest {
    private static void feed(OfficeRecords r, byte[] bytes) {
        for (byte b : bytes) {
            r.take(b);
        }
    }

    /** A workbook globals' start, its BOF and the BOF's data, and one BoundSheet8 record of a very hidden macro sheet. */
    private static byte[] globalsWithMacroSheet() {
        byte[] g = new byte[20 + 18 + 4];
        System.arraycopy(new byte[] {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00}, 0, g, 0, 8);
        byte[] sheet = {(byte) 0x85, 0x00, 0x0e, 0x00, 0, 0, 0, 0, 0x02, 0x01, 0x06, 0x00, 'M', 'a', 'c', 'r', 'o', '1'
        };
        System.arraycopy(sheet, 0, g, 20, sheet.length);
        g[38] = 0x0a; // EOF
        return g;
    }

    /**
     * A stream starts at a sector: 512 bytes, or 64 in the mini stream, where a workbook under 4,096 bytes is kept. A
     * globals BOF elsewhere is data, not a workbook.
     */
    @Test
    void aWorkbookIsReadFromA64ByteBoundaryOnly() {
        OfficeRecords mini = new OfficeRecords();
        feed(mini, new byte[64 * 3]);
        feed(mini, globalsWithMacroSheet());
        mini.end();
        assertThat(mini.macros()).hasValue("Excel 4.0 macro sheet 'Macro1' (very hidden)");
        OfficeRecords between = new OfficeRecords();
        feed(between, new byte[64 * 3 + 8]);
        feed(between, globalsWithMacroSheet());
        between.end();
        assertThat(between.macros()).isEmpty();
        assertThat(between.damaged()).isEmpty();
    }

    /**
     * A globals BOF in a sector that belongs to no stream (or to another stream), whose next record claims the bytes of
     * the real workbook's BOF and macro sheet, hid the macro sheet: the walk it started read on, in step with the real
     * records after the claimed ones, to the real EOF, and the real BOF, inside that walk, started none. Every globals
     * BOF at a 64-byte boundary starts a walk of its own now.
     */
    @Test
    void aGlobalsBofInsideAnotherWalkStartsAWalkOfItsOwn() {
        byte[] real = globalsWithMacroSheet();
        byte[] decoy = new byte[64];
        System.arraycopy(new byte[] {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00}, 0, decoy, 0, 8);
        int claimed = (64 - 24) + 38; // the rest of the decoy's 64 bytes, the real BOF and the macro sheet's record
        System.arraycopy(new byte[] {(byte) 0xe1, 0x00, (byte) claimed, 0x00}, 0, decoy, 20, 4);
        OfficeRecords r = new OfficeRecords();
        feed(r, decoy);
        feed(r, real);
        r.end();
        assertThat(r.macros()).hasValue("Excel 4.0 macro sheet 'Macro1' (very hidden)");
        assertThat(r.damaged()).isEmpty();
    }

    /**
     * Globals BOFs one inside another's record, more than are walked at once, are a workbook that cannot be read: not
     * clean, and the work stays bounded.
     */
    @Test
    void moreNestedWalksThanAreKeptIsDamaged() {
        OfficeRecords r = new OfficeRecords();
        for (int i = 0; i < 1000; i++) {
            byte[] decoy = new byte[64];
            System.arraycopy(new byte[] {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00}, 0, decoy, 0, 8);
            System.arraycopy(new byte[] {(byte) 0xe1, 0x00, 0x00, 0x20}, 0, decoy, 20, 4); // 8,192 bytes of data
            feed(r, decoy);
        }
        r.end();
        assertThat(r.damaged()).isPresent();
        assertThat(r.walksHeld()).isLessThanOrEqualTo(OfficeRecords.MAX_WALKS);
    }

    /**
     * A macro sheet's substream BOF ({@code dt} 0x0040) at any offset is a macro sheet, once, and not when its sheet
     * list already named it.
     */
    @Test
    void aMacroSheetBofAnywhereIsAMacroSheet() {
        byte[] macroBof = {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x40, 0x00};
        OfficeRecords r = new OfficeRecords();
        feed(r, new byte[] {0x09, 0x09, 0x08, 0x10}); // a partial match starts again at its 0x09
        feed(r, macroBof);
        feed(r, macroBof);
        r.end();
        assertThat(r.macros()).hasValue("an Excel 4.0 macro sheet's records");
        OfficeRecords listed = new OfficeRecords();
        feed(listed, globalsWithMacroSheet());
        feed(listed, macroBof);
        listed.end();
        assertThat(listed.macros()).hasValue("Excel 4.0 macro sheet 'Macro1' (very hidden)");
        OfficeRecords worksheet = new OfficeRecords();
        feed(worksheet, new byte[] {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x10, 0x00});
        worksheet.end();
        assertThat(worksheet.macros()).isEmpty();
    }

    /**
     * A workbook of 200,000 macro sheets (3.6 MB of records) names five and counts the rest: it held a description of
     * every one (about 60 bytes each) until the scan ended, growing with the file.
     */
    @Test
    void aWorkbookOfManyMacroSheetsHoldsFiveOfTheirNames() {
        OfficeRecords r = new OfficeRecords();
        feed(r, new byte[] {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00});
        feed(r, new byte[12]);
        byte[] sheet = {(byte) 0x85, 0x00, 0x0e, 0x00, 0, 0, 0, 0, 0x02, 0x01, 0x06, 0x00, 'M', 'a', 'c', 'r', 'o', '1'
        };
        for (int i = 0; i < 200_000; i++) {
            feed(r, sheet);
        }
        feed(r, new byte[] {0x0a, 0x00, 0x00, 0x00});
        r.end();
        assertThat(r.damaged()).isEmpty();
        assertThat(r.macros())
                .hasValueSatisfying(m -> assertThat(m)
                        .startsWith("Excel 4.0 macro sheet 'Macro1' (very hidden), ")
                        .endsWith(" and 199995 more"));
        assertThat(r.sheetsHeld()).isEqualTo(5);
    }
}
