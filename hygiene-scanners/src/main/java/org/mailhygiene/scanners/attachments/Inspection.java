package org.mailhygiene.scanners.attachments;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.internal.BulkInputStream;
import org.mailhygiene.scanners.archive.ArchiveKind;
import org.mailhygiene.scanners.archive.Compressed;
import org.mailhygiene.scanners.archive.LastBytes;
import org.mailhygiene.scanners.archive.Positioned;
import org.mailhygiene.scanners.archive.Rar;
import org.mailhygiene.scanners.archive.SelfExtracting;
import org.mailhygiene.scanners.archive.SevenZip;
import org.mailhygiene.scanners.archive.Spool;
import org.mailhygiene.scanners.archive.TarStream;
import org.mailhygiene.scanners.archive.TnefStream;
import org.mailhygiene.scanners.archive.ZipStream;
import org.mailhygiene.scanners.mime.CmsContent;
import org.mailhygiene.scanners.mime.GzipStream;
import org.mailhygiene.scanners.mime.TextFiles;
import org.mailhygiene.scanners.mime.ZipDirectory;

/**
 * The checks for one message: each MIME leaf and each archive entry is an "item" with a location, maybe a name and a
 * declared type, and content. Not thread-safe: one per scan.
 */
final class Inspection {
    /** Extensions that make a preceding real extension look like a disguise when they come before it. */
    private static final Set<String> DECOYS = Set.of(
            "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "rtf", "jpg", "jpeg", "gif", "png", "bmp", "tif",
            "tiff", "htm", "html", "zip", "rar", "mp3", "wav", "avi", "mpg", "mpeg", "eml", "msg", "csv", "xml", "log",
            "dat");

    private static final long RATIO_FLOOR = 1024L * 1024;

    /** The type content detection gives a CMS {@code signedData} structure. */
    private static final String PKCS7_SIGNATURE = "application/pkcs7-signature";
    /** The type RFC 5751 declares an opaque signature (or an encrypted message) with. */
    private static final String PKCS7_MIME = "application/pkcs7-mime";

    private final AttachmentPolicy policy;
    private final List<AttachmentFinding> findings = new ArrayList<>();
    private final byte[] drainBuffer = new byte[8192];
    /**
     * {@link #isBlockedType} per type met in this message: each answer tests the type against every allowed and
     * blocked type of the policy (parsing and normalizing both), and a message of many parts names few types.
     */
    private final Map<String, Boolean> blockedTypes = new HashMap<>();

    Inspection(AttachmentPolicy policy) {
        this.policy = policy;
    }

    List<AttachmentFinding> findings() {
        return findings;
    }

    void add(String rule, String location, String description) {
        findings.add(new AttachmentFinding(rule, location, description));
    }

