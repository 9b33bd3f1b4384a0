package org.mailhygiene.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.internal.Urls;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.scanners.mime.TextDecoding;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.QuarantinedMessage;
import org.mailhygiene.smtp.queue.QueueId;

/**
 * {@code hygiene quarantine list|show|release|delete --data DIR}: the quarantine of a node, running or not. A release
 * hands the message over to the node's spool through {@code spool/incoming/} (see
 * {@link Quarantine#release(QueueId, Path, String)}), which a running node picks up within a second and a stopped one
 * at its next start; it is recorded with who released it and when.
 *
 * <p>The administrator's verdict can teach the spam classifier: {@code release --learn-ham MODEL} learns each released
 * message as ham (a false positive) and {@code delete --learn-spam MODEL} each deleted one as spam, into the model file
 * MODEL, with {@link BayesModels#correctInto}: until the model scores it on the right side of the label, at most
 * {@value BayesModels#MAX_CORRECTION_LEARNINGS} times (atomic replacement under a lock; nodes using the file load the
 * new version without a restart). The message is learned first, under the quarantine's lock (so that a release and a
 * delete of one message by two operators at once teach the model only the label of the one that happens, and the
 * other learns nothing): if learning fails, it stays held and the command fails. The held copy is read as the node
 * classified it ({@link Tokenizer#receivedAs} its envelope): the relay's own {@code Received} field on top is not learned,
 * and the envelope's sender is learned as its {@code Return-Path}.
 * The model's learn journal ({@link BayesModels#journalFile}) applies: a message learned before with the other label
 * (a {@code hygiene learn --spam} report, say) is forgotten first, as often as it was learned. A Redis URL instead of
 * MODEL ({@code --learn-ham redis://...}, with {@code --redis-model} and {@code --base}) learns into a cluster's shared
 * model as {@code hygiene learn --redis} does ({@link ClusterLearning}), with the cluster's journal.
 */
public final class QuarantineCommand implements Command {
    private static final int HEADER_LIMIT = 64 * 1024;

    /** Creates the command. */
    public QuarantineCommand() {}

    @Override
    public String name() {
        return "quarantine";
    }

