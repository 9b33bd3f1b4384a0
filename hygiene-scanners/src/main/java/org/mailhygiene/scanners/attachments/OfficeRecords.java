package org.mailhygiene.scanners.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.mailhygiene.scanners.archive.Positioned;

/**
 * Reads the records of the binary Excel and PowerPoint streams that tell of macros other than a {@code _VBA_PROJECT}
 * stream, either from a stream's bytes in the order of its chain ({@link #ofCompoundFile}: {@link #ofWorkbook},
 * {@link #ofPowerPoint}), or from a compound file's bytes as they pass, in the file's order whatever its allocation
 * table says ({@link #OfficeRecords()}, what is left when the tables cannot be followed, and what a decoy before the
 * workbook in its own stream does not hide):
 *
 * <ul>
 *   <li>Excel 4.0 (XLM) macro sheets: a binary Excel file's {@code Workbook} stream starts with the workbook globals
 *       substream ([MS-XLS], Globals Substream), a BOF record ([MS-XLS] 2.4.21: type 0x0809, version 0x0600 for BIFF8,
 *       {@code dt} 0x0005 for the globals) then records of a 2-byte type and a 2-byte size each, up to 8,224 bytes of
 *       data ([MS-XLS], Record), ending with EOF (0x000A). A stream starts at a sector, so a globals BOF is looked for at
 *       every 64 bytes (the smaller, mini-stream sector) and the records after it are walked to that EOF; a BOF met
 *       while a walk is under way starts a walk of its own beside it (a BOF in a sector of no stream, whose record
 *       claimed the real BOF's bytes, hid the real workbook's sheets until session 51). BoundSheet8
 *       records (0x0085, [MS-XLS] 2.4.28) name each sheet, its visibility ({@code hsState}: visible, hidden, very
 *       hidden) and type ({@code dt}: 0x01 a macro sheet, 0x06 a VBA module); Lbl records (0x0018, [MS-XLS] Lbl)
 *       name a workbook's names, built-in ones ({@code fBuiltin}) by a one-character index, 0x01 being
 *       {@code Auto_Open} (the built-in names of [MS-XLS] Lbl and DConBin), the macro Excel runs on opening; a name a user gave
 *       that starts with {@code Auto_Open} runs so too. A macro sheet's own substream, which holds its formulas,
 *       starts with a BOF of {@code dt} 0x0040: those eight bytes are looked for at every offset, so a macro sheet
 *       whose entry in the sheet list the walk did not read (a workbook stream whose sectors are out of order in the
 *       file, read up to a decoy EOF, was clean until session 51) is found by its records.
 *   <li>A binary PowerPoint file's VBA project: its {@code PowerPoint Document} stream holds a VBAInfoAtom
 *       in a VBAInfoContainer ([MS-PPT] 2.4.10, its VBAInfoAtom 2.4.11: the atom's {@code persistIdRef}, {@code fHasMacros} and
 *       {@code version} after their record headers) that points at the project, a compound file stored
 *       zlib-compressed in a VbaProjectStg record (2.10.40); {@code fHasMacros} 1 says the project storage holds data. The two
 *       record headers and the atom (28 bytes) are looked for at every offset. Read along its chain
 *       ({@link #ofPowerPoint}), the stream's top-level records are walked too, and each storage record (the project's,
 *       an OLE object's) is inflated, within limits, and its directory read: a {@code _VBA_PROJECT} stream or a
 *       {@code VBA} storage's {@code dir} stream in it is a PowerPoint VBA project, whatever the atom says, and its
 *       workbooks and presentations are read as the attachment's are ({@code in an object storage: ...}), the storages
 *       of all levels inflating {@value #MAX_INFLATED} bytes at most, to {@value #MAX_STORAGE_DEPTH} levels.
 * </ul>
 *
 * <p>The walk is linear: at most {@value #MAX_WALKS} walks at once, each keeping the first 525 bytes of one record
 * (a sheet's or name's record up to its name), and five macro sheets' descriptions; a globals BOF met with four walks
 * under way makes the file {@link #damaged()}. A walk whose stream ends before the globals'
 * EOF, or that meets a record longer than a record can be, is {@link #damaged()}: its sheets cannot all be known
 * (a stream whose sectors are not in order in the file reads so too). A workbook stream read along its chain is walked
 * from its first byte only, BIFF8 or BIFF5 (the {@code Book} stream of Excel 5.0 and 95, whose sheet and name records
 * hold 8-bit names: clean until session 52), and on after the globals' EOF to every sheet's BOF; its data, other than
 * of sheet, name and BOF records, is passed over. Not thread-safe: one reader.
 */
