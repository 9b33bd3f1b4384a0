package org.mailhygiene.scanners.builtin;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.internal.ThreatNames;
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
import org.mailhygiene.scanners.mime.GzipStream;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;
import org.mailhygiene.scanners.mime.TextFiles;
import org.mailhygiene.scanners.mime.ZipDirectory;

/**
 * A small in-process scanner that recognises the two industry test strings, so that examples, demos and tests work
 * with no daemon installed:
 *
 * <ul>
 *   <li>the EICAR anti-virus test file (the 68-character string; the EICAR specification lets it be followed by
 *       whitespace, which a substring match allows) anywhere in the raw message bytes or in the decoded body of any
 *       MIME part (base64, quoted-printable, uuencode, nested multiparts and encapsulated messages), or in a file
 *       uuencoded, yEnc-encoded or BinHex-encoded into a {@code text/plain} part (or the data fork of an
 *       {@code application/mac-binhex40} part's BinHex file) or into the lines as sent of a part Thunderbird reads
 *       as untyped text ({@link TextFiles}; Thunderbird shows such files as attachments, clamd decodes uuencoded ones),
 *       or in a file of a zip, gzip, tar or 7z archive, a stored file of a RAR archive, of a bzip2, xz or LZMA file, or of a TNEF stream (Outlook's
 *       {@code winmail.dat}, each attached file under its long name) among those (archives in archives to {@value
 *       #MAX_ARCHIVE_DEPTH} levels; zip entries stored, deflated, or compressed with bzip2, LZMA or xz; a broken
 *       archive searched up to its damage; an encrypted zip entry, which clamd does not alert on by default either,
 *       passed over, the entries after it read, unless its sizes are ZIP64's: then it ends its zip's reading; the
 *       entries a zip's directory at its end names where none of those read from its start began, read from their
 *       local headers when among its last {@value #MAX_KEPT_ZIP} bytes, {@code UNSCANNABLE} when before them)
 *       gives {@link Outcome#INFECTED} with the threat {@value #EICAR_THREAT};
 *   <li>otherwise the GTUBE spam test string anywhere in the raw bytes or a decoded part gives {@link Outcome#SPAM}
 *       with score {@value #GTUBE_SCORE}, threshold {@value #SPAM_THRESHOLD} and the rule {@value #GTUBE_RULE}.
 * </ul>
 *
 * <p>Streams: one pass over the raw bytes, then a {@link MimeWalker} pass over the decoded parts (skipped when the raw
 * pass already found EICAR). Memory use does not grow with the message, but for a TNEF stream's attached file, held
 * until its name (which follows it) is read: up to what the archives' budget below has left. When the walker hits one
 * of its limits before finding EICAR, part of the decoded content was not examined and the scan fails ({@link
 * ScanFailure.Kind#TOO_LARGE} for the decoded-bytes limit, {@link ScanFailure.Kind#UNSCANNABLE} for depth and
 * part-count limits) rather than calling the message clean; so do a yEnc line too long to decode and BinHex files
 * decoding to more than the walker's decoded-bytes limit in all ({@link ScanFailure.Kind#UNSCANNABLE}), and archives
 * whose entries expand to more than that limit in all ({@link ScanFailure.Kind#TOO_LARGE}), nested deeper or holding
 * more than {@value #MAX_ARCHIVE_ENTRIES} entries ({@link ScanFailure.Kind#UNSCANNABLE}), and an xz or LZMA file or
 * zip entry whose dictionary needs more memory than its decoder may have (up to {@link Compressed#MAX_MEMORY}, the
 * decoders open at once in a message's archives twice that together, each LZMA one taking what its dictionary needs,
 * each xz one all it may) or whose options XZ for Java does not read ({@link
 * ScanFailure.Kind#UNSCANNABLE}). A 7z archive is kept whole (in heap up to 4 MiB, beyond that in a temporary file)
 * to read its header at its end; one whose folders declare more bytes than the archives' budget has left is {@link
 * ScanFailure.Kind#TOO_LARGE} before it is decoded, and a broken one, or one with a coder not read here (PPMd, BCJ2,
 * Deflate64), {@link ScanFailure.Kind#UNSCANNABLE}; its AES-encrypted folders are passed over as encrypted zip entries
 * are (their files, or with the header encrypted too all of it; the attachment policy reports them). A RAR archive (4.x or
 * 5.0) is kept whole likewise and its stored files searched, their CRC checked; its compressed files (RAR's compression
 * is not decoded here), files split across volumes and encrypted files are passed over, and a clean verdict names
 * them in a {@value #NOT_READ_RULE} rule; a broken one is {@link ScanFailure.Kind#UNSCANNABLE}. A RAR, 7z or zip
 * archive behind a PE or ELF program (a self-extractor, {@link SelfExtracting}: found after the program's end, in a
 * bounded search) is read as that archive, one level of nesting; a signature there that does not read as an archive is
 * no error, and the program is searched as the file it is.
 * Broken MIME structure is scanned as far as it can be parsed.
 *
 * <p>Name {@value #NAME}; {@link #cacheIdentity()} is the name, the signature set's version ({@value #VERSION}) and the
 * walker's limits. Health is always up. Immutable and thread-safe; interruptible between buffers.
 */
