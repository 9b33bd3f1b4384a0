package org.mailhygiene.scanners.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;

/**
 * A {@link Scanner} (name {@value #NAME}) that applies an {@link AttachmentPolicy} to every MIME leaf part of a
 * message, to every entry of the zip, tar and 7z archives among them, to every file of a TNEF stream (Outlook's
 * {@code winmail.dat}, named by its long file name or title) and to what each gzip file holds (one entry, named as the
 * file name its header stores, and as the outer name without {@code .gz}).
 *
 * <p>For each part it compares three things side by side: the true type (from the content's magic bytes, by tika-core's
 * detector alone, one shared instance), the declared type (Content-Type) and the file-name extension (from
 * Content-Disposition {@code filename} or Content-Type {@code name}, RFC 2231 and RFC 2047 decoded). A file uuencoded
 * into a plain-text part ({@code begin 644 name} ... {@code end}, which mail clients show as an attachment) is decoded
 * and checked as an attachment of that name, and so is one yEnc-encoded ({@code =ybegin line=N size=N name=NAME} ...
 * {@code =yend}, which Thunderbird shows; clamd does not decode it). An opaque S/MIME signature ({@code
 * application/pkcs7-mime; smime-type=signed-data}, RFC 5751 section 3.5.2: the signed message inside a CMS structure,
 * which the reader's mailer unwraps and shows) is opened by the MIME walker and the message it holds is inspected as
 * part of this one (its parts are the signature's children: {@code part 1.2}; the signature itself is not verified; at
 * most 16 a message, three deep). Archives are opened and their files checked as attachments (docs/archives.md); of a
 * RAR archive's compressed files, which are not decoded here, only the names are checked. It reports:
 *
 * <ul>
 *   <li>{@value #EXECUTABLE}: a blocked extension, or a blocked true or declared type (executables, scripts);
 *   <li>{@value #DOUBLE}: a blocked extension disguised behind a document extension ({@code invoice.pdf.exe}) or
 *       blanks;
 *   <li>{@value #MISMATCH}: the declared type or the extension contradicts the content (text agrees with text: a
 *       bounce's {@code text/rfc822-headers} part, read as {@code message/rfc822}, is no mismatch; informal names such
 *       as {@code image/pjpeg} or {@code application/x-pkcs7-signature} are the type they name);
 *   <li>{@value #ENCRYPTED}: an encrypted zip entry, an encrypted 7z archive (AES, its names too or not), an encrypted RAR file
 *       or a RAR archive whose headers are encrypted, a password-protected Office Open XML file (a compound file
 *       holding the encrypted package, named or declared {@code .docx}, {@code .xlsx}, ...) or an S/MIME encrypted
 *       message ({@code enveloped-data}), whose content cannot be checked;
 *   <li>{@value #ARCHIVE_LIMIT}: nesting depth, entry count, expanded size or expansion ratio exceeded (zip bombs;
 *       for a 7z archive the sizes its header declares, before it is decoded); a 7z coder not read here (PPMd, BCJ2,
 *       Deflate64) or an LZMA dictionary beyond the memory allowed;
 *       an opaque S/MIME signature the walker did not open (larger than {@link MimeWalker#MAX_SMIME_BYTES});
 *   <li>{@value #ARCHIVE_BROKEN}: a zip, 7z or RAR archive or gzip file that cannot be read to its end (or whose stored name is
 *       over 1,024 bytes), a zip whose directory at the end, which archive tools list, names a file its entries read
 *       from the start do not hold (a second zip appended to the first), or a part named or declared a zip whose
 *       content does not start as one (archive tools find a zip behind other bytes, text or binary);
 *   <li>{@value #MIME_BROKEN}: a multipart that cannot be split (unless its body holds no {@code --}: then every reader
 *       shows it as one text, which is inspected as one part), a body that cannot be decoded, an unknown transfer
 *       encoding, an encoded multipart, an encoded message inside another (or holding one), an opaque S/MIME signature
 *       (its content is walked and inspected here, and read by the classifier and the clamd scanner, but hidden from
 *       SpamAssassin and from command-line scanners given the whole message), or a Content-Type,
 *       Content-Transfer-Encoding or Content-Disposition given twice with different meanings, a {@code message/partial}
 *       fragment (what it holds is inspected only when its fragments are put together, which some clients do), a
 *       broken BinHex 4.0 file (a CRC that does not match, cut short) in a part or a text, or an
 *       {@code application/mac-binhex40} part in which no BinHex file is found (the file a BinHex part or text holds
 *       is decoded and inspected as an attachment under the name in its header)
 *       (structure tricks that let content evade scanners). A missing closing boundary and an unparseable header are common in harmless mail and
 *       are not reported;
 *   <li>{@value #OFFICE_MACRO} (only with {@code check office-macros on}): a binary Word or Excel file holding a VBA
 *       project, a binary Excel file listing Excel 4.0 macro sheets or naming an {@code Auto_Open} macro, a binary
 *       PowerPoint file whose VBA project holds macros, an Office Open XML file holding a VBA project or Excel 4.0
 *       macro sheets, an OpenDocument file holding Basic modules or scripts
 *       ({@link AttachmentPolicy#officeMacroCheck()}; a compound file whose allocation tables cannot be followed, and
 *       a binary Excel file whose sheet list cannot be read to its end, are {@value #NOT_INSPECTED} then);
 *   <li>{@value #MIME_LIMIT}: the MIME walker's depth, part-count or decoded-size limit was reached (more than 16
 *       opaque S/MIME signatures, one inside three others, or a part that starts as a signature but cannot be read,
 *       among them), so part of the message was not inspected.
 * </ul>
 *
 * <p>Switched-off checks: {@code encrypted-archive off} and {@code broken-mime off} mean "do not block for this
 * reason", not "pretend it was inspected". Content the scanner could not look into is then a {@value #NOT_INSPECTED}
 * finding instead: an encrypted archive entry (it, and any entries after it, were not checked), a multipart that could
 * not be split (its parts were checked only as one blob), a body that could not be decoded to its end, a body in an
 * unknown transfer encoding (checked undecoded), a part with conflicting header fields (checked as the first reads). An
 * encoded container is decoded and walked in full, so with {@code broken-mime off} it is no finding at all. A {@code
 * message/rfc822} or {@code message/global} in quoted-printable (forbidden by RFC 2045, but Gmail's delay notices
 * return the original so) is inspected twice, decoded and as sent (how a mail client that ignores the encoding reads
 * it; findings there say "read as sent"), and is then no finding of its own, when every decoder reads its
 * quoted-printable alike (no {@link MimeFinding.Kind#AMBIGUOUS_ENCODING}) and no other encoded container is inside it
 * or around it. A header block that readers end in different places ({@link MimeFinding.Kind#AMBIGUOUS_HEADER}) is
 * broken MIME. {@code smime off} touches S/MIME only: an encrypted message is then a {@value #NOT_INSPECTED} finding,
 * and an opaque signature no finding of its own (its content is still inspected).
 *
 * <p>The result: {@link Outcome#CLEAN} only when nothing was found and everything was inspected;
 * {@link Outcome#SUSPICIOUS} with one {@link Rule} per finding (no score; the description names the part and file)
 * when there is any finding other than {@value #NOT_INSPECTED} (then the {@value #NOT_INSPECTED} findings are rules
 * too); and a {@link ScanFailure.Kind#UNSCANNABLE} {@link ScanException} whose detail lists what was not inspected
 * when those are the only findings. A policy decides what UNSCANNABLE becomes: {@code DefaultPolicy} tempfails it
 * unless configured, e.g. {@code onFailureOf("attachments", UNSCANNABLE, ACCEPT)} to deliver such mail marked with
 * {@code X-Hygiene-Unscanned}. A message that cannot be read is a {@link ScanException}
 * ({@link ScanFailure.Kind#SCANNER_ERROR}), never clean.
 *
 * <p>Thread-safe: one instance serves concurrent scans. Verdicts depend only on the content and the configuration, so
 * they may be cached ({@link #cacheIdentity()}).
 */