    @Override
    public String summary() {
        return "list, show, release or delete quarantined messages of a node";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene quarantine list --data DIR [--json]
                       hygiene quarantine show --data DIR [--json] ID
                       hygiene quarantine release --data DIR [--by NAME] [--learn-ham MODEL|URL] ID...
                       hygiene quarantine delete --data DIR [--learn-spam MODEL|URL] ID...
                         (with a URL also [--redis-model NAME] [--base default|FILE])

                The quarantine of the node whose data directory is DIR (the node config's 'data'), running or not.
                  list      held messages, oldest first: id, held since, size, sender, recipients, reason
                  show      envelope, the Subject decoded, the verdicts that put it there, and the message's
                            header (each line decoded from its charset; control characters shown as ?)
                  release   hand the message to delivery for its original recipients (a running node picks it
                            up within a second, a stopped one at its next start); records who and when
                  delete    delete for good

                options:
                  --data DIR   the node's data directory (required)
                  --json       (list, show) one JSON object per message
                  --by NAME    (release) who releases, for the record (default: the user name)
                  --learn-ham MODEL   (release) also learn each released message as ham into the Bayes model
                               file MODEL (the node's bayes:MODEL), replaced atomically; nodes pick it up
                               without a restart. A missing MODEL starts from the default model. Learned
                               until MODEL scores it %s, at most %d times: the correction takes effect
                  --learn-spam MODEL  (delete) also learn each deleted message as spam into MODEL
                               (until it scores %s, at most %d times)
                  --learn-ham URL, --learn-spam URL   the same for a whole cluster: a Redis URL (the
                               nodes' 'redis' key: redis://, redis-sentinel://, redis-cluster://, or
                               over TLS rediss://, rediss-sentinel://, rediss-cluster://)
                               learns into the cluster's shared model as 'hygiene learn --redis' does, until
                               the nodes' model (--base, default: default, plus what the cluster learned)
                               agrees; --redis-model NAME is the nodes' 'redis-model' (default bayes)
                  -h, --help   show this help

                exit status: 0 done, 2 wrong directory, unknown id or other error
                """.formatted(
                        LearnCommand.goal(false),
                        BayesModels.MAX_CORRECTION_LEARNINGS,
                        LearnCommand.goal(true),
                        BayesModels.MAX_CORRECTION_LEARNINGS);
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        if (args.isEmpty()) {
            throw new UsageException("quarantine needs a subcommand: list, show, release or delete");
        }
        String sub = args.get(0);
        if (sub.equals("-h") || sub.equals("--help")) {
            io.out().print(usage());
            return EXIT_OK;
        }
        if (!List.of("list", "show", "release", "delete").contains(sub)) {
            throw new UsageException("unknown subcommand '" + sub + "' (list, show, release or delete)");
        }
        Path data = null;
        boolean json = false;
        String by = System.getProperty("user.name", "unknown");
        List<String> ids = new ArrayList<>();
        String learnTarget = null;
        Boolean learnSpam = null;
        String redisModel = null;
        String base = null;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                case "--data" -> {
                    if (++i >= args.size()) {
                        throw new UsageException("--data needs a value");
                    }
                    data = Path.of(args.get(i));
                }
                case "--by" -> {
                    // who released is recorded; nothing else records it, so a --by elsewhere was silently dropped
                    if (!sub.equals("release")) {
                        throw new UsageException("--by goes with 'release' (the name recorded for who released)");
                    }
                    if (++i >= args.size()) {
                        throw new UsageException("--by needs a value");
                    }
                    by = args.get(i);
                }
                case "--json" -> {
                    if (!sub.equals("list") && !sub.equals("show")) {
                        throw new UsageException("--json goes with 'list' or 'show'");
                    }
                    json = true;
                }
                case "--redis-model", "--base" -> {
                    if (++i >= args.size() || args.get(i).isEmpty()) {
                        throw new UsageException(a + " needs a value");
                    }
                    if (a.equals("--base")) {
                        base = args.get(i);
                    } else {
                        redisModel = args.get(i);
                    }
                }
                case "--learn-ham", "--learn-spam" -> {
                    boolean spam = a.equals("--learn-spam");
                    if (!sub.equals(spam ? "delete" : "release")) {
                        throw new UsageException(a + " goes with '" + (spam ? "delete" : "release") + "'");
                    }
                    if (++i >= args.size() || args.get(i).isEmpty()) {
                        throw new UsageException(a + " needs a MODEL file");
                    }
                    if (learnTarget != null) {
                        throw new UsageException(a + " given twice");
                    }
                    LearnCommand.refuseShippedModel(a, args.get(i));
                    learnTarget = args.get(i);
                    learnSpam = spam;
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option '" + a + "'");
                    }
                    ids.add(a);
                }
            }
        }
        if (data == null) {
            throw new UsageException("--data DIR is required");
        }
        LearnTarget target = LearnTarget.of(learnTarget, redisModel, base);
        if (sub.equals("list") && !ids.isEmpty()) {
            throw new UsageException("list takes no ids");
        }
        if (!sub.equals("list") && ids.isEmpty()) {
            throw new UsageException(sub + " needs a message id");
        }
        if (sub.equals("show") && ids.size() > 1) {
            throw new UsageException("show takes one id");
        }
        String problem = DataDirectory.problem(data);
        if (problem == null && (sub.equals("release") || sub.equals("delete"))) {
            problem = DataDirectory.writeProblem(data);
        }
        if (problem != null) {
            io.err().println("hygiene quarantine: " + problem);
            return EXIT_ERROR;
        }
        List<QueueId> parsed = new ArrayList<>();
        for (String id : ids) {
            if (!QueueId.isValid(id)) {
                io.err()
                        .println("hygiene quarantine: '" + id + "' is not a message id (20 letters and digits, as"
                                + " 'hygiene quarantine list' shows them)");
                return EXIT_ERROR;
            }
            parsed.add(new QueueId(id));
        }
        try {
            Quarantine q = Quarantine.builder(data.resolve("quarantine")).build();
            return switch (sub) {
                case "list" -> list(q, json, io);
                case "show" -> show(q, data, parsed.get(0), json, io);
                case "release" -> release(q, data, parsed, by, target, io);
                default -> delete(q, data, parsed, target, io);
            };
        } catch (IOException e) {
            io.err().println("hygiene quarantine: " + IoErrors.describe(e));
            return EXIT_ERROR;
        } finally {
            if (target != null && target.session != null) {
                target.session.close();
            }
        }
    }

    /** How much of the list is formatted before it is written: one write per 64 KiB, not several per line. */
    private static final int LIST_CHUNK = 64 * 1024;

    private static int list(Quarantine q, boolean json, Io io) throws IOException {
        // one record at a time: a quarantine of a virus storm (a million messages) is listed in little memory;
        // and written in chunks: printf on standard output made about 15 write calls per line (220,000 for a
        // list of 14,520 messages, audit of session 39)
        StringBuilder pending = new StringBuilder();
        String nl = System.lineSeparator();
        long listed = 0;
        try {
            for (QueueId id : q.heldIds()) {
                Optional<QuarantinedMessage> held = q.readable(id);
                if (held.isEmpty()) {
                    continue;
                }
                listed++;
                QuarantinedMessage m = held.get();
                if (json) {
                    pending.append(json(m, null)).append(nl);
                } else {
                    pending.append(FileReport.printable(String.format(
                                    "%s  %s  %7d  <%s> -> %s  %s",
                                    m.id().value(),
                                    m.quarantinedAt(),
                                    m.size(),
                                    m.envelope().sender(),
                                    String.join(",", m.envelope().recipients()),
                                    m.reason())))
                            .append(nl);
                }
                if (pending.length() >= LIST_CHUNK) {
                    io.out().print(pending);
                    pending.setLength(0);
                }
            }
        } finally {
            io.out().print(pending);
            io.out().flush();
        }
        if (listed == 0 && !json) {
            // the right directory was read, and nothing is held (standard output stays empty)
            io.err().println("hygiene quarantine: nothing is held (" + q.directory() + ")");
        }
        return EXIT_OK;
    }

    private static int show(Quarantine q, Path data, QueueId id, boolean json, Io io) throws IOException {
        Optional<QuarantinedMessage> m = q.get(id);
        if (m.isEmpty()) {
            Optional<Quarantine.Release> r = q.releaseRecord(id);
            if (r.isPresent()) {
                io.out()
                        .printf(
                                "%s was released by %s at %s (queued as %s)%n",
                                id.value(),
                                r.get().releasedBy(),
                                r.get().releasedAt(),
                                r.get().queuedAs().value());
                return EXIT_OK;
            }
            return notHeld(q, id, data, io);
        }
        QuarantinedMessage qm = m.get();
        HeaderText header = header(qm);
        if (json) {
            io.out().println(json(qm, header));
            return EXIT_OK;
        }
        // what the message holds may hold control characters (ESC of ISO-2022-JP, or a sender's own): a terminal would
        // read them as commands, so each line is printed as FileReport.printable makes it
        List<String> lines = new ArrayList<>();
        lines.add("id:          " + qm.id().value());
        lines.add("held since:  " + qm.quarantinedAt());
        lines.add("action:      " + qm.action());
        lines.add("reason:      " + qm.reason());
        lines.add("client:      "
                + qm.envelope()
                        .clientAddress()
                        .map(org.mailhygiene.internal.HostPorts::address)
                        .orElse("-"));
        lines.add("helo:        " + qm.envelope().heloName().orElse("-"));
        lines.add("from:        <" + qm.envelope().sender() + ">");
        lines.add("to:          " + String.join(", ", qm.envelope().recipients()));
        lines.add("size:        " + qm.size());
        header.subject().ifPresent(subject -> lines.add("subject:     " + subject));
        for (String d : qm.details()) {
            lines.add("verdict:     " + d);
        }
        for (String line : lines) {
            io.out().println(FileReport.printable(line));
        }
        io.out().println();
        for (String line : header.text().split("\n", -1)) {
            if (!line.isEmpty()) {
                io.out().println(FileReport.printable(line, true));
            }
        }
        return EXIT_OK;
    }

    private static int release(Quarantine q, Path data, List<QueueId> ids, String by, LearnTarget learnModel, Io io)
            throws IOException {
        int status = EXIT_OK;
        for (QueueId id : ids) {
            Optional<Quarantine.Release> r;
            try {
                // learned under the quarantine's lock: a concurrent release or delete of the same message (another
                // operator's, with the other label) cannot take it between the learning and the release
                r = q.release(id, data.resolve("spool"), by, m -> learn(m, learnModel, false, io));
            } catch (NotLearned e) {
                status = EXIT_ERROR;
                continue;
            } catch (IOException e) {
                // a full disk said only "No space left on device", and not which message stayed where
                io.err()
                        .println("hygiene quarantine: " + id.value() + ": release failed: " + IoErrors.describe(e)
                                + " (it is still held, unless the failure came after its release was recorded:"
                                + " the next release or node start then finishes it"
                                + (ids.indexOf(id) < ids.size() - 1 ? "; the IDs after it were not tried)" : ")"));
                return EXIT_ERROR;
            }
            if (r.isEmpty()) {
                status = notHeld(q, id, data, io);
                continue;
            }
            io.out()
                    .printf(
                            "%s released by %s: queued as %s for %s%n",
                            id.value(),
                            by,
                            r.get().queuedAs().value(),
                            "delivery (a running node picks it up within a second, a stopped one at its next start)");
        }
        return status;
    }

    private static int delete(Quarantine q, Path data, List<QueueId> ids, LearnTarget learnModel, Io io)
            throws IOException {
        int status = EXIT_OK;
        for (QueueId id : ids) {
            boolean deleted;
            try {
                deleted = learnModel == null ? q.delete(id) : q.delete(id, m -> learn(m, learnModel, true, io));
            } catch (NotLearned e) {
                status = EXIT_ERROR;
                continue;
            } catch (IOException e) {
                // a read-only quarantine said only "DIR/quarantine/lock: Read-only file system", and not which message
                // stayed and which were not tried (audit, session 46)
                io.err()
                        .println("hygiene quarantine: " + id.value() + ": delete failed: " + IoErrors.describe(e)
                                + " (it is still held unless 'hygiene quarantine list' no longer shows it"
                                + (ids.indexOf(id) < ids.size() - 1 ? "; the IDs after it were not tried)" : ")"));
                return EXIT_ERROR;
            }
            if (!deleted) {
                status = notHeld(q, id, data, io);
                continue;
            }
            io.out().println(id.value() + " deleted");
        }
        return status;
    }

    /**
     * Where {@code --learn-ham}/{@code --learn-spam} learn: a model file, or a cluster's shared model through its Redis
     * (with the nodes' base model, read once when first needed).
     */
    private static final class LearnTarget {
        final Path file;
        final String cluster;
        final String redisModel;
        final String base;
        /** The cluster session, opened at the first message and closed with the command. */
        ClusterLearning session;
        /** The nodes' base model, read at the first message (for the session and the warnings), then kept. */
        private org.mailhygiene.scanners.bayes.BayesModel baseModel;

        private LearnTarget(Path file, String cluster, String redisModel, String base) {
            this.file = file;
            this.cluster = cluster;
            this.redisModel = redisModel;
            this.base = base;
        }

        /**
         * A URL (scheme://...) is a cluster's shared state, anything else a model file; {@code null} for none. The
         * cluster's options go with a URL only.
         */
        static LearnTarget of(String value, String redisModel, String base) throws UsageException {
            boolean url = value != null && value.matches("[A-Za-z][A-Za-z0-9+.-]*://.*");
            if (!url && (redisModel != null || base != null)) {
                throw new UsageException((redisModel != null ? "--redis-model" : "--base")
                        + " goes with --learn-ham URL or --learn-spam URL (a cluster's Redis)");
            }
            if (value == null) {
                return null;
            }
            if (url) {
                return new LearnTarget(
                        null,
                        value,
                        redisModel == null ? SharedModelSync.DEFAULT_MODEL_NAME : redisModel,
                        base == null ? BayesModels.DEFAULT : base);
            }
            try {
                return new LearnTarget(Path.of(value), null, null, null);
            } catch (java.nio.file.InvalidPathException e) {
                throw new UsageException("not a model file path: " + value);
            }
        }

        /** The nodes' base model ({@code --base}), read once. */
        org.mailhygiene.scanners.bayes.BayesModel baseModel() throws IOException {
            if (baseModel == null) {
                baseModel = BayesModels.load(base);
            }
            return baseModel;
        }

        @Override
        public String toString() {
            return file != null ? file.toString() : withoutPassword(cluster) + " model '" + redisModel + "'";
        }
    }

    /**
     * Says, as {@code hygiene learn} does, when a rule and not the score decides the held message's verdict, so that
     * learning it changes none (an audit, session 31: the tool said only that it learned): a bounce or an automatic
     * reply is never classified, judged with the envelope it came with; one the node held as backscatter (its bounce
     * names none of the node's domains) stays held however it is learned.
     */
    private static void warnRuleDecides(
            QuarantinedMessage held, byte[] bytes, LearnTarget target, BayesModels.Correction done, boolean spam, Io io)
            throws IOException {
        boolean backscatter = held.reason().contains("Backscatter")
                || held.details().stream().anyMatch(d -> d.contains("Backscatter"));
        if (backscatter) {
            io.err()
                    .println("hygiene quarantine: " + held.id().value() + " is held as backscatter (a bounce naming"
                            + " none of the node's domains: bayes.local-domains) whatever the score, so learning it as "
                            + (spam ? "spam" : "ham") + " changes no verdict of it (learned all the same)");
            return;
        }
        Message message = new Message(held.envelope(), MessageContent.ofBytes(bytes));
        if (target.file != null) {
            LearnCommand.warnRuleDecides(
                    "hygiene quarantine",
                    done.model(),
                    true,
                    spam,
                    List.of(message),
                    List.of(held.id().value()),
                    io);
        } else {
            // judged with the base model alone, which lacks what the cluster learned: only the rules no model decides
            LearnCommand.warnRuleDecides(
                    "hygiene quarantine",
                    target.baseModel(),
                    false,
                    spam,
                    List.of(message),
                    List.of(held.id().value()),
                    io);
        }
    }

    /** Thrown out of a release or delete when its message could not be learned (said already): it stays held. */
    private static final class NotLearned extends IOException {
        private static final long serialVersionUID = 1L;

        NotLearned() {
            super("not learned");
        }
    }

    /**
     * Learns a held message into a model file or a cluster's shared model (nothing without a target), called under
     * the quarantine's lock by the release or delete that follows; throws {@link NotLearned} (with a message said)
     * when it cannot be learned, so that it stays held.
     */
    private static void learn(QuarantinedMessage held, LearnTarget target, boolean spam, Io io) throws IOException {
        if (target == null) {
            return;
        }
        QueueId id = held.id();
        byte[] bytes;
        try (InputStream in = held.content().openStream()) {
            bytes = in.readAllBytes();
        }
        List<MessageContent> message = List.of(MessageContent.ofBytes(bytes));
        // read as the node classified it: without the relay's own trace field on top of the held copy, and with the
        // envelope's sender as its Return-Path (the held copy has none)
        Tokenizer tokenizer = Tokenizer.create().receivedAs(held.envelope());
        try {
            BayesModels.Correction done;
            String now;
            if (target.file != null) {
                if (BayesModels.lockedElsewhere(target.file)) {
                    io.err().println("hygiene quarantine: " + BayesModels.waitingFor(target.file));
                }
                done = BayesModels.correctInto(target.file, spam, message, tokenizer);
                now = "now " + done.model().spamMessages() + " spam, "
                        + done.model().hamMessages() + " ham";
            } else {
                if (target.session == null) {
                    // one session for the command: every message judged with the same, current model
                    target.session = ClusterLearning.open(target.cluster, target.redisModel, target.baseModel());
                }
                done = target.session.learn(false, spam, message, List.of(id.value()), tokenizer);
                now = "for every node using it, judged by the base model " + target.base
                        + " plus what the cluster learned";
            }
            io.out()
                    .printf(
                            "%s learned as %s into %s, %d time(s) (until scored %s%s; %s)%n",
                            id.value(),
                            spam ? "spam" : "ham",
                            target,
                            done.learned(),
                            LearnCommand.goal(spam),
                            LearnCommand.journalSays(done, spam),
                            now);
            if (done.unreached() > 0) {
                io.err()
                        .println("hygiene quarantine: " + id.value() + " still scores " + LearnCommand.wrongSide(spam)
                                + ": the model's other evidence outweighs it (learned all the same)");
            }
            warnRuleDecides(held, bytes, target, done, spam, io);
        } catch (IOException e) {
            io.err()
                    .println("hygiene quarantine: " + id.value() + " not learned into " + target + ", still held: "
                            + IoErrors.describe(e));
            throw new NotLearned();
        } catch (SharedStateException | IllegalArgumentException e) {
            io.err()
                    .println("hygiene quarantine: " + id.value() + " not learned into " + target + ", still held: "
                            + e.getMessage());
            throw new NotLearned();
        }
    }

    /** A URL as printed: without its passwords ({@link Urls#withoutPasswords}), as out of the nodes' logs. */
    static String withoutPassword(String url) {
        return Urls.withoutPasswords(url);
    }

    /**
     * Says that a message is not held: released already (by whom and when, as {@code show} says: the second of two
     * operators releasing one message at once, or a release given twice), or never held or deleted.
     */
    private static int notHeld(Quarantine q, QueueId id, Path data, Io io) throws IOException {
        Optional<Quarantine.Release> r = q.releaseRecord(id);
        if (r.isPresent()) {
            io.err()
                    .printf(
                            "hygiene quarantine: %s is no longer held: it was released by %s at %s (queued as %s)%n",
                            id.value(),
                            r.get().releasedBy(),
                            r.get().releasedAt(),
                            r.get().queuedAs().value());
            return EXIT_ERROR;
        }
        io.err().println("hygiene quarantine: no message " + id.value() + " is held in " + data.resolve("quarantine"));
        return EXIT_ERROR;
    }

    /**
     * The message's header section (up to the first empty line, at most 64 KiB), CRLF turned into LF, and its Subject.
     * Each line is decoded from its bytes as {@link TextDecoding#decode(byte[], String)} sniffs them, so raw Shift_JIS,
     * EUC-JP and ISO-2022-JP (whose escape sequences would otherwise reach the terminal) read as text; encoded words stay
     * as they are in the header and are decoded in the Subject.
     */
    private static HeaderText header(QuarantinedMessage m) throws IOException {
        StringBuilder sb = new StringBuilder();
        StringBuilder subject = null;
        boolean inSubject = false;
        try (InputStream in = new java.io.BufferedInputStream(m.content().openStream())) {
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            int read = 0;
            for (int c; (c = in.read()) != -1 && read < HEADER_LIMIT; read++) {
                if (c != '\n') {
                    line.write(c);
                    continue;
                }
                byte[] b = line.toByteArray();
                line.reset();
                int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                if (len == 0) {
                    break;
                }
                byte[] bytes = java.util.Arrays.copyOf(b, len);
                sb.append(TextDecoding.decode(bytes, null)).append('\n');
                String raw = new String(bytes, StandardCharsets.ISO_8859_1);
                boolean folded = raw.charAt(0) == ' ' || raw.charAt(0) == '\t';
                if (folded && inSubject) {
                    subject.append(raw);
                } else if (!folded) {
                    inSubject = subject == null && raw.regionMatches(true, 0, "Subject:", 0, 8);
                    if (inSubject) {
                        subject = new StringBuilder(raw.substring(8));
                    }
                }
            }
        }
        Optional<String> decoded = subject == null
                ? Optional.empty()
                : Optional.of(TextDecoding.decodeHeader(subject.toString().strip()));
        return new HeaderText(sb.toString(), decoded);
    }

    /** A header section as {@link #header} decodes it, and its Subject fully decoded (none without a Subject). */
    private record HeaderText(String text, Optional<String> subject) {}

    private static String json(QuarantinedMessage m, HeaderText header) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"id\":").append(Json.string(m.id().value()));
        sb.append(",\"quarantined\":").append(Json.string(m.quarantinedAt().toString()));
        sb.append(",\"size\":").append(m.size());
        sb.append(",\"action\":").append(Json.string(m.action()));
        sb.append(",\"reason\":").append(Json.string(m.reason()));
        sb.append(",\"client\":")
                .append(Json.stringOrNull(m.envelope()
                        .clientAddress()
                        .map(org.mailhygiene.internal.HostPorts::address)
                        .orElse(null)));
        sb.append(",\"from\":").append(Json.string(m.envelope().sender()));
        sb.append(",\"to\":").append(Json.strings(m.envelope().recipients()));
        sb.append(",\"verdicts\":").append(Json.strings(m.details()));
        if (header != null) {
            sb.append(",\"subject\":").append(Json.stringOrNull(header.subject().orElse(null)));
            sb.append(",\"header\":").append(Json.string(header.text()));
        }
        return sb.append('}').toString();
    }
}