public final class SignatureScanner implements Scanner {
    /** The scanner's name. */
    public static final String NAME = "builtin";
    /**
     * The version of the signature set and of what it is matched against; part of the cache identity: 2 since files
     * encoded into text are decoded; 3 since BinHex files are too (in text and in {@code application/mac-binhex40}
     * parts); 4 since BinHex files decoding to more than the walker's decoded-bytes limit in all are unscannable; 5
     * since zip, gzip and tar archives are opened; 6 since TNEF streams are too, and EICAR in an archive's first
     * bytes is reported in the file holding it; 7 since a zip directory entry's data counts against the archives'
     * expanded-bytes limit; 8 since the entries after an encrypted zip entry are read; 9 since a deflated zip entry
     * with a ZIP64 data descriptor is read; 10 since bzip2, xz and LZMA files, zip entries compressed with bzip2, LZMA
     * or xz, and the entries after an encrypted zip entry with a data descriptor are read; 11 since the entries a
     * zip's directory names where none read from its start began are read too; 12 since such an entry before the
     * zip's last bytes kept is {@code UNSCANNABLE} (was passed over); 13 since so is a zip with an encrypted entry
     * whose directory cannot be read (ZIP64); 14 since a ZIP64 directory is read (its end record and its entries'
     * extra fields, {@link ZipDirectory#read}); 15 since 7z archives are opened ({@link SevenZip}); 16 since a 7z archive's
     * AES-encrypted folders are passed over (were {@code UNSCANNABLE}), its other folders' files searched; 17 since an LZMA
     * decoder takes the memory its dictionary needs ({@link Compressed.Allowance}): small-dictionary archives nested three
     * deep were {@code UNSCANNABLE}; 18 since a 7z header's number of 2^63 or more is {@code UNSCANNABLE} (a negative
     * unpack size read a file as empty; such an archive was {@code TOO_LARGE}); 19 since RAR archives are opened
     * ({@link Rar}: stored files searched, compressed ones passed over and named in a {@value #NOT_READ_RULE} rule); 20
     * since a RAR5 file's NTFS alternate streams are searched as its files are (were passed over, with nothing said); 21
     * since a 7z or RAR archive holding {@code ustar} at offset 257 (in a file name) is read as one, not as a tar
     * (EICAR in a zip stored in such a RAR was clean); 22 since a RAR file's name in the {@value #NOT_READ_RULE} rule is
     * bounded as a threat name is ({@link ThreatNames#bounded}: ten names of 8,000 characters made an 80 KB rule); 23
     * since a bzip2 or xz file holding {@code ustar} at offset 257 (a stored chunk) is read as one, not as a tar; 24
     * since a RAR, 7z or zip archive behind a PE or ELF program (a self-extractor) is read ({@link SelfExtracting}); 25
     * since every file or archive passed over unread is named in the {@value #NOT_READ_RULE} rule (an encrypted zip
     * entry, an encrypted 7z file, a 7z or RAR archive whose headers are encrypted gave a plain clean verdict); 26 since
     * an encrypted zip entry with ZIP64 sizes ({@code zip -P} from a pipe), which ends the zip's reading, is named there
     * too (it gave a plain clean verdict); 27 since a zip behind a PE whose section table claims it (a section said to
     * cover it, or to end past the file) is read, as unzip finds it from its directory ({@link SelfExtracting}: a zipped
     * EICAR so hidden was clean); 28 since such a zip is read behind a program whose headers do not read too (a PE
     * header beyond the first 64 KiB, an ELF offset past 2^63); 29 since every 7z signature after a program is tried (16
     * bare ones before the real 7z archive hid it).
     */
    public static final String VERSION = "29";
    /** The threat name reported for the EICAR test file. */
    public static final String EICAR_THREAT = "Eicar-Test-Signature";
    /** The rule name reported for the GTUBE test string. */
    public static final String GTUBE_RULE = "GTUBE";
    /**
     * The rule a clean verdict carries when files were passed over unread: a RAR archive's compressed files (not decoded
     * here) and files split across volumes, every archive's encrypted files (zip entries, 7z files, RAR files), and 7z
     * and RAR archives whose headers are encrypted (no file of them listed). Its description names them by MIME part
     * ({@code zip file "a.doc" (encrypted)}; at most ten, then how many more), so that a clean verdict says what it
     * did not search; one rule for all formats since session 55 (before, only a RAR's files were named). The policy's
     * name for it ({@link org.mailhygiene.api.policy.DefaultPolicy.Builder#onNotRead}: what such a message becomes).
     */
    public static final String NOT_READ_RULE = org.mailhygiene.api.policy.DefaultPolicy.NOT_READ_RULE;
    /** The score of a GTUBE match. */
    public static final double GTUBE_SCORE = 1000.0;
    /** The spam threshold reported with a GTUBE match. */
    public static final double SPAM_THRESHOLD = 5.0;

    // Assembled at run time from pieces, so that neither test string appears whole in a source or class file.
    private static final byte[] EICAR = String.join(
                    "", "X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GTUBE = String.join(
                    "", "XJS*C4JDBQADN1.NSBN3*2IDNEN*", "GTUBE-STANDARD-ANTI-UBE-", "TEST-EMAIL*C.34X")
            .getBytes(StandardCharsets.US_ASCII);
    private static final int EICAR_INDEX = 0;
    private static final int GTUBE_INDEX = 1;
    private static final int BUFFER = 16 * 1024;
    /** How deep archives in archives are opened (ClamAV 1.4 finds EICAR under 15 zips in a base64 attachment). */
    static final int MAX_ARCHIVE_DEPTH = 16;
    /** How many archive entries of a message are read. */
    static final int MAX_ARCHIVE_ENTRIES = 10_000;
    /**
     * The last bytes of each zip kept to read its directory at its end and the entries it names that were not read from
     * its start ({@link #unstreamed}): 4 MiB, as the attachment policy keeps.
     */
    static final int MAX_KEPT_ZIP = 4 << 20;

