package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;

/**
 * Macros of the binary Office formats that hold no {@code _VBA_PROJECT} stream where Word's and Excel's VBA projects
 * keep it: Excel 4.0 (XLM) macro sheets in a binary Excel workbook, the droppers of the 2020-2022 malspam, and a
 * binary PowerPoint file's VBA project. Both came out clean with {@code check office-macros on} until session 51.
 */
class BinaryOfficeMacroTest {
    private static final AttachmentPolicyScanner ON = AttachmentPolicyScanner.builder()
            .policy(AttachmentPolicy.builder().officeMacroCheck(true).build())
            .build();
    private static final String XLS = "application/vnd.ms-excel";
    private static final String PPT = "application/vnd.ms-powerpoint";

    /** A BIFF8 record ([MS-XLS] 2.1.4): its type, its size, its data. */
    private static byte[] record(int type, byte[] data) {
        byte[] r = new byte[4 + data.length];
        r[0] = (byte) type;
        r[1] = (byte) (type >> 8);
        r[2] = (byte) data.length;
        r[3] = (byte) (data.length >> 8);
        System.arraycopy(data, 0, r, 4, data.length);
        return r;
    }

    /** A BoundSheet8 record ([MS-XLS] 2.4.28) of a sheet named in Latin-1 ({@code wide}: UTF-16LE). */
    private static byte[] sheet(String name, int hsState, int dt, boolean wide) {
        byte[] chars = name.getBytes(wide ? StandardCharsets.UTF_16LE : StandardCharsets.ISO_8859_1);
        byte[] d = new byte[8 + chars.length];
        d[4] = (byte) hsState;
        d[5] = (byte) dt;
        d[6] = (byte) name.length();
        d[7] = (byte) (wide ? 1 : 0);
        System.arraycopy(chars, 0, d, 8, chars.length);
        return record(0x0085, d);
    }

