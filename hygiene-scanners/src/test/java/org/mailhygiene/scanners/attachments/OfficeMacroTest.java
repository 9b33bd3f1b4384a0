package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * The Office macro check ({@code check office-macros on}, added in session 47; off by default): Office documents
 * carrying macros, the way most macro malware of 2014-2022 arrived, in their three containers.
 */
class OfficeMacroTest {
    private static final AttachmentPolicyScanner ON = AttachmentPolicyScanner.builder()
            .policy(AttachmentPolicy.builder().officeMacroCheck(true).build())
            .build();
    private static final AttachmentPolicyScanner DEFAULT = AttachmentPolicyScanner.create();

    private static final String WORD = "application/msword";
    private static final String DOCM = "application/vnd.ms-word.document.macroEnabled.12";
    private static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    private static final byte[] MACRO_DOC = Samples.compoundFile(
            "WordDocument", "1Table", "Macros/", "VBA/", "_VBA_PROJECT", "dir", "ThisDocument", "PROJECT");
    private static final byte[] PLAIN_DOC = Samples.compoundFile("WordDocument", "1Table", "\u0005SummaryInformation");

    private static Verdict scan(AttachmentPolicyScanner scanner, byte[] message) throws Exception {
        return scanner.scan(Message.of(message));
    }