    /**
     * The EICAR anti-virus test file (68 bytes), the harmless file every virus scanner reports, for checking that a
     * scanner detects what it should ({@code hygiene relay --check} sends it to clamd and command-line scanners).
     * Assembled at run time, so the string appears whole in no source or class file. Thread-safe.
     *
     * @return a new array holding the test file each call
     */
    public static byte[] eicarTestFile() {
        return EICAR.clone();
    }

    private final MimeWalker walker;

    private SignatureScanner(MimeWalker walker) {
        this.walker = walker;
    }

    /**
     * A scanner with the {@linkplain MimeWalker#defaults() default} walker limits.
     *
     * @return a new scanner
     */
    public static SignatureScanner create() {
        return new SignatureScanner(MimeWalker.defaults());
    }

    /**
     * A scanner that walks MIME parts with the given walker (and its limits).
     *
     * @param walker the walker
     * @return a new scanner
     */
    public static SignatureScanner create(MimeWalker walker) {
        return new SignatureScanner(Objects.requireNonNull(walker, "walker"));
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ScanException {@link ScanFailure.Kind#SCANNER_ERROR} when the content cannot be read;
     *     {@link ScanFailure.Kind#TOO_LARGE} or {@link ScanFailure.Kind#UNSCANNABLE} when a walker limit left content
     *     unexamined and nothing was found
     * @throws InterruptedException if the thread is interrupted during the scan
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        long start = System.nanoTime();
        MessageContent content = message.content();
        PatternMatcher raw = new PatternMatcher(EICAR, GTUBE);
        byte[] buf = new byte[BUFFER]; // one for the message and all its parts (a message may have 1,000 tiny ones)
        try (InputStream in = content.openStream()) {
            feedAll(in, raw, buf);
        } catch (InterruptedIOException e) {
            throw interrupted(e);
        } catch (IOException e) {
            throw ScanException.of(NAME, ScanFailure.Kind.SCANNER_ERROR, "cannot read the message: " + e, e);
        }
        if (raw.found(EICAR_INDEX)) {
            return infected("in the raw message", start);
        }
        Found found = new Found(walker.maxDecodedBytes());
        MimeWalkResult walk;
        try {
            walk = walker.walk(content, new PartVisitor() {
                @Override
                public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                    PatternMatcher m = new PatternMatcher(EICAR, GTUBE);
                    PushbackInputStream in = new PushbackInputStream(decoded, ArchiveKind.PREFIX);
                    byte[] prefix = in.readNBytes(ArchiveKind.PREFIX);
                    in.unread(prefix);
                    if (ArchiveKind.of(prefix, prefix.length) == null
                            && (part.mimeType().equals("text/plain")
                                    || part.mimeType().equals("application/mac-binhex40"))) {
                        // read to its end for the files in it, every byte through the matcher as well
                        textFiles(part, new Matched(in, m), found, buf);
                    } else {
                        String file = file(part, in, m, found, buf);
                        if (file != null && !file.isEmpty()) {
                            found.eicarPart = part;
                            found.eicarFile = file;
                            return false;
                        }
                    }
                    if (m.found(GTUBE_INDEX) && found.gtubePart == null) {
                        found.gtubePart = part;
                    }
                    if (m.found(EICAR_INDEX)) {
                        found.eicarPart = part;
                        found.eicarFile = null;
                    }
                    return found.eicarPart == null;
                }

                @Override
                public void untypedText(PartInfo part, InputStream raw) throws IOException {
                    textFiles(part, raw, found, buf);
                }
            });
        } catch (InterruptedIOException e) {
            throw interrupted(e);
        } catch (IOException e) {
            throw ScanException.of(NAME, ScanFailure.Kind.SCANNER_ERROR, "cannot read the message: " + e, e);
        }
        if (found.eicarPart != null) {
            return infected("in " + describe(found.eicarPart) + Objects.toString(found.eicarFile, ""), start);
        }
        if (found.undecodedFile != null) {
            throw ScanException.of(NAME, ScanFailure.Kind.UNSCANNABLE, found.undecodedFile, null);
        }
        if (found.unopened != null) {
            throw ScanException.of(NAME, found.unopenedKind, found.unopened, null);
        }
        for (MimeFinding f : walk.findings()) {
            if (f.kind() == MimeFinding.Kind.DECODING_ERROR) {
                // Part of that part's decoded content was never seen: not a basis for CLEAN (the raw pass only covers
                // undecoded bytes).
                throw ScanException.of(
                        NAME,
                        ScanFailure.Kind.UNSCANNABLE,
                        "part '" + f.path() + "' could not be decoded completely: " + f.detail(),
                        null);
            }
            if (f.kind().isLimit()) {
                ScanFailure.Kind kind = f.kind() == MimeFinding.Kind.SIZE_LIMIT
                        ? ScanFailure.Kind.TOO_LARGE
                        : ScanFailure.Kind.UNSCANNABLE;
                throw ScanException.of(
                        NAME, kind, "MIME walk incomplete at part '" + f.path() + "': " + f.detail(), null);
            }
        }
        if (raw.found(GTUBE_INDEX) || found.gtubePart != null) {
            String where = raw.found(GTUBE_INDEX) ? "in the raw message" : "in " + describe(found.gtubePart);
            return Verdict.builder(NAME, Outcome.SPAM)
                    .score(GTUBE_SCORE)
                    .threshold(SPAM_THRESHOLD)
                    .rule(Rule.of(GTUBE_RULE, GTUBE_SCORE, "GTUBE spam test string " + where))
                    .elapsed(since(start))
                    .build();
        }
        if (found.notReadCount > 0) {
            String more = found.notReadCount > Found.MAX_NOT_READ
                    ? "; and " + (found.notReadCount - Found.MAX_NOT_READ) + " more"
                    : "";
            return Verdict.builder(NAME, Outcome.CLEAN)
                    .rule(new Rule(
                            NOT_READ_RULE,
                            java.util.OptionalDouble.empty(),
                            "not searched: " + String.join("; ", found.notRead.values()) + more))
                    .elapsed(since(start))
                    .build();
        }
        return Verdict.clean(NAME, since(start));
    }

    /**
     * Looks for EICAR in the files uuencoded, yEnc-encoded or BinHex-encoded into a text ({@link TextFiles}), which
     * Thunderbird shows as attachments and clamd decodes when uuencoded; reads the text to its end. A yEnc line too
     * long to decode, a broken BinHex file (a CRC that does not match, cut short), or BinHex files decoding to more than
     * the walker's decoded-bytes limit in all the message's texts, is noted in {@code found}: the scan cannot be clean.
     * Only a BinHex file's run-length coding makes it larger than its text (some 95 times: a 10 MB text decodes to a
     * gigabyte; until session 50 all of it went through the matcher); each file is read through the matcher without
     * being kept.
     */
    private static void textFiles(PartInfo part, InputStream text, Found found, byte[] buf) throws IOException {
        try {
            TextFiles.read(text, found.binHex, (encoding, name, file) -> {
                if (found.eicarPart != null) {
                    return;
                }
                String in = file(part, file, new PatternMatcher(EICAR), found, buf);
                if (in != null) {
                    found.eicarPart = part;
                    found.eicarFile = " > " + encoding.description() + " "
                            + (name.isEmpty() ? "file without a name" : "\"" + name + "\"") + in;
                }
            });
        } catch (TextFiles.LimitException | TextFiles.BrokenException e) {
            if (found.undecodedFile == null) {
                found.undecodedFile = describe(part) + ": " + e.getMessage() + "; a file there could not be decoded";
            }
        }
    }

    /**
     * Matches a file's bytes (a MIME part's decoded content, a file encoded into a text) through {@code m} and, when it
     * starts as a zip, gzip or tar archive, a bzip2, xz or LZMA file or a TNEF stream, each file the archive holds through a matcher of its own,
     * archives in archives too, to {@value #MAX_ARCHIVE_DEPTH} levels. An archive is read from its start as far as it
     * can be read: a broken one is searched up to its damage, an encrypted zip entry is passed over (as clamd, with
     * Debian's {@code AlertEncrypted no}, answers {@code OK} for it; the attachment policy reports it) and the entries
     * after it are read (until session 51 it ended the zip's reading: EICAR after a locked file was clean; until session
     * 52 so did one with a data descriptor, which Info-ZIP's {@code zip -e} writes for every entry), unless its sizes
     * are ZIP64's, which ends the zip's reading; then the entries its directory at the end names where none read from
     * its start began are read ({@link #unstreamed}). An archive nested deeper, more than
     * {@value #MAX_ARCHIVE_ENTRIES} entries or more expanded bytes than the walker's decoded-bytes limit in the
     * message's archives in all are noted in {@code found}: the scan cannot be clean, unless EICAR was in the bytes
     * read before the limit.
     *
     * @return {@code ""} when EICAR is in the bytes themselves, the path to the file holding it ({@code > a.zip >
     *     eicar.com}), or {@code null} when it was not found
     */
    private static String file(PartInfo part, InputStream in, PatternMatcher m, Found found, byte[] buf)
            throws IOException {
        found.part = describe(part);
        try {
            return file(in, m, 0, found, buf);
        } catch (ArchiveLimit e) {
            if (found.unopened == null) {
                found.unopened = describe(part) + ": " + e.getMessage() + "; the rest was not examined";
                found.unopenedKind = e.kind;
            }
            return null;
        }
    }

    private static String file(InputStream in, PatternMatcher m, int depth, Found found, byte[] buf)
            throws IOException {
        byte[] prefix = in.readNBytes(ArchiveKind.PREFIX);
        m.feed(prefix, 0, prefix.length);
        ArchiveKind kind = ArchiveKind.of(prefix, prefix.length);
        // EICAR in the first bytes of an archive that is opened (a small winmail.dat's, a stored zip's) is looked for
        // in its files, so that the finding names the file
        if (m.found(EICAR_INDEX) && (kind == null || depth >= MAX_ARCHIVE_DEPTH)) {
            return "";
        }
        if (kind != null) {
            if (depth >= MAX_ARCHIVE_DEPTH) {
                throw new ArchiveLimit(
                        ScanFailure.Kind.UNSCANNABLE, "archives nested deeper than " + MAX_ARCHIVE_DEPTH + " levels");
            }
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(prefix), new Matched(in, m));
            String hit = opened(() -> archive(kind, whole, depth + 1, found, buf), m);
            if (hit != null) {
                return hit;
            }
        } else if (SelfExtracting.starts(prefix, prefix.length) && depth < MAX_ARCHIVE_DEPTH) {
            // a program: the archive behind it, if any, is searched as the self-extractor's own files
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(prefix), new Matched(in, m));
            String hit = opened(
                    () -> {
                        try (SelfExtracting sfx = SelfExtracting.find(
                                whole, buf, Math.max(0, MAX_ARCHIVE_ENTRIES - found.archiveEntries))) {
                            if (sfx == null) {
                                return null;
                            }
                            String inside = selfExtracted(sfx, depth + 1, found, buf);
                            return inside == null
                                    ? null
                                    : " > self-extracting archive at byte " + sfx.offset() + inside;
                        }
                    },
                    m);
            if (hit != null) {
                return hit;
            }
        }
        feedAll(in, m, buf);
        return m.found(EICAR_INDEX) ? "" : null;
    }

    /**
     * An archive's reading, whose limit is no failure when EICAR was in the archive's own bytes read before it.
     *
     * @param m the matcher the archive's bytes pass through
     */
    private static String opened(Reading reading, PatternMatcher m) throws IOException {
        try {
            return reading.read();
        } catch (ArchiveLimit e) {
            if (m.found(EICAR_INDEX)) {
                return ""; // in the archive's bytes read before the limit: found all the same
            }
            throw e;
        }
    }

    /** The entries of an archive, each a file; the path to the one holding EICAR, or {@code null}. */
    private static String archive(ArchiveKind kind, InputStream whole, int depth, Found found, byte[] buf)
            throws IOException {
        return asFarAsItReads(() -> {
            switch (kind) {
                case ZIP -> {
                    Kept kept = new Kept(whole);
                    Set<Long> starts = new HashSet<>();
                    Set<String> names = new HashSet<>();
                    // a broken zip is read as far as it can be, then the entries its directory names
                    String hit = asFarAsItReads(() -> zipEntries(kept, starts, names, depth, found, buf));
                    return hit != null ? hit : unstreamed(kept, starts, names, depth, found, buf);
                }
                case GZIP -> {
                    try (GzipStream gzip = new GzipStream(whole)) {
                        return entry(gzip.storedName().orElse("gzip content"), gzip, depth, found, buf);
                    }
                }
                case TAR -> {
                    TarStream tar = new TarStream(whole);
                    for (TarStream.Entry e = tar.next(); e != null; e = tar.next()) {
                        if (e.isFile()) {
                            String hit = entry(e.name(), e.data(), depth, found, buf);
                            if (hit != null) {
                                return hit;
                            }
                        }
                    }
                }
                case BZIP2, XZ, LZMA -> {
                    try (InputStream content = Compressed.open(kind, whole, found.decoderMemory)) {
                        return entry(
                                kind.name().toLowerCase(java.util.Locale.ROOT) + " content",
                                content,
                                depth,
                                found,
                                buf);
                    }
                }
                case SEVEN_ZIP -> {
                    return sevenZip(whole, depth, found, buf);
                }
                case RAR -> {
                    return rar(whole, depth, found, buf);
                }
                case TNEF -> {
                    // a file is read into memory before its name (which follows it): its claimed length is held to
                    // what the archives' budget has left first
                    TnefStream tnef = new TnefStream(whole, new TnefStream.Limits() {
                        @Override
                        public void attachment() {}

                        @Override
                        public void data(long length) throws ArchiveLimit {
                            if (length > found.archiveBytesLeft) {
                                throw found.overBudget();
                            }
                        }
                    });
                    for (TnefStream.Attachment a = tnef.next(); a != null; a = tnef.next()) {
                        if (a.data().isPresent()) {
                            String name = a.name().filter(n -> !n.isEmpty()).orElse("attachment without a name");
                            String hit = entry(
                                    name, new ByteArrayInputStream(a.data().get()), depth, found, buf);
                            if (hit != null) {
                                return hit;
                            }
                        }
                    }
                }
            }
            return null;
        });
    }

    /**
     * The entries of a self-extractor's archive, read as {@link #archive} reads that kind; a RAR or 7z over the bytes
     * the self-extractor kept, not kept a second time.
     */
    private static String selfExtracted(SelfExtracting sfx, int depth, Found found, byte[] buf) throws IOException {
        return switch (sfx.kind()) {
            case RAR -> asFarAsItReads(() -> rar(sfx.file(), depth, found, buf));
            case SEVEN_ZIP -> asFarAsItReads(() -> sevenZip(sfx.file(), depth, found, buf));
            default -> archive(sfx.kind(), sfx.archive(), depth, found, buf);
        };
    }

    /** A reading of an archive's entries: the path to the one holding EICAR, or {@code null}. */
    private interface Reading {
        String read() throws IOException;
    }

    /**
     * Runs a reading of an archive, which a broken or encrypted archive ends where it can be read no further: its
     * result, or {@code null} when it ended so (the message's own read failures are the walker's, which it reports after
     * the walk). Limits and interrupts go on; content XZ for Java will not read is {@code UNSCANNABLE}.
     */
    private static String asFarAsItReads(Reading reading) throws IOException {
        try {
            return reading.read();
        } catch (ArchiveLimit | InterruptedIOException e) {
            throw e;
        } catch (Compressed.Unreadable e) {
            throw new ArchiveLimit(ScanFailure.Kind.UNSCANNABLE, "an archive that cannot be read: " + e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A 7z archive's files ({@link SevenZip}), its bytes kept first in a {@link Spool} (in heap up to {@value
     * Spool#HEAP} bytes, beyond that in a temporary file), as its header is at its end. The bytes its folders declare
     * beyond what the archives' budget has left are {@code TOO_LARGE} before anything is decoded (1 GB of zeros in a
     * 7z of 146 KB); a broken one (a CRC that fails, cut short), as one whose coder is not read here (PPMd, BCJ2), is
     * {@code UNSCANNABLE}: unlike a zip read from its start, nothing of it can be searched before its damage is known.
     * An encrypted folder's files (AES, {@code -p}) are passed over as an encrypted zip entry is (the attachment policy
     * reports them), the other folders' files searched; so is an archive whose header is encrypted too ({@code
     * -mhe=on}).
     *
     * @return the path to the entry holding EICAR, or {@code null}
     */
    private static String sevenZip(InputStream whole, int depth, Found found, byte[] buf) throws IOException {
        try (Spool spool = Spool.of(whole, buf)) {
            return sevenZip(spool, depth, found, buf);
        }
    }

    /** As {@link #sevenZip(InputStream, int, Found, byte[])}, over bytes already kept (a self-extractor's archive). */
    private static String sevenZip(Positioned spool, int depth, Found found, byte[] buf) throws IOException {
        try (SevenZip z =
                SevenZip.open(spool, Math.max(0, MAX_ARCHIVE_ENTRIES - found.archiveEntries), found.decoderMemory)) {
            if (z.unpackedBytes() > found.archiveBytesLeft) {
                throw found.overBudget();
            }
            String[] hit = {null};
            z.read((e, data) -> {
                if (!e.hasData() || e.encrypted()) { // an encrypted file passed over, as a zip's
                    if (e.hasData() && !e.directory()) {
                        found.notRead("7z", e.name(), "encrypted");
                    }
                    if (++found.archiveEntries > MAX_ARCHIVE_ENTRIES) {
                        throw new ArchiveLimit(
                                ScanFailure.Kind.UNSCANNABLE, "more than " + MAX_ARCHIVE_ENTRIES + " archive entries");
                    }
                    return true;
                }
                hit[0] = entry(e.name(), data, depth, found, buf);
                return hit[0] == null;
            });
            return hit[0];
        } catch (SevenZip.Encrypted e) {
            // its header encrypted too: nothing to search, passed over as an encrypted zip entry
            found.notRead("a 7z archive whose header is encrypted (no file of it)");
            return null;
        } catch (ArchiveLimit | Compressed.Unreadable | InterruptedIOException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ArchiveLimit(ScanFailure.Kind.UNSCANNABLE, "a broken 7z archive: " + e.getMessage());
        }
    }

    /**
     * A RAR archive's files ({@link Rar}, format 4.x or 5.0), its bytes kept first in a {@link Spool}: each stored file
     * (neither encrypted nor split across volumes) searched, its CRC checked. A compressed file cannot be read (RAR's
     * compression is not publicly specified and is not decoded here) and is passed over, as an encrypted or split one
     * is, each noted in {@code found} ({@link Found#notRead}) so that the clean verdict says it was not searched; the
     * archive's own bytes are searched all the same, as every file's are. Headers encrypted ({@code -hp}): passed over,
     * as a 7z archive's. A broken archive (a CRC that fails, cut short), as more entries than the limit, is {@code
     * UNSCANNABLE}.
     *
     * @return the path to the entry holding EICAR, or {@code null}
     */
    private static String rar(InputStream whole, int depth, Found found, byte[] buf) throws IOException {
        try (Spool spool = Spool.of(whole, buf)) {
            return rar(spool, depth, found, buf);
        }
    }

    /** As {@link #rar(InputStream, int, Found, byte[])}, over bytes already kept (a self-extractor's archive). */
    private static String rar(Positioned spool, int depth, Found found, byte[] buf) throws IOException {
        try {
            Rar archive = Rar.open(spool, Math.max(0, MAX_ARCHIVE_ENTRIES - found.archiveEntries));
            for (Rar.Entry e : archive.entries()) {
                if (e.readable()) {
                    if (e.packedSize() > found.archiveBytesLeft) {
                        throw found.overBudget();
                    }
                    String hit = entry(e.name(), archive.data(e), depth, found, buf);
                    if (hit != null) {
                        return hit;
                    }
                    continue;
                }
                if (++found.archiveEntries > MAX_ARCHIVE_ENTRIES) {
                    throw new ArchiveLimit(
                            ScanFailure.Kind.UNSCANNABLE, "more than " + MAX_ARCHIVE_ENTRIES + " archive entries");
                }
                if (!e.directory() && !e.link()) { // a link's data is its target's, searched as a file
                    found.notRead("RAR", e.name(), e.whyUnread());
                }
            }
            return null;
        } catch (Rar.Encrypted e) {
            // its names encrypted too: passed over as an encrypted zip entry
            found.notRead("a RAR archive whose headers are encrypted (no file of it)");
            return null;
        } catch (ArchiveLimit | Compressed.Unreadable | InterruptedIOException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ArchiveLimit(ScanFailure.Kind.UNSCANNABLE, "a broken RAR archive: " + e.getMessage());
        }
    }

    /**
     * A zip's entries read from its start; where each began and its name noted.
     *
     * @return the path to the entry holding EICAR, or {@code null}
     */
    private static String zipEntries(Kept kept, Set<Long> starts, Set<String> names, int depth, Found found, byte[] buf)
            throws IOException {
        try (ZipStream zip = new ZipStream(kept, found.decoderMemory)) {
            for (ZipStream.Entry e = next(zip, found); e != null; e = next(zip, found)) {
                starts.add(e.offset());
                names.add(e.name());
                kept.encryptedMet |= e.encrypted();
                if (e.encrypted()) {
                    // as clamd leaves it (AlertEncrypted no), named unread; the entries after it are read
                    found.notRead("zip", e.name(), "encrypted");
                    continue;
                }
                if (e.directory()) {
                    // no tool extracts a directory's data, but it is inflated all the same: through the
                    // budget (2 GB of zeros under "d/" took 4 s of a 3 MB message's scan, uncounted)
                    new Matched(e.data(), null, found).transferTo(OutputStream.nullOutputStream());
                    continue;
                }
                String hit = entry(e.name(), e.data(), depth, found, buf);
                if (hit != null) {
                    return hit;
                }
            }
        } catch (ZipStream.EncryptedEntryRefused e) {
            // the reading from the start ends at it: the entries the directory names after it are read by unstreamed,
            // which passes over this one (its start not told, its name known)
            kept.encryptedMet = true;
            starts.add(-1L);
            names.add(e.entryName());
            throw e;
        }
        return null;
    }

    /**
     * A zip's next entry; an encrypted one that cannot be passed over (its sizes are ZIP64's: {@code zip -P} from a
     * pipe) is named in {@code found} before its refusal ends the reading (until session 55 it gave a plain clean
     * verdict).
     */
    private static ZipStream.Entry next(ZipStream zip, Found found) throws IOException {
        try {
            return zip.next();
        } catch (ZipStream.EncryptedEntryRefused e) {
            found.notRead("zip", e.entryName(), "encrypted");
            throw e;
        }
    }

    /**
     * The entries a zip's directory at its end names (which unzip and 7-Zip extract) where no entry read from its start
     * began: hidden from a reader from the start inside another entry's data, or behind bytes an encrypted entry's data
     * made read as its data descriptor and the zip's end (an encrypted entry's data is anyone's to write: EICAR after such
     * a "descriptor" was clean in session 52). Each is read from its local header, every byte read from there on
     * counted against the archives' budget (so that many directory entries pointing into one long entry cost no more
     * than the budget); only entries in the last {@value #MAX_KEPT_ZIP} bytes of the zip, and only with the directory
     * among them, can be: one the directory names before them ends the reading of the message's archives as
     * {@code UNSCANNABLE} (passed over until session 52, EICAR so hidden was clean), and so does a directory that cannot
     * be read (a ZIP64 end record without its locator, or one starting before those bytes) after an encrypted entry was
     * met. The zip's rest is read
     * first.
     *
     * @param starts where the entries read from the start began (-1 for one that could not be told: then only the
     *     names not among {@code names} are read)
     * @return the path to the entry holding EICAR, or {@code null}
     */
    private static String unstreamed(Kept kept, Set<Long> starts, Set<String> names, int depth, Found found, byte[] buf)
            throws IOException {
        kept.transferTo(OutputStream.nullOutputStream());
        long end = kept.passed;
        byte[] tail = kept.last.range(end - kept.last.kept(end), end, end);
        Optional<ZipDirectory> directory = ZipDirectory.read(tail, end - tail.length);
        if (directory.isEmpty() && kept.encryptedMet && ZipDirectory.endOfDirectory(tail) >= 0) {
            // an encrypted entry's data may have ended the reading from the start early, and the directory that would
            // name the entries after it cannot be read (a ZIP64 end record hid EICAR so until session 52)
            throw new ArchiveLimit(
                    ScanFailure.Kind.UNSCANNABLE,
                    "a zip with an encrypted entry whose directory cannot be read (ZIP64, or it starts before the zip's"
                            + " last " + MAX_KEPT_ZIP + " bytes): the entries after the encrypted one not ruled out");
        }
        if (directory.isEmpty()) {
            return null;
        }
        for (int i = 0; i < directory.get().names().size(); i++) {
            String name = directory.get().names().get(i);
            long at = directory.get().offsets().get(i);
            if (at < 0 || starts.contains(-1L) && names.contains(name) || !starts.add(at)) {
                continue; // read from the start (or just now), or not to be told apart from one that was
            }
            long base = end - tail.length;
            if (at < base) {
                // unzip extracts it; a reader from the start never reached it (EICAR so hidden was clean)
                throw new ArchiveLimit(
                        ScanFailure.Kind.UNSCANNABLE,
                        "a zip whose directory names " + LogText.printable(name) + " at byte " + at
                                + ", before its last " + MAX_KEPT_ZIP + " bytes, not reached from its start");
            }
            if (at >= end) {
                continue; // past the zip: no tool extracts it
            }
            // every byte read from the header on counts against the archives' budget: directory entries that all
            // point into one long stretch cost no more than that budget
            InputStream from =
                    new Matched(new ByteArrayInputStream(tail, (int) (at - base), (int) (end - at)), null, found);
            String hit = asFarAsItReads(() -> {
                try (ZipStream zip = new ZipStream(from, found.decoderMemory)) {
                    ZipStream.Entry e = next(zip, found);
                    if (e != null && e.encrypted()) {
                        found.notRead("zip", e.name(), "encrypted");
                    }
                    return e == null || e.encrypted() || e.directory()
                            ? null
                            : entry(e.name(), e.data(), depth, found, buf);
                }
            });
            if (hit != null) {
                return hit;
            }
        }
        return null;
    }

    /**
     * A zip's bytes as they pass, the last {@value #MAX_KEPT_ZIP} of them kept for {@link #unstreamed}. Only what is read
     * is kept: {@link ZipStream} passes over bytes by reading them.
     */
    private static final class Kept extends FilterInputStream {
        final LastBytes last = new LastBytes(MAX_KEPT_ZIP);
        long passed;
        /** Whether the reading from the start met an encrypted entry, whose data may have ended that reading early. */
        boolean encryptedMet;

        Kept(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                last.keep(b, off, n, passed);
                passed += n;
            }
            return n;
        }

        /** Does nothing: the stream is the caller's. */
        @Override
        public void close() {}
    }

    private static String entry(String name, InputStream data, int depth, Found found, byte[] buf) throws IOException {
        if (++found.archiveEntries > MAX_ARCHIVE_ENTRIES) {
            throw new ArchiveLimit(
                    ScanFailure.Kind.UNSCANNABLE, "more than " + MAX_ARCHIVE_ENTRIES + " archive entries");
        }
        String hit = file(new Matched(data, null, found), new PatternMatcher(EICAR), depth, found, buf);
        return hit == null ? null : " > " + LogText.printable(name) + hit;
    }

    private static void feedAll(InputStream in, PatternMatcher m, byte[] buf) throws IOException {
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("scan interrupted");
            }
            m.feed(buf, 0, n);
            if (m.found(EICAR_INDEX)) {
                return;
            }
        }
    }

    private static InterruptedException interrupted(InterruptedIOException e) {
        InterruptedException ie = new InterruptedException("scan interrupted");
        ie.initCause(e);
        return ie;
    }

    private static Verdict infected(String where, long start) {
        return Verdict.builder(NAME, Outcome.INFECTED)
                .threat(EICAR_THREAT)
                .rule(new Rule("EICAR", java.util.OptionalDouble.empty(), "EICAR test file " + where))
                .elapsed(since(start))
                .build();
    }

    private static String describe(PartInfo part) {
        return (part.path().isEmpty() ? "the message body" : "MIME part '" + part.path() + "'") + " (" + part.mimeType()
                + part.fileName().map(n -> ", " + n).orElse("") + ")";
    }

    /**
     * A stream whose bytes, as they are read, go through a matcher too, and count against the message's archive budget
     * when they are an archive entry's; checks for interruption on each read. Closing it leaves the stream open.
     */
    private static final class Matched extends FilterInputStream {
        /** The matcher the bytes go through, or null (an archive entry's bytes, matched by their reader). */
        private final PatternMatcher matcher;
        /** Whose archive budget the bytes count against (an archive entry's expanded bytes), or null. */
        private final Found budget;

        Matched(InputStream in, PatternMatcher matcher) {
            this(in, matcher, null);
        }

        Matched(InputStream in, PatternMatcher matcher, Found budget) {
            super(in);
            this.matcher = matcher;
            this.budget = budget;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("scan interrupted");
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                if (matcher != null) {
                    matcher.feed(b, off, n);
                }
                if (budget != null && (budget.archiveBytesLeft -= n) < 0) {
                    throw budget.overBudget();
                }
            }
            return n;
        }

        /** Does nothing: the stream is the caller's (a gzip reader closes the archive it reads when it ends). */
        @Override
        public void close() {}
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Always up: the signatures are compiled in.
     *
     * @return an up result
     */
    @Override
    public Health health() {
        return Health.up("built-in EICAR and GTUBE signatures, version " + VERSION, Duration.ZERO);
    }

    /**
     * {@code builtin/VERSION} plus the walker's limits, which decide how much decoded content is examined.
     *
     * @return the identity
     */
    @Override
    public Optional<String> cacheIdentity() {
        return Optional.of(NAME + "/" + VERSION + " " + walker);
    }

    @Override
    public String toString() {
        return "SignatureScanner[" + walker + "]";
    }

    /** An archive limit reached: the rest of the message's archives is not examined. */
    private static final class ArchiveLimit extends IOException {
        private static final long serialVersionUID = 1L;
        final transient ScanFailure.Kind kind;

        ArchiveLimit(ScanFailure.Kind kind, String message) {
            super(message);
            this.kind = kind;
        }
    }

    /** Where the walk found something; written by the visitor on the scanning thread. */
    private static final class Found {
        PartInfo eicarPart;
        /** When EICAR was found in a file encoded into {@link #eicarPart}'s text: which ({@code > uuencoded "a"}). */
        String eicarFile;

        PartInfo gtubePart;
        /** Where a file encoded into a text could not be decoded, and why; null when none. */
        String undecodedFile;
        /** An archive limit that left content unexamined, and the failure it is; null when none. */
        String unopened;

        ScanFailure.Kind unopenedKind;
        /** The entries of the message's archives read so far. */
        int archiveEntries;
        /** The part being searched, for {@link #notRead}. */
        String part;
        /**
         * What was passed over unread (a RAR file's compressed, split or encrypted data), by part, at most {@value
         * #MAX_NOT_READ} said.
         */
        final Map<String, String> notRead = new LinkedHashMap<>();
        /** How many were passed over unread in all. */
        int notReadCount;
        /** The walker's decoded-bytes limit: for the message's BinHex files, and for its archives' entries. */
        final long maxDecoded;
        /** The bytes the entries of the message's archives may still expand to. */
        long archiveBytesLeft;
        /** The bytes the message's BinHex files decode to, held to the walker's decoded-bytes limit in all. */
        final TextFiles.Budget binHex;
        /** The memory the LZMA decoders of the message's archives may hold at once: two of the largest. */
        final Compressed.Allowance decoderMemory = new Compressed.Allowance(2 * Compressed.MAX_MEMORY);

        Found(long maxDecodedBytes) {
            binHex = TextFiles.binHexBudget(maxDecodedBytes);
            archiveBytesLeft = maxDecodedBytes;
            maxDecoded = maxDecodedBytes;
        }

        /** The most files passed over unread that the verdict names (it counts the rest). */
        static final int MAX_NOT_READ = 10;

        /**
         * Notes an archive's file passed over unread in the current part, as {@code FORMAT file "NAME" (WHY)}, the name
         * bounded as a threat name is.
         */
        void notRead(String format, String name, String why) {
            notRead(format + " file \"" + LogText.printable(ThreatNames.bounded(name)) + "\" (" + why + ")");
        }

        /** Notes a file passed over unread in the current part. */
        void notRead(String what) {
            if (++notReadCount <= MAX_NOT_READ) {
                notRead.merge(part, part + ": " + what, (said, added) -> said + ", " + what);
            }
        }

        /** The limit of the bytes the message's archives' entries may expand to, reached. */
        ArchiveLimit overBudget() {
            return new ArchiveLimit(
                    ScanFailure.Kind.TOO_LARGE, "archives expand beyond " + maxDecoded + " bytes in all");
        }
    }
}