    /** A Lbl record ([MS-XLS] Lbl): a built-in name by its index, or a name a user gave. */
    private static byte[] name(boolean builtin, String name) {
        byte[] chars = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] d = new byte[15 + chars.length + 7];
        d[0] = (byte) (builtin ? 0x20 : 0);
        d[3] = (byte) name.length();
        d[4] = 7; // cce: the formula after the name
        System.arraycopy(chars, 0, d, 15, chars.length);
        return record(0x0018, d);
    }

    /**
     * A Workbook stream: the globals' BOF ([MS-XLS] 2.4.21), a CODEPAGE record, the given records, EOF, padded to
     * 4,096 bytes as a stream outside the mini stream is.
     */
    private static byte[] workbook(byte[]... records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bof = new byte[16];
        bof[0] = 0x00;
        bof[1] = 0x06;
        bof[2] = 0x05;
        out.writeBytes(record(0x0809, bof));
        out.writeBytes(record(0x0042, new byte[] {(byte) 0xe4, 0x04}));
        for (byte[] r : records) {
            out.writeBytes(r);
        }
        out.writeBytes(record(0x000a, new byte[0]));
        byte[] stream = out.toByteArray();
        return Arrays.copyOf(stream, Math.max(4096, stream.length));
    }

    private static byte[] xls(byte[] workbook) {
        return Samples.compoundFile(workbook, "Workbook", "\u0005SummaryInformation");
    }

    private static Verdict scan(String name, String type, byte[] file) throws Exception {
        return ON.scan(Message.of(Samples.attachment(name, type, file)));
    }

    private static String description(Verdict v) {
        assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        return v.rules().get(0).description();
    }

    @Test
    void anExcel4MacroSheetIsFoundAndNamedWithItsVisibility() throws Exception {
        byte[] dropper = xls(workbook(
                sheet("Sheet1", 0, 0, false),
                sheet("Macro1", 2, 1, false),
                name(true, "\u0001"),
                name(false, "_xlfn.X")));
        assertThat(description(scan("invoice.xls", XLS, dropper)))
                .isEqualTo("part 2 \"invoice.xls\": Office document with macros"
                        + " (Excel 4.0 macro sheet 'Macro1' (very hidden), an Auto_Open name)");
        assertThat(description(scan("invoice.xls", XLS, xls(workbook(sheet("Лист2", 1, 1, true))))))
                .endsWith("(Excel 4.0 macro sheet 'Лист2' (hidden))");
        assertThat(description(scan("invoice.xls", XLS, xls(workbook(sheet("M", 0, 1, false))))))
                .endsWith("(Excel 4.0 macro sheet 'M')");
        // a name a user gave that starts with Auto_Open runs on opening too
        assertThat(description(scan("a.xls", XLS, xls(workbook(sheet("S", 0, 0, false), name(false, "auto_open21"))))))
                .endsWith("(an Auto_Open name)");
        // off by default
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(Samples.attachment("invoice.xls", XLS, dropper)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void worksheetsHiddenOrNotAndChartsAreNoMacros() throws Exception {
        byte[] plain = xls(workbook(
                sheet("Sheet1", 0, 0, false),
                sheet("Data", 2, 0, false),
                sheet("Chart1", 1, 2, false),
                name(true, "\u0006"), // Print_Area
                name(false, "Totals")));
        assertThat(scan("figures.xls", XLS, plain).outcome()).isEqualTo(Outcome.CLEAN);
        // a macro sheet's record outside a workbook's globals (after their EOF) is none of its sheets
        byte[] after = workbook(sheet("Sheet1", 0, 0, false));
        byte[] stray = sheet("Macro1", 2, 1, false);
        System.arraycopy(stray, 0, after, 200, stray.length);
        assertThat(scan("figures.xls", XLS, xls(after)).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /** A workbook whose globals cannot be read to their EOF may hide a macro sheet further on: never clean. */
    @Test
    void aWorkbookCutShortOrDamagedIsNotClean() throws Exception {
        byte[] whole = xls(workbook(sheet("Sheet1", 0, 0, false), new byte[0]));
        byte[] cut = Arrays.copyOf(whole, 512 * 3 + 40); // the workbook starts at 512 * 3: its BOF and a little more
        assertThatThrownBy(() -> scan("figures.xls", XLS, cut)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("part 2 \"figures.xls\": compound file whose allocation table cannot be followed (the"
                            + " stream Workbook claims 4096 bytes, more than the file holds); macros not ruled out");
        });
        byte[] tooLong = xls(workbook(sheet("Sheet1", 0, 0, false), new byte[] {0x3c, 0, 0x21, 0x20}));
        assertThatThrownBy(() -> scan("figures.xls", XLS, tooLong)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("part 2 \"figures.xls\": Excel workbook whose sheet list cannot be read past byte 44 of"
                            + " its Workbook stream (cut short or damaged); Excel 4.0 macro sheets not ruled out");
        });
        // a sheet's record shorter than its name says
        byte[] shortName = sheet("Sheet1", 0, 0, false);
        shortName[2] -= 3;
        byte[] damaged = xls(workbook(Arrays.copyOf(shortName, shortName.length - 3)));
        assertThatThrownBy(() -> scan("figures.xls", XLS, damaged)).isInstanceOf(ScanException.class);
        // a macro sheet found is what the file is, damaged or not
        byte[] macroThenCut = xls(workbook(sheet("Macro1", 2, 1, false), sheet("Sheet1", 0, 0, false)));
        assertThat(description(scan("figures.xls", XLS, Arrays.copyOf(macroThenCut, 512 * 3 + 60))))
                .endsWith("(Excel 4.0 macro sheet 'Macro1' (very hidden))");
    }

    /**
     * A sector before the workbook (free, or another stream's: the walk reads the file's order, not its allocation
     * table; here the stream's first) holding a globals BOF whose next record claims the rest of the sector, the real
     * BOF and the macro sheet's record: the walk of the decoy read on in step with the real records to their EOF, and
     * the file was clean until session 51.
     */
    @Test
    void aDecoyBofBeforeTheWorkbookHidesNoMacroSheet() throws Exception {
        byte[] real = workbook(sheet("Macro1", 2, 1, false), sheet("Sheet1", 0, 0, false));
        byte[] claimed = sheet("Macro1", 2, 1, false);
        byte[] decoy = new byte[512];
        System.arraycopy(real, 0, decoy, 0, 20); // a globals BOF
        int size = (512 - 24) + 20 + 6 + claimed.length; // to the real macro sheet's record's end
        System.arraycopy(record(0x00e1, new byte[0]), 0, decoy, 20, 4);
        decoy[22] = (byte) size;
        decoy[23] = (byte) (size >> 8);
        byte[] stream = new byte[512 + real.length];
        System.arraycopy(decoy, 0, stream, 0, 512);
        System.arraycopy(real, 0, stream, 512, real.length);
        assertThat(description(scan("invoice.xls", XLS, xls(stream))))
                .endsWith("(Excel 4.0 macro sheet 'Macro1' (very hidden))");
    }

    /**
     * A workbook stream whose sectors are out of order in the file (the allocation table, which Excel follows, chains
     * them; the walk reads the file's order): the sector holding the sheet list and the macro sheet's substream first,
     * then the stream's first sector, the globals' BOF and records filling it, then a free sector starting with an EOF.
     * The walk read the BOF's sector and the decoy EOF, and the file was clean until session 51; the macro sheet's own
     * BOF ({@code dt} 0x0040) names it now.
     */
    @Test
    void aMacroSheetsSubstreamIsFoundWhereTheSheetListWasNotRead() throws Exception {
        ByteArrayOutputStream listAndSheet = new ByteArrayOutputStream();
        listAndSheet.writeBytes(sheet("Macro1", 2, 1, false));
        listAndSheet.writeBytes(record(0x000a, new byte[0]));
        byte[] macroBof = new byte[16];
        macroBof[1] = 0x06;
        macroBof[2] = 0x40;
        listAndSheet.writeBytes(record(0x0809, macroBof));
        listAndSheet.writeBytes(record(0x000a, new byte[0]));
        byte[] first = Arrays.copyOf(workbook(), 512);
        byte[] filler = record(0x00e1, new byte[512 - 20 - 6 - 4]); // after the BOF and CODEPAGE, to the sector's end
        System.arraycopy(filler, 0, first, 26, filler.length);
        byte[] stream = new byte[4096];
        System.arraycopy(listAndSheet.toByteArray(), 0, stream, 0, listAndSheet.size());
        System.arraycopy(first, 0, stream, 512, 512);
        System.arraycopy(record(0x000a, new byte[0]), 0, stream, 1024, 4); // the decoy EOF
        assertThat(description(scan("invoice.xls", XLS, xls(stream)))).endsWith("(an Excel 4.0 macro sheet's records)");
    }

    /** A BIFF5 record: as BIFF8's, of at most 2,080 bytes of data. */
    private static byte[] book(byte[]... records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(record(0x0809, new byte[] {0x00, 0x05, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00})); // BOF, BIFF5
        for (byte[] r : records) {
            out.writeBytes(r);
        }
        out.writeBytes(record(0x000a, new byte[0]));
        return Arrays.copyOf(out.toByteArray(), 4096);
    }

    /** A BIFF5 BOUNDSHEET record: stream position (4), visibility (1), sheet type (1), the name's length and bytes. */
    private static byte[] sheet5(String name, int hsState, int dt) {
        byte[] chars = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] d = new byte[7 + chars.length];
        d[4] = (byte) hsState;
        d[5] = (byte) dt;
        d[6] = (byte) chars.length;
        System.arraycopy(chars, 0, d, 7, chars.length);
        return record(0x0085, d);
    }

    /** A BIFF5 NAME record: a built-in name by its index; 8-bit characters at 14, no flags byte before them. */
    private static byte[] name5(String name) {
        byte[] chars = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] d = new byte[14 + chars.length + 7];
        d[0] = 0x20;
        d[3] = (byte) chars.length;
        d[4] = 7;
        System.arraycopy(chars, 0, d, 14, chars.length);
        return record(0x0018, d);
    }

    /**
     * An Excel 5.0/95 workbook (BIFF5, its {@code Book} stream) listing an Excel 4.0 macro sheet, the format XLM macros
     * were first written in: clean until session 52, whose walk reads BIFF5's 8-bit sheet and name records.
     */
    @Test
    void anExcel5WorkbooksMacroSheetIsFound() throws Exception {
        byte[] book = book(sheet5("Sheet1", 0, 0), sheet5("Makro1", 1, 1), name5("\u0001"));
        assertThat(description(scan("old.xls", XLS, Samples.compoundFile(book, "Book"))))
                .endsWith("(Excel 4.0 macro sheet 'Makro1' (hidden), an Auto_Open name)");
        assertThat(description(scan("old.xls", XLS, Samples.compoundFile(book(sheet5("Module1", 2, 6)), "Book"))))
                .endsWith("(VBA module sheet 'Module1' (very hidden))");
        // a macro sheet's own BIFF5 BOF, where no sheet list names it
        byte[] own = book(record(0x0809, new byte[] {0x00, 0x05, 0x40, 0x00, 0, 0, 0, 0}));
        assertThat(description(scan("old.xls", XLS, Samples.compoundFile(own, "Book"))))
                .endsWith("(an Excel 4.0 macro sheet's records)");
        byte[] plain = book(sheet5("Sheet1", 0, 0), sheet5("Chart1", 0, 2), name5("\u0006"));
        assertThat(scan("old.xls", XLS, Samples.compoundFile(plain, "Book")).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void manySheetsAreCountedAndTheirNamesKeptReadable() throws Exception {
        byte[][] sheets = new byte[8][];
        for (int i = 0; i < sheets.length; i++) {
            sheets[i] = sheet("M" + i, 0, 1, false);
        }
        sheets[0] = sheet("a\u0007b", 0, 1, false);
        assertThat(description(scan("a.xls", XLS, xls(workbook(sheets)))))
                .endsWith("(Excel 4.0 macro sheet 'a?b', Excel 4.0 macro sheet 'M1', Excel 4.0 macro sheet 'M2',"
                        + " Excel 4.0 macro sheet 'M3', Excel 4.0 macro sheet 'M4' and 3 more)");
    }

    /** A PowerPoint Document stream: a DocumentContainer holding a VBAInfoContainer ([MS-PPT] 2.4.10, 2.4.11). */
    private static byte[] presentation(int hasMacros) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x000f).putShort((short) 0x03e8).putInt(4088); // DocumentContainer
        b.putShort((short) 0x0001).putShort((short) 0x03e9).putInt(40).position(b.position() + 40); // DocumentAtom
        b.putShort((short) 0x000f).putShort((short) 0x07d0).putInt(28); // DocInfoListContainer
        b.putShort((short) 0x001f).putShort((short) 0x03ff).putInt(20); // VBAInfoContainer
        b.putShort((short) 0x0002).putShort((short) 0x0400).putInt(12); // VBAInfoAtom
        b.putInt(3).putInt(hasMacros).putInt(2); // persistIdRef, fHasMacros, version
        return b.array();
    }

    @Test
    void aPowerPointVbaProjectIsFound() throws Exception {
        byte[] ppt = Samples.compoundFile(presentation(1), "PowerPoint Document", "Current User");
        assertThat(description(scan("slides.ppt", PPT, ppt))).endsWith("(a PowerPoint VBA project)");
        byte[] empty = Samples.compoundFile(presentation(0), "PowerPoint Document", "Current User");
        assertThat(scan("slides.ppt", PPT, empty).outcome()).isEqualTo(Outcome.CLEAN);
    }

    /** A presentation stream followed by a VbaProjectStg record ([MS-PPT] 2.10.40) holding {@code storage}, zlib-compressed. */
    private static byte[] withStorage(byte[] presentation, byte[] storage) {
        java.io.ByteArrayOutputStream deflated = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(deflated)) {
            z.write(storage);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(presentation.length + 12 + deflated.size() + 4096)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(presentation);
        b.putShort((short) 0x0010).putShort((short) 0x1011).putInt(4 + deflated.size()); // instance 1: compressed
        b.putInt(storage.length).put(deflated.toByteArray());
        return b.array();
    }

    /**
     * A PowerPoint VBA project in its compressed storage, whose VBAInfoAtom says it holds nothing: the storage is
     * inflated and its directory read (it was clean until session 52); an OLE object's storage holding no project is
     * nothing.
     */
    @Test
    void aPowerPointVbaProjectInItsCompressedStorageIsFound() throws Exception {
        byte[] project = Samples.compoundFile("_VBA_PROJECT", "dir");
        byte[] ppt = Samples.compoundFile(withStorage(presentation(0), project), "PowerPoint Document", "Current User");
        assertThat(description(scan("slides.ppt", PPT, ppt))).endsWith("(a PowerPoint VBA project)");
        byte[] object = Samples.compoundFile(workbook(sheet("Sheet1", 0, 0, false)), "Workbook");
        byte[] plain =
                Samples.compoundFile(withStorage(presentation(0), object), "PowerPoint Document", "Current User");
        assertThat(scan("slides.ppt", PPT, plain).outcome()).isEqualTo(Outcome.CLEAN);
        // more than 16 MiB inflated: not looked inside, not clean
        byte[] large = Samples.compoundFile(
                withStorage(presentation(0), new byte[OfficeRecords.MAX_STORAGE + 1]), "PowerPoint Document");
        assertThatThrownBy(() -> scan("slides.ppt", PPT, large)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("part 2 \"slides.ppt\": PowerPoint presentation holding a compressed storage of 16777217"
                            + " bytes (more than 16777216 bytes, or all its storages more than 67108864) not inspected;"
                            + " a VBA project not ruled out");
        });
    }

    /**
     * An OLE object's storage in a presentation is a compound file read as the attachment is: an embedded workbook
     * listing an Excel 4.0 macro sheet was clean until session 52 (only a VBA project's names were looked for), and
     * so was a presentation in a storage holding a VBA project in its own storage; storages nested deeper than four
     * are not inspected, never clean.
     */
    @Test
    void theWorkbooksAndPresentationsInAPresentationsStoragesAreRead() throws Exception {
        byte[] book = Samples.compoundFile(workbook(sheet("Macro1", 2, 1, false)), "Workbook");
        byte[] ppt = Samples.compoundFile(withStorage(presentation(0), book), "PowerPoint Document", "Current User");
        assertThat(description(scan("slides.ppt", PPT, ppt)))
                .endsWith("(in an object storage: Excel 4.0 macro sheet 'Macro1' (very hidden))");
        byte[] nested = Samples.compoundFile("_VBA_PROJECT", "dir");
        for (int i = 0; i < 4; i++) { // OfficeRecords.MAX_STORAGE_DEPTH
            nested = Samples.compoundFile(withStorage(presentation(0), nested), "PowerPoint Document");
        }
        assertThat(description(scan("slides.ppt", PPT, nested)))
                .endsWith(
                        "(in an object storage: in an object storage: in an object storage: a PowerPoint VBA project)");
        // the fifth storage's names are read, its presentation's storages not
        byte[] deeper = Samples.compoundFile(
                withStorage(
                        presentation(0),
                        Samples.compoundFile(withStorage(presentation(0), nested), "PowerPoint Document")),
                "PowerPoint Document");
        assertThatThrownBy(() -> scan("slides.ppt", PPT, deeper)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
            assertThat(e.failure().detail())
                    .contains("PowerPoint presentation holding storages nested deeper than 4; a VBA project not"
                            + " ruled out");
        });
    }
}