final class OfficeRecords {
    /** The most data one BIFF8 record holds ([MS-XLS], Record). */
    static final int MAX_RECORD = 8224;

    /** The BOF record header and first data bytes of a BIFF8 workbook globals substream ([MS-XLS] 2.4.21). */
    private static final byte[] GLOBALS_BOF = {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00};

    /**
     * A VBAInfoContainer's record header ([MS-PPT] 2.4.10, RecordHeader 2.3.1: version 0xF, instance 1, type RT_VbaInfo 0x03FF,
     * length 20) and its VBAInfoAtom's ([MS-PPT] 2.4.11: version 2, instance 0, type RT_VbaInfoAtom 0x0400, length
     * 12).
     */
    private static final byte[] VBA_INFO = {
        0x1f, 0x00, (byte) 0xff, 0x03, 0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x04, 0x0c, 0x00, 0x00, 0x00
    };

    /** Walks under way at once at most; a globals BOF beyond them makes the file {@link #damaged()}. */
    static final int MAX_WALKS = 4;

    /** The bytes of a BoundSheet8 or Lbl record kept: enough for its name of up to 255 UTF-16 characters. */
    private static final int KEPT = 15 + 2 * 255;

    /**
     * The BOF record header and first data bytes of a BIFF8 macro sheet substream ([MS-XLS] 2.4.21: {@code dt} 0x0040),
     * which holds an Excel 4.0 macro sheet's formulas wherever its sheet list is.
     */
    private static final byte[] MACRO_SHEET_BOF = {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x40, 0x00};

    /** The same in BIFF5, Excel 5.0 and 95 ([MS-XLS] 2.4.21: 8 bytes of data, version 0x0500). */
    private static final byte[] MACRO_SHEET_BOF5 = {0x09, 0x08, 0x08, 0x00, 0x00, 0x05, 0x40, 0x00};

    private static final int BOUND_SHEET = 0x0085;
    private static final int LBL = 0x0018;
    private static final int EOF = 0x000a;
    private static final int BOF = 0x0809;

    /** Sheets listed at most in a finding; the rest are counted. */
    private static final int LISTED = 5;

    private long offset;
    private int bofMatched = -1;

    /** The walks under way, one for each globals BOF whose EOF has not come; at most {@link #MAX_WALKS}. */
    private final Walk[] walks = new Walk[MAX_WALKS];

    private int walkCount;

    private int peakWalks;
    private long damagedAt = -1;

    /** Bytes of {@link #VBA_INFO} matched so far, then of the atom's data after it (12 more). */
    private int vbaMatched;

    private int fHasMacros;

    /** The first {@link #LISTED} macro sheets' descriptions; {@link #macroSheetCount} counts them all. */
    private final List<String> macroSheets = new ArrayList<>();

    private long macroSheetCount;

    /** Bytes of {@link #MACRO_SHEET_BOF} and {@link #MACRO_SHEET_BOF5} matched so far. */
    private int macroBofMatched;

    private int macroBof5Matched;

    /** The bytes are a compound file's, in the file's order: BIFF8 globals looked for at every 64 bytes. */
    private static final int FILE = 0;

