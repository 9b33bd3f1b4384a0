package org.mailhygiene.scanners.attachments;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MediaType;
import org.apache.tika.mime.MediaTypeRegistry;
import org.apache.tika.mime.MimeTypes;

/**
 * Content-type knowledge from tika-core alone: magic-byte detection and the name-to-type table, over one shared
 * {@link MimeTypes} instance (thread-safe, loaded once).
 */
final class TrueTypes {
    private static final MimeTypes TYPES = loadTable();

    /**
     * Tika's magic table read once into {@link MagicTable}, which finds what {@code TYPES.detect} finds without its
     * per-call cost; {@code null} when the table could not be read so (then Tika's own detection is used).
     */
    private static final MagicTable MAGIC = loadMagic();

    /** How many leading bytes detection looks at: the longest magic offset Tika's table uses. */
    static final int PREFIX = TYPES.getMinLength();
    /**
     * Tika's table, read on a thread of its own: Tika's XML reader gives up when its thread is interrupted, and this
     * class is initialized by the first scan, which a pipeline interrupts when its deadline passes or another scanner
     * found a virus first. Read on the scanning thread, such an interrupt failed the initialization, and the class
     * could then never be loaded: every later attachment scan of the process failed with
     * {@link NoClassDefFoundError}. The caller waits for the table whatever interrupts it (class initialization is
     * not interruptible anyway) and keeps its interrupt status.
     */
    private static MimeTypes loadTable() {
        return readInThread(MimeTypes::getDefaultMimeTypes);
    }

    /**
     * {@link MagicTable#load} on a thread of its own as {@link #loadTable}, or {@code null} if it refuses the table. The
     * task is {@link MagicTable}'s: code of this class would wait on the thread for this class's initialization, which
     * waits for the task.
     */
    private static MagicTable loadMagic() {
        return readInThread(MagicTable.loaderOrNull(TYPES));
    }