    private static List<String> rules(Verdict v) {
        return v.rules().stream().map(Rule::name).toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theCheckIsOffByDefaultAndReadFromAPolicyFile() throws Exception {
        assertThat(AttachmentPolicy.defaults().officeMacroCheck()).isFalse();
        assertThat(AttachmentPolicy.defaults().toText()).contains("check office-macros off\n");
        AttachmentPolicy on = AttachmentPolicy.parse(new StringReader("defaults\ncheck office-macros on\n"));
        assertThat(on.officeMacroCheck()).isTrue();
        assertThat(AttachmentPolicy.parse(new StringReader(on.toText()))).isEqualTo(on);
        assertThat(on).isNotEqualTo(AttachmentPolicy.defaults());
        assertThat(ON.cacheIdentity()).isNotEqualTo(DEFAULT.cacheIdentity());

        assertThat(scan(DEFAULT, Samples.attachment("invoice.doc", WORD, MACRO_DOC))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void aBinaryWordOrExcelFileWithAVbaProjectIsFound() throws Exception {
        Verdict v = scan(ON, Samples.attachment("invoice.doc", WORD, MACRO_DOC));
        assertThat(rules(v)).containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        assertThat(v.rules().get(0).description())
                .isEqualTo("part 2 \"invoice.doc\": Office document with macros (a VBA project)");
        byte[] xls = Samples.compoundFile("Workbook", "_VBA_PROJECT_CUR/", "VBA/", "_VBA_PROJECT", "dir");
        assertThat(rules(scan(ON, Samples.attachment("figures.xls", "application/vnd.ms-excel", xls))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);

        assertThat(scan(ON, Samples.attachment("letter.doc", WORD, PLAIN_DOC)).outcome())
                .isEqualTo(Outcome.CLEAN);
        // a storage of that name, or the name at a place no directory entry can start, is no VBA project
        assertThat(scan(ON, Samples.attachment("odd.doc", WORD, Samples.compoundFile("WordDocument", "_VBA_PROJECT/")))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        byte[] shifted = PLAIN_DOC.clone();
        System.arraycopy(MACRO_DOC, 1024 + 128 * 5, shifted, 1024 + 128 * 3 + 64, 64);
        assertThat(scan(ON, Samples.attachment("letter.doc", WORD, shifted)).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /**
     * A compound file's names compare in any case (MS-CFB 2.6.4: by their upper case; olevba finds the project so):
     * {@code _vba_project} is the VBA project to Office. It came out clean (session 47, found in review); the
     * encrypted package likewise.
     */
    @Test
    void theVbaProjectIsFoundInAnyCase() throws Exception {
        byte[] lower = Samples.compoundFile("WordDocument", "Macros/", "VBA/", "_vba_project", "dir", "PROJECT");
        assertThat(rules(scan(ON, Samples.attachment("invoice.doc", WORD, lower))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        byte[] mixed = Samples.compoundFile("Workbook", "_VBA_PROJECT_CUR/", "VBA/", "_Vba_Project", "dir");
        assertThat(rules(scan(ON, Samples.attachment("figures.xls", "application/vnd.ms-excel", mixed))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        byte[] encrypted = Samples.compoundFile("EncryptionInfo", "encryptedpackage");
        assertThat(rules(scan(ON, Samples.attachment("salaries.docx", DOCX, encrypted))))
                .containsExactly(AttachmentPolicyScanner.ENCRYPTED);
    }

    /**
     * A compound file's header has slots a reader leaves unused (the allocation-table list past its count) where a tar
     * header's size, checksum and {@code ustar} fall: a macro document so made reads as a tar of one entry, and it came
     * out clean (session 47, found in review; Tika's testEXCEL_macro.xls so changed too). Both are read now.
     */
    @Test
    void aCompoundFileThatAlsoReadsAsATarIsCheckedForMacros() throws Exception {
        byte[] both = MACRO_DOC.clone();
        byte[] size = String.format("%011o\0", both.length - 512).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, both, 124, size.length);
        both[156] = '0';
        System.arraycopy(bytes("ustar\u000000"), 0, both, 257, 8);
        java.util.Arrays.fill(both, 148, 156, (byte) ' ');
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += both[i] & 0xff;
        }
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(checksum, 0, both, 148, 8);
        assertThat(org.mailhygiene.scanners.archive.TarStream.starts(both, both.length))
                .isTrue();
        assertThat(rules(scan(ON, Samples.attachment("invoice.doc", WORD, both))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        assertThat(scan(DEFAULT, Samples.attachment("invoice.doc", WORD, both)).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /** Without a Content-Type, or declared as text, the part is also searched for uuencoded files: both are done. */
    @Test
    void aCompoundFileDeclaredAsTextIsCheckedToo() throws Exception {
        byte[] m = Samples.message(
                "Content-Type: text/plain", "Content-Disposition: attachment; filename=\"notes.txt\"", MACRO_DOC);
        assertThat(rules(scan(ON, m))).contains(AttachmentPolicyScanner.OFFICE_MACRO);
        byte[] none = Samples.message("Content-Disposition: attachment", "", MACRO_DOC);
        assertThat(rules(scan(ON, none))).contains(AttachmentPolicyScanner.OFFICE_MACRO);
    }

    @Test
    void officeOpenXmlAndOpenDocumentFilesWithMacrosAreFound() throws Exception {
        byte[] docm = Samples.zip(
                "[Content_Types].xml", bytes("<Types/>"),
                "word/document.xml", bytes("<w:document/>"),
                "word/vbaProject.bin", MACRO_DOC);
        Verdict v = scan(ON, Samples.attachment("invoice.docm", DOCM, docm));
        assertThat(rules(v)).containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        assertThat(v.rules().get(0).description())
                .isEqualTo("part 2 \"invoice.docm\": Office document with macros (a VBA project,"
                        + " word/vbaProject.bin)");
        byte[] xlsm = Samples.zip("xl/workbook.xml", bytes("<workbook/>"), "xl/macrosheets/sheet1.xml", bytes("<x/>"));
        assertThat(rules(scan(ON, Samples.attachment("figures.xlsm", "application/zip", xlsm))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        byte[] odt = Samples.zip(
                "mimetype", bytes("application/vnd.oasis.opendocument.text"),
                "content.xml", bytes("<office:document-content/>"),
                "Basic/script-lc.xml", bytes("<library:libraries/>"),
                "Basic/Standard/script-lb.xml", bytes("<library:library/>"),
                "Basic/Standard/Module1.xml", bytes("<script:module/>"));
        v = scan(ON, Samples.attachment("minutes.odt", "application/vnd.oasis.opendocument.text", odt));
        assertThat(v.rules().stream().map(Rule::description).toList())
                .containsExactly("part 2 \"minutes.odt\": Office document with macros (a Basic module,"
                        + " Basic/Standard/Module1.xml)");
        byte[] py = Samples.zip("content.xml", bytes("<x/>"), "Scripts/python/run.py", bytes("print(1)"));
        assertThat(rules(scan(
                        ON, Samples.attachment("sheet.ods", "application/vnd.oasis.opendocument.spreadsheet", py))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);

        // the same documents without: an empty Basic library list, a docx
        byte[] plainOdt = Samples.zip(
                "content.xml", bytes("<office:document-content/>"),
                "Basic/script-lc.xml", bytes("<library:libraries/>"),
                "Basic/Standard/script-lb.xml", bytes("<library:library/>"));
        assertThat(scan(ON, Samples.attachment("minutes.odt", "application/vnd.oasis.opendocument.text", plainOdt))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        byte[] docx =
                Samples.zip("[Content_Types].xml", bytes("<Types/>"), "word/document.xml", bytes("<w:document/>"));
        assertThat(scan(ON, Samples.attachment("letter.docx", DOCX, docx)).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /**
     * A document whose zip holds stored entries followed by data descriptors (a streaming writer's zip, which
     * LibreOffice and Excel open) is read by its directory: its macro entries were not looked at there, and an
     * OpenDocument file with a Basic module so written came out clean (session 47, found in review). Said once.
     */
    @Test
    void macrosInAZipReadByItsDirectoryAreFound() throws Exception {
        byte[] odt = Samples.streamedStoredZip(
                "mimetype", bytes("application/vnd.oasis.opendocument.text"),
                "content.xml", bytes("<office:document-content/>"),
                "Basic/Standard/Module1.xml", bytes("<script:module/>"),
                "Basic/Standard/Module2.xml", bytes("<script:module/>"));
        Verdict v = scan(ON, Samples.attachment("minutes.odt", "application/vnd.oasis.opendocument.text", odt));
        assertThat(v.rules().stream().map(Rule::description).toList())
                .containsExactly("part 2 \"minutes.odt\": Office document with macros (a Basic module,"
                        + " Basic/Standard/Module1.xml)");
        byte[] xlsm = Samples.streamedStoredZip(
                "xl/workbook.xml", bytes("<workbook/>"), "xl/macrosheets/sheet1.xml", bytes("<xm:macrosheet/>"));
        assertThat(rules(scan(ON, Samples.attachment("figures.xlsm", "application/zip", xlsm))))
                .containsExactly(AttachmentPolicyScanner.OFFICE_MACRO);
        assertThat(scan(DEFAULT, Samples.attachment("minutes.odt", "application/vnd.oasis.opendocument.text", odt))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /**
     * Excel finds a part by its relationships and content type, not its name: macro sheets stored as
     * {@code xl/worksheets/sheet2.xml} and declared {@code application/vnd.ms-excel.macrosheet+xml} in
     * {@code [Content_Types].xml} came out clean (session 47, found in review). Worksheets alone stay clean.
     */
    @Test
    void macroSheetsUnderAnotherNameAreFoundByTheirContentType() throws Exception {
        String types = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                + "<Override PartName=\"/xl/workbook.xml\""
                + " ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/>"
                + "<Override PartName=\"/xl/worksheets/sheet1.xml\""
                + " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>";
        byte[] hidden = Samples.zip(
                "[Content_Types].xml",
                bytes(types + "<Override PartName=\"/xl/worksheets/sheet2.xml\""
                        + " ContentType=\"application/vnd.ms-excel.MacroSheet+xml\"/></Types>"),
                "xl/workbook.xml",
                bytes("<workbook/>"),
                "xl/worksheets/sheet1.xml",
                bytes("<worksheet/>"),
                "xl/worksheets/sheet2.xml",
                bytes("<xm:macrosheet/>"));
        Verdict v = scan(ON, Samples.attachment("figures.xlsm", "application/zip", hidden));
        assertThat(v.rules().stream().map(Rule::description).toList())
                .containsExactly("part 2 \"figures.xlsm\": Office document with macros (Excel 4.0 macro sheets,"
                        + " declared in [Content_Types].xml)");
        assertThat(scan(DEFAULT, Samples.attachment("figures.xlsm", "application/zip", hidden))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        byte[] plain = Samples.zip(
                "[Content_Types].xml", bytes(types + "</Types>"),
                "xl/workbook.xml", bytes("<workbook/>"),
                "xl/worksheets/sheet1.xml", bytes("<worksheet/>"));
        assertThat(scan(ON, Samples.attachment("figures.xlsx", "application/zip", plain))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    /** In an archive, and an archive in an archive: the document is named by its path there, once. */
    @Test
    void documentsWithMacrosInsideArchivesAreFoundOnce() throws Exception {
        byte[] docm = Samples.zip(
                "word/document.xml",
                bytes("<w:document/>"),
                "word/vbaProject.bin",
                MACRO_DOC,
                "word/vbaProjectSignature.bin",
                new byte[16]);
        byte[] outer = Samples.zip("orders/invoice.docm", docm, "orders/old.doc", MACRO_DOC);
        Verdict v = scan(ON, Samples.attachment("orders.zip", "application/zip", Samples.zip("orders.zip", outer)));
        assertThat(v.rules().stream().map(Rule::description).toList())
                .containsExactly(
                        "part 2 \"orders.zip\" > orders.zip > orders/invoice.docm: Office document with macros (a VBA"
                                + " project, word/vbaProject.bin)",
                        "part 2 \"orders.zip\" > orders.zip > orders/old.doc: Office document with macros (a VBA"
                                + " project)");
    }
}