    /**
     * The bytes are a workbook stream's ({@code Workbook} or {@code Book}), read along its chain: its globals start at
     * its first byte, BIFF8 or BIFF5, and every record after their EOF is read too, for a macro sheet's BOF.
     */
    private static final int WORKBOOK = 1;

    /** The bytes are a {@code PowerPoint Document} stream's, read along its chain: its VBA information looked for. */
    private static final int POWERPOINT = 2;

    private final int mode;

    /** The outermost {@code PowerPoint Document} stream's records, whose {@link #inflated} counts all storages'. */
    private final OfficeRecords root;

    /** How many storages this stream's file is in: 0 for the attachment's own. */
    private final int depth;

    /** Storages in storages read at most: one deeper is not inspected. */
    static final int MAX_STORAGE_DEPTH = 4;

    /** What the compound files in this stream's storages hold of macros (an embedded workbook's macro sheets). */
    private final List<String> storageMacros = new ArrayList<>();

    /** A stream's first eight bytes, its BOF's header and version and type. */
    private final byte[] head = new byte[8];

    private boolean macroSheetBof;
    private boolean autoOpen;
    private boolean pptMacros;

    /** Records read from a compound file's bytes in the file's order, whatever its allocation table says. */
    OfficeRecords() {
        this(FILE);
    }

    private OfficeRecords(int mode) {
        this(mode, null, 0);
    }

    /** Records of a stream in a storage {@code depth} storages deep in {@code root}'s stream (null: none). */
    private OfficeRecords(int mode, OfficeRecords root, int depth) {
        this.mode = mode;
        this.root = root == null ? this : root;
        this.depth = depth;
    }

    /**
     * Records read from a workbook stream's bytes ({@code Workbook}, {@code Book}) in its chain's order: its globals
     * are walked from a BOF at the stream's start, BIFF8 (Excel 97 and later) or BIFF5 (Excel 5.0 and 95, names in
     * 8-bit characters), then every record after their EOF for a macro sheet's BOF ({@code dt} 0x0040); a record
     * after the globals that cannot be read ends the walk, and {@link #damaged()} is an offset in the stream.
     */
    static OfficeRecords ofWorkbook() {
        return new OfficeRecords(WORKBOOK);
    }

    /** Records read from a {@code PowerPoint Document} stream's bytes in its chain's order: its VBA information. */
    static OfficeRecords ofPowerPoint() {
        return new OfficeRecords(POWERPOINT);
    }

    /**
     * Sees the next {@code len} bytes: as {@link #take(byte)} each, but the data of a workbook stream's records that
     * are neither sheets nor names nor BOFs are passed over at once.
     */
    void take(byte[] b, int off, int len) {
        int end = off + len;
        for (int i = off; i < end; ) {
            if (mode == WORKBOOK && offset >= head.length && walkCount == 0) {
                offset += end - i; // nothing more to read
                return;
            }
            if (mode == WORKBOOK && offset >= head.length && walks[0].skip > 0) {
                int n = Math.min(walks[0].skip, end - i);
                walks[0].skip -= n;
                offset += n;
                i += n;
            } else {
                take(b[i++]);
            }
        }
    }