public final class AttachmentPolicyScanner implements Scanner {
    /** The scanner's name. */
    public static final String NAME = "attachments";
    /** Rule: executable or script by name, content or declared type. */
    public static final String EXECUTABLE = "EXECUTABLE_ATTACHMENT";
    /** Rule: disguising double extension. */
    public static final String DOUBLE = "DOUBLE_EXTENSION";
    /** Rule: declared type or extension contradicts the content. */
    public static final String MISMATCH = "TYPE_MISMATCH";
    /** Rule: encrypted archive entry. */
    public static final String ENCRYPTED = "ENCRYPTED_ARCHIVE";
    /** Rule: archive limit reached. */
    public static final String ARCHIVE_LIMIT = "ARCHIVE_LIMIT";
    /** Rule: unreadable archive. */
    public static final String ARCHIVE_BROKEN = "ARCHIVE_BROKEN";
    /** Rule: broken MIME structure. */
    public static final String MIME_BROKEN = "MIME_BROKEN";
    /** Rule: MIME walker limit reached. */
    public static final String MIME_LIMIT = "MIME_LIMIT";
    /**
     * Rule: an Office document with macros (only with {@link AttachmentPolicy#officeMacroCheck()} on, off by default).
     */
    public static final String OFFICE_MACRO = "OFFICE_MACRO";
    /** Finding: content that could not be inspected while the check that would flag it is off. */
    public static final String NOT_INSPECTED = "NOT_INSPECTED";