    /**
     * Checks one MIME leaf part, opening it when it is an archive.
     *
     * @param location e.g. {@code part 2 "a.zip"}
     * @param name the file name, if any
     * @param declared the declared base type, if any
     * @param in the decoded content
     * @throws IOException if reading the content fails
     */
    void part(String location, Optional<String> name, Optional<String> declared, InputStream in) throws IOException {
        Budget budget = new Budget();
        try {
            item(location, name, declared, in, 0, budget);
        } catch (LimitReached e) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_LIMIT,
                    location,
                    location + ": " + e.getMessage() + "; the rest was not inspected");
        }
    }

    /**
     * Inspects the files uuencoded or yEnc-encoded into a text read as it is (see {@link #uuencoded}), each as an
     * attachment.
     *
     * @param location e.g. {@code message body (read as sent, ...)}
     * @param text the text
     * @throws IOException if reading the text fails
     */
    void textFiles(String location, InputStream text) throws IOException {
        Budget budget = new Budget();
        try {
            uuencoded(location, text, budget);
        } catch (LimitReached e) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_LIMIT,
                    location,
                    location + ": " + e.getMessage() + "; the rest was not inspected");
        }
    }

    private void item(
            String location, Optional<String> name, Optional<String> declared, InputStream in, int depth, Budget budget)
            throws IOException {
        byte[] prefix = in.readNBytes(TrueTypes.PREFIX); // as long as the content up to the prefix: small for small
        int n = prefix.length;
        String trueType = TrueTypes.detect(prefix, n);
        Optional<String> cleanName = name.map(Inspection::windowsName).filter(s -> !s.isEmpty());
        Optional<String> ext = cleanName.flatMap(Inspection::extension);
        Optional<String> declaredType = declared.map(d -> d.toLowerCase(Locale.ROOT));

        names(location, cleanName, declaredType, Optional.of(trueType));
        namesUpToNul(location, name, cleanName);
        // S/MIME (RFC 5751 3): a CMS structure declared or named pkcs7-mime, which detection calls pkcs7-signature
        // whatever it holds, and nothing at all when it is shorter than 128 bytes (a short-form length). When it can be
        // read the names agree, and what it is decides (sMime)
        boolean opaque = (trueType.equals(PKCS7_SIGNATURE) || trueType.equals("application/octet-stream"))
                && (declaredType
                                .map(TrueTypes::normalize)
                                .filter(PKCS7_MIME::equals)
                                .isPresent()
                        || cleanName
                                .flatMap(TrueTypes::typeForName)
                                .filter(PKCS7_MIME::equals)
                                .isPresent());
        CmsRead read = opaque ? readCms(location, prefix, n, in) : null;
        Optional<CmsContent.Content> signed = read == null ? Optional.empty() : read.cms();
        // what follows the prefix: the stream, or the bytes read for the CMS structure when it was not one
        InputStream body = read == null ? in : new ByteArrayInputStream(read.whole(), n, read.whole().length - n);
        java.util.function.Predicate<String> agrees =
                t -> agree(t, trueType) || (signed.isPresent() && t.equals(PKCS7_MIME));
        // a compound file named or declared Office Open XML only: a password-protected .docx or .xlsx is one (its
        // package encrypted inside), which only its directory, anywhere in the file, tells; decided once read
        String ooxmlMismatch = null;
        if (policy.typeMismatchCheck() && !TrueTypes.isVague(trueType) && !appleDouble(trueType, cleanName)) {
            List<String> mismatch = new ArrayList<>();
            List<String> mismatched = new ArrayList<>();
            declaredType
                    .map(TrueTypes::normalize)
                    .filter(d -> !TrueTypes.isVague(d) && !agrees.test(d) && !gzipOfDeclared(prefix, n, d, cleanName))
                    .ifPresent(d -> {
                        mismatch.add("declared as " + d);
                        mismatched.add(d);
                    });
            cleanName
                    .flatMap(TrueTypes::typeForName)
                    .filter(t -> !agrees.test(t))
                    .ifPresent(t -> {
                        mismatch.add("named as " + t + " (." + ext.orElse("") + ")");
                        mismatched.add(t);
                    });
            if (!mismatch.isEmpty()) {
                String description = location + ": content is " + trueType + " but " + String.join(" and ", mismatch)
                        + (opaque ? " (S/MIME data that cannot be read)" : "");
                if (TrueTypes.isA(trueType, OLE2)
                        && mismatched.stream().allMatch(t -> TrueTypes.isA(t, TrueTypes.OOXML))) {
                    ooxmlMismatch = description;
                } else {
                    add(AttachmentPolicyScanner.MISMATCH, location, description);
                }
            }
        }
        if (signed.isPresent()) {
            sMime(location, signed.get());
            return; // a CMS structure: neither an archive nor text that could hold uuencoded files
        }
        if (depth == 0
                && !TrueTypes.isZip(trueType)
                && !isCompressedFile(prefix, n)
                && !TarStream.starts(prefix, n)
                && !TnefStream.starts(prefix, n)
                && !SevenZip.starts(prefix, n)
                && !Rar.starts(prefix, n)
                && (isTextual(trueType)
                        || trueType.equals(BINHEX) // text holding a file, read as text's BinHex files are
                        || declaredType.isEmpty()
                        || declaredType.get().equals("text/plain"))) {
            // a zip behind a text of a prefix's length or more reads as text/plain: still a zip to unzip and 7-Zip
            // (it passed as clean, the zip-behind-bytes check below was never reached); a TNEF stream likewise
            zipBehindOtherBytes(location, trueType, declaredType, cleanName);
            InputStream text = new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body);
            CompoundWatch watch = watchCompound(trueType, ooxmlMismatch, text);
            try {
                uuencoded(location, watch == null ? text : watch, budget);
            } catch (IOException | RuntimeException e) {
                discard(watch, e);
                if (ooxmlMismatch != null) {
                    add(AttachmentPolicyScanner.MISMATCH, location, ooxmlMismatch);
                }
                throw e;
            }
            compound(location, watch, ooxmlMismatch);
            return;
        }
        boolean zip = TrueTypes.isZip(trueType);
        boolean sevenZip = SevenZip.starts(prefix, n);
        boolean rar = Rar.starts(prefix, n);
        // a 7z, RAR, gzip, bzip2 or xz signature at the start before "ustar" at 257, which their bytes can hold (a file
        // name, a stored block), as ArchiveKind tells them
        boolean tar = !zip && !sevenZip && !rar && !isCompressedFile(prefix, n) && TarStream.starts(prefix, n);
        boolean tnef = !zip && !tar && TnefStream.starts(prefix, n);
        if (zip || tar || tnef || sevenZip || rar || isCompressedFile(prefix, n)) {
            if (ooxmlMismatch != null) { // a compound file's header that also reads as a tar's: no directory read
                add(AttachmentPolicyScanner.MISMATCH, location, ooxmlMismatch);
            }
            if (depth >= policy.maxArchiveDepth()) {
                add(
                        AttachmentPolicyScanner.ARCHIVE_LIMIT,
                        location,
                        location + ": archive nested deeper than " + policy.maxArchiveDepth() + " levels; not opened");
                return;
            }
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body);
            if (zip) {
                zip(location, whole, depth + 1, budget);
            } else if (tar) {
                // a compound file whose header's unused slots spell a tar header is both: a macro document so made
                // came out clean, its tar's one entry the rest of it
                CompoundWatch watch = watchCompound(trueType, null, whole);
                try {
                    tar(location, watch == null ? whole : watch, depth + 1, budget);
                } catch (IOException | RuntimeException e) {
                    discard(watch, e);
                    throw e;
                }
                compound(location, watch, null);
            } else if (tnef) {
                tnef(location, whole, depth + 1, budget);
            } else if (sevenZip) {
                sevenZip(location, whole, depth + 1, budget);
            } else if (rar) {
                rar(location, whole, depth + 1, budget);
            } else {
                compressedFile(location, cleanName, ArchiveKind.of(prefix, n), whole, depth + 1, budget);
            }
        } else if (SelfExtracting.starts(prefix, n) && depth < policy.maxArchiveDepth()) {
            selfExtracting(
                    location, new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body), depth, budget);
        } else {
            zipBehindOtherBytes(location, trueType, declaredType, cleanName);
            compound(
                    location,
                    watchCompound(
                            trueType,
                            ooxmlMismatch,
                            new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body)),
                    ooxmlMismatch);
        }
    }

    /** Tika's type of a compound file (OLE2), and the parent of the binary Office formats it detects. */
    private static final String OLE2 = "application/x-tika-msoffice";

    /** Bytes of a compound file's directory entry; entries start at multiples of it from the file's start. */
    private static final int OLE2_ENTRY = 128;

    /** {@code _VBA_PROJECT} in UTF-16LE, the name of the stream every VBA project of Word and Excel holds. */
    private static final byte[] VBA_PROJECT_STREAM = "_VBA_PROJECT".getBytes(StandardCharsets.UTF_16LE);

    /**
     * {@code EncryptedPackage} in UTF-16LE: the stream of a password-protected Office Open XML file (MS-OFFCRYPTO
     * 2.3.4.4), which Office writes as a compound file under the document's own name.
     */
    private static final byte[] ENCRYPTED_PACKAGE_STREAM = "EncryptedPackage".getBytes(StandardCharsets.UTF_16LE);

    /**
     * A watch over a compound file's bytes when its directory decides something (the macro check is on, or it is named
     * or declared Office Open XML), else {@code null}.
     */
    private CompoundWatch watchCompound(String trueType, String ooxmlMismatch, InputStream whole) {
        return TrueTypes.isA(trueType, OLE2) && (policy.officeMacroCheck() || ooxmlMismatch != null)
                ? new CompoundWatch(whole, policy.officeMacroCheck())
                : null;
    }

    /**
     * Reads what is left of a watched compound file, then: named or declared Office Open XML, it is a
     * password-protected document when it holds an encrypted package (content that cannot be checked, as an encrypted
     * zip entry), else a type mismatch; with the macro check on, a VBA project, Excel 4.0 macro sheets or a PowerPoint
     * VBA project in it are {@code OFFICE_MACRO} (as its streams read along their chains say; when they say nothing,
     * as its bytes in the file's order say), and a file whose tables cannot be followed, or a workbook whose sheet list
     * cannot be read to its end, is {@code NOT_INSPECTED} unless macros were found. The kept bytes are let go.
     */
    private void compound(String location, CompoundWatch watch, String ooxmlMismatch) throws IOException {
        if (watch == null) {
            return;
        }
        try (Spool spool = watch.spool) {
            while (watch.read(drainBuffer, 0, drainBuffer.length) >= 0) {
                // each record is looked at as it passes
            }
            if (ooxmlMismatch != null && !watch.encryptedPackage) {
                add(AttachmentPolicyScanner.MISMATCH, location, ooxmlMismatch);
            } else if (ooxmlMismatch != null) {
                encrypted(location, "password-protected Office document", "not inspected");
            }
            if (spool == null) {
                return; // the macro check is off
            }
            watch.records.end();
            OfficeRecords.Streams streams = OfficeRecords.ofCompoundFile(spool);
            List<String> macros = new ArrayList<>();
            // a vbaProject.bin is itself a compound file holding the project: one finding, for the document around it
            if ((watch.vbaProject || streams.vbaProject())
                    && macroArchives.stream().noneMatch(a -> location.startsWith(a + " > "))) {
                macros.add("a VBA project");
            }
            // the streams read along their chains, or else what the file's bytes in their order show (a decoy
            // before the workbook, or what its tables no longer reach)
            if (!streams.macros().isEmpty()) {
                macros.addAll(streams.macros());
            } else {
                watch.records.macros().ifPresent(macros::add);
            }
            macroFound(location, macros.isEmpty() ? null : String.join("; ", macros));
            // a workbook whose sheet list cannot be read to its end may hide a macro sheet: not clean
            if (!macroArchives.contains(location)) {
                streams.unread()
                        .ifPresent(why -> add(AttachmentPolicyScanner.NOT_INSPECTED, location, location + ": " + why));
            }
        }
    }

    /** Closes a watch's spool when the watched file's reading failed before {@link #compound} could. */
    private static void discard(CompoundWatch watch, Throwable failure) {
        if (watch != null && watch.spool != null) {
            try {
                watch.spool.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * Passes a compound file's bytes through (to whoever reads them, the search for uuencoded files too) and looks at
     * each 128-byte record from the file's start as a directory entry, for the streams {@code _VBA_PROJECT} (which a
     * binary Word or Excel file holding a VBA project has) and {@code EncryptedPackage}, and shows every byte to
     * {@link OfficeRecords} (Excel 4.0 macro sheets, a PowerPoint VBA project). Directory sectors start at a
     * multiple of the sector size (512 or 4,096 bytes) and hold entries of 128 bytes (a name of up to 32 UTF-16LE
     * characters, its length in bytes with the terminating NUL at offset 64, the object type at 66, a stream being 2),
     * so every record is looked at: one pass, whatever the file's allocation table says (and so also when it was
     * damaged on purpose). With the macro check on it also keeps the bytes ({@link Spool}) for {@link #compound} to
     * read the file by its allocation tables once they have all passed ({@link OfficeRecords#ofCompoundFile}): a
     * stream's records in its chain's order (until session 52 a macro sheet whose BOF straddled a jump between two
     * sectors of the workbook stream was clean).
     */
    private static final class CompoundWatch extends ByteWatch {
        private final byte[] entry = new byte[OLE2_ENTRY];
        private int filled;
        private boolean vbaProject;
        private boolean encryptedPackage;
        private final OfficeRecords records = new OfficeRecords();
        /** The file's bytes, kept to be read by its allocation table at its end; {@code null}: not needed. */
        private final Spool spool;

        CompoundWatch(InputStream in, boolean keep) {
            super(in);
            spool = keep ? new Spool() : null;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && spool != null) {
                spool.write(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && spool != null) {
                spool.write(b, off, n);
            }
            return n;
        }

        @Override
        void take(byte b) {
            records.take(b);
            entry[filled++] = b;
            if (filled == OLE2_ENTRY) {
                filled = 0;
                vbaProject |= isStream(VBA_PROJECT_STREAM);
                encryptedPackage |= isStream(ENCRYPTED_PACKAGE_STREAM);
            }
        }

        /**
         * Whether the record is the directory entry of a stream of this name, in any case: a compound file compares
         * names by their upper case (MS-CFB 2.6.4), so Office finds {@code _vba_project} as {@code _VBA_PROJECT} (it
         * was not looked at as one).
         */
        private boolean isStream(byte[] name) {
            if (entry[64] != name.length + 2 || entry[65] != 0 || entry[66] != 2) {
                return false;
            }
            for (int i = 0; i < name.length; i += 2) {
                char c = (char) ((entry[i] & 0xff) | (entry[i + 1] & 0xff) << 8);
                if (Character.toUpperCase(c) != Character.toUpperCase((char) ((name[i] & 0xff) | name[i + 1] << 8))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * What an archive entry's name says of macros in the Office document the archive is: a VBA project
     * ({@code word/vbaProject.bin}, {@code xl/}, {@code ppt/}), Excel 4.0 macro sheets ({@code xl/macrosheets/}), an
     * OpenDocument file's Basic modules ({@code Basic/LIBRARY/MODULE.xml}, not the library lists
     * {@code script-lb.xml} and {@code script-lc.xml} every document may hold) or scripts ({@code Scripts/}).
     *
     * @return what it holds, or {@code null} when the name says nothing of macros
     */
    static String macroEntry(String entryName) {
        String name = entryName.replace('\\', '/');
        String lower = name.toLowerCase(Locale.ROOT);
        String base = lower.substring(lower.lastIndexOf('/') + 1);
        if (base.equals("vbaproject.bin")) {
            return "a VBA project, " + name;
        }
        if (lower.contains("macrosheets/") && !base.isEmpty()) {
            return "Excel 4.0 macro sheets, " + name;
        }
        if (name.startsWith("Basic/")
                && !base.isEmpty()
                && !base.equals("script-lb.xml")
                && !base.equals("script-lc.xml")) {
            return "a Basic module, " + name;
        }
        if (name.startsWith("Scripts/") && !base.isEmpty()) {
            return "a script, " + name;
        }
        return null;
    }

    /**
     * Content of a vague type (octet-stream, or text/plain when the bytes a prefix holds are text) named or declared a
     * zip: unzip, 7-Zip and Python find a zip behind other bytes by its directory at the end; its entries cannot be
     * inspected here, and a zip a mailer made starts as one. A broken archive.
     */
    private void zipBehindOtherBytes(
            String location, String trueType, Optional<String> declaredType, Optional<String> cleanName) {
        if (TrueTypes.isVague(trueType)
                && (declaredType.map(TrueTypes::normalize).filter(ZIP::equals).isPresent()
                        || cleanName
                                .flatMap(TrueTypes::typeForName)
                                .filter(ZIP::equals)
                                .isPresent())) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    location,
                    location + ": named or declared a zip archive, but its content does not start as one (archive"
                            + " tools find a zip behind other bytes; its entries cannot be inspected)");
        }
    }

    private static final String ZIP = "application/zip";

    /**
     * Checks the name and declared type of an opaque S/MIME signature whose content the walker opened (the content's
     * parts are inspected as parts of the message): a blocked name or declared type, or a double extension, is found
     * as on any part.
     *
     * @param location e.g. {@code part 2 "smime.p7m"}
     * @param name the file name, if any
     * @param declared the declared base type, if any
     */
    void signature(String location, Optional<String> name, Optional<String> declared) {
        names(
                location,
                name.map(Inspection::windowsName).filter(s -> !s.isEmpty()),
                declared.map(d -> d.toLowerCase(Locale.ROOT)),
                Optional.empty());
    }

    /** The checks by name and type: a blocked extension, true type or declared type; a double extension. */
    private void names(
            String location, Optional<String> cleanName, Optional<String> declaredType, Optional<String> trueType) {
        Optional<String> ext = cleanName.flatMap(Inspection::extension);
        List<String> why = new ArrayList<>();
        ext.filter(policy::isBlockedExtension).ifPresent(e -> why.add("by name (." + e + ")"));
        trueType.filter(this::isBlockedType).ifPresent(t -> why.add("by content (" + t + ")"));
        declaredType.filter(this::isBlockedType).ifPresent(d -> why.add("by declared type (" + d + ")"));
        if (!why.isEmpty()) {
            add(
                    AttachmentPolicyScanner.EXECUTABLE,
                    location,
                    location + ": executable or script " + String.join(", ", why));
        }
        if (policy.doubleExtensionCheck()) {
            cleanName
                    .flatMap(this::doubleExtension)
                    .ifPresent(d -> add(AttachmentPolicyScanner.DOUBLE, location, location + ": " + d));
        }
    }

    /**
     * What an S/MIME structure that could be read and that the walker left a leaf is: an encrypted message's content
     * cannot be checked ({@code ENCRYPTED_ARCHIVE}; with {@code check smime off} {@code NOT_INSPECTED}, never clean);
     * an opaque signature left a leaf was not opened (larger than {@link
     * org.mailhygiene.scanners.mime.MimeWalker#MAX_SMIME_BYTES}, or declared as something else than S/MIME), so its
     * content was not inspected: an {@code ARCHIVE_LIMIT}. The signatures the walker opens are inspected through their
     * content's parts ({@link #signature}).
     */
    private void sMime(String location, CmsContent.Content cms) {
        switch (cms.kind()) {
            case ENCRYPTED -> {
                if (policy.smimeCheck()) {
                    add(
                            AttachmentPolicyScanner.ENCRYPTED,
                            location,
                            location + ": S/MIME encrypted message whose content cannot be checked");
                } else {
                    add(
                            AttachmentPolicyScanner.NOT_INSPECTED,
                            location,
                            location + ": S/MIME encrypted message; its content was not inspected (smime check off)");
                }
            }
            case SIGNED ->
                add(
                        AttachmentPolicyScanner.ARCHIVE_LIMIT,
                        location,
                        location + ": opaque S/MIME signature that was not opened; its content was not inspected");
            case DETACHED -> {
                // a signature without its content (certificates only): nothing to inspect
            }
        }
    }

    /** An S/MIME part's bytes (the prefix included), and the CMS structure they make, if they make one. */
    private record CmsRead(Optional<CmsContent.Content> cms, byte[] whole) {}

    /**
     * An S/MIME part's CMS structure, read whole (up to the policy's expanded-bytes bound: larger is a limit, and the
     * content is not inspected), or empty when the part is not a readable structure.
     */
    private CmsRead readCms(String location, byte[] prefix, int n, InputStream in) throws IOException {
        long bound = policy.maxExpandedBytes();
        byte[] rest = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16L, bound + 1 - n));
        if ((long) n + rest.length > bound) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_LIMIT,
                    location,
                    location + ": S/MIME data larger than " + bound + " bytes; its content was not inspected");
            while (in.read(drainBuffer) >= 0) {
                // drained, so the walker goes on with the next part
            }
            return new CmsRead(Optional.empty(), java.util.Arrays.copyOf(prefix, n));
        }
        byte[] whole = java.util.Arrays.copyOf(prefix, n + rest.length);
        System.arraycopy(rest, 0, whole, n, rest.length);
        return new CmsRead(CmsContent.read(whole), whole);
    }

    /** What content detection calls a BinHex 4.0 file (its banner line). */
    private static final String BINHEX = "application/mac-binhex40";

    /** The most files uuencoded into one part that are inspected: 100 (a mail holds a handful). */
    static final int MAX_UUENCODED_FILES = 100;

    /**
     * Looks for files uuencoded, yEnc-encoded or BinHex-encoded into plain text ({@link TextFiles}: {@code begin 644
     * name} ... {@code end}, {@code =ybegin ... name=NAME} ... {@code =yend}, {@code (This file must be converted with
     * BinHex 4.0)} then {@code :...:}), as old mailers and Usenet clients write them and mail clients (Thunderbird among
     * them) still show them as attachments: each is decoded as it is read and inspected as an attachment of that name
     * (a BinHex file's data fork under the name in its header), at its own location ({@code part 1 > uuencoded
     * "a.exe"}, {@code part 2 > BinHex "a.exe"}), even when empty (its name alone can be blocked). Each file counts as
     * an archive entry (and at most {@value #MAX_UUENCODED_FILES} are inspected: more is an archive limit), its bytes
     * against the expanded-size limit; a yEnc line longer than {@value TextFiles#LINE_HEAD} characters is a limit. A
     * broken BinHex file (a CRC that does not match, cut short, a character outside its alphabet) is broken MIME
     * ({@code NOT_INSPECTED} with the broken-mime check off) and ends the search. Linear in the text; reads it to its
     * end.
     */
    private void uuencoded(String location, InputStream text, Budget budget) throws IOException {
        TextFiles.Budget limits = new TextFiles.Budget() {
            @Override
            public void decoded(TextFiles.Encoding encoding, int bytes) throws LimitReached {
                budget.expanded += bytes;
                if (budget.expanded > policy.maxExpandedBytes()) {
                    throw new LimitReached(
                            encoding.description() + " text decodes beyond " + policy.maxExpandedBytes() + " bytes");
                }
            }

            @Override
            public void lineTooLong() throws LimitReached {
                throw new LimitReached("a yEnc line longer than " + TextFiles.LINE_HEAD + " characters");
            }
        };
        try {
            TextFiles.read(text, limits, (encoding, fileName, content) -> {
                budget.entries++;
                if (budget.entries > policy.maxArchiveEntries() || ++budget.uuencodedFiles > MAX_UUENCODED_FILES) {
                    throw new LimitReached("more than " + Math.min(policy.maxArchiveEntries(), MAX_UUENCODED_FILES)
                            + " uuencoded, yEnc or BinHex files (or archive entries)");
                }
                if (encoding == TextFiles.Encoding.BINHEX) {
                    binHexFiles++;
                }
                Optional<String> name = Optional.of(fileName).filter(n -> !n.isEmpty());
                String where = location + " > " + encoding.description() + " "
                        + name.map(n -> "\"" + n + "\"").orElse("file without a name");
                item(where, name, Optional.empty(), content, 1, budget);
            });
        } catch (TextFiles.BrokenException e) {
            // a BinHex file whose CRC does not match or that is cut short: what it holds is not known
            String what = location + ": " + e.getMessage() + "; the rest of the text was not inspected";
            if (policy.brokenMimeCheck()) {
                add(AttachmentPolicyScanner.MIME_BROKEN, location, what);
            } else {
                add(AttachmentPolicyScanner.NOT_INSPECTED, location, what + " (broken-mime check off)");
            }
        }
    }

    /** BinHex files found so far (counted before each is inspected). */
    private int binHexFiles;

    /**
     * How many BinHex 4.0 files were found in the texts inspected so far: an {@code application/mac-binhex40} part
     * that holds none is content clamd and BinHex tools may read otherwise.
     *
     * @return the count
     */
    int binHexFiles() {
        return binHexFiles;
    }

    /**
     * Opens a tar archive (what a {@code .tgz} holds; 7-Zip, WinRAR and Windows list its files) and inspects each
     * regular file as an archive entry under its name (the ustar prefix, a GNU long name or a pax {@code path} taken
     * into account), within the entry count and nesting limits. A header whose checksum does not match, a size field
     * that is not octal or an archive cut short is a broken archive.
     */
    private void tar(String location, InputStream raw, int depth, Budget budget) throws IOException {
        try {
            tarEntries(location, raw, depth, budget);
        } catch (LimitReached e) {
            throw e;
        } catch (IOException e) {
            // a failure to read the message itself is rethrown by the walker after the walk
            add(AttachmentPolicyScanner.ARCHIVE_BROKEN, location, location + ": broken tar archive: " + e.getMessage());
        }
    }

    private void tarEntries(String location, InputStream raw, int depth, Budget budget) throws IOException {
        TarStream tar = new TarStream(raw);
        while (true) {
            TarStream.Entry e;
            try {
                e = tar.next();
            } catch (TarStream.BrokenException ex) {
                add(
                        AttachmentPolicyScanner.ARCHIVE_BROKEN,
                        location,
                        location + ": broken tar archive (" + ex.getMessage() + ")");
                return;
            }
            if (e == null) {
                return;
            }
            budget.entries++;
            if (budget.entries > policy.maxArchiveEntries()) {
                throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
            }
            if (e.isFile()) {
                String name = e.name();
                int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
                String base = name.substring(slash + 1);
                item(location + " > " + name, Optional.of(base), Optional.empty(), e.data(), depth, budget);
            }
        }
    }

    /**
     * Opens a TNEF stream (Outlook's {@code winmail.dat}; Outlook, and Thunderbird with an add-on, show the files in
     * it as attachments, so a program in it passed the policy unseen) and inspects each attached file as an archive
     * entry, under its long file name (the MAPI property {@code PR_ATTACH_LONG_FILENAME}) or else its title; a title
     * whose extension differs is checked too. Attachments held as embedded messages or OLE objects (no
     * {@code attAttachData}) are checked by name only. The files are kept in memory until the stream ends (the names
     * may come after the data), their bytes counted against the expanded-size limit. An attribute running past the end
     * of the stream is a broken archive; bytes after the last attribute that start none (no level 1 or 2) are ignored
     * ({@link TnefStream}). Linear in the stream.
     */
    private void tnef(String location, InputStream raw, int depth, Budget budget) throws IOException {
        List<TnefStream.Attachment> files = new ArrayList<>();
        TnefStream stream = new TnefStream(raw, new TnefStream.Limits() {
            @Override
            public void attachment() throws LimitReached {
                budget.entries++;
                if (budget.entries > policy.maxArchiveEntries()) {
                    throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
                }
            }

            @Override
            public void data(long length) throws LimitReached {
                budget.expanded += length;
                // a file is held in one array: a claimed length beyond one (possible with expanded-bytes set above
                // 2 GiB) is over the limit as well, not a negative length
                if (budget.expanded > policy.maxExpandedBytes() || length > TnefStream.MAX_DATA) {
                    throw new LimitReached(
                            "expands beyond " + Math.min(policy.maxExpandedBytes(), TnefStream.MAX_DATA) + " bytes");
                }
            }
        });
        try {
            for (TnefStream.Attachment a = stream.next(); a != null; a = stream.next()) {
                files.add(a);
            }
        } catch (LimitReached e) {
            throw e;
        } catch (IOException e) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    location,
                    location + ": broken TNEF stream (winmail.dat): " + e.getMessage());
        }
        for (TnefStream.Attachment f : files) {
            String name = f.name().orElse(null);
            String title = f.title().orElse(null);
            String where = location + " > " + (name == null ? "attachment without a name" : "\"" + name + "\"");
            Optional<String> named = Optional.ofNullable(name).filter(x -> !x.isEmpty());
            if (f.data().isPresent()) {
                item(
                        where,
                        named,
                        Optional.empty(),
                        new ByteArrayInputStream(f.data().get()),
                        depth,
                        budget);
            } else {
                names(where, named.map(Inspection::windowsName), Optional.empty(), Optional.empty());
            }
            if (title != null && name != null && !title.equals(name)) {
                Optional<String> titleExt = extension(windowsName(title));
                if (!titleExt.equals(extension(windowsName(name)))) {
                    names(
                            where + " (its title \"" + title + "\")",
                            Optional.of(windowsName(title)),
                            Optional.empty(),
                            Optional.empty());
                }
            }
        }
    }

    /**
     * Opens a 7z archive ({@link SevenZip}) and inspects each file in it as a zip entry ({@link #zipEntry}): its bytes
     * are kept first in a {@link Spool} (in heap up to {@value Spool#HEAP} bytes, beyond that in a temporary file), as
     * its header is at its end. Directories and empty files count as entries; the bytes its folders declare count
     * against the expanded-size and ratio limits before any is decoded (ARCHIVE_LIMIT), and again as they are read.
     * Encrypted files (AES) are ENCRYPTED_ARCHIVE, said once, the files of the archive's other folders inspected; an
     * archive whose header is encrypted too ({@code -mhe=on}) is ENCRYPTED_ARCHIVE as a whole; a coder not read here (PPMd,
     * BCJ2, Deflate64), a header beyond {@value SevenZip#MAX_HEADER} bytes or more files than the entry limit allows is
     * ARCHIVE_LIMIT; a broken archive (a CRC that fails, cut short, a header the format does not allow) ARCHIVE_BROKEN.
     */
    private void sevenZip(String location, InputStream raw, int depth, Budget budget) throws IOException {
        try (Spool spool = Spool.of(raw, drainBuffer)) {
            sevenZip(location, spool, depth, budget);
        }
    }

    /** As {@link #sevenZip(String, InputStream, int, Budget)}, over bytes already kept (a self-extractor's archive). */
    private void sevenZip(String location, Positioned spool, int depth, Budget budget) throws IOException {
        Counting compressed = new Counting(InputStream.nullInputStream());
        compressed.count = spool.size();
        try (SevenZip z =
                SevenZip.open(spool, Math.max(0, policy.maxArchiveEntries() - budget.entries), budget.decoderMemory)) {
            expand(z.unpackedBytes(), compressed, budget);
            boolean[] encryptedMet = {false};
            z.read((e, data) -> {
                budget.entries++;
                if (budget.entries > policy.maxArchiveEntries()) {
                    throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
                }
                if (e.encrypted() && !encryptedMet[0]) {
                    encryptedMet[0] = true; // said once; the files of its other folders are inspected
                    encrypted(location, "7z archive holds encrypted files", "they were not inspected");
                }
                if (e.encrypted() && !e.directory()) {
                    encryptedEntryName(location, e.name()); // its name is readable without the password
                }
                if (e.directory() || e.encrypted()) {
                    return true; // a directory, as a tar's, or an encrypted file: nothing to extract
                }
                return zipEntry(location, e.name(), new Expanding(data, compressed, budget), depth, budget);
            });
        } catch (LimitReached e) {
            throw e;
        } catch (SevenZip.Encrypted e) {
            encrypted(location, "7z archive whose header is encrypted", "nothing of it was inspected");
        } catch (Compressed.Unreadable e) {
            throw new LimitReached(e.getMessage()); // each names the 7z archive, or its LZMA dictionary
        } catch (IOException | RuntimeException e) {
            add(AttachmentPolicyScanner.ARCHIVE_BROKEN, location, location + ": broken 7z archive: " + e.getMessage());
        }
    }

    /**
     * Opens a RAR archive ({@link Rar}, format 4.x or 5.0), its bytes kept first in a {@link Spool}, and checks every
     * file entry's name as a zip entry's ({@link #zipEntry}); directories count as entries. A stored file's data (neither
     * encrypted nor split across volumes) is inspected as a zip entry's, its CRC checked, nested archives opened. A
     * compressed file (RAR's own compression, not publicly specified, is not decoded here) and a file split across
     * volumes are checked by name alone: the policy's checks are of names and types, and a compressed entry's type
     * cannot be read, which is said of no other format's readable entries (a content scanner, clamd, reads RAR). Encrypted
     * files are ENCRYPTED_ARCHIVE, said once, each one's name checked; an archive whose headers are encrypted
     * ({@code -hp}) is ENCRYPTED_ARCHIVE as a whole; more files than the entry limit allows is ARCHIVE_LIMIT; a broken
     * archive (a header or a stored file failing its CRC, cut short) ARCHIVE_BROKEN.
     */
    private void rar(String location, InputStream raw, int depth, Budget budget) throws IOException {
        try (Spool spool = Spool.of(raw, drainBuffer)) {
            rar(location, spool, depth, budget);
        }
    }

    /** As {@link #rar(String, InputStream, int, Budget)}, over bytes already kept (a self-extractor's archive). */
    private void rar(String location, Positioned spool, int depth, Budget budget) throws IOException {
        Counting compressed = new Counting(InputStream.nullInputStream());
        compressed.count = spool.size();
        try {
            Rar archive = Rar.open(spool, Math.max(0, policy.maxArchiveEntries() - budget.entries));
            boolean encryptedMet = false;
            for (Rar.Entry e : archive.entries()) {
                budget.entries++;
                if (budget.entries > policy.maxArchiveEntries()) {
                    throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
                }
                if (e.encrypted() && !encryptedMet) {
                    encryptedMet = true; // said once; the archive's other files are inspected
                    encrypted(location, "RAR archive holds encrypted files", "they were not inspected");
                }
                if (e.directory()) {
                    continue;
                }
                if (!e.readable()) {
                    lockedEntryName(location, e.name(), e.whyUnread());
                    continue;
                }
                expand(e.packedSize(), compressed, budget);
                if (!zipEntry(location, e.name(), new Expanding(archive.data(e), compressed, budget), depth, budget)) {
                    return;
                }
            }
        } catch (LimitReached e) {
            throw e;
        } catch (Rar.Encrypted e) {
            encrypted(location, "RAR archive whose headers are encrypted", "nothing of it was inspected");
        } catch (Compressed.Unreadable e) {
            throw new LimitReached(e.getMessage());
        } catch (IOException | RuntimeException e) {
            add(AttachmentPolicyScanner.ARCHIVE_BROKEN, location, location + ": broken RAR archive: " + e.getMessage());
        }
    }

    /**
     * A program (PE or ELF) with an archive behind it, a self-extractor ({@link SelfExtracting}): the archive is
     * inspected as the archive it is, one level of nesting, its files' names and types checked (a {@code .exe} in a
     * self-extracting RAR is EXECUTABLE_ATTACHMENT for that file too). A signature after the program that does not read
     * as an archive is nothing: the program is what it is.
     */
    private void selfExtracting(String location, InputStream program, int depth, Budget budget) throws IOException {
        try (SelfExtracting sfx =
                SelfExtracting.find(program, drainBuffer, Math.max(0, policy.maxArchiveEntries() - budget.entries))) {
            if (sfx == null) {
                return;
            }
            String at = location + " > self-extracting archive at byte " + sfx.offset();
            switch (sfx.kind()) {
                case RAR -> rar(at, sfx.file(), depth + 1, budget);
                case SEVEN_ZIP -> sevenZip(at, sfx.file(), depth + 1, budget);
                default -> zip(at, sfx.archive(), depth + 1, budget);
            }
        }
    }

    /** Whether content starts as a gzip member (RFC 1952: {@code 1f 8b}, deflate). */
    static boolean isGzip(byte[] prefix, int n) {
        return ArchiveKind.of(prefix, n) == ArchiveKind.GZIP;
    }

    /** Whether content starts as a single compressed file: gzip, bzip2, xz or LZMA alone. */
    private static boolean isCompressedFile(byte[] prefix, int n) {
        ArchiveKind kind = ArchiveKind.of(prefix, n);
        return kind == ArchiveKind.GZIP || Compressed.opens(kind);
    }

    /**
     * Opens a gzip file (each member of a concatenated one, as gunzip and archive tools do) and inspects what it holds
     * as one archive entry: named as the file name the first member stores (RFC 1952 FNAME, what 7-Zip and Windows
     * extract it as), or else as the outer name without {@code .gz} ({@code .tgz} gives {@code .tar}), which is what
     * gunzip, Python and macOS extract it as, so that name's extension is checked too when the two differ; its expanded
     * bytes count against the same limits as a zip's. A file the tools would not read alike (a header that cannot be
     * read or fails its checksum, a stored name longer than {@value GzipStream#MAX_NAME} bytes, compressed data that
     * cannot be inflated, a member failing its CRC-32 or size: {@link GzipStream}) is a broken
     * archive. A bzip2, xz or LZMA-alone file likewise ({@link Compressed}), named as the outer name without its
     * {@code .bz2}, {@code .xz} or {@code .lzma} ({@code .tbz2}, {@code .txz} give {@code .tar}): corrupt data or a
     * check that fails is a broken archive; an LZMA dictionary beyond the memory allowed is a limit (ARCHIVE_LIMIT).
     */
    private void compressedFile(
            String location, Optional<String> outerName, ArchiveKind kind, InputStream raw, int depth, Budget budget)
            throws IOException {
        Counting compressed = new Counting(raw);
        String format = kind == ArchiveKind.GZIP ? "gzip" : kind.name().toLowerCase(Locale.ROOT);
        InputStream inflated;
        Optional<String> stored;
        Optional<String> outer;
        try {
            if (kind == ArchiveKind.GZIP) {
                GzipStream gzip = new GzipStream(compressed);
                inflated = gzip;
                stored = gzip.storedName().map(Inspection::windowsName).filter(v -> !v.isEmpty());
                outer = outerName.flatMap(Inspection::gunzippedName);
            } else {
                inflated = Compressed.open(kind, compressed, budget.decoderMemory);
                stored = Optional.empty();
                outer = outerName.flatMap(Compressed::unpackedName);
            }
        } catch (Compressed.Unreadable ex) {
            throw new LimitReached(format + " file: " + ex.getMessage());
        } catch (IOException ex) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    location,
                    location + ": broken " + format + " file: " + ex.getMessage());
            return;
        }
        budget.entries++;
        if (budget.entries > policy.maxArchiveEntries()) {
            inflated.close();
            throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
        }
        Optional<String> name = stored.or(() -> outer);
        // gunzip, Python and macOS extract under the outer name without .gz, 7-Zip and Windows under the stored one:
        // a name blocked either way is blocked (Invoice.js.gz storing report.xml passed before)
        if (outer.isPresent() && name.isPresent() && !outer.get().equalsIgnoreCase(name.get())) {
            names(location + " > " + outer.get() + " (as gunzip names it)", outer, Optional.empty(), Optional.empty());
        }
        String entryLocation = location + " > " + name.orElse(format + " content");
        Expanding entry = new Expanding(inflated, compressed, budget);
        try {
            item(entryLocation, name, Optional.empty(), entry, depth, budget);
            while (entry.read(drainBuffer, 0, drainBuffer.length) >= 0) {
                // drain through the budget so skipped bytes count against the limits too, and every member is read
            }
        } catch (LimitReached ex) {
            throw ex;
        } catch (IOException ex) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    entryLocation,
                    entryLocation + ": broken " + format + " content: " + ex);
        } finally {
            inflated.close();
        }
    }

    /**
     * What gunzip names a file it extracts: the name without {@code .gz}, {@code -gz}, {@code .z} or {@code _z};
     * {@code .tgz} and {@code .taz} give {@code .tar}.
     */
    static Optional<String> gunzippedName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : List.of(".gz", "-gz", ".z", "_z")) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return Optional.of(name.substring(0, name.length() - suffix.length()));
            }
        }
        if (lower.endsWith(".tgz") || lower.endsWith(".taz")) {
            return Optional.of(name.substring(0, name.length() - 4) + ".tar");
        }
        return Optional.empty();
    }

    private void zip(String location, InputStream raw, int depth, Budget budget) throws IOException {
        Counting compressed = new Counting(raw, MAX_KEPT_ZIP);
        Set<String> streamed = new HashSet<>();
        Set<Long> headers = new HashSet<>(); // where the streamed entries' local headers are; -1 for one unknown
        try (ZipStream z = new ZipStream(compressed, budget.decoderMemory)) {
            while (true) {
                ZipStream.Entry e;
                try {
                    e = z.next();
                } catch (LimitReached ex) {
                    throw ex;
                } catch (IOException ex) {
                    // the JDK's reader ends a zip cut inside an entry's name with an EOFException of no message: it
                    // read "broken archive: null"
                    String msg = ex.getMessage() != null
                            ? ex.getMessage()
                            : ex instanceof java.io.EOFException ? "it is cut short" : ex.toString();
                    if (msg.contains("encrypted")) {
                        encryptedEntry(location);
                        if (ex instanceof ZipStream.EncryptedEntryRefused locked) {
                            // one that cannot be passed over (ZIP64 sizes): its name is readable all the same
                            lockedNames(location, locked.entryName(), compressed, streamed, budget);
                        }
                    } else {
                        add(AttachmentPolicyScanner.ARCHIVE_BROKEN, location, location + ": broken archive: " + msg);
                    }
                    return;
                } catch (IllegalArgumentException ex) {
                    add(
                            AttachmentPolicyScanner.ARCHIVE_BROKEN,
                            location,
                            location + ": broken archive: " + ex.getMessage());
                    return;
                }
                if (e == null) {
                    // what follows the entries (their directory, and whatever comes after it) is read too, through
                    // the limits: archive tools list what the directory at the end names
                    directoryAtEnd(compressed).ifPresent(d -> directory(location, d, streamed, headers));
                    return;
                }
                if (e.encrypted()) {
                    encryptedEntry(location);
                    // the names stay readable without the password: this entry's, and those the directory at the end
                    // lists (what unzip -l and Windows show before asking for it)
                    lockedNames(location, e.name(), compressed, streamed, budget);
                    return;
                }
                streamed.add(e.name());
                headers.add(e.offset());
                macroFound(location, macroEntry(e.name()));
                budget.entries++;
                if (budget.entries > policy.maxArchiveEntries()) {
                    throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
                }
                if (e.directory()) {
                    // no tool extracts a directory's data, but the reader inflates it to reach the next entry: through
                    // the limits (2 GB of zeros under "d/" took 4 s of a 3 MB message's inspection, unreported)
                    new Expanding(e.data(), compressed, budget).transferTo(java.io.OutputStream.nullOutputStream());
                    continue;
                }
                if (!zipEntry(location, e.name(), new Expanding(e.data(), compressed, budget), depth, budget)) {
                    return;
                }
            }
        }
    }

    /**
     * Compares a zip's directory at its end, which unzip, 7-Zip and Windows read, with the entries read from its start:
     * a name they do not hold (a second archive behind the first), or an entry whose local header is where no streamed
     * entry begins (hidden inside another entry's stored data, where a streaming reader reads it as that entry's bytes
     * and archive tools extract it), is ARCHIVE_BROKEN. Offsets are compared only when every streamed header's
     * offset is known.
     */
    private void directory(String location, ZipDirectory d, Set<String> streamed, Set<Long> headers) {
        String why = null;
        for (int i = 0; i < d.names().size() && why == null; i++) {
            String n = d.names().get(i);
            long at = d.offsets().get(i);
            if (!streamed.contains(n)) {
                why = "names \"" + n + "\", which its entries from the start do not hold (a second archive behind the"
                        + " first?)";
            } else if (at >= 0 && !headers.contains(at) && !headers.contains(-1L)) {
                why = "puts \"" + n + "\" at byte " + at + ", where none of its entries from the start begins (an entry"
                        + " hidden inside another?)";
            }
        }
        if (why != null) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    location,
                    location + ": its directory at the end, which unzip, 7-Zip and Windows read, " + why);
        }
    }

    /**
     * Inspects one zip entry and reads it to its end through the limits.
     *
     * @return {@code false} when the entry could not be read (ARCHIVE_BROKEN): the archive's rest is not read either
     */
    private boolean zipEntry(String location, String entryName, Expanding expanding, int depth, Budget budget)
            throws IOException {
        int slash = Math.max(entryName.lastIndexOf('/'), entryName.lastIndexOf('\\'));
        String entryLocation = location + " > " + entryName;
        InputStream entry = watch(entryName, expanding);
        try {
            item(entryLocation, Optional.of(entryName.substring(slash + 1)), Optional.empty(), entry, depth, budget);
            while (entry.read(drainBuffer, 0, drainBuffer.length) >= 0) {
                // drain through the budget so skipped bytes count against the limits too
            }
            watched(location, entry);
            return true;
        } catch (LimitReached ex) {
            throw ex;
        } catch (IOException ex) {
            // A failure to read the message itself is rethrown by the walker after the walk.
            add(AttachmentPolicyScanner.ARCHIVE_BROKEN, entryLocation, entryLocation + ": broken archive entry: " + ex);
            return false;
        }
    }

    /**
     * The documents already found to hold macros: each is said once, and not again for a part inside it (a
     * {@code vbaProject.bin} is itself a compound file holding the VBA project).
     */
    private final Set<String> macroArchives = new HashSet<>();

    /** {@code OFFICE_MACRO} for an archive holding this ({@code null}: nothing), once per archive. */
    private void macroFound(String location, String macro) {
        if (!policy.officeMacroCheck() || macroArchives.contains(location)) {
            return;
        }
        if (macro != null) {
            macroArchives.add(location);
            add(
                    AttachmentPolicyScanner.OFFICE_MACRO,
                    location,
                    location + ": Office document with macros (" + macro + ")");
        }
    }

    /**
     * An archive entry watched as it is read when its content says something of the document the archive is: an
     * OpenDocument file's manifest ({@code META-INF/manifest.xml}) for {@code encryption-data}: a password-protected
     * OpenDocument file keeps its entries encrypted inside an ordinary zip, which only the manifest says (until
     * session 47 it was read as a broken zip, and once such zips were read, it would have been clean); with the macro
     * check on, an Office Open XML file's {@code [Content_Types].xml} for {@code macrosheet}, in any case: Excel finds
     * a part by its relationships and its content type, not its name, so Excel 4.0 macro sheets stored outside
     * {@code xl/macrosheets/} (as {@code xl/worksheets/sheet2.xml}, say) are declared there (they were not found).
     */
    private InputStream watch(String entryName, InputStream entry) {
        if (entryName.equals("META-INF/manifest.xml")) {
            return new WordWatch(entry, ENCRYPTION_DATA);
        }
        return policy.officeMacroCheck() && entryName.equalsIgnoreCase("[Content_Types].xml")
                ? new WordWatch(entry, MACROSHEET)
                : entry;
    }

    /**
     * After a watched entry was read: a password-protected OpenDocument file's content cannot be checked; an Office
     * Open XML file declaring macro sheets holds macros.
     */
    private void watched(String location, InputStream entry) {
        if (entry instanceof WordWatch w && w.word == MACROSHEET && w.seen == MACROSHEET.length) {
            macroFound(location, "Excel 4.0 macro sheets, declared in [Content_Types].xml");
        }
        if (entry instanceof WordWatch w && w.word == ENCRYPTION_DATA && w.seen == ENCRYPTION_DATA.length) {
            encrypted(location, "password-protected OpenDocument file", "not inspected");
        }
    }

    private static final byte[] ENCRYPTION_DATA = "encryption-data".getBytes(StandardCharsets.US_ASCII);

    /** The part of the content types of Excel 4.0 macro sheets ({@code application/vnd.ms-excel.macrosheet+xml}...). */
    private static final byte[] MACROSHEET = "macrosheet".getBytes(StandardCharsets.US_ASCII);

    /**
     * Passes bytes through, noting whether a word occurs: {@link #ENCRYPTION_DATA} as it is, {@link #MACROSHEET} in
     * any case (a content type's). Each word's first letter occurs only at its start, so one pass finds it.
     */
    private static final class WordWatch extends ByteWatch {
        private final byte[] word;
        /** How much of the word has just been read; its length once it occurred. */
        private int seen;

        WordWatch(InputStream in, byte[] word) {
            super(in);
            this.word = word;
        }

        @Override
        void take(byte b) {
            if (seen == word.length) {
                return;
            }
            byte c = word == MACROSHEET && b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
            seen = c == word[seen] ? seen + 1 : c == word[0] ? 1 : 0;
        }
    }

    /**
     * Reads the rest of a zip (its directory, and whatever comes after it) through the limits, and its directory at
     * the end from the bytes kept, if there is one to read.
     */
    private Optional<ZipDirectory> directoryAtEnd(Counting compressed) throws IOException {
        while (compressed.read(drainBuffer, 0, drainBuffer.length) >= 0) {
            // drain
        }
        return compressed.tail().flatMap(tail -> ZipDirectory.read(tail, compressed.tailBase()));
    }

    /** An encrypted entry: its content, and that of the entries after it, is not read. */
    private void encryptedEntry(String location) {
        encrypted(location, "archive holds an encrypted entry", "it and any entries after it were not inspected");
    }

    /**
     * Checks the names of a zip's first encrypted entry and of the entries its directory at the end lists that were
     * not read from the start (what unzip -l and Windows show before asking for the password), reading the rest of the
     * zip through the limits.
     */
    private void lockedNames(
            String location, String lockedName, Counting compressed, Set<String> streamed, Budget budget)
            throws IOException {
        lockedEntryName(location, lockedName, "encrypted");
        directoryAtEnd(compressed)
                .ifPresent(d -> d.names().stream()
                        .filter(n -> !streamed.contains(n) && !n.equals(lockedName))
                        .distinct()
                        .limit(Math.max(0, policy.maxArchiveEntries() - budget.entries))
                        .forEach(n -> lockedEntryName(location, n, "listed after an encrypted entry, not read")));
    }

    /**
     * Checks the name of an archive entry whose content is encrypted, as any entry's name is checked (a blocked
     * extension, a double extension): the password-protected zip holding {@code invoice.exe}, its password in the
     * letter, is the malspam of many years, and the name is readable without the password (until session 53 such an
     * archive was {@code ENCRYPTED_ARCHIVE} alone, so a site acting harder on programs than on encrypted archives treated
     * the program as an encrypted archive). The content is not known, so only the name is checked.
     */
    private void encryptedEntryName(String location, String entryName) {
        lockedEntryName(location, entryName, "encrypted");
    }

    /**
     * Checks an archive entry's name alone, its location saying why its content was not read ({@code why}); its name
     * up to a NUL too, as {@link #item} checks a name whose content it reads.
     */
    private void lockedEntryName(String location, String entryName, String why) {
        int slash = Math.max(entryName.lastIndexOf('/'), entryName.lastIndexOf('\\'));
        Optional<String> name = Optional.of(entryName.substring(slash + 1));
        Optional<String> cleanName = name.map(Inspection::windowsName).filter(n -> !n.isEmpty());
        String entryLocation = location + " > " + entryName + " (" + why + ")";
        names(entryLocation, cleanName, Optional.empty(), Optional.empty());
        namesUpToNul(entryLocation, name, cleanName);
    }

    /**
     * A NUL ends a name read as a C string (Thunderbird reads a uuencoded file's name so, 7-Zip and WinRAR a RAR5
     * file's; no Windows name holds one): the name up to it is checked too ("invoice.js" NUL ".txt" passed as a text
     * file, parser audit 38; a compressed RAR5 file so named passed the policy until session 54).
     *
     * @param name the name as it was given
     * @param cleanName the name as {@link #names} checked it (a NUL at its end is cut already)
     */
    private void namesUpToNul(String location, Optional<String> name, Optional<String> cleanName) {
        Optional<String> beforeNul = name.filter(s -> s.indexOf('\0') >= 0)
                .map(s -> windowsName(s.substring(0, s.indexOf('\0'))))
                .filter(s -> !s.isEmpty() && !cleanName.equals(Optional.of(s)));
        beforeNul.ifPresent(cut -> names(
                location + " (its name up to the NUL, \"" + cut + "\")",
                Optional.of(cut),
                Optional.empty(),
                Optional.empty()));
    }

    /**
     * Encrypted content: {@code ENCRYPTED_ARCHIVE}, or with the encrypted-archive check off {@code NOT_INSPECTED}
     * (never clean).
     *
     * @param what what holds it, e.g. {@code archive holds an encrypted entry}
     * @param notInspected what was not inspected, said when the check is off
     */
    private void encrypted(String location, String what, String notInspected) {
        if (policy.encryptedArchiveCheck()) {
            add(
                    AttachmentPolicyScanner.ENCRYPTED,
                    location,
                    location + ": " + what + " whose content cannot be checked");
        } else {
            add(
                    AttachmentPolicyScanner.NOT_INSPECTED,
                    location,
                    location + ": " + what + "; " + notInspected + " (encrypted-archive check off)");
        }
    }

    private boolean isBlockedType(String type) {
        return blockedTypes.computeIfAbsent(type, this::policyBlocksType);
    }

    private boolean policyBlocksType(String type) {
        String t = TrueTypes.normalize(type);
        for (String allowed : policy.allowedTypes()) {
            if (TrueTypes.covers(allowed, t)) {
                return false;
            }
        }
        for (String blocked : policy.blockedTypes()) {
            if (TrueTypes.covers(blocked, t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A gzip, bzip2 or xz file declared as the type of what it holds, named by its name without {@code .gz}, {@code
     * .bz2} or {@code .xz}: {@code backup.tar.gz} or {@code backup.tar.bz2} declared {@code application/x-tar}, {@code
     * report.xml.gz} {@code application/xml}, as HTTP labels a type and its {@code Content-Encoding}. Python's {@code
     * mimetypes.guess_type}, which scripts that mail reports and backups use, gives these (with the encoding apart);
     * each was a TYPE_MISMATCH until session 47 (gzip) and 52 (bzip2, xz). What the file holds is opened and checked
     * under that name anyway.
     */
    private static boolean gzipOfDeclared(byte[] prefix, int n, String declared, Optional<String> cleanName) {
        ArchiveKind kind = ArchiveKind.of(prefix, n);
        return (kind == ArchiveKind.GZIP || Compressed.opens(kind))
                && cleanName
                        .flatMap(kind == ArchiveKind.GZIP ? Inspection::gunzippedName : Compressed::unpackedName)
                        .flatMap(TrueTypes::typeForName)
                        .filter(inner -> agree(declared, inner))
                        .isPresent();
    }

    /**
     * An AppleDouble file under the name macOS gives it, {@code ._NAME} (in a zip made by the Finder, under
     * {@code __MACOSX/}): the attributes and resource fork of the file {@code NAME} beside it, not that file, so its
     * name says nothing of its type. Every zip a Mac user attaches holds them for files with extended attributes (a
     * downloaded file's quarantine flag is one); each was a TYPE_MISMATCH until session 47. Its name is still
     * checked for what it says itself (a {@code ._setup.exe} is an executable's name).
     */
    private static boolean appleDouble(String trueType, Optional<String> cleanName) {
        return trueType.equals("multipart/appledouble")
                && cleanName.filter(n -> n.startsWith("._")).isPresent();
    }

    /** Whether a declared or named type agrees with the content's detected type ({@link TrueTypes#compatible}). */
    private static boolean agree(String declared, String content) {
        return TrueTypes.compatible(declared, content) || (isTextual(declared) && isTextual(content));
    }

    /**
     * Text by any name: {@code text/*}, XML, and the {@code message/*} types and {@code application/mbox}, which are
     * lines of header fields and text (a bounce declares its returned header {@code text/rfc822-headers} and
     * detection reads it as {@code message/rfc822}; a patch made by {@code git format-patch} opens with an mbox
     * {@code From} line and is read as {@code application/mbox}). Only text agrees with text this way: binary content
     * declared as text still disagrees.
     */
    private static boolean isTextual(String t) {
        return t.startsWith("text/")
                || t.startsWith("message/")
                || t.equals("application/mbox")
                || t.endsWith("+xml")
                || t.endsWith("/xml");
    }

    /**
     * The name as it is shown and saved: Windows ignores trailing dots and blanks in file names, so {@code a.exe. }
     * runs as {@code a.exe}; and what ends a name unseen is cut too: a blank Java does not call white space (a no-break
     * space, which CPython's {@code email} strips from a file name), an invisible format character (a zero-width space,
     * a direction mark, a byte-order mark, a soft hyphen) or a control character (until session 48 {@code a.exe}
     * followed by any of them passed as a file without a blocked extension).
     */
    static String windowsName(String name) {
        String s = name;
        int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        s = s.substring(slash + 1);
        int end = s.length();
        while (end > 0 && unseenAtTheEnd(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static boolean unseenAtTheEnd(char c) {
        return c == '.'
                || Character.isWhitespace(c)
                || Character.isSpaceChar(c)
                || Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT;
    }

    static Optional<String> extension(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(name.substring(dot + 1).strip().toLowerCase(Locale.ROOT));
    }

    private Optional<String> doubleExtension(String name) {
        Optional<String> last = extension(name);
        if (last.isEmpty() || !policy.isBlockedExtension(last.get())) {
            return Optional.empty();
        }
        String stem = name.substring(0, name.lastIndexOf('.'));
        if (stem.length() != stem.stripTrailing().length()
                && stem.length() - stem.stripTrailing().length() >= 3) {
            return Optional.of("blanks hide the real extension ." + last.get());
        }
        Optional<String> previous = extension(stem.stripTrailing());
        if (previous.isPresent() && DECOYS.contains(previous.get())) {
            return Optional.of("double extension ." + previous.get() + "." + last.get()
                    + " disguises an executable as a ." + previous.get() + " file");
        }
        return Optional.empty();
    }

    /** The last bytes of a zip kept to read its directory at the end: 4 MiB (tens of thousands of names). */
    static final int MAX_KEPT_ZIP = 4 << 20;

    /** Limits shared by one attachment and every archive nested in it. */
    private static final class Budget {
        /** The memory the LZMA decoders of the attachment's archives may hold at once: two of the largest. */
        final Compressed.Allowance decoderMemory = new Compressed.Allowance(2 * Compressed.MAX_MEMORY);

        long expanded;
        int entries;
        int uuencodedFiles;
    }

    /** A limit was reached; the attachment's inspection stops. */
    private static final class LimitReached extends IOException {
        private static final long serialVersionUID = 1L;

        LimitReached(String message) {
            super(message);
        }
    }

    /**
     * Counts the compressed bytes an archive reader consumed, and the bytes expanded from that archive; for a zip it also
     * keeps the last bytes read, up to a limit ({@link LastBytes}), to read the directory at its end ({@link #tail}).
     */
    private static final class Counting extends FilterInputStream {
        long count;
        long expanded;
        private final LastBytes last;
        private boolean skipped;

        Counting(InputStream in) {
            this(in, 0);
        }

        Counting(InputStream in, int keep) {
            super(in);
            this.last = new LastBytes(keep);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                last.keep(new byte[] {(byte) b}, 0, 1, count);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                last.keep(b, off, n, count);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(n);
            skipped |= s > 0; // what was skipped is not kept: the directory is not compared
            count += s;
            return s;
        }

        /** The last bytes read (at most the limit), in order; empty when none are kept or some were skipped. */
        Optional<byte[]> tail() {
            if (!last.keeps() || skipped) {
                return Optional.empty();
            }
            return Optional.of(last.range(tailBase(), count, count));
        }

        /** The offset in the stream of {@link #tail}'s first byte. */
        long tailBase() {
            return count - last.kept(count);
        }

        @Override
        public void close() {
            // the archive's source is owned by the caller
        }
    }

    /**
     * Checks the bytes an archive expanded to, and {@code more} it declares it will, against the expanded-size limit
     * and its compressed size times the ratio limit.
     *
     * @throws LimitReached when either is passed
     */
    private void expand(long more, Counting compressed, Budget budget) throws LimitReached {
        long expanded = budget.expanded + more;
        if (expanded < 0 || expanded > policy.maxExpandedBytes()) {
            throw new LimitReached(
                    "archive expands beyond " + policy.maxExpandedBytes() + " bytes (possible zip bomb)");
        }
        long own = compressed.expanded + more;
        if (own > RATIO_FLOOR && own > (double) policy.maxExpansionRatio() * Math.max(1, compressed.count)) {
            throw new LimitReached("archive expands more than " + policy.maxExpansionRatio()
                    + " times its compressed size (possible zip bomb)");
        }
    }

    /**
     * An entry's expanded bytes (from a zip entry or a gzip file), counted against the budget; reaching a limit throws
     * {@link LimitReached}.
     */
    private final class Expanding extends BulkInputStream {
        private final InputStream source;
        private final Counting compressed;
        private final Budget budget;

        Expanding(InputStream source, Counting compressed, Budget budget) {
            this.source = source;
            this.compressed = compressed;
            this.budget = budget;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = source.read(b, off, len);
            } catch (Compressed.Unreadable e) {
                throw new LimitReached(e.getMessage());
            }
            if (n > 0) {
                budget.expanded += n;
                compressed.expanded += n;
                expand(0, compressed, budget);
            }
            return n;
        }

        @Override
        public void close() {
            // entries are closed by moving to the next one
        }
    }
}