    /** Sees the file's next byte. */
    void take(byte b) {
        if (mode != WORKBOOK && !pptMacros) {
            vbaInfo(b);
        }
        if (mode == POWERPOINT) {
            pptRecord(b);
            offset++;
            return;
        }
        if (mode == FILE && !macroSheetBof) {
            // its first byte, 0x09, is in it once: a mismatch starts again there
            macroBofMatched = b == MACRO_SHEET_BOF[macroBofMatched] ? macroBofMatched + 1 : b == 0x09 ? 1 : 0;
            macroBof5Matched = b == MACRO_SHEET_BOF5[macroBof5Matched] ? macroBof5Matched + 1 : b == 0x09 ? 1 : 0;
            macroSheetBof = macroBofMatched == MACRO_SHEET_BOF.length || macroBof5Matched == MACRO_SHEET_BOF5.length;
        }
        for (int i = 0; i < walkCount; ) {
            Walk w = walks[i];
            if (w.skip > 0) { // most bytes: a record's data skipped, here where the call costs nothing
                w.skip--;
                i++;
            } else if (w.take(b)) {
                i++;
            } else {
                walks[i] = walks[--walkCount]; // an ended walk's place goes to the last one
                walks[walkCount] = null;
            }
        }
        if (mode == WORKBOOK) {
            if (offset < head.length) {
                head[(int) offset] = b;
                if (offset == head.length - 1) {
                    streamStart();
                }
            }
            offset++;
            return;
        }
        // a globals BOF inside a walk starts a walk too: a record of a BOF in a sector of no stream could claim it
        if ((offset & 63) == 0) {
            bofMatched = 0;
        }
        if (bofMatched >= 0) {
            bofMatched = b == GLOBALS_BOF[bofMatched] ? bofMatched + 1 : -1;
            if (bofMatched == GLOBALS_BOF.length) {
                bofMatched = -1;
                if (walkCount < MAX_WALKS) {
                    walks[walkCount++] = new Walk(12, false);
                    peakWalks = Math.max(peakWalks, walkCount);
                } else {
                    markDamaged();
                }
            }
        }
        offset++;
    }

    /**
     * A stream's first record, when a BOF of a workbook's globals ([MS-XLS] 2.4.21: type 0x0809, {@code dt} 0x0005),
     * starts the walk: BIFF5 when its version is 0x0500, else BIFF8.
     */
    private void streamStart() {
        int size = head[2] & 0xff | (head[3] & 0xff) << 8;
        int version = head[4] & 0xff | (head[5] & 0xff) << 8;
        if (head[0] == 0x09 && head[1] == 0x08 && head[6] == 0x05 && head[7] == 0x00 && size >= 4) {
            walks[walkCount++] = new Walk(size - 4, version == 0x0500);
            peakWalks = 1;
        }
    }

    /** A PowerPoint storage record's data kept and inflated at most ([MS-PPT] 2.10.40): 16 MiB. */
    static final int MAX_STORAGE = 16 << 20;

    /** Bytes inflated from all of a stream's storages at most: 64 MiB. */
    static final long MAX_INFLATED = 64L << 20;

    private static final int RT_EXTERNAL_OLE_OBJECT_STG = 0x1011;

    private final byte[] pptHeader = new byte[8];
    private int pptHeaderFilled;
    private long pptSkip;
    private byte[] storage;
    private int storageFilled;
    private boolean storageCompressed;
    private long inflated;
    private String pptUnread;

    /**
     * Walks a {@code PowerPoint Document} stream's top-level records (a header of 8 bytes: version and instance, type,
     * length; [MS-PPT] 2.3.1), keeping the data of each storage record (RT_ExternalOleObjectStg 0x1011: an OLE object's
     * storage, or the VBA project's, VbaProjectStg 2.10.40; instance 1 compressed, a 4-byte decompressed size then
     * zlib data) to look inside it for a VBA project: the project is found so even when its VBAInfoAtom says it holds
     * nothing, or is missing.
     */
    private void pptRecord(byte b) {
        if (pptSkip > 0) {
            pptSkip--;
            return;
        }
        if (storage != null) {
            storage[storageFilled++] = b;
            if (storageFilled == storage.length) {
                storage(storage, storageCompressed);
                storage = null;
            }
            return;
        }
        pptHeader[pptHeaderFilled++] = b;
        if (pptHeaderFilled < pptHeader.length) {
            return;
        }
        pptHeaderFilled = 0;
        int instance = (pptHeader[0] & 0xff | (pptHeader[1] & 0xff) << 8) >> 4;
        int type = pptHeader[2] & 0xff | (pptHeader[3] & 0xff) << 8;
        long length = (pptHeader[4] & 0xff | (pptHeader[5] & 0xff) << 8 | (pptHeader[6] & 0xff) << 16)
                | (long) (pptHeader[7] & 0xff) << 24;
        if (type == RT_EXTERNAL_OLE_OBJECT_STG && length > MAX_STORAGE) {
            unreadStorage("a storage record of " + length + " bytes");
            pptSkip = length;
        } else if (type == RT_EXTERNAL_OLE_OBJECT_STG && length > 0) {
            storage = new byte[(int) length];
            storageFilled = 0;
            storageCompressed = instance == 1;
        } else {
            pptSkip = length;
        }
    }