    /**
     * The version of the inspection's own judgement, part of {@link #cacheIdentity()} so that a shared verdict cache
     * does not serve verdicts an older version gave: 2 since returned headers and messages ({@code text/rfc822-headers}
     * read as {@code message/rfc822}), {@code application/ics}, the {@code x-} names of S/MIME types and a
     * returned message's empty multipart (a bounce's headers-only return) stopped being mismatches or broken MIME; 3
     * since conflicting MIME header fields are broken MIME, files uuencoded into plain text are inspected, and the old
     * names of Sun audio, the portable bitmaps and a compressed tar are their types; 4 since the content of an opaque
     * S/MIME signature is inspected and the signature is no mismatch; 5 since the walker opens such a signature (its
     * parts are the signature's children, {@code part 1.2}) and a signature it does not open is a limit; 6 since an
     * encoded message container is inspected decoded and as sent and is no longer broken MIME, nor is a multipart
     * without any {@code --}, files yEnc-encoded into plain text are inspected, and a part named or declared a zip
     * that does not start as one is a broken archive; 7 since gzip files and tar archives are opened and a zip whose
     * directory at the end names files its entries do not hold is a broken archive; 8 since a gzip file is read
     * member by member (a member behind zero padding too, as Python reads it) and one that gzip tools would not read
     * alike (a later member's bad header, a member failing its CRC-32 or size) is a broken archive; 9 since a part
     * named or declared a zip whose first bytes read as text (a zip behind a long text) is a broken archive too, and
     * a long begin line of a uuencoded or yEnc file is named by the end of its name, not of the line, and a name
     * holding a NUL is checked as cut there too; 10 since every file name a part's headers give is checked by name
     * (an RFC 2231 name and a plain one, two plain ones, Content-Type's name beside the disposition's), not only the one
     * the walker reports; 11 since a TNEF stream (Outlook's {@code winmail.dat}) is opened, each file in it an archive
     * entry; 12 since a TNEF stream declared {@code text/plain} (or without a Content-Type) is opened as well,
     * and a TNEF name attribute longer than 1 MiB is read up to that instead of skipped; 13 since a TNEF attachment's
     * long file name is found behind MAPI properties of any size (one over 1 MiB before it hid the name); 14 since a
     * vCard declared {@code application/vcard} or {@code application/x-vcard} and a vCalendar event declared
     * {@code application/x-vcalendar}, informal names of PNG, JPEG, BMP, MP3, M4A, RAR, zip, PDF, Word and Excel, and an
     * Office Open XML file declared as its binary format ({@code .docx} as {@code application/msword}) are no type
     * mismatch, and an RFC 2231 name's sections from {@code name*10000} on are joined (they were dropped, its extension
     * with them); 15 since a section number given twice ({@code filename*1} twice, or {@code filename*1} and
     * {@code filename*01}) is checked with the first of them too (Python's email shows that one; the last was taken);
     * 16 since a binary Office file declared or named as Office Open XML is a type mismatch again (the rule of 14 was
     * applied both ways), a password-protected Office Open XML file is encrypted content, not a type mismatch, JSON
     * is not blocked as JavaScript, and neither the AppleDouble files of a Finder zip, a gzip file declared as what
     * it holds, camera raw files, fonts under their IANA names, Access databases nor Hangul documents under their usual
     * names is a type mismatch, and a zip with stored entries followed by data descriptors is read by its directory
     * (a password-protected OpenDocument file among them is encrypted content); 17 since such a zip is read from its
     * start whatever its size (over 4 MiB it was ARCHIVE_BROKEN), and blanks Java does not call white space, invisible
     * format characters and control characters after a name's extension are cut like trailing dots and blanks; 18
     * since a zip whose directory puts an entry where none of the entries read from its start begins (one hidden in
     * another's stored data) is ARCHIVE_BROKEN; 19 since a {@code message/partial} fragment is broken MIME, and so are
     * a part after a multipart's closing boundary ({@link MimeFinding.Kind#AMBIGUOUS_MULTIPART}) and an
     * {@code application/mac-binhex40} part; 20 since the file a BinHex 4.0 part or text holds is decoded and inspected
     * as an attachment under the name in its header ({@code part 2 > BinHex "a.exe"}), a broken one (CRC, cut short)
     * is broken MIME, and an {@code application/mac-binhex40} part only when no BinHex file is found in it; 21 since,
     * with the macro check on, a binary Excel file's Excel 4.0 macro sheets and {@code Auto_Open} name and a binary
     * PowerPoint file's VBA project are {@code OFFICE_MACRO}, and a binary Excel file whose sheet list cannot be read to
     * its end is {@code NOT_INSPECTED}; 22 since a zip directory entry's data counts against the expansion limits
     * ({@code ARCHIVE_LIMIT}), and since the tar reader moved to its own class (session 51) a tar's GNU long-name and
     * pax headers are not counted as entries (a pax tar of 600 files with long names counted 1,200 and was
     * {@code ARCHIVE_LIMIT} under the default limit of 1,000; that change came without a version of its own), and a
     * deflated zip entry with a ZIP64 data descriptor (Python's zipfile writing to a stream) is read, no longer
     * {@code ARCHIVE_BROKEN}; 23 since a globals BOF met inside another walk's records starts a walk of its own (a BOF
     * in a sector of no stream could hide the real workbook's macro sheets), and more than four at once are
     * {@code NOT_INSPECTED}; 24 since a binary Excel macro sheet's own BOF is {@code OFFICE_MACRO} wherever it is; 25
     * since a compound file is read by its allocation tables with the macro check on (a workbook stream's records in
     * its chain's order, in the mini stream too; a file whose tables cannot be followed is {@code NOT_INSPECTED}), and
     * an Excel 5.0/95 workbook (BIFF5) listing a macro sheet or naming {@code Auto_Open}, and a PowerPoint VBA project
     * found in its compressed storage, are {@code OFFICE_MACRO}; 26
     * since bzip2, xz and LZMA files and zip entries compressed with bzip2 or LZMA are opened, and a bzip2 or xz file
     * declared as the type of what it holds is no TYPE_MISMATCH; 27 since a version 4 compound file whose stream
     * claims 2^63 bytes or more is {@code NOT_INSPECTED} (was a scanner error); 28 since the workbooks and
     * presentations in a presentation's storages are read for macros; 29 since a ZIP64 zip's directory is read and
     * compared with its entries as any zip's; 30 since 7z archives are opened; 31 since a 7z archive's
     * unencrypted folders are inspected next to its encrypted ones (an encrypted one ended the archive's inspection); 32 since an LZMA decoder takes
     * the memory its dictionary needs (archives with small dictionaries nested three deep were ARCHIVE_LIMIT), and a
     * dictionary's need is said in MiB rounded up; 33 since a 7z header's number of 2^63 or more is ARCHIVE_BROKEN (a
     * negative size read a file as empty); 34 since the names of encrypted zip entries and 7z files are checked (and
     * those a zip's directory lists after its first encrypted entry); 35 since the name of an encrypted zip entry with
     * ZIP64 sizes, which cannot be passed over, is checked too; 36 since a name the directory lists after the first
     * encrypted entry is said to be that, not to be encrypted; 37 since RAR archives are opened (every file's name checked,
     * stored files inspected, encrypted ones {@code ENCRYPTED_ARCHIVE}); 38 since the name up to a NUL of an archive entry
     * checked by name alone (a compressed RAR file's, an encrypted entry's) is checked too; 39 since a RAR5 file's NTFS
     * alternate streams are inspected as its files are; 40 since a RAR4 file's 64-bit size of 2^63 or more is
     * {@code ARCHIVE_BROKEN} (it read the same header again to the entry limit, {@code ARCHIVE_LIMIT}); 41 since a 7z or
     * RAR archive holding {@code ustar} at offset 257 (in a file name) is opened as one, not as a broken tar; 42 since a
     * gzip, bzip2 or xz file so made (a stored block) is too; 43 since a RAR, 7z or zip archive behind a PE or ELF
     * program (a self-extractor) is inspected as that archive; 44 since a zip whose directory at the file's end names it
     * is found where a PE's section table says the program's data is (a section said to cover it, or to end past the
     * file), as unzip finds it ({@code SelfExtracting}); 45 since such a zip is found behind a program whose headers do
     * not read too; 46 since every 7z signature after a program is tried (16 bare ones before the real 7z hid it).
     */
    static final int VERSION = 46;

