package org.mailhygiene.scanners.clamd;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.failover.FailoverException;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.ThreatNames;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;
import org.mailhygiene.scanners.mime.TextFiles;
import org.mailhygiene.scanners.update.UpdateStep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Scanner} that streams each message to clamd with {@code INSTREAM}, over one clamd or a
 * {@link FailoverGroup} of several.
 *
 * <p>Replies map exactly: {@code stream: OK} is {@link org.mailhygiene.api.Outcome#CLEAN}; {@code stream: NAME FOUND}
 * is INFECTED with the name exactly as clamd gives it (with {@code .UNOFFICIAL}, and {@code Heuristics.*} names);
 * {@code Heuristics.Limits.Exceeded.*} (clamd with {@code AlertExceedsMax yes}) is an {@link Kind#UNSCANNABLE}
 * failure, not a virus (set it in clamd.conf: its default {@code no} makes clamd answer {@code stream: OK} for a
 * message
 * it stopped reading at a limit, which no client can tell from clean); a message above {@link Builder#streamMaxLength}
 * is a {@link Kind#TOO_LARGE} failure decided
 * on the client side before or while streaming, and clamd's own size-limit error is the same failure; any other
 * {@code ERROR} reply or garbage is a {@link Kind#PROTOCOL_ERROR}, and so is a {@code stream: OK} that arrives while
 * the message is still being sent (a threat reported early is believed). Nothing but {@code stream: OK} after the
 * whole message is ever clean.
 *
 * <p>Opaque S/MIME signatures: clamd does not unwrap CMS, so the letter inside an {@code application/pkcs7-mime}
 * signature (and a program attached to it) is invisible to it in the message as sent (checked with ClamAV 1.4). So
 * every message is first walked ({@link MimeWalker#defaults()}, which opens such signatures:
 * {@value MimeWalker#MAX_SIGNATURES} a message, {@value MimeWalker#MAX_SIGNATURE_DEPTH} deep; the walk reads a part's
 * body only when it may be a signature), each signed entity is spooled (heap up to 1 MiB, then a private temporary
 * file), and on the instance chosen, after a clean reply for the message, each is streamed too, as a message of its
 * own (a {@code MIME-Version} line put before it so that clamd parses it as mail). The first threat found is the
 * verdict; the streams share the scan deadline and fail over together. A walk that reached one of the walker's limits
 * (signatures past it would go unopened), or a part that may be a signature but cannot be decoded or is larger than
 * {@value MimeWalker#MAX_SMIME_BYTES} bytes, is an {@link Kind#UNSCANNABLE} failure, never clean.
 *
 * <p>Files yEnc-encoded into plain text: clamd decodes uuencoded files in a letter's text but not yEnc-encoded ones
 * in a {@code text/plain} part ({@code =ybegin ... name=NAME}, checked with ClamAV 1.4), which Thunderbird shows as
 * attachments when it reads the part as untyped text. So the same walk reads every {@code text/plain} part (and a
 * part without a type), and the lines as sent of text Thunderbird reads without removing its transfer encoding
 * ({@link PartVisitor#untypedText}), and decodes the yEnc files in them as {@link TextFiles} finds them, each spooled
 * (heap up to 64 KiB, then a private temporary file) and streamed after the message as a file of its own, under the
 * same rules (first threat wins, one deadline). BinHex 4.0 files written into such text likewise (their data fork):
 * clamd decodes an {@code application/mac-binhex40} part, not the same BinHex in a letter's text (checked with ClamAV
 * 1.4 and a local signature). More than {@value #MAX_YENC_FILES} such files in a message, a yEnc line longer than
 * {@value TextFiles#LINE_HEAD} characters (which cannot be decoded), a broken BinHex file (a CRC that does not match,
 * cut short), BinHex text decoding beyond the walker's decoded-bytes limit (in all the message's texts) or one BinHex
 * file decoding beyond the {@linkplain Builder#streamMaxLength stream limit} (clamd would refuse it) is an
 * {@link Kind#UNSCANNABLE} failure, never clean.
 *
 * <p>Failover: {@link Kind#UNAVAILABLE}, {@link Kind#TIMED_OUT} and {@link Kind#PROTOCOL_ERROR} mark the instance down
 * and the scan moves to the next; {@link Kind#TOO_LARGE} and {@link Kind#UNSCANNABLE} do not (every instance would
 * say the same). When no instance is left the scan fails by the api's one rule for failover groups,
 * {@link Kind#ofFailover}: {@link Kind#UNAVAILABLE}, or the one kind every instance failed with, which the default
 * policy turns into a tempfail. Instances added first are preferred
 * ({@link Builder#address(ClamdAddress)}); give equal priorities with {@link Builder#address(ClamdAddress, int)} to
 * spread scans round-robin. {@link #probeDown()} PINGs the instances marked down, whatever their back-off, and marks
 * up those that answer; run it every second or so with {@link #scheduleProbes} (a node does, every
 * {@code clamd.probe-interval}) so an instance is back within one interval of its daemon. {@link #health()} PINGs
 * every instance and only observes: it never marks one down, so {@code /health} and {@code --check} do not take an
 * instance out of the scans or log a member-down line.
 *
 * <p>Signature updates: {@link #reloadAll()} (or the {@link #reloadStep()} for a
 * {@link org.mailhygiene.scanners.update.SignatureUpdateScheduler}) sends {@code RELOAD} to every instance. clamd
 * reloads in the background and keeps scanning with the old databases meanwhile, so after a reload
 * {@link #cacheIdentity()} is empty (verdicts are not cached) for {@link Builder#reloadSettle}, and then returns a new
 * identity: a verdict cache never serves a clean verdict computed with signatures older than the last reload.
 *
 * <p>Signature version tracking: clamd also reloads by itself (freshclam's {@code NotifyClamd}, {@code SelfCheck}),
 * without this scanner knowing. So {@link #cacheIdentity()} contains the {@code VERSION} reply of every instance
 * (e.g. {@code ClamAV 1.4.6/27001/Fri Nov 27 09:00:00 2026}: engine, daily database version and date), and that
 * knowledge expires {@link Builder#versionCheckInterval} after it was asked for. When it has expired,
 * {@code cacheIdentity()} starts one asynchronous {@code VERSION} check of every instance on the
 * {@link Builder#versionCheckExecutor version-check executor} and returns empty (do not cache) until the check has
 * answered; a scan never waits for it and at most one check runs at a time. When any instance does not answer
 * {@code VERSION} (or answers something that is not a version), its signatures are unknown and the identity stays
 * empty until a later check (one interval later) gets every answer: verdicts are then not cached, rather than cached
 * under a version that may be wrong. A cached clean verdict is therefore never served more than
 * {@code versionCheckInterval} after the instance that made it switched to newer signatures. Note that clamd
 * without an official (or {@code .cud}) daily database reports only its engine version, which a reload of local
 * {@code .ndb}/{@code .hdb} files does not change: reload those through {@link #reloadAll()}.
 *
 * <p>Defaults (a test checks that this list equals the code):
 * <ul>
 *   <li>name: {@code clamd}
 *   <li>connect timeout: 5 s
 *   <li>read timeout: 30 s
 *   <li>scan deadline: 120 s
 *   <li>probe timeout: 5 s
 *   <li>stream max length: 26214400 bytes
 *   <li>chunk size: 65536 bytes
 *   <li>reload settle: 60 s
 *   <li>version check interval: 60 s
 *   <li>initial back-off: 30 s
 *   <li>max back-off: 600 s
 * </ul>
 * and the system UTC clock, no listener, version checks on a new daemon thread each.
 *
 * <p>Thread-safe: one instance serves concurrent scans, each on its own connection.
 */
public final class ClamdScanner implements Scanner {
    private static final Logger LOG = LoggerFactory.getLogger(ClamdScanner.class);

    /** Default scanner name. */
    public static final String DEFAULT_NAME = "clamd";
    /** Default connect timeout. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT =
            Duration.ofSeconds(ClamdClient.DEFAULT_CONNECT_TIMEOUT_SECONDS);
    /** Default read timeout. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(ClamdClient.DEFAULT_READ_TIMEOUT_SECONDS);
    /** Default whole-scan deadline, over every instance tried. */
    public static final Duration DEFAULT_SCAN_DEADLINE = Duration.ofSeconds(120);
    /** Default deadline of one PING, VERSION or RELOAD. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** Default stream limit: 25 MiB, the StreamMaxLength of Debian's generated clamd.conf. */
    public static final long DEFAULT_STREAM_MAX_LENGTH = 25L * 1024 * 1024;
    /** Default time after a RELOAD during which verdicts are not cached. */
    public static final Duration DEFAULT_RELOAD_SETTLE = Duration.ofSeconds(60);
    /**
     * Default longest time a known signature version is trusted for the cache identity before it is asked for
     * again: 60 s, so a clean verdict made with old signatures is reused for at most a minute after clamd reloaded by
     * itself, at the price of one {@code VERSION} per instance per minute.
     */
    public static final Duration DEFAULT_VERSION_CHECK_INTERVAL = Duration.ofSeconds(60);
    /** Default back-off after an instance's first failure. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(30);
    /** Default longest back-off. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(600);

    private static final Set<Kind> FAILOVER_KINDS = EnumSet.of(Kind.UNAVAILABLE, Kind.TIMED_OUT, Kind.PROTOCOL_ERROR);

    private final String name;
    private final List<ClamdClient> clients;
    private final FailoverGroup<ClamdClient> group;
    private final Duration scanDeadline;
    private final Duration probeTimeout;
    private final long streamMaxLength;
    private final MimeWalker walker = MimeWalker.defaults();
    private final Duration reloadSettle;
    private final Clock clock;
    private final String instanceToken = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong generation = new AtomicLong();
    private volatile Instant settledAt = Instant.MIN;
    private final Duration versionCheckInterval;
    private final Executor versionCheckExecutor;
    private final AtomicBoolean versionCheckRunning = new AtomicBoolean();
    /** The last version check; {@code null} before the first one and after a reload (check again). */
    private volatile VersionCheck lastVersionCheck;

    private volatile Identity lastIdentity;
    /** The last complete answer, kept across reloads to tell whether a version changed. */
    private String lastKnownVersions;

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    private ClamdScanner(Builder b) {
        this.name = b.name;
        this.scanDeadline = b.scanDeadline;
        this.probeTimeout = b.probeTimeout;
        this.streamMaxLength = b.streamMaxLength;
        this.reloadSettle = b.reloadSettle;
        this.clock = b.clock;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        // A default back-off yields to an explicit one it conflicts with (build() refuses two explicit ones).
        boolean crossed = b.initialBackoff.compareTo(b.maxBackoff) > 0;
        this.initialBackoff = crossed && !b.initialBackoffSet ? b.maxBackoff : b.initialBackoff;
        this.maxBackoff = crossed && b.initialBackoffSet ? b.initialBackoff : b.maxBackoff;
        this.versionCheckInterval = b.versionCheckInterval;
        this.versionCheckExecutor = b.versionCheckExecutor != null ? b.versionCheckExecutor : this::startCheckThread;
        List<ClamdClient> list = new ArrayList<>();
        FailoverGroup.Builder<ClamdClient> gb = FailoverGroup.<ClamdClient>builder(b.name)
                .deadline(b.scanDeadline)
                .clock(b.clock)
                .listener(b.listener)
                .failoverWhen(ClamdScanner::isFailover)
                .initialBackoff(initialBackoff)
                .maxBackoff(maxBackoff);
        for (Map.Entry<ClamdAddress, Integer> e : b.addresses.entrySet()) {
            ClamdClient c = ClamdClient.builder(e.getKey())
                    .connectTimeout(b.connectTimeout)
                    .readTimeout(b.readTimeout)
                    .chunkSize(b.chunkSize)
                    .build();
            list.add(c);
            gb.member(e.getKey().toString(), c, e.getValue());
        }
        this.clients = List.copyOf(list);
        this.group = gb.build();
    }

    /**
     * Starts a builder. At least one address must be added.
     *
     * @return a new builder with the defaults in the class description
     */
    public static Builder builder() {
        return new Builder();
    }

    static boolean isFailover(Exception e) {
        return e instanceof ClamdException ce && FAILOVER_KINDS.contains(ce.kind());
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Scans a message with INSTREAM on the best available instance, failing over as described in the class
     * description.
     *
     * @param message the message; its content is streamed, never loaded whole
     * @return CLEAN or INFECTED
     * @throws ScanException TOO_LARGE, UNSCANNABLE, UNAVAILABLE, TIMED_OUT, PROTOCOL_ERROR, or SCANNER_ERROR when
     *     the content itself cannot be read
     * @throws InterruptedException if interrupted
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        Objects.requireNonNull(message, "message");
        long t0 = System.nanoTime();
        long size = message.content().size();
        if (size > streamMaxLength) {
            throw fail(
                    Kind.TOO_LARGE,
                    "message of " + size + " bytes exceeds the stream limit of " + streamMaxLength
                            + " bytes (clamd StreamMaxLength); not scanned",
                    null,
                    t0);
        }
        Unseen unseen = unseenContent(message.content(), t0);
        ClamdScanReply reply;
        try {
            reply = group.call((client, remaining) -> scanAll(client, message.content(), unseen.streams(), remaining));
        } catch (FailoverException e) {
            throw fromFailover(e, t0);
        } finally {
            unseen.streams().forEach(SpooledContent::close);
        }
        if (reply.status() == ClamdScanReply.Status.CLEAN && unseen.unopened().isPresent()) {
            // what clamd saw is clean, but a signature or yEnc file it cannot see into may not have been opened for it
            throw fail(Kind.UNSCANNABLE, unseen.unopened().get(), null, t0);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        if (reply.status() == ClamdScanReply.Status.CLEAN) {
            return Verdict.clean(name, elapsed);
        }
        return Verdict.infected(name, List.of(reply.detail()), elapsed);
    }

    /** What makes clamd parse a signed entity as mail: a header field it knows a message by. */
    private static final byte[] MAIL_MARK =
            "MIME-Version: 1.0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Heap kept of one spooled signed entity before it goes to a temporary file: 1 MiB. */
    private static final long SPOOL_THRESHOLD = 1L << 20;

    /**
     * Heap kept of one spooled yEnc file before it goes to a temporary file: 64 KiB (a message may hold up to
     * {@value #MAX_YENC_FILES}, all spooled before the first is streamed).
     */
    private static final long YENC_SPOOL_THRESHOLD = 64L << 10;

    /**
     * What is streamed besides the message (part of the cache identity): 2 since BinHex files in a text part are, as
     * yEnc files were; 3 since their bytes are held to the walker's decoded-bytes limit for the whole message.
     */
    static final int UNSEEN_VERSION = 3;

    /** The most files yEnc-encoded into a message's text that are streamed: 100 (more is unscannable). */
    static final int MAX_YENC_FILES = 100;

    /**
     * What clamd cannot see in a message as sent, each spooled to be streamed on its own: the signed entities of its
     * opaque S/MIME signatures (as messages clamd parses as mail) and the files yEnc-encoded into its plain text (as
     * files); and why the walk may have left one unopened, if it may have.
     */
    private record Unseen(List<SpooledContent> streams, Optional<String> unopened) {}

    /** Walks a message for what clamd cannot see in it (the caller closes the streams). */
    private Unseen unseenContent(MessageContent content, long t0) throws ScanException {
        List<SpooledContent> found = new ArrayList<>();
        Set<String> candidates = new java.util.HashSet<>();
        List<String> undecoded = new ArrayList<>();
        int[] yEncFiles = {0};
        // a yEnc file decodes to fewer bytes than its text: the message's size bounds them; a BinHex file's run-length
        // coding does not (a text some 95 times larger), so its bytes are held to the walker's decoded-bytes limit, in
        // all the message's texts (until session 50 in each text part: a 24.8 MB letter of 20 parts spooled 2.1 GB)
        TextFiles.Budget binHex = TextFiles.binHexBudget(walker.maxDecodedBytes());
        boolean done = false;
        try {
            MimeWalkResult walk = walker.walk(content, new PartVisitor() {
                @Override
                public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                    if (MimeWalker.isSmime(part)) {
                        candidates.add(part.path());
                    } else if (part.mimeType().equals("text/plain") && undecoded.isEmpty()) {
                        yEncFiles(part, decoded, found, yEncFiles, binHex, streamMaxLength, undecoded);
                    }
                    return true;
                }

                @Override
                public void untypedText(PartInfo part, InputStream raw) throws IOException {
                    // Thunderbird reads such text as sent, its transfer encoding not removed
                    if (undecoded.isEmpty()) {
                        yEncFiles(part, raw, found, yEncFiles, binHex, streamMaxLength, undecoded);
                    }
                }

                @Override
                public boolean signature(PartInfo part, InputStream structure) {
                    return true;
                }

                @Override
                public boolean signedContent(PartInfo part, MessageContent entity) throws IOException {
                    try (InputStream in = new java.io.SequenceInputStream(
                            new java.io.ByteArrayInputStream(MAIL_MARK), entity.openStream())) {
                        found.add(MessageContent.spool(in, SPOOL_THRESHOLD));
                    }
                    return true;
                }
            });
            Optional<String> unopened = undecoded.stream().findFirst();
            for (MimeFinding f : walk.findings()) {
                if (unopened.isPresent()) {
                    break;
                }
                boolean unread = candidates.contains(f.path())
                        && (f.kind() == MimeFinding.Kind.DECODING_ERROR
                                || f.kind() == MimeFinding.Kind.UNKNOWN_ENCODING);
                if (f.kind().isLimit() || unread) {
                    unopened = Optional.of((f.path().isEmpty() ? "message" : "part " + f.path()) + ": " + f.detail()
                            + "; an S/MIME signature or a yEnc file there could not be opened for clamd, which opens"
                            + " neither");
                }
            }
            done = true;
            return new Unseen(found, unopened);
        } catch (IOException e) {
            throw fail(
                    Kind.SCANNER_ERROR,
                    "cannot read the message for its S/MIME signatures and yEnc files: " + e,
                    e,
                    t0);
        } finally {
            if (!done) {
                found.forEach(SpooledContent::close);
            }
        }
    }

    /**
     * Spools each file yEnc-encoded or BinHex-encoded into a plain text part ({@link TextFiles}, as Thunderbird finds
     * and shows them; clamd decodes uuencoded files in text itself, not yEnc nor BinHex, though it decodes an
     * {@code application/mac-binhex40} part). More than {@value #MAX_YENC_FILES} files, a yEnc line too long to
     * decode, a broken BinHex file, BinHex text decoding beyond {@code budget} (the walker's decoded-bytes limit, for
     * the whole message) or one BinHex file decoding beyond {@code streamLimit} (which clamd would refuse: it was
     * spooled whole first; a yEnc file is never larger than its text, and the message is at most the limit) goes to
     * {@code undecoded} and ends the search: the scan cannot be clean.
     */
    private static void yEncFiles(
            PartInfo part,
            InputStream text,
            List<SpooledContent> found,
            int[] count,
            TextFiles.Budget budget,
            long streamLimit,
            List<String> undecoded)
            throws IOException {
        String where = part.path().isEmpty() ? "message" : "part " + part.path();
        long[] fileBytes = {0};
        TextFiles.Budget perFile = (encoding, bytes) -> {
            budget.decoded(encoding, bytes);
            if (encoding == TextFiles.Encoding.BINHEX && (fileBytes[0] += bytes) > streamLimit) {
                throw new TextFiles.LimitException(
                        "a BinHex file decodes beyond the stream limit of " + streamLimit + " bytes");
            }
        };
        try {
            TextFiles.read(text, perFile, (encoding, name, content) -> {
                fileBytes[0] = 0;
                if (encoding == TextFiles.Encoding.UUENCODE) {
                    return; // clamd decodes uuencoded files in text itself
                }
                if (++count[0] > MAX_YENC_FILES) {
                    throw new TextFiles.LimitException("more than " + MAX_YENC_FILES + " yEnc or BinHex files");
                }
                found.add(MessageContent.spool(content, YENC_SPOOL_THRESHOLD));
            });
        } catch (TextFiles.LimitException | TextFiles.BrokenException e) {
            undecoded.add(where + ": " + e.getMessage() + "; a yEnc or BinHex file there could not be decoded for"
                    + " clamd, which decodes neither in a text");
        }
    }

    /**
     * Streams the message, then each signed entity and yEnc file while the replies are clean, on one instance, within the time the
     * failover group left: the first reply that is not clean, or the last.
     */
    private ClamdScanReply scanAll(
            ClamdClient client, MessageContent message, List<? extends MessageContent> unseen, Duration remaining)
            throws ClamdException, InterruptedException, IOException {
        long end = System.nanoTime() + remaining.toNanos();
        ClamdScanReply r = scanOn(client, message, remaining);
        for (MessageContent entity : unseen) {
            if (r.status() != ClamdScanReply.Status.CLEAN) {
                break;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new ClamdException(
                        Kind.TIMED_OUT,
                        client.address() + ": the scan deadline passed before every signed message and yEnc file was"
                                + " streamed",
                        null);
            }
            r = scanOn(client, entity, Duration.ofNanos(left));
        }
        return r;
    }

    private ClamdScanReply scanOn(ClamdClient client, MessageContent content, Duration remaining)
            throws ClamdException, InterruptedException, IOException {
        try (InputStream in = content.openStream()) {
            ClamdScanReply r = client.instream(in, streamMaxLength, remaining);
            String where = client.address().toString();
            switch (r.status()) {
                case CLEAN:
                case FOUND:
                    return r;
                case LIMITS_EXCEEDED:
                    throw new ClamdException(
                            Kind.UNSCANNABLE,
                            where + ": clamd hit a scan limit (" + r.detail() + "); not fully scanned",
                            null);
                case SIZE_LIMIT:
                    throw new ClamdException(Kind.TOO_LARGE, where + ": clamd refused the stream: " + r.raw(), null);
                case TIMED_OUT:
                    throw new ClamdException(Kind.TIMED_OUT, where + ": clamd timed out reading: " + r.raw(), null);
                case ERROR:
                    throw new ClamdException(
                            Kind.PROTOCOL_ERROR, where + ": clamd error: " + ClamdClient.abbreviate(r.raw()), null);
                default:
                    throw new ClamdException(
                            Kind.PROTOCOL_ERROR,
                            where + ": not a clamd reply: '" + ClamdClient.abbreviate(r.raw()) + "'",
                            null);
            }
        }
    }

    private ScanException fromFailover(FailoverException e, long t0) {
        Kind kind = Kind.ofFailover(e, ClamdScanner::kindOf);
        List<FailoverException.Attempt> attempts = e.attempts();
        if (e.reason() == FailoverException.Reason.NOT_RETRYABLE && !attempts.isEmpty()) {
            Throwable cause = attempts.get(attempts.size() - 1).error();
            if (cause instanceof ClamdException ce) {
                return fail(kind, ce.getMessage(), ce, t0);
            }
            return fail(kind, "cannot read the message: " + cause, cause, t0);
        }
        if (e.reason() == FailoverException.Reason.DEADLINE_EXCEEDED) {
            return fail(
                    kind, "scan deadline of " + Durations.format(scanDeadline) + " passed: " + e.getMessage(), e, t0);
        }
        return fail(kind, e.getMessage(), e, t0);
    }

    /** How one attempt's error counts for {@link Kind#ofFailover}: a clamd failure by its kind, anything else is ours. */
    private static Kind kindOf(Throwable error) {
        return error instanceof ClamdException ce ? ce.kind() : Kind.SCANNER_ERROR;
    }

    private ScanException fail(Kind kind, String detail, Throwable cause, long t0) {
        return new ScanException(new ScanFailure(name, kind, detail, Duration.ofNanos(System.nanoTime() - t0)), cause);
    }

    /**
     * PINGs every instance, each within the {@linkplain Builder#probeTimeout probe timeout}, for a health check
     * ({@code /health}, {@code hygiene relay --check}): it observes, and does not mark an instance down. An instance
     * that does not answer keeps its state (no back-off is counted and no {@link HygieneListener#memberDown} event is
     * sent: only a failed scan marks an instance down), so a check never logs a member-down line of its own. An
     * instance marked down that answers is marked up, as {@link #probeDown()} does.
     *
     * @return UP if at least one instance answered {@code PONG}, else DOWN; the detail lists each instance
     */
    @Override
    public Health health() {
        long t0 = System.nanoTime();
        StringBuilder detail = new StringBuilder();
        java.util.Set<ClamdClient> answered = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int up = 0;
        for (ClamdClient c : clients) {
            if (detail.length() > 0) {
                detail.append("; ");
            }
            try {
                c.ping(probeTimeout);
                up++;
                answered.add(c);
                detail.append(c.address()).append(" PONG");
            } catch (ClamdException e) {
                detail.append(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                detail.append(c.address()).append(" interrupted");
                break;
            }
        }
        if (!answered.isEmpty()) {
            group.probeDown(answered::contains); // no further PING: those that answered just now come back
        }
        Duration latency = Duration.ofNanos(System.nanoTime() - t0);
        String text = up + "/" + clients.size() + " up: " + detail;
        return up > 0 ? Health.up(text, latency) : Health.down(text, latency);
    }

    /**
     * PINGs the instances that are marked down and whose back-off has ended; those that answer are marked up.
     * Never throws.
     *
     * @return the names ({@code HOST:PORT} or {@code unix:/path}) of instances that came back
     */
    public List<String> probe() {
        return group.probe(this::pings);
    }

    /**
     * PINGs every instance that is marked down, whether or not its back-off has ended; those that answer are marked
     * up at once, the others stay as they were (no longer back-off, no event). This is what {@link #scheduleProbes}
     * runs: an instance comes back within one probe interval of its daemon. Never throws.
     *
     * @return the names of instances that came back
     */
    public List<String> probeDown() {
        return group.probeDown(this::pings);
    }

    /** How deep the limits probe nests its zip archives: past clamd's default MaxRecursion (17) and most sites'. */
    static final int LIMITS_PROBE_DEPTH = 64;

    /**
     * Asks every instance whether it says so when it stops reading at one of its scan limits, for a configuration
     * check ({@code hygiene relay --check}): clamd has no command that shows its configuration, so three small
     * messages are streamed and their answers compared. The EICAR test file; EICAR in a zip archive; EICAR in zip
     * archives nested {@value #LIMITS_PROBE_DEPTH} deep. An instance that finds the first and the second but calls the
     * third {@code OK} stopped at its {@code MaxRecursion} and said nothing: it runs with {@code AlertExceedsMax no}
     * (Debian's default), so it also answers {@code OK} for any message it stopped reading at {@code MaxFileSize},
     * {@code MaxScanSize}, {@code MaxFiles} or {@code MaxRecursion}, and this scanner cannot tell such a message from a
     * clean one. One that finds the first but not the second does not look into archives ({@code ScanArchive no}).
     * With {@code AlertExceedsMax yes} the third is {@code Heuristics.Limits.Exceeded.MaxRecursion}; with a
     * {@code MaxRecursion} above the depth it is found: both pass.
     *
     * <p>The check cannot tell (and says nothing) for an instance that does not answer, or does not know the EICAR
     * test file. clamd logs the probes as found (and runs its {@code VirusEvent} for them, if one is set), so run it
     * when checking a configuration, not per message. Blocks up to three probe timeouts per instance; never throws.
     * Thread-safe.
     *
     * @return one line per instance whose answers show such a setting, naming its address, what it answered and what
     *     to set in clamd.conf; empty when none does
     */
    public List<String> checkLimits() {
        List<String> warnings = new ArrayList<>();
        byte[] eicar = org.mailhygiene.scanners.builtin.SignatureScanner.eicarTestFile();
        byte[] zipped = zip("eicar.com", eicar);
        byte[] nested = zipped;
        for (int i = 1; i < LIMITS_PROBE_DEPTH; i++) {
            nested = zip("level-" + i + ".zip", nested);
        }
        for (ClamdClient c : clients) {
            try {
                ClamdScanReply plain = c.instream(new java.io.ByteArrayInputStream(eicar), eicar.length, probeTimeout);
                if (plain.status() != ClamdScanReply.Status.FOUND) {
                    continue; // does not know EICAR: nothing found below can be told from a clean answer
                }
                ClamdScanReply inZip =
                        c.instream(new java.io.ByteArrayInputStream(zipped), zipped.length, probeTimeout);
                if (inZip.status() == ClamdScanReply.Status.CLEAN) {
                    warnings.add(c.address() + " does not look into archives: the EICAR test file in a zip was '"
                            + inZip.raw() + "' (clamd.conf ScanArchive no); set ScanArchive yes and restart clamd,"
                            + " or every virus in an archive is called clean");
                    continue;
                }
                ClamdScanReply deep = c.instream(new java.io.ByteArrayInputStream(nested), nested.length, probeTimeout);
                if (deep.status() == ClamdScanReply.Status.CLEAN) {
                    warnings.add(c.address() + " answers OK for content it stopped reading at a scan limit: the"
                            + " EICAR test file in zip archives nested " + LIMITS_PROBE_DEPTH + " deep was '"
                            + deep.raw() + "' (clamd.conf AlertExceedsMax no, Debian's default); set AlertExceedsMax"
                            + " yes and restart clamd, or a message past its MaxRecursion, MaxFileSize, MaxScanSize"
                            + " or MaxFiles is called clean");
                }
            } catch (ClamdException e) {
                // down or not clamd: health() and the probes report that
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return warnings;
    }

    /** A zip archive holding one deflated entry. */
    private static byte[] zip(String name, byte[] content) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            z.putNextEntry(new java.util.zip.ZipEntry(name));
            z.write(content);
            z.closeEntry();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory: does not happen
        }
        return out.toByteArray();
    }

    private boolean pings(ClamdClient c) {
        try {
            c.ping(probeTimeout);
            return true;
        } catch (ClamdException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@link #probeDown()} every {@code interval} on the given executor, which the caller owns and shuts down.
     *
     * @param executor where probes run
     * @param interval time between probes, positive
     * @return the scheduled task; cancel it to stop probing
     * @throws IllegalArgumentException if the interval is not positive
     */
    public ScheduledFuture<?> scheduleProbes(ScheduledExecutorService executor, Duration interval) {
        Objects.requireNonNull(executor, "executor");
        Checks.requirePositive(interval, "interval");
        long ms = Math.max(1, interval.toMillis());
        return executor.scheduleWithFixedDelay(
                () -> {
                    try {
                        probeDown();
                    } catch (RuntimeException e) {
                        LOG.warn("{}: probe failed: {}", name, e.toString());
                    }
                },
                ms,
                ms,
                TimeUnit.MILLISECONDS);
    }

    /**
     * The outcome of a RELOAD sent to every instance.
     *
     * @param replies per instance, in configured order: {@code RELOADING} or the failure message
     * @param failed how many instances did not answer {@code RELOADING}
     */
    public record ReloadResult(Map<String, String> replies, int failed) {
        /**
         * Copies the map.
         *
         * @throws NullPointerException if {@code replies} is {@code null}
         */
        public ReloadResult {
            replies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(replies));
        }

        /**
         * Whether every instance answered {@code RELOADING}.
         *
         * @return {@code true} if none failed
         */
        public boolean success() {
            return failed == 0;
        }
    }

    /**
     * Sends {@code RELOAD} to every instance (also those marked down), then starts a new cache identity as described
     * in the class description. Never throws for instance failures; they are in the result.
     *
     * @return what each instance answered
     * @throws InterruptedException if interrupted
     */
    public ReloadResult reloadAll() throws InterruptedException {
        Map<String, String> replies = new LinkedHashMap<>();
        int failed = 0;
        newGeneration();
        for (ClamdClient c : clients) {
            try {
                replies.put(c.address().toString(), c.reload(probeTimeout));
            } catch (ClamdException e) {
                failed++;
                replies.put(c.address().toString(), e.kind() + ": " + e.getMessage());
            }
        }
        newGeneration();
        return new ReloadResult(replies, failed);
    }

    /**
     * An update step that runs {@link #reloadAll()} and fails when any instance did not answer {@code RELOADING}.
     *
     * @return a step named {@code <name>-reload}
     */
    public UpdateStep reloadStep() {
        return UpdateStep.of(name + "-reload", () -> {
            ReloadResult r = reloadAll();
            if (!r.success()) {
                throw new IOException("RELOAD failed on " + r.failed() + " of " + clients.size() + ": " + r.replies());
            }
            return "RELOADING on " + r.replies().size() + " instance(s)";
        });
    }

    private void newGeneration() {
        generation.incrementAndGet();
        settledAt = clock.instant().plus(reloadSettle);
        lastVersionCheck = null;
    }

    /**
     * One answer to {@code VERSION} from every instance.
     *
     * @param versions {@code ADDRESS=REPLY;} per instance in configured order, or {@code null} when some instance did
     *     not answer with a version
     * @param askedAt when the check started (its knowledge is at least this old)
     * @param generation the reload generation when the check started; a check overtaken by a reload is discarded
     */
    private record VersionCheck(String versions, Instant askedAt, long generation) {}

    private VersionCheck checkVersions() throws InterruptedException {
        long gen = generation.get();
        Instant askedAt = clock.instant();
        StringBuilder sb = new StringBuilder();
        boolean complete = true;
        for (ClamdClient c : clients) {
            try {
                sb.append(c.address())
                        .append('=')
                        .append(c.version(probeTimeout).raw())
                        .append(';');
            } catch (ClamdException e) {
                complete = false;
                LOG.debug("{}: VERSION of {} failed: {}", name, c.address(), e.getMessage());
            }
        }
        return new VersionCheck(complete ? sb.toString() : null, askedAt, gen);
    }

    /**
     * Asks every instance for its VERSION now, on the calling thread (each with the probe timeout), and records the
     * answer as the current signature versions of the {@link #cacheIdentity()}, as the periodic check does. When any
     * instance does not answer, the versions are unknown and verdicts are not cached until a later check succeeds.
     *
     * @return whether every instance answered and the combined answer differs from the last complete one seen (the
     *     first complete answer is not a change)
     * @throws InterruptedException if interrupted
     */
    public boolean refreshVersions() throws InterruptedException {
        VersionCheck next = checkVersions();
        synchronized (this) {
            VersionCheck prev = lastVersionCheck;
            if (next.generation() != generation.get()
                    || (prev != null && prev.askedAt().isAfter(next.askedAt()))) {
                return false; // a reload or a newer check overtook this one
            }
            lastVersionCheck = next;
            if (next.versions() == null) {
                return false;
            }
            String before = lastKnownVersions;
            lastKnownVersions = next.versions();
            return before != null && !before.equals(next.versions());
        }
    }

    private void startCheckThread(Runnable task) {
        Thread t = new Thread(task, name + "-version-check");
        t.setDaemon(true);
        t.start();
    }

    private void startVersionCheck() {
        if (!versionCheckRunning.compareAndSet(false, true)) {
            return;
        }
        Runnable task = () -> {
            try {
                refreshVersions();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warn("{}: version check failed: {}", name, e.toString());
            } finally {
                versionCheckRunning.set(false);
            }
        };
        try {
            versionCheckExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            versionCheckRunning.set(false);
            LOG.warn("{}: version check not started: {}", name, e.toString());
        }
    }

    /**
     * The verdict-cache identity: the scanner name, the instances, the stream limit, the MIME walker's settings and
     * every instance's {@code VERSION} reply (engine, daily database version and date); after this scanner's first
     * {@link #reloadAll()} also a token unique to this scanner object and a generation that changes with every
     * reload. Before that, scanners configured alike (relay nodes sharing a verdict store) have the same identity and
     * share verdicts. Never blocks on the network.
     *
     * <p>Empty (do not cache) from a reload until {@link Builder#reloadSettle} later; while no version check has
     * answered yet or the last one is {@link Builder#versionCheckInterval} old or older (this call then starts a new
     * check in the background, as described in the class description); and while the last check did not get a
     * version from every instance.
     *
     * @return the identity, or empty when verdicts must not be cached now
     */
    @Override
    public Optional<String> cacheIdentity() {
        Instant now = clock.instant();
        if (now.isBefore(settledAt)) {
            return Optional.empty();
        }
        VersionCheck check = lastVersionCheck;
        if (check == null || !now.isBefore(check.askedAt().plus(versionCheckInterval))) {
            startVersionCheck();
            // A direct executor has answered already; an asynchronous one answers for a later call.
            check = lastVersionCheck;
            if (check == null || !now.isBefore(check.askedAt().plus(versionCheckInterval))) {
                return Optional.empty();
            }
        }
        if (check.versions() == null) {
            return Optional.empty();
        }
        long gen = generation.get();
        Identity last = lastIdentity;
        if (last != null && last.check() == check && last.generation() == gen) {
            return last.text(); // the same string every message until the versions or the generation change
        }
        // Until this scanner sends RELOAD itself, the identity names only what every node configured alike sees (the
        // instances, the size limit and their VERSION replies), so relay nodes sharing a verdict cache (Redis) share
        // verdicts. After its own RELOAD it becomes private to this instance: other nodes cannot know that reload.
        Optional<String> text = Optional.of(name + "["
                + clients.stream()
                        .map(c -> c.address().toString())
                        .reduce((a, b) -> a + "," + b)
                        .orElse("") + "] max=" + streamMaxLength + " smime=" + walker + " unseen=" + UNSEEN_VERSION
                + " names=" + ThreatNames.VERSION
                + (gen == 0 ? "" : " id=" + instanceToken + " gen=" + gen)
                + " versions=" + check.versions());
        lastIdentity = new Identity(check, gen, text);
        return text;
    }

    /**
     * {@link #cacheIdentity()}, waiting up to {@code bound} while a {@code VERSION} check runs (the call starts one
     * when none has answered yet or the last has expired): a node waits for it before it takes mail, so that its first
     * messages are looked up in the shared verdict store. Returns at once, empty, when no check runs (the last one did
     * not get every instance's version, or a reload is settling), and empty when the check has not answered within the
     * bound (it goes on in the background, as for {@link #cacheIdentity()}). Polls every 5 ms.
     *
     * @param bound the longest wait
     * @return the identity, or empty when verdicts must not be cached now
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public Optional<String> awaitCacheIdentity(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, bound.toNanos());
        Optional<String> id = cacheIdentity();
        while (id.isEmpty() && versionCheckRunning.get() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
            id = cacheIdentity();
        }
        return id;
    }

    /** The last identity built, for the version check and reload generation it was built from. */
    private record Identity(VersionCheck check, long generation, Optional<String> text) {}

    /**
     * The failover group over the instances, for monitoring ({@link FailoverGroup#members()}).
     *
     * @return the group
     */
    public FailoverGroup<ClamdClient> group() {
        return group;
    }

    /**
     * The clients, one per instance, in configured order.
     *
     * @return an unmodifiable list
     */
    public List<ClamdClient> clients() {
        return clients;
    }

    /**
     * The connect timeout.
     *
     * @return the timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The read timeout.
     *
     * @return the timeout
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The whole-scan deadline.
     *
     * @return the deadline
     */
    public Duration scanDeadline() {
        return scanDeadline;
    }

    /**
     * The deadline for one PING, VERSION or RELOAD.
     *
     * @return the timeout
     */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /**
     * The client-side stream limit.
     *
     * @return bytes
     */
    public long streamMaxLength() {
        return streamMaxLength;
    }

    /**
     * How long after a reload verdicts are not cached.
     *
     * @return the duration
     */
    public Duration reloadSettle() {
        return reloadSettle;
    }

    /**
     * How long a signature version answer is trusted by {@link #cacheIdentity()}.
     *
     * @return the interval
     */
    public Duration versionCheckInterval() {
        return versionCheckInterval;
    }

    /**
     * The back-off after an instance's first failure.
     *
     * @return the duration
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * The longest back-off.
     *
     * @return the duration
     */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * The INSTREAM chunk size.
     *
     * @return bytes
     */
    public int chunkSize() {
        return clients.get(0).chunkSize();
    }

    @Override
    public String toString() {
        return "ClamdScanner[" + name + " "
                + group.members().stream().map(FailoverGroup.MemberState::name).toList() + "]";
    }

    /**
     * Builds a {@link ClamdScanner}. Each setter checks its own value at once; settings that depend on each other are
     * checked in {@link #build()}, so the order of the calls never matters. Not thread-safe.
     */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private final Map<ClamdAddress, Integer> addresses = new LinkedHashMap<>();
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration scanDeadline = DEFAULT_SCAN_DEADLINE;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private long streamMaxLength = DEFAULT_STREAM_MAX_LENGTH;
        private int chunkSize = ClamdClient.DEFAULT_CHUNK_SIZE;
        private Duration reloadSettle = DEFAULT_RELOAD_SETTLE;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private boolean scanDeadlineSet;
        private boolean initialBackoffSet;
        private boolean maxBackoffSet;
        private Duration versionCheckInterval = DEFAULT_VERSION_CHECK_INTERVAL;
        private Executor versionCheckExecutor;
        private Clock clock = Clock.systemUTC();
        private HygieneListener listener = HygieneListener.NOOP;

        private Builder() {}

        /**
         * The scanner's name in verdicts and events. Default {@code clamd}.
         *
         * @param value a non-blank name
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder name(String value) {
            Objects.requireNonNull(value, "name");
            if (value.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            name = value;
            return this;
        }

        /**
         * Adds an instance with the next lower preference: the first added is tried first.
         *
         * @param address where it listens
         * @return this builder
         * @throws IllegalArgumentException if the address was already added
         */
        public Builder address(ClamdAddress address) {
            return address(address, addresses.size());
        }

        /**
         * Adds an instance given as text ({@code HOST:PORT} or {@code unix:/path}).
         *
         * @param address the address text
         * @return this builder
         * @throws IllegalArgumentException if the text is malformed or the address was already added
         */
        public Builder address(String address) {
            return address(ClamdAddress.parse(address));
        }

        /**
         * Adds an instance with an explicit priority (lower is preferred; equal priorities share scans round-robin).
         *
         * @param address where it listens
         * @param priority its priority
         * @return this builder
         * @throws IllegalArgumentException if the address was already added
         */
        public Builder address(ClamdAddress address, int priority) {
            Objects.requireNonNull(address, "address");
            if (addresses.containsKey(address)) {
                throw new IllegalArgumentException("clamd address " + address + " added twice");
            }
            addresses.put(address, priority);
            return this;
        }

        /**
         * Connect timeout per instance. Default 5 s. It must not exceed the {@link #scanDeadline scan deadline}
         * (default or set), which {@link #build()} checks whatever the order of the calls.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Checks.requirePositive(value, "connectTimeout");
            return this;
        }

        /**
         * Read timeout: the longest wait without progress on a read or write. Default 30 s. It must not exceed the
         * {@link #scanDeadline scan deadline} (default or set), which {@link #build()} checks whatever the order of
         * the calls.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder readTimeout(Duration value) {
            readTimeout = Checks.requirePositive(value, "readTimeout");
            return this;
        }

        /**
         * The whole-scan deadline, over every instance tried. Default 120 s. It must not be below the connect and
         * read timeouts (default or set), which {@link #build()} checks whatever the order of the calls.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder scanDeadline(Duration value) {
            scanDeadline = Checks.requirePositive(value, "scanDeadline");
            scanDeadlineSet = true;
            return this;
        }

        /**
         * The deadline of one PING (probes, health), VERSION or RELOAD. Default 5 s.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder probeTimeout(Duration value) {
            probeTimeout = Checks.requirePositive(value, "probeTimeout");
            return this;
        }

        /**
         * The most bytes streamed; set it to clamd's {@code StreamMaxLength}. Larger messages fail with
         * {@link Kind#TOO_LARGE} without reaching clamd. Default 26214400 (25 MiB).
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder streamMaxLength(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("streamMaxLength must be positive, was " + bytes);
            }
            streamMaxLength = bytes;
            return this;
        }

        /**
         * INSTREAM chunk size. Default 65536.
         *
         * @param bytes 1 KiB to 16 MiB
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder chunkSize(int bytes) {
            ClamdClient.builder(ClamdAddress.tcp("localhost", 1)).chunkSize(bytes);
            chunkSize = bytes;
            return this;
        }

        /**
         * How long after a RELOAD verdicts are not cached (clamd reloads in the background). Default 60 s.
         *
         * @param value zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder reloadSettle(Duration value) {
            Checks.requireNonNegative(value, "reloadSettle");
            reloadSettle = value;
            return this;
        }

        /**
         * The longest time a signature version answer is trusted for {@link ClamdScanner#cacheIdentity()}; once it is
         * this old, the next {@code cacheIdentity()} asks every instance for its {@code VERSION} again (in the
         * background) and verdicts are not cached until the answer is in. This bounds how long a clean verdict made
         * with older signatures can be reused after clamd reloaded by itself. Default 60 s.
         *
         * @param value positive, at most 24 h
         * @return this builder
         * @throws IllegalArgumentException if not positive or longer than 24 h
         */
        public Builder versionCheckInterval(Duration value) {
            Checks.requirePositive(value, "versionCheckInterval");
            if (value.compareTo(Duration.ofHours(24)) > 0) {
                throw new IllegalArgumentException("versionCheckInterval must be at most 24 h, was " + value
                        + "; a cached clean verdict could outlive many signature updates");
            }
            versionCheckInterval = value;
            return this;
        }

        /**
         * Where the background {@code VERSION} checks run. Default: a new daemon thread per check (at most one check
         * runs at a time, once per {@link #versionCheckInterval}). Tests may pass {@code Runnable::run} to check on
         * the calling thread.
         *
         * @param value the executor
         * @return this builder
         */
        public Builder versionCheckExecutor(Executor value) {
            versionCheckExecutor = Objects.requireNonNull(value, "versionCheckExecutor");
            return this;
        }

        /**
         * Back-off after an instance's first failure; doubles per failure. Default 30 s, or the maximum back-off if
         * that was set lower. {@link #build()} refuses an initial back-off above an explicitly set maximum, whatever
         * the order of the calls.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder initialBackoff(Duration value) {
            initialBackoff = Checks.requirePositive(value, "initialBackoff");
            initialBackoffSet = true;
            return this;
        }

        /**
         * The longest back-off. Default 600 s, or the initial back-off if that was set higher. {@link #build()}
         * refuses a maximum below an explicitly set initial back-off, whatever the order of the calls.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxBackoff(Duration value) {
            maxBackoff = Checks.requirePositive(value, "maxBackoff");
            maxBackoffSet = true;
            return this;
        }

        /**
         * The clock for back-off, the reload settle time, the version check interval and the
         * {@linkplain #scanDeadline(Duration) scan deadline} over every instance tried. Default the system UTC clock;
         * with a system clock, the failover group measures back-off and the scan deadline with the system's monotonic
         * time instead, so a step of the wall clock does not move them. A clock that does not advance by itself, such as the
         * testkit's {@code FakeClock}, leaves the scan deadline unenforced: a scan then ends only by the connect and
         * read timeouts of each instance it tries (measured in real time).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Receives failover, member-down and member-up events. Default none.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(HygieneListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Builds the scanner. Settings that depend on each other are checked here, so the order of the setter calls
         * never matters: the connect and read timeouts must not exceed the scan deadline (a default counts like a set
         * value), and an explicit initial back-off must not exceed an explicit maximum (a default back-off yields to
         * an explicit one). The builder is not changed and can be built again.
         *
         * @return a new scanner
         * @throws IllegalStateException if no address was added, or settings conflict (the message names them)
         */
        public ClamdScanner build() {
            if (addresses.isEmpty()) {
                throw new IllegalStateException("a clamd scanner needs at least one address");
            }
            String deadline = "scanDeadline " + scanDeadline + (scanDeadlineSet ? "" : " (the default)");
            if (connectTimeout.compareTo(scanDeadline) > 0) {
                throw new IllegalStateException("connectTimeout " + connectTimeout + " exceeds " + deadline);
            }
            if (readTimeout.compareTo(scanDeadline) > 0) {
                throw new IllegalStateException("readTimeout " + readTimeout + " exceeds " + deadline);
            }
            if (initialBackoffSet && maxBackoffSet && initialBackoff.compareTo(maxBackoff) > 0) {
                throw new IllegalStateException(
                        "initialBackoff " + initialBackoff + " exceeds maxBackoff " + maxBackoff);
            }
            return new ClamdScanner(this);
        }
    }
}