    /** Looks inside one storage record's data, inflated first when compressed (within the limits). */
    private void storage(byte[] data, boolean compressed) {
        byte[] file = data;
        if (compressed) {
            if (data.length < 4) {
                return;
            }
            long size = data[0] & 0xff | (data[1] & 0xff) << 8 | (data[2] & 0xff) << 16 | (long) (data[3] & 0xff) << 24;
            if (size > MAX_STORAGE || root.inflated + size > MAX_INFLATED) {
                unreadStorage("a compressed storage of " + size + " bytes");
                return;
            }
            java.util.zip.Inflater inflater = new java.util.zip.Inflater();
            try {
                inflater.setInput(data, 4, data.length - 4);
                file = new byte[(int) size];
                int n = 0;
                while (n < file.length && !inflater.finished()) {
                    int k = inflater.inflate(file, n, file.length - n);
                    if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        break;
                    }
                    n += k;
                }
                root.inflated += n;
                file = Arrays.copyOf(file, n);
            } catch (java.util.zip.DataFormatException e) {
                return; // not zlib data: PowerPoint cannot open it either
            } finally {
                inflater.end();
            }
        }
        byte[] bytes = file;
        try {
            CompoundFile inner = CompoundFile.read(Positioned.of(bytes));
            for (CompoundFile.Entry e : inner.entries()) {
                pptMacros |= !e.storage()
                        && (CompoundFile.sameName(e.name(), "_VBA_PROJECT")
                                || CompoundFile.sameName(e.name(), "dir") && CompoundFile.sameName(e.parent(), "VBA"));
            }
        } catch (IOException e) {
            return; // not a compound file PowerPoint could open as a storage
        }
        if (depth >= MAX_STORAGE_DEPTH) {
            pptUnread = pptUnread != null
                    ? pptUnread
                    : "PowerPoint presentation holding storages nested deeper than " + MAX_STORAGE_DEPTH
                            + "; a VBA project not ruled out";
            return;
        }
        // its workbooks and presentations too (an embedded workbook's macro sheets were clean until session 52), the
        // storages' inflated bytes all counted against the outermost stream's limit
        try {
            Streams inner = ofCompoundFile(Positioned.of(bytes), root, depth + 1);
            storageMacros.addAll(inner.macros());
            if (pptUnread == null && inner.unread().isPresent()) {
                pptUnread = "PowerPoint presentation holding an object storage with "
                        + inner.unread().get();
            }
        } catch (IOException e) {
            // bytes in memory: no read fails
        }
    }

    private void unreadStorage(String what) {
        if (pptUnread == null) {
            pptUnread = "PowerPoint presentation holding " + what + " (more than " + MAX_STORAGE
                    + " bytes, or all its storages more than " + MAX_INFLATED
                    + ") not inspected; a VBA project not ruled out";
        }
    }

    /**
     * Matches a VBAInfoContainer's headers byte by byte (its first byte, 0x1F, is in them once: a mismatch starts
     * again there), then reads the atom's data: {@code fHasMacros}, its bytes 4 to 7, 1 means the project storage
     * holds data.
     */
    private void vbaInfo(byte b) {
        if (vbaMatched < VBA_INFO.length) {
            vbaMatched = b == VBA_INFO[vbaMatched] ? vbaMatched + 1 : b == VBA_INFO[0] ? 1 : 0;
            fHasMacros = 0;
            return;
        }
        int at = vbaMatched++ - VBA_INFO.length; // 0 to 11: persistIdRef, fHasMacros, version
        if (at >= 4 && at < 8) {
            fHasMacros |= (b & 0xff) << (8 * (at - 4));
        }
        if (at == 7) {
            pptMacros = fHasMacros == 1;
            vbaMatched = 0;
        }
    }

    /**
     * One walk of a workbook globals substream's records, from the byte after its BOF's first eight to its EOF: the
     * data of a BoundSheet8 or Lbl record is kept (its first {@link #KEPT} bytes, which hold its name), every other
     * record's is skipped.
     */
    private final class Walk {
        private final byte[] header = new byte[4];
        private int headerFilled;
        private int skip;
        /** Records of BIFF5, whose sheet and name records hold 8-bit names. */
        private final boolean biff5;
        /** Past the globals' EOF (a workbook stream's walk reads on): a record's BOF is all that is looked at. */
        private boolean afterGlobals;

        private int recordType = -1;
        private byte[] data;
        private int dataLength;
        private int dataFilled;

        /** A walk whose BOF has {@code skip} bytes of data left. */
        Walk(int skip, boolean biff5) {
            this.skip = skip;
            this.biff5 = biff5;
        }

        /** Sees the file's next byte; false when the walk has ended (its EOF, or damaged). */
        boolean take(byte b) {
            if (skip > 0) {
                skip--;
                return true;
            }
            if (recordType >= 0) {
                if (dataFilled < KEPT) {
                    data[dataFilled] = b;
                }
                if (++dataFilled == dataLength) {
                    record(recordType, data, dataLength, biff5);
                    recordType = -1;
                }
                return true;
            }
            header[headerFilled++] = b;
            if (headerFilled < header.length) {
                return true;
            }
            headerFilled = 0;
            int type = header[0] & 0xff | (header[1] & 0xff) << 8;
            int size = header[2] & 0xff | (header[3] & 0xff) << 8;
            if (size > MAX_RECORD && afterGlobals) {
                return false; // the globals were read: nothing is hidden that their sheet list did not say
            } else if (size > MAX_RECORD) {
                damagedAt = damagedAt < 0 ? offset - 3 : damagedAt;
                return false;
            } else if (type == EOF && mode == WORKBOOK) {
                afterGlobals = true;
            } else if (type == EOF) {
                return false;
            } else if (afterGlobals && type == BOF && size >= 4) {
                recordType = type;
                data = data == null ? new byte[KEPT] : data;
                dataLength = size;
                dataFilled = 0;
            } else if (afterGlobals) {
                skip = size;
            } else if (type == BOUND_SHEET || type == LBL) {
                if (size == 0) {
                    record(type, new byte[0], 0, biff5);
                } else {
                    recordType = type;
                    data = data == null ? new byte[KEPT] : data;
                    dataLength = size;
                    dataFilled = 0;
                }
            } else {
                skip = size;
            }
            return true;
        }
    }

    /** A whole BoundSheet8 or Lbl record's data ({@code data}, its first {@link #KEPT} bytes of {@code length}). */
    private void record(int type, byte[] data, int length, boolean biff5) {
        if (type == BOF) {
            macroSheetBof |= (data[2] & 0xff | (data[3] & 0xff) << 8) == 0x0040;
        } else if (type == BOUND_SHEET) {
            boundSheet(data, length, biff5);
        } else {
            lbl(data, length, biff5);
        }
    }

    /**
     * [MS-XLS] 2.4.28: lbPlyPos (4), hsState (2 bits), dt (1), stName ([MS-XLS] ShortXLUnicodeString); in BIFF5 the
     * name is its length (1) and 8-bit characters (BOUNDSHEET in OpenOffice.org's "Excel File Format" 5.95).
     */
    private void boundSheet(byte[] data, int dataLength, boolean biff5) {
        if (dataLength < (biff5 ? 7 : 8)) {
            markDamaged();
            return;
        }
        int dt = data[5] & 0xff;
        Optional<String> name = string(data, dataLength, data[6] & 0xff, 7, biff5);
        if (name.isEmpty()) {
            markDamaged();
        }
        if (dt != 0x01 && dt != 0x06) {
            return;
        }
        String kind = dt == 0x01 ? "Excel 4.0 macro sheet" : "VBA module sheet";
        String visibility = switch (data[4] & 0x03) {
            case 1 -> " (hidden)";
            case 2 -> " (very hidden)";
            default -> "";
        };
        if (macroSheetCount++ < LISTED) {
            macroSheets.add(kind + " '" + name.orElse("?") + "'" + visibility);
        }
    }

    /**
     * [MS-XLS] Lbl: flags (2, {@code fBuiltin} 0x0020), chKey (1), cch (1), cce (2), reserved (2), itab (2),
     * reserved (4), then the name ([MS-XLS] XLUnicodeStringNoCch: fHighByte, then cch characters); in BIFF5 the same
     * fields before the name and the four lengths of menu, description, help and status texts where BIFF8 has its
     * reserved bytes, then cch 8-bit characters (NAME in OpenOffice.org's "Excel File Format" 5.67).
     */
    private void lbl(byte[] data, int dataLength, boolean biff5) {
        if (dataLength < (biff5 ? 14 : 15)) {
            markDamaged();
            return;
        }
        boolean builtin = (data[0] & 0x20) != 0;
        Optional<String> name = string(data, dataLength, data[3] & 0xff, 14, biff5);
        if (name.isEmpty()) {
            markDamaged();
        } else if (builtin
                ? name.get().startsWith("\u0001")
                : name.get().toLowerCase(Locale.ROOT).startsWith("auto_open")) {
            autoOpen = true;
        }
    }

    /**
     * The string of {@code cch} characters whose {@code fHighByte} byte is at {@code at} (its characters after it: one
     * byte each, Latin-1, or UTF-16LE when its low bit is set), or in BIFF5 whose 8-bit characters start at {@code at}
     * (read as Latin-1: the workbook's code page is not applied); empty when the record ends before it does.
     */
    private static Optional<String> string(byte[] data, int dataLength, int cch, int at, boolean biff5) {
        boolean wide = !biff5 && (data[at] & 1) != 0;
        int from = biff5 ? at : at + 1;
        int bytes = wide ? 2 * cch : cch;
        if (from + bytes > dataLength) {
            return Optional.empty();
        }
        String s = new String(data, from, bytes, wide ? StandardCharsets.UTF_16LE : StandardCharsets.ISO_8859_1);
        return Optional.of(s.codePoints()
                .map(c -> Character.isISOControl(c) && c != 1 ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString());
    }

    private void markDamaged() {
        damagedAt = damagedAt < 0 ? offset : damagedAt;
    }

    /** Says the file has ended: a walk still under way was cut short. */
    void end() {
        for (int i = 0; i < walkCount; i++) {
            if (!walks[i].afterGlobals) {
                markDamaged();
            }
        }
        Arrays.fill(walks, null);
        walkCount = 0;
    }

    /**
     * What the records say of macros other than a VBA project's stream: the macro sheets ({@code Excel 4.0 macro sheet
     * 'Macro1' (very hidden)}; {@code an Excel 4.0 macro sheet's records} when only a macro sheet's BOF was seen), an
     * {@code Auto_Open} name, a PowerPoint VBA project; empty when nothing.
     */
    Optional<String> macros() {
        List<String> what = new ArrayList<>();
        if (pptMacros) {
            what.add("a PowerPoint VBA project");
        }
        if (macroSheetCount > 0) {
            String sheets = String.join(", ", macroSheets);
            what.add(macroSheetCount > LISTED ? sheets + " and " + (macroSheetCount - LISTED) + " more" : sheets);
        } else if (macroSheetBof) {
            what.add("an Excel 4.0 macro sheet's records");
        }
        if (autoOpen) {
            what.add("an Auto_Open name");
        }
        storageMacros.forEach(m -> what.add("in an object storage: " + m));
        return what.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", what));
    }

    /**
     * What a compound file's streams, read along their chains, say of macros: the records of every {@code Workbook},
     * {@code Book} and {@code PowerPoint Document} stream in its directory tree ({@link #ofWorkbook}, {@link #ofPowerPoint}), and a VBA project
     * (a {@code VBA} storage holding its {@code dir} stream, [MS-OVBA] 2.2.1).
     *
     * @param file the compound file's bytes
     * @return the macros found (each stream's, in the directory's order) and, when some could not be read, why
     * @throws IOException if reading the bytes fails
     */
    static Streams ofCompoundFile(Positioned file) throws IOException {
        return ofCompoundFile(file, null, 0);
    }

    /** The same for a file in a storage {@code depth} deep in {@code root}'s stream (null and 0: the attachment). */
    private static Streams ofCompoundFile(Positioned file, OfficeRecords root, int depth) throws IOException {
        List<String> macros = new ArrayList<>();
        boolean vbaProject = false;
        Optional<String> unread = Optional.empty();
        byte[] buffer = new byte[64 * 1024];
        try {
            CompoundFile cf = CompoundFile.read(file);
            for (CompoundFile.Entry e : cf.entries()) {
                if (e.storage()) {
                    continue;
                }
                vbaProject |= CompoundFile.sameName(e.name(), "dir") && CompoundFile.sameName(e.parent(), "VBA");
                if (!CompoundFile.sameName(e.name(), "Workbook")
                        && !CompoundFile.sameName(e.name(), "Book")
                        && !CompoundFile.sameName(e.name(), "PowerPoint Document")) {
                    continue;
                }
                OfficeRecords records = CompoundFile.sameName(e.name(), "PowerPoint Document")
                        ? new OfficeRecords(POWERPOINT, root, depth)
                        : ofWorkbook();
                try (InputStream in = cf.open(e)) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        records.take(buffer, 0, n);
                    }
                }
                records.end();
                records.macros().ifPresent(macros::add);
                if (unread.isEmpty() && records.pptUnread != null) {
                    unread = Optional.of(records.pptUnread);
                }
                if (unread.isEmpty() && records.damaged().isPresent()) {
                    unread = Optional.of("Excel workbook whose sheet list cannot be read past byte "
                            + records.damaged().get() + " of its " + e.name()
                            + " stream (cut short or damaged); Excel 4.0 macro sheets not ruled out");
                }
            }
        } catch (CompoundFile.Damaged e) {
            unread = Optional.of("compound file whose allocation table cannot be followed (" + e.getMessage()
                    + "); macros not ruled out");
        }
        return new Streams(macros, vbaProject, unread);
    }

    /**
     * What {@link #ofCompoundFile} found.
     *
     * @param macros each stream's macros ({@link #macros()}), in the directory's order
     * @param vbaProject whether a {@code VBA} storage holds a {@code dir} stream
     * @param unread why macros could not be ruled out (a stream or the file's tables could not be read), or empty
     */
    record Streams(List<String> macros, boolean vbaProject, Optional<String> unread) {}

    /** How many sheet descriptions are held: at most five, whatever the number of macro sheets (the rest counted). */
    int sheetsHeld() {
        return macroSheets.size();
    }

    /** The most walks that were under way at once: at most {@link #MAX_WALKS}. */
    int walksHeld() {
        return peakWalks;
    }

    /**
     * The offset in the file where a workbook's records could not be read on (the stream ended before the globals'
     * EOF record, a record longer than 8,224 bytes, a sheet or name record shorter than what it holds), or empty.
     */
    Optional<Long> damaged() {
        return damagedAt < 0 ? Optional.empty() : Optional.of(damagedAt);
    }
}