    private final AttachmentPolicy policy;
    private final MimeWalker walker;
    private final Clock clock;
    private final String identity;

    private AttachmentPolicyScanner(Builder b) {
        this.policy = b.policy;
        this.walker = b.walker;
        this.clock = b.clock;
        this.identity = NAME + "/v" + VERSION + "/"
                + UUID.nameUUIDFromBytes((policy.toText() + walker).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A scanner with the {@linkplain AttachmentPolicy#defaults() default policy} and the default MIME walker.
     *
     * @return a new scanner
     */
    public static AttachmentPolicyScanner create() {
        return builder().build();
    }

    /**
     * Starts a builder.
     *
     * @return a builder with the default policy, {@link MimeWalker#defaults()} and the system clock
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The policy applied.
     *
     * @return the policy
     */
    public AttachmentPolicy policy() {
        return policy;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> cacheIdentity() {
        return Optional.of(identity);
    }

    /**
     * In process, with nothing that can be down: {@code UP}, naming the policy's size (blocked extensions and types)
     * and its archive limits, so that {@code /health} shows which policy a node runs. Never blocks, never throws.
     *
     * @return an up result
     */
    @Override
    public Health health() {
        return Health.up(
                "in process: " + policy.blockedExtensions().size() + " blocked extensions, "
                        + policy.blockedTypes().size() + " blocked types, archives " + policy.maxArchiveDepth()
                        + " deep and " + policy.maxArchiveEntries() + " entries at most",
                Duration.ZERO);
    }

    /**
     * Inspects the message and turns the findings into a result as described in the class description.
     *
     * @param message the message
     * @return CLEAN (nothing found, everything inspected) or SUSPICIOUS
     * @throws ScanException UNSCANNABLE when the only findings are {@value #NOT_INSPECTED}; SCANNER_ERROR when the
     *     message cannot be read
     */
    @Override
    public Verdict scan(Message message) throws ScanException {
        Instant start = clock.instant();
        List<AttachmentFinding> findings;
        try {
            findings = inspect(message.content());
        } catch (IOException e) {
            throw ScanException.of(NAME, ScanFailure.Kind.SCANNER_ERROR, "cannot read the message: " + e, e);
        }
        Duration elapsed = Duration.between(start, clock.instant());
        if (elapsed.isNegative()) {
            elapsed = Duration.ZERO;
        }
        if (findings.isEmpty()) {
            return Verdict.clean(NAME, elapsed);
        }
        if (findings.stream().allMatch(f -> f.rule().equals(NOT_INSPECTED))) {
            throw new ScanException(
                    new ScanFailure(
                            NAME,
                            ScanFailure.Kind.UNSCANNABLE,
                            "not inspected: "
                                    + findings.stream()
                                            .map(AttachmentFinding::description)
                                            .collect(Collectors.joining("; ")),
                            elapsed),
                    null);
        }
        Verdict.Builder v = Verdict.builder(NAME, Outcome.SUSPICIOUS).elapsed(elapsed);
        for (AttachmentFinding f : findings) {
            v.rule(new Rule(f.rule(), java.util.OptionalDouble.empty(), f.description()));
        }
        return v.build();
    }

    /**
     * Inspects a message and lists every finding in walk order (the same findings {@link #scan} turns into rules).
     *
     * @param content the message
     * @return the findings, empty when the message passes the policy and was inspected completely; content not
     *     inspected because its check is off is a {@value #NOT_INSPECTED} finding
     * @throws IOException if the content cannot be read
     */
    public List<AttachmentFinding> inspect(MessageContent content) throws IOException {
        Objects.requireNonNull(content, "content");
        Inspection inspection = new Inspection(policy);
        Set<String> encodedMessages = new LinkedHashSet<>();
        PolicyVisitor decodedVisitor = new PolicyVisitor(inspection, path -> true, encodedMessages);
        MimeWalkResult result = walker.walk(content, decodedVisitor);
        // A message container in quoted-printable (RFC 2045 forbids it; Gmail's delay notices carry the returned
        // message so) is decoded by the walk above, as most mail clients, clamd and SpamAssassin read it. A client
        // that ignores the encoding reads its body as sent, so that is walked and inspected too; then the encoding
        // hides nothing and is no finding. Only when the quoted-printable is one every decoder reads alike (no
        // AMBIGUOUS_ENCODING: decoders disagree on a blank at a line end, "=" before a blank, a bare CR; review,
        // session 28), and not when encoded containers nest (a client could decode one and not the other); base64
        // and uuencode containers (decoders disagree on padding inside, on a second "begin" line) and encoded
        // multiparts stay broken MIME.
        List<String> encoded = result.findings().stream()
                .filter(f -> f.kind() == MimeFinding.Kind.ENCODED_CONTAINER)
                .map(MimeFinding::path)
                .toList();
        List<String> ambiguous = result.findings().stream()
                .filter(f -> f.kind() == MimeFinding.Kind.AMBIGUOUS_ENCODING)
                .map(MimeFinding::path)
                .toList();
        List<String> readTwice = encodedMessages.stream()
                .filter(encoded::contains)
                .filter(p -> !ambiguous.contains(p))
                .filter(p -> encoded.stream().noneMatch(q -> !q.equals(p) && (within(q, p) || within(p, q))))
                .toList();
        addWalkFindings(
                inspection,
                result,
                f -> !(f.kind() == MimeFinding.Kind.ENCODED_CONTAINER && readTwice.contains(f.path()))
                        && !undelimited(f, decodedVisitor));
        if (readTwice.isEmpty()) {
            return List.copyOf(inspection.findings());
        }
        Inspection asSent = new Inspection(policy);
        Predicate<String> inside = path -> readTwice.stream().anyMatch(p -> within(path, p));
        PolicyVisitor asSentVisitor = new PolicyVisitor(asSent, inside, new LinkedHashSet<>());
        MimeWalkResult undecoded = walker.withContainersDecoded(false).walk(content, asSentVisitor);
        // As sent, a multipart inside has its boundary parameter escaped too (boundary=3D"..."): the walker splits it
        // where a reader that takes the first delimiter line does (MimeWalker.Builder#decodeContainers); one that
        // does not split it shows text
        addWalkFindings(
                asSent,
                undecoded,
                f -> f.kind().isLimit()
                        || (inside.test(f.path())
                                && !(f.kind() == MimeFinding.Kind.ENCODED_CONTAINER && readTwice.contains(f.path()))
                                && !undelimited(f, asSentVisitor)));
        List<AttachmentFinding> all = new ArrayList<>(inspection.findings());
        for (AttachmentFinding f : asSent.findings()) {
            if (!all.contains(f)) {
                String location = f.location() + AS_SENT;
                String description = f.description().startsWith(f.location())
                        ? location + f.description().substring(f.location().length())
                        : f.description() + AS_SENT;
                all.add(new AttachmentFinding(f.rule(), location, description));
            }
        }
        return List.copyOf(all);
    }

    /**
     * Whether a finding is a multipart that could not be split and holds no {@code --}: inspected as one part, as every
     * reader shows it (Sendmail's "No Message Collected" bounces declare multipart/report and hold one line of text).
     */
    private static boolean undelimited(MimeFinding f, PolicyVisitor visitor) {
        return f.kind() == MimeFinding.Kind.MALFORMED_MULTIPART && visitor.undelimited.contains(f.path());
    }

    /** Appended to where a finding of the walk that reads encoded containers as sent is. */
    private static final String AS_SENT = " (read as sent, its container's encoding ignored)";

    /** Whether a part path is the given one or inside it (the message's path, empty, holds every part). */
    private static boolean within(String path, String container) {
        return container.isEmpty() || path.equals(container) || path.startsWith(container + ".");
    }

    /** Turns the walker's findings that pass {@code keep} into limit and broken-MIME findings of the inspection. */
    private void addWalkFindings(Inspection inspection, MimeWalkResult result, Predicate<MimeFinding> keep) {
        for (MimeFinding f : result.findings()) {
            if (!keep.test(f)) {
                continue;
            }
            String where = f.path().isEmpty() ? "message" : "part " + f.path();
            if (f.kind().isLimit()) {
                inspection.add(MIME_LIMIT, where, where + ": " + f.detail() + "; the rest was not inspected");
            } else if (isBroken(f.kind())) {
                if (policy.brokenMimeCheck()) {
                    inspection.add(MIME_BROKEN, where, where + ": " + describe(f.kind()) + ": " + f.detail());
                } else if (f.kind() != MimeFinding.Kind.ENCODED_CONTAINER) {
                    inspection.add(
                            NOT_INSPECTED,
                            where,
                            where + ": " + describe(f.kind()) + " (" + f.detail() + "); " + notInspected(f.kind())
                                    + " (broken-mime check off)");
                }
            }
        }
    }

    /**
     * Hands the leaves and signatures of a walk whose paths pass {@code scope} to an inspection, and notes the paths of
     * the message containers that declare a transfer encoding.
     */
    private final class PolicyVisitor implements PartVisitor {
        private final Inspection inspection;
        private final Predicate<String> scope;
        private final Set<String> encodedMessages;
        /** Multiparts handed over whole whose body holds no {@code --}: no reader finds a delimiter line in them. */
        final Set<String> undelimited = new LinkedHashSet<>();

        PolicyVisitor(Inspection inspection, Predicate<String> scope, Set<String> encodedMessages) {
            this.inspection = inspection;
            this.scope = scope;
            this.encodedMessages = encodedMessages;
        }

        /**
         * The names a part's headers give besides the one reported, checked by name as a signature's is: a client that
         * takes the plain {@code filename} over RFC 2231's, the last of two, or Content-Type's {@code name}, shows and
         * saves the part under it.
         */
        private void otherNames(PartInfo part) {
            String where = part.path().isEmpty() ? "message body" : "part " + part.path();
            for (String other : part.otherNames()) {
                inspection.signature(where + " \"" + other + "\"", Optional.of(other), Optional.empty());
            }
        }

        @Override
        public boolean enter(PartInfo part) {
            if (!part.mimeType().startsWith("multipart/")
                    && part.transferEncoding().equals("quoted-printable")) {
                encodedMessages.add(part.path());
            }
            return true;
        }

        @Override
        public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
            if (!scope.test(part.path())) {
                return true;
            }
            otherNames(part);
            if (part.mimeType().equals("message/partial")) {
                unopened(
                        part,
                        "message/partial (a fragment of a message, what it holds is inspected only when the fragments"
                                + " are put together, which some mail clients do)");
            }
            if (!part.mimeType().startsWith("multipart/")) {
                int binHexBefore = inspection.binHexFiles();
                inspection.part(location(part), part.fileName(), declared(part), decoded);
                if (part.mimeType().equals("application/mac-binhex40") && inspection.binHexFiles() == binHexBefore) {
                    // its file is decoded and inspected as text's BinHex files are; without one, clamd and BinHex
                    // tools may still find one where this reader does not
                    unopened(
                            part,
                            "BinHex 4.0 part in which no BinHex file (a \"(This file must be converted with BinHex\""
                                    + " line, then the encoded file from ':' to ':') was found");
                }
                return true;
            }
            // a multipart the walker could not split, inspected as one part: without "--" in it no reader splits it
            DashWatch watched = new DashWatch(decoded);
            inspection.part(location(part), part.fileName(), declared(part), watched);
            watched.transferTo(OutputStream.nullOutputStream());
            if (!watched.seen) {
                undelimited.add(part.path());
            }
            return true;
        }

        /**
         * A part whose content the policy cannot open, which others can: a fragment of a message (RFC 2046 5.2.2),
         * whose content is inspected only when the fragments are put together, which the walker does not do and some
         * mail clients do (Outlook Express, "combine and decode"), so a program split over fragments passes every part
         * check; an {@code application/mac-binhex40} part in which no BinHex file was found, which clamd and BinHex
         * tools may read otherwise.
         * Broken MIME, as gateways that reject fragments say; {@value #NOT_INSPECTED} with the check off.
         */
        private void unopened(PartInfo part, String why) {
            String location = location(part);
            String what = location + ": " + why;
            if (policy.brokenMimeCheck()) {
                inspection.add(MIME_BROKEN, location, what);
            } else {
                inspection.add(NOT_INSPECTED, location, what + "; not inspected (broken-mime check off)");
            }
        }

        @Override
        public void untypedText(PartInfo part, InputStream raw) throws IOException {
            if (scope.test(part.path())) {
                // Thunderbird looks for files in the lines as sent: a file yEnc-encoded and then base64-encoded shows
                inspection.textFiles(location(part) + " (read as sent, its transfer encoding ignored)", raw);
            }
        }

        @Override
        public boolean signature(PartInfo part, InputStream structure) {
            if (!scope.test(part.path())) {
                return true;
            }
            // judged by its name and by the parts of the signed entity, walked next
            String location = location(part);
            otherNames(part);
            inspection.signature(location, part.fileName(), declared(part));
            if (policy.smimeCheck()) {
                inspection.add(
                        MIME_BROKEN,
                        location,
                        location + ": opaque S/MIME signature: its content, inspected here, is hidden from"
                                + " scanners that read the message as it is (SpamAssassin, command-line scanners"
                                + " given the whole message)");
            }
            return true;
        }
    }

    /** Notes whether {@code --} passes through. */
    private static final class DashWatch extends ByteWatch {
        private boolean dash;
        boolean seen;

        DashWatch(InputStream in) {
            super(in);
        }

        /** Leaves the walker's stream open: it is read to its end after the inspection, and the walker closes it. */
        @Override
        public void close() {}

        @Override
        void take(byte c) {
            seen |= dash && c == '-';
            dash = c == '-';
        }
    }

    private static boolean isBroken(MimeFinding.Kind kind) {
        return switch (kind) {
            case MALFORMED_MULTIPART,
                    DECODING_ERROR,
                    UNKNOWN_ENCODING,
                    ENCODED_CONTAINER,
                    CONFLICTING_HEADER,
                    AMBIGUOUS_HEADER,
                    AMBIGUOUS_MULTIPART -> true;
            default -> false;
        };
    }

    /** What was not inspected after a broken-structure finding; ENCODED_CONTAINER is decoded and walked in full. */
    private static String notInspected(MimeFinding.Kind kind) {
        return switch (kind) {
            case MALFORMED_MULTIPART -> "its parts were not inspected one by one";
            case DECODING_ERROR -> "the rest of the body was not inspected";
            case UNKNOWN_ENCODING -> "the body was inspected undecoded only";
            case CONFLICTING_HEADER -> "it was inspected as the first field reads only";
            case AMBIGUOUS_HEADER -> "its parts were inspected as this walker splits them only";
            case AMBIGUOUS_MULTIPART -> "the parts after its closing boundary were not inspected";
            default -> "not fully inspected";
        };
    }

    private static String describe(MimeFinding.Kind kind) {
        return switch (kind) {
            case MALFORMED_MULTIPART -> "multipart cannot be split";
            case DECODING_ERROR -> "body cannot be decoded";
            case UNKNOWN_ENCODING -> "unknown transfer encoding";
            case ENCODED_CONTAINER -> "container with a transfer encoding (RFC 2045 forbids it)";
            case CONFLICTING_HEADER -> "header field given twice with different meanings";
            case AMBIGUOUS_HEADER -> "header block that readers end in different places";
            case AMBIGUOUS_MULTIPART -> "parts after the closing boundary";
            default -> kind.name();
        };
    }

    private static Optional<String> declared(PartInfo part) {
        return part.contentType().isPresent() ? Optional.of(part.mimeType()) : Optional.empty();
    }

    private static String location(PartInfo part) {
        String where = part.path().isEmpty() ? "message body" : "part " + part.path();
        return part.fileName().map(n -> where + " \"" + n + "\"").orElse(where);
    }

    @Override
    public String toString() {
        return "AttachmentPolicyScanner[" + policy + ", " + walker + "]";
    }

    /** Builds an {@link AttachmentPolicyScanner}. Not thread-safe. */
    public static final class Builder {
        private AttachmentPolicy policy = AttachmentPolicy.defaults();
        private MimeWalker walker = MimeWalker.defaults();
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * The policy. Default {@link AttachmentPolicy#defaults()}.
         *
         * @param value the policy
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder policy(AttachmentPolicy value) {
            policy = Objects.requireNonNull(value, "policy");
            return this;
        }

        /**
         * The MIME walker, with its limits. Default {@link MimeWalker#defaults()}.
         *
         * @param value the walker
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder walker(MimeWalker value) {
            walker = Objects.requireNonNull(value, "walker");
            return this;
        }

        /**
         * The clock used to measure scan time. Default the system UTC clock.
         *
         * @param value the clock
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Builds the scanner.
         *
         * @return a new scanner
         */
        public AttachmentPolicyScanner build() {
            return new AttachmentPolicyScanner(this);
        }
    }
}
