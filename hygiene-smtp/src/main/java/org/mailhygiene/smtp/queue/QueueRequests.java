package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An administrator's requests to a running node's queue ({@code hygiene queue delete}, {@code bounce}, {@code hold}
 * and {@code release}), handed over through files in the spool directory, as {@link Spool#requestFlush(Path) flush}
 * is, but answered: the node takes a request within a second and writes what it did for each message, and the command waits
 * for that answer before it tells the administrator anything.
 *
 * <h2>Layout</h2>
 * {@code DIR/requests/NAME.req} (written under a temporary name and renamed, so the node never reads half a request),
 * renamed by the node to {@code NAME.taken} when it takes it (so a command that stops waiting can {@link #withdraw}
 * a request the node has not taken, and knows when it has), and answered in {@code NAME.done}, which the command
 * reads and deletes (an answer nobody read, and a temporary file a crash left, is deleted a day later by the node). A request's text: the line
 * {@code hygiene-queue-request 1}, the action ({@code delete}, {@code bounce}, {@code hold} or {@code release}), then
 * {@code all} or one queue id a line (an id named twice is carried out once). An answer: one line per message,
 * {@code ID RESULT} ({@code deleted}, {@code returned}, {@code returned_without_notice}, {@code held},
 * {@code released}, {@code not_held}, {@code absent}) or {@code ID error TEXT}.
 *
 * <p>Also the change of a message's states that returns it to its sender ({@link #returnToSender}), which the delivery
 * agent applies on a running node and {@code hygiene queue bounce} on a stopped one. Stateless; thread-safe.
 */
public final class QueueRequests {
    private static final String MAGIC = "hygiene-queue-request 1";
    private static final String REQUEST = ".req";
    private static final String TAKEN = ".taken";
    private static final String DONE = ".done";
    private static final String WAITING = ".waiting";
    /** How long an answer nobody read is kept. */
    private static final Duration ANSWER_RETENTION = Duration.ofDays(1);

    /**
     * How a recipient returned to its sender by the administrator is reported ({@code Diagnostic-Code} and the text
     * of the bounce, {@code hygiene queue list}); the last error the recipient had, if any, follows.
     */
    public static final String RETURNED = "554 5.0.0 returned to the sender by the mail administrator";

    private QueueRequests() {}

    /** What a request asks for. */
    public enum Action {
        /** Remove the messages without a notice to anyone (Postfix's {@code postsuper -d}). */
        DELETE,
        /**
         * Return the messages to their senders now: every recipient not yet delivered is reported in one bounce
         * (Exim's {@code -Mg}); a message from the null sender is deleted instead.
         */
        BOUNCE,
        /**
         * Keep the messages queued but out of delivery (Postfix's {@code postsuper -h}): see {@link
         * QueuedMessage#heldSince()}.
         */
        HOLD,
        /**
         * Put messages on hold back into delivery (Postfix's {@code postsuper -H}): their pending recipients are due
         * at once.
         */
        RELEASE,
        /**
         * Retry the messages' deferred recipients now, whatever their retry time (Postfix's {@code postqueue -i ID}):
         * a message being delivered is retried when that attempt ends; a message on hold stays on hold. In the node's
         * memory, as {@code hygiene queue flush} of the whole queue: after a restart the schedule in the spool applies.
         */
        FLUSH;

        /**
         * The action's name in a request and on the command line.
         *
         * @return {@code delete}, {@code bounce}, {@code hold}, {@code release} or {@code flush}
         */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * Whether the action takes the message out of the queue.
         *
         * @return {@code true} for {@link #DELETE} and {@link #BOUNCE}
         */
        public boolean removes() {
            return this == DELETE || this == BOUNCE;
        }
    }

    /**
     * One request as the node reads it.
     *
     * @param name the request's name (for its answer)
     * @param action what it asks
     * @param all whether it names every queued message (then {@code ids} is empty)
     * @param ids the messages it names
     * @param problem why it cannot be carried out (a file that is not a request), empty when it can
     */
    public record Request(String name, Action action, boolean all, List<QueueId> ids, Optional<String> problem) {
        /** Checks the fields and copies {@code ids}. */
        public Request {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(action, "action");
            ids = List.copyOf(ids);
            Objects.requireNonNull(problem, "problem");
        }
    }

    /**
     * The requests directory of a spool.
     *
     * @param spoolDirectory the spool's directory
     * @return {@code spoolDirectory/requests}
     */
    public static Path directory(Path spoolDirectory) {
        return spoolDirectory.resolve("requests");
    }

    /**
     * Leaves a request for the node (the command's side).
     *
     * @param spoolDirectory the spool's directory
     * @param action what to do
     * @param ids the messages; empty for every queued message
     * @return the request's name, for {@link #awaitAnswer} and {@link #withdraw}
     * @throws IOException if the request cannot be written
     */
    public static String submit(Path spoolDirectory, Action action, List<QueueId> ids) throws IOException {
        Path dir = directory(spoolDirectory);
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        sb.append(action.word()).append('\n');
        if (ids.isEmpty()) {
            sb.append("all\n");
        }
        for (QueueId id : ids) {
            sb.append(id.value()).append('\n');
        }
        // named after a fresh queue id: unique, and in the order of the requests
        String name = QueueId.generate(java.time.Clock.systemUTC()).value();
        Path tmp = dir.resolve(name + ".tmp");
        try {
            DurableFiles.writeForced(tmp, sb.toString().getBytes(StandardCharsets.US_ASCII));
            DurableFiles.moveAtomicNoReplace(tmp, dir.resolve(name + REQUEST));
            return name;
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(tmp, e);
            throw e;
        }
    }

    /**
     * Takes the requests waiting for the node (the node's side): renames each to {@code NAME.taken} and reads it.
     * With {@code leftOver}, also the requests an earlier run took and did not answer (it stopped meanwhile): they
     * are carried out again, which is harmless (a message deleted before is {@code absent}). Deletes answers older
     * than a day that no command read.
     *
     * @param spoolDirectory the spool's directory
     * @param leftOver whether to take requests taken before and not answered (at the node's start)
     * @param now the time, for the old answers
     * @return the requests, in name order; empty when there is no requests directory
     * @throws IOException if the directory cannot be read
     */
    public static List<Request> take(Path spoolDirectory, boolean leftOver, Instant now) throws IOException {
        Path dir = directory(spoolDirectory);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(files::add);
        }
        files.sort(null);
        List<Request> out = new ArrayList<>();
        for (Path f : files) {
            String file = f.getFileName().toString();
            if (file.endsWith(DONE) || file.endsWith(".tmp") || file.endsWith(WAITING)) {
                try {
                    if (Files.getLastModifiedTime(f)
                            .toInstant()
                            .plus(ANSWER_RETENTION)
                            .isBefore(now)) {
                        Files.deleteIfExists(f);
                    }
                } catch (NoSuchFileException e) {
                    // read by its command meanwhile
                }
                continue;
            }
            boolean request = file.endsWith(REQUEST);
            if (!request && !(leftOver && file.endsWith(TAKEN))) {
                continue;
            }
            String name = file.substring(0, file.lastIndexOf('.'));
            Path taken = dir.resolve(name + TAKEN);
            if (request) {
                try {
                    DurableFiles.moveAtomic(f, taken);
                } catch (NoSuchFileException e) {
                    continue; // withdrawn by its command
                }
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(taken, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // one unreadable file (not ASCII, a directory) must not keep the requests after it from being taken
                out.add(new Request(name, Action.DELETE, false, List.of(), Optional.of("cannot be read: " + e)));
                continue;
            }
            out.add(parse(name, lines));
        }
        return out;
    }

    private static Request parse(String name, List<String> lines) {
        if (lines.size() < 3 || !lines.get(0).equals(MAGIC)) {
            return new Request(name, Action.DELETE, false, List.of(), Optional.of("not a queue request"));
        }
        Action action = null;
        for (Action a : Action.values()) {
            if (a.word().equals(lines.get(1))) {
                action = a;
            }
        }
        if (action == null) {
            return new Request(
                    name, Action.DELETE, false, List.of(), Optional.of("unknown action '" + lines.get(1) + "'"));
        }
        if (lines.size() == 3 && lines.get(2).equals("all")) {
            return new Request(name, action, true, List.of(), Optional.empty());
        }
        java.util.Set<QueueId> ids = new java.util.LinkedHashSet<>(); // linear, and in the order given
        for (int i = 2; i < lines.size(); i++) {
            if (!QueueId.isValid(lines.get(i))) {
                return new Request(
                        name, action, false, List.of(), Optional.of("line " + (i + 1) + " is not a queue id"));
            }
            // named twice (a request written by another tool): carried out and answered once; the second removal was
            // answered 'absent', and the command said 'not in the queue' of a message it had deleted
            ids.add(new QueueId(lines.get(i)));
        }
        return new Request(name, action, false, new ArrayList<>(ids), Optional.empty());
    }

    /**
     * Answers a taken request (the node's side): writes {@code NAME.done}, then removes {@code NAME.taken}.
     *
     * @param spoolDirectory the spool's directory
     * @param name the request's name
     * @param lines the answer, one line per message
     * @throws IOException if the answer cannot be written
     */
    public static void answer(Path spoolDirectory, String name, List<String> lines) throws IOException {
        Path dir = directory(spoolDirectory);
        Path tmp = dir.resolve(name + DONE + ".tmp");
        Files.deleteIfExists(tmp); // left by a crash while this request was answered before
        try {
            // no line, no newline: a lone "\n" reads back as one empty line, which the command reported as a message
            // with an empty id ("hygiene queue: : delete failed: null" for 'delete --all' of an empty queue)
            String text = lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
            DurableFiles.writeForced(tmp, text.getBytes(StandardCharsets.UTF_8));
            DurableFiles.moveAtomic(tmp, dir.resolve(name + DONE));
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(tmp, e);
            throw e;
        }
        Files.deleteIfExists(dir.resolve(name + TAKEN));
        Files.deleteIfExists(dir.resolve(name + WAITING));
    }

    /**
     * Tells the command which messages of a taken request wait for the end of their delivery in progress (the node's
     * side): {@code NAME.waiting}, one id a line, written under a temporary name and renamed, not forced (it only
     * informs; {@link #answer} removes it, and one a crash left is deleted a day later).
     *
     * @param spoolDirectory the spool's directory
     * @param name the request's name
     * @param ids the messages being delivered
     * @throws IOException if the file cannot be written
     */
    public static void waiting(Path spoolDirectory, String name, List<QueueId> ids) throws IOException {
        Path dir = directory(spoolDirectory);
        Path tmp = dir.resolve(name + WAITING + ".tmp");
        StringBuilder sb = new StringBuilder();
        for (QueueId id : ids) {
            sb.append(id.value()).append('\n');
        }
        try {
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.US_ASCII));
            DurableFiles.moveAtomic(tmp, dir.resolve(name + WAITING));
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(tmp, e);
            throw e;
        }
    }

    /**
     * The messages of a request the node said it waits for ({@link #waiting}; the command's side).
     *
     * @param spoolDirectory the spool's directory
     * @param name the request's name
     * @return the ids, empty when the node said nothing (yet) or has answered
     * @throws IOException if the file exists but cannot be read
     */
    public static List<QueueId> waitingFor(Path spoolDirectory, String name) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(directory(spoolDirectory).resolve(name + WAITING), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<QueueId> out = new ArrayList<>();
        for (String l : lines) {
            if (QueueId.isValid(l)) {
                out.add(new QueueId(l));
            }
        }
        return out;
    }

    /**
     * Waits for the node's answer to a request (the command's side), polling every 100 ms, and deletes it once read.
     *
     * @param spoolDirectory the spool's directory
     * @param name the request's name
     * @param wait how long to wait at most
     * @return the answer's lines (never an empty one), empty if none came in time
     * @throws IOException if the answer cannot be read
     * @throws InterruptedException if interrupted while waiting
     */
    public static Optional<List<String>> awaitAnswer(Path spoolDirectory, String name, Duration wait)
            throws IOException, InterruptedException {
        Path done = directory(spoolDirectory).resolve(name + DONE);
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                List<String> lines = new java.util.ArrayList<>(Files.readAllLines(done, StandardCharsets.UTF_8));
                Files.deleteIfExists(done);
                // no answer line is empty: a node of the version before session 53 wrote one newline for no line
                lines.removeIf(String::isEmpty);
                return Optional.of(lines);
            } catch (NoSuchFileException e) {
                if (System.nanoTime() - end >= 0) {
                    return Optional.empty();
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * Withdraws a request the node has not taken (the command's side, when it stops waiting).
     *
     * @param spoolDirectory the spool's directory
     * @param name the request's name
     * @return {@code true} if it was withdrawn; {@code false} if the node had taken it (it carries it out)
     * @throws IOException if the request cannot be removed
     */
    public static boolean withdraw(Path spoolDirectory, String name) throws IOException {
        return Files.deleteIfExists(directory(spoolDirectory).resolve(name + REQUEST));
    }

    /**
     * Whether returning a message to its sender sends a bounce: its sender is not the null sender and at least one of
     * its FAILED recipients (those {@link #returnToSender} returned) has a {@code NOTIFY} that asks for failure notices
     * (RFC 3461: none given, or one with {@code FAILURE}). When none does ({@code NOTIFY=NEVER}), the message leaves
     * the queue and no one is told, as for any failure of such recipients.
     *
     * @param returned the message as {@link #returnToSender} left it
     * @return {@code true} if the delivery agent sends a bounce for it
     */
    public static boolean bounceWanted(QueuedMessage returned) {
        if (returned.envelope().hasNullSender()) {
            return false;
        }
        for (int i = 0; i < returned.recipients().size(); i++) {
            if (returned.recipients().get(i).status() == RecipientState.Status.FAILED
                    && returned.dsn(i).wantsFailure()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A message returned to its sender by the administrator: each recipient not yet delivered (PENDING) becomes
     * FAILED with {@link #RETURNED} and its last error, without counting an attempt and without a remote MTA (the
     * text is the relay's, not a next hop's); recipients already final are kept. A message on hold is released (the
     * administrator asked for its bounce now). The delivery agent bounces the
     * FAILED recipients before it delivers anything of the message (at once on a running node, at a stopped node's
     * start).
     *
     * @param m the message
     * @return the message with the new states ({@code m} itself when no recipient was pending and it was not held)
     */
    public static QueuedMessage returnToSender(QueuedMessage m) {
        QueuedMessage out = m.held() ? m.withHeldSince(Optional.empty()) : m;
        for (RecipientState r : m.recipients(RecipientState.Status.PENDING)) {
            String last = r.lastReply()
                    .map(t -> "; last error: "
                            + r.remoteMta().map(h -> h + " said: ").orElse("") + t)
                    .orElse("");
            out = out.withRecipient(
                    r.address(),
                    s -> s.status() == RecipientState.Status.PENDING
                            ? s.failed(RETURNED + last, false, Optional.empty())
                            : s);
        }
        return out;
    }
}