    private static <T> T readInThread(java.util.concurrent.Callable<T> read) {
        FutureTask<T> load = new FutureTask<>(read);
        Thread t = new Thread(load, "hygiene-tika-types");
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return load.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException("cannot read Tika's media type table", cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final MediaTypeRegistry REGISTRY = TYPES.getMediaTypeRegistry();
    private static final Set<String> VAGUE = Set.of(
            "application/octet-stream",
            "application/unknown",
            "application/x-unknown",
            "binary/octet-stream",
            "application/binary",
            "text/plain");

    /**
     * Names mailers give that Tika's table does not know as aliases of the type detection finds: Google Calendar
     * declares its invitations {@code application/ics}; S/MIME signatures are {@code application/x-pkcs7-signature}
     * in most mailers (RFC 2311's name, before RFC 5751 dropped the {@code x-}); Internet Explorer's uploads and many
     * web mailers declare JPEG pictures {@code image/pjpeg} or {@code image/jpg}; patches go as
     * {@code application/x-patch}. Measured on the SpamAssassin corpus's ham (benchmarks/README.md, session 24). Also
     * the old names of Sun audio ({@code audio/x-sun}) and the portable bitmaps ({@code image/pbm}, ...), desktop
     * names of a compressed tar, and {@code text/x-shellscript} (a shell script is still judged as one: only the
     * mismatch goes), from unseen ham in session 25. A GIF declared {@code image/jpeg} stays a mismatch: 18 image spam
     * of TREC 2007's test half carry one, against 4 ham of 10,000. Since session 46 (each a false TYPE_MISMATCH
     * before): the {@code application/} names of a vCard and a vCalendar event, and the informal names below, each
     * found in mailers' or web applications' code.
     */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("application/ics", "text/calendar"),
            Map.entry("application/x-pkcs7-signature", "application/pkcs7-signature"),
            Map.entry("application/x-pkcs7-mime", "application/pkcs7-mime"),
            Map.entry("image/jpg", "image/jpeg"),
            Map.entry("image/pjpeg", "image/jpeg"),
            Map.entry("application/x-patch", "text/x-diff"),
            // the 1990s names of Sun audio and the portable bitmap formats (metamail, the Bellcore test messages)
            Map.entry("audio/x-sun", "audio/basic"),
            Map.entry("image/pbm", "image/x-portable-bitmap"),
            Map.entry("image/pgm", "image/x-portable-graymap"),
            Map.entry("image/ppm", "image/x-portable-pixmap"),
            Map.entry("image/pnm", "image/x-portable-anymap"),
            // a compressed tar (.tgz) is gzip content; desktop mailers name it so
            Map.entry("application/x-gtar-compressed", "application/gzip"),
            Map.entry("application/x-compressed-tar", "application/gzip"),
            Map.entry("application/x-tgz", "application/gzip"),
            Map.entry("text/x-shellscript", "application/x-sh"),
            // SMTP TLS reports (RFC 8460 section 5.3): gzip-compressed JSON
            Map.entry("application/tlsrpt+gzip", "application/gzip"),
            // contact cards and vCalendar events as web mailers and 1990s clients declare them (IlohaMail's
            // application/x-vCard, a 1996 card declared application/vcard in a MIME parser's test mail, Perl mailers'
            // application/x-vCalendar event.vcs): text/vcard, text/directory and text/x-vcalendar were already known
            Map.entry("application/vcard", "text/x-vcard"),
            Map.entry("application/x-vcard", "text/x-vcard"),
            Map.entry("application/x-vcalendar", "text/x-vcalendar"),
            // Internet Explorer's and old Windows mailers' PNG, Citrix's clipboard pictures (a screenshot pasted in a
            // Citrix session), Windows' bitmap name
            Map.entry("image/x-png", "image/png"),
            Map.entry("image/x-citrix-png", "image/png"),
            Map.entry("image/x-citrix-jpeg", "image/jpeg"),
            Map.entry("image/x-windows-bmp", "image/bmp"),
            // MP3 and M4A as browsers, web forms and voicemail systems name them
            Map.entry("audio/mp3", "audio/mpeg"),
            Map.entry("audio/x-mp3", "audio/mpeg"),
            Map.entry("audio/mpeg3", "audio/mpeg"),
            Map.entry("audio/x-mpeg-3", "audio/mpeg"),
            Map.entry("audio/m4a", "audio/mp4"),
            // RAR's IANA-registered name (Tika knows only application/x-rar-compressed), zip's and PDF's older names
            Map.entry("application/vnd.rar", "application/x-rar-compressed"),
            Map.entry("application/x-zip", "application/zip"),
            Map.entry("application/acrobat", "application/pdf"),
            Map.entry("application/vnd.pdf", "application/pdf"),
            Map.entry("text/pdf", "application/pdf"),
            // the binary Office formats as web applications' exports name them (a report saved, then attached)
            Map.entry("application/x-msword", "application/msword"),
            Map.entry("application/x-msexcel", "application/vnd.ms-excel"),
            Map.entry("application/x-excel", "application/vnd.ms-excel"),
            // camera raw files under the names freedesktop's shared-mime-info, photo tools and upload forms give them
            Map.entry("image/x-adobe-dng", "image/x-raw-adobe"),
            Map.entry("image/x-nikon-nef", "image/x-raw-nikon"),
            Map.entry("image/x-nikon-nrw", "image/x-raw-nikon"),
            Map.entry("image/x-sony-arw", "image/x-raw-sony"),
            Map.entry("image/x-sony-sr2", "image/x-raw-sony"),
            Map.entry("image/x-sony-srf", "image/x-raw-sony"),
            Map.entry("image/x-pentax-pef", "image/x-raw-pentax"),
            Map.entry("image/x-olympus-orf", "image/x-raw-olympus"),
            Map.entry("image/x-panasonic-rw2", "image/x-raw-panasonic"),
            Map.entry("image/x-panasonic-raw", "image/x-raw-panasonic"),
            Map.entry("image/x-fuji-raf", "image/x-raw-fuji"),
            // the IANA font names (RFC 8081), which Tika knows by their older ones
            Map.entry("font/ttf", "application/x-font-ttf"),
            Map.entry("font/collection", "application/x-font-ttf"),
            Map.entry("font/otf", "application/x-font-otf"),
            // Access databases as Windows and web forms name them
            Map.entry("application/msaccess", "application/x-msaccess"),
            Map.entry("application/vnd.ms-access", "application/x-msaccess"),
            // Hangul (Hancom) documents, a compound file since version 5, as Korean mailers and web forms name them
            Map.entry("application/x-hwp", "application/x-hwp-v5"),
            Map.entry("application/hwp", "application/x-hwp-v5"),
            Map.entry("application/haansofthwp", "application/x-hwp-v5"),
            Map.entry("application/vnd.hancom.hwp", "application/x-hwp-v5"));

    /**
     * The binary Office formats' names, which mailers that map names by the application (not the extension) also
     * give an Office Open XML file ({@code .docx} as {@code application/msword}, {@code .xlsx} as
     * {@code application/vnd.ms-excel}): the same application's document, no disguise.
     */
    private static final Set<String> LEGACY_OFFICE =
            Set.of("application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint");

    /** Tika's parent type of every Office Open XML format, and what detection from the first bytes finds. */
    static final String OOXML = "application/x-tika-ooxml";

    private TrueTypes() {}

    /**
     * Detects the type of content from its leading bytes only (no name hint, so a name cannot fool it).
     *
     * @param prefix the first bytes, at most {@link #PREFIX} are used
     * @return the detected type without parameters, {@code application/octet-stream} when unknown
     */
    static String detect(byte[] prefix, int length) {
        if (MAGIC != null) {
            return MAGIC.detect(prefix, length).getBaseType().toString();
        }
        return tikaDetect(prefix, length);
    }

    /**
     * Whether detection runs on {@link MagicTable} (it does unless the table could not be read so).
     *
     * @return {@code true} when {@link #detect} uses the indexed table
     */
    static boolean indexed() {
        return MAGIC != null;
    }

    /**
     * What Tika's {@link MimeTypes#detect} finds, called as such (the reference {@link #detect} must agree with).
     *
     * @param prefix the first bytes
     * @param length how many of them to use
     * @return the detected type without parameters
     */
    static String tikaDetect(byte[] prefix, int length) {
        try {
            MediaType t = TYPES.detect(new ByteArrayInputStream(prefix, 0, length), new Metadata());
            return t.getBaseType().toString();
        } catch (IOException e) { // cannot happen with an in-memory stream
            return MediaType.OCTET_STREAM.toString();
        }
    }

    /**
     * The type Tika associates with a file name's extension.
     *
     * @param fileName a file name
     * @return the type, or empty when the name says nothing specific
     */
    static Optional<String> typeForName(String fileName) {
        String t = TYPES.getMimeType(fileName).getType().getBaseType().toString();
        return isVague(t) ? Optional.empty() : Optional.of(t);
    }

    /**
     * Whether a type says too little to compare with another ({@code application/octet-stream}, {@code text/plain}).
     *
     * @param type a base type
     * @return {@code true} for vague types
     */
    static boolean isVague(String type) {
        return VAGUE.contains(type);
    }

    /**
     * Canonical form of a type: lower case, aliases resolved ({@code application/x-zip-compressed} becomes
     * {@code application/zip}).
     *
     * @param type a base type
     * @return the canonical base type
     */
    static String normalize(String type) {
        String alias = ALIASES.get(type.toLowerCase(Locale.ROOT));
        if (alias != null) {
            return alias;
        }
        MediaType m = MediaType.parse(type.toLowerCase(Locale.ROOT));
        if (m == null) {
            return type.toLowerCase(Locale.ROOT);
        }
        return REGISTRY.normalize(m).getBaseType().toString();
    }

    /**
     * Whether one type is the other or a specialisation of it in Tika's hierarchy.
     *
     * @param type a base type
     * @param ancestor a base type
     * @return {@code true} if {@code type} is-a {@code ancestor}
     */
    static boolean isA(String type, String ancestor) {
        MediaType a = MediaType.parse(normalize(ancestor));
        MediaType t = MediaType.parse(normalize(type));
        if (a == null || t == null) {
            return false;
        }
        return REGISTRY.isInstanceOf(t, a);
    }

    /**
     * Whether a declared (or named) type agrees with the detected type of the content: equal, one a specialisation of
     * the other, or they share a specific supertype (a {@code .doc} declared as {@code application/vnd.ms-excel} does
     * not agree; an {@code application/msword} part whose content is a generic OLE file does), or a binary Office name
     * on an Office Open XML file ({@link #LEGACY_OFFICE}). Not the other way round: a binary Office file (which can
     * carry macros) declared or named as Office Open XML is a disguise, since mailers name by the extension.
     *
     * @param declared the declared or named base type
     * @param content the detected base type
     * @return {@code true} if compatible
     */
    static boolean compatible(String declared, String content) {
        return isA(declared, content)
                || isA(content, declared)
                || officeByApplication(declared, content)
                || rawOnTiff(declared, content);
    }

    /**
     * A camera's raw format on TIFF content: most of them (Nikon's, Sony's, Pentax's, Adobe's DNG...) are TIFF files,
     * which Tika does not file under TIFF.
     */
    private static boolean rawOnTiff(String declared, String content) {
        return normalize(declared).startsWith("image/x-raw-") && isA(content, "image/tiff");
    }

    /** A binary Office format's name given to an Office Open XML file ({@link #LEGACY_OFFICE}). */
    private static boolean officeByApplication(String declared, String content) {
        return LEGACY_OFFICE.contains(normalize(declared)) && isA(content, OOXML);
    }

    /**
     * Whether an entry of a policy's type list ({@code block type}, {@code allow type}) covers a type: the type is the
     * entry or a specialisation of it in Tika's hierarchy, except that JSON ({@code application/json} and the types
     * Tika files under it), which Tika files under JavaScript because its syntax is a subset, is data there, not a
     * script: blocking JavaScript does not block it (a JSON attachment was {@code EXECUTABLE_ATTACHMENT} until
     * session 47); blocking JSON does.
     *
     * @param entry a type from the policy
     * @param type a base type, {@linkplain #normalize normalized}
     * @return {@code true} if the entry applies to the type
     */
    static boolean covers(String entry, String type) {
        return isA(type, entry) && (!isA(type, JSON) || isA(entry, JSON));
    }

    private static final String JSON = "application/json";

    /**
     * Whether a type is a zip archive (or a zip-based format such as a jar).
     *
     * @param type a base type
     * @return {@code true} for zip
     */
    static boolean isZip(String type) {
        return isA(type, "application/zip");
    }
}
