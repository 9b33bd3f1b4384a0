package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.smtp.queue.DamagedSpoolFile;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.QueueRequests;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;
import org.mailhygiene.smtp.queue.Spool;

/**
 * {@code hygiene queue list|flush|delete|bounce|hold|release --data DIR}: the delivery queue of a node, running or not.
 * {@code list} reads the spool files without taking the spool's lock (a running node keeps it); {@code flush} leaves a
 * request the node takes within a second (or at its next start) and retries every deferred recipient at once (not
 * those on hold). {@code delete}, {@code bounce}, {@code hold} and {@code release} change a stopped node's spool
 * themselves (they take its lock) and ask a running node through
 * {@link QueueRequests}, waiting for its answer: a message is said deleted only once it is, and the node no longer
 * delivers it.
 */
public final class QueueCommand implements Command {
    /** Exit status when a running node took the request but had not finished it when the wait ended. */
    static final int EXIT_IN_PROGRESS = 3;

    private static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

    /** Creates the command. */
    public QueueCommand() {}

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public String summary() {
        return "list a node's delivery queue, retry deferred messages now, delete, return to sender, hold or release"
                + " messages";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene queue list --data DIR [--json] [--verify]
                       hygiene queue flush --data DIR [--json] [--wait DURATION] [ID...]
                       hygiene queue delete --data DIR [--json] [--wait DURATION] ID... | --all
                       hygiene queue bounce --data DIR [--json] [--wait DURATION] ID... | --all
                       hygiene queue hold --data DIR [--json] [--wait DURATION] ID... | --all
                       hygiene queue release --data DIR [--json] [--wait DURATION] ID... | --all

                The delivery queue of the node whose data directory is DIR (the node config's 'data').
                  list    queued messages, oldest first: id, queued at, size, sender, and per recipient its
                          state (pending, delivered, failed, bounced), attempts, next attempt and last reply;
                          'on hold since TIME' after the sender of a message on hold; printed as each is
                          read; a damaged spool file in its place, as 'ID  damaged: REASON'; control
                          characters and bidirectional overrides in an address or a reply print as ?. Reads
                          each file's envelope and states, not the message: with --verify it reads every
                          message too and lists one whose checksum does not match as damaged (the node's
                          recovery at its next start sets such a file aside)
                  flush   ask the node to retry every deferred recipient now (a running node does so within a
                          second, a stopped one at its next start); messages on hold stay on hold. With IDs
                          (Postfix's postqueue -i), only those messages, and the command waits for the node's
                          answer as delete does; a message being delivered is retried when that attempt ends
                  delete  remove messages from the queue, with no notice to anyone (Postfix's postsuper -d), or a
                          damaged spool file 'list' shows
                  bounce  return messages to their senders now: one bounce per message reports every recipient not
                          yet delivered as '554 5.0.0 returned to the sender by the mail administrator' with its
                          last error, then the message leaves the queue (a message from the null sender, itself a
                          bounce, is deleted instead)
                  hold    keep messages queued but out of delivery (Postfix's postsuper -h): no attempt, no bounce,
                          no delay notice, not even at a flush, until they are released; kept across restarts and
                          crashes. Held time counts against the node's queue-lifetime (it counts from when the
                          message was queued), but a message does not expire while held: as in Postfix, a message
                          held longer than queue-lifetime is returned to its sender at its first failed attempt
                          after the release
                  release put messages on hold back into delivery (Postfix's postsuper -H): their pending
                          recipients are tried at the next pass (--all: every message on hold)
                delete, bounce, hold and release work on a running node and on a stopped one. A running node
                does it within a second and the command waits for its answer; a message it is delivering at that moment is removed
                (or held, released) when that attempt ends (recipients it delivered stay delivered) and no new
                attempt starts; the attempt is not cut short (as with Postfix and Exim), so the wait lasts as long
                as the next hop takes to answer, at most the node's step timeouts. On a stopped node the command
                changes the spool itself; a bounce is then sent at the node's next start, before it delivers
                anything.

                options:
                  --data DIR        the node's data directory (required)
                  --all             every queued message (delete, bounce, hold; release: every held one), instead
                                    of IDs
                  --wait DURATION   how long delete, bounce, hold, release and flush ID... wait for a running
                                    node's answer (default 30s)
                  --json            one JSON object per message (list, delete, bounce, hold, release, flush ID...)
                  --verify          list: read every queued message and verify its checksum (as much reading as
                                    the queue's size: 2 GB for 2,000 messages of 1 MB)
                  -h, --help        show this help

                exit status: 0 done; 2 wrong directory, an ID not in the queue, or other error; 3 a running node
                took the request but had not finished when --wait ended (a message being delivered: it is removed,
                held or released when the attempt ends)
                """;
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        if (args.isEmpty()) {
            throw new UsageException("queue needs a subcommand: list, flush, delete, bounce, hold or release");
        }
        String sub = args.get(0);
        if (sub.equals("-h") || sub.equals("--help")) {
            io.out().print(usage());
            return EXIT_OK;
        }
        if (!List.of("list", "flush", "delete", "bounce", "hold", "release").contains(sub)) {
            throw new UsageException("unknown subcommand '" + sub + "' (list, flush, delete, bounce, hold or release)");
        }
        // every subcommand that names messages (delete, bounce, hold, release)
        boolean removal = !sub.equals("list") && !sub.equals("flush");
        Path data = null;
        boolean json = false;
        boolean all = false;
        boolean verify = false;
        Duration wait = DEFAULT_WAIT;
        List<String> ids = new ArrayList<>();
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
                case "--json" -> json = true;
                case "--all" -> all = true;
                case "--verify" -> verify = true;
                case "--wait" -> {
                    if (++i >= args.size()) {
                        throw new UsageException("--wait needs a value");
                    }
                    wait = MilterCommand.duration(args.get(i), "--wait");
                }
                default -> {
                    if ((!removal && !sub.equals("flush")) || a.startsWith("-")) {
                        throw new UsageException("unknown argument '" + a + "'");
                    }
                    ids.add(a);
                }
            }
        }
        if (data == null) {
            throw new UsageException("--data DIR is required");
        }
        // flush ID... retries those messages now (Postfix's postqueue -i), through the node as a delete is
        boolean named = removal || (sub.equals("flush") && !ids.isEmpty());
        if (sub.equals("flush") && all) {
            throw new UsageException("--all is for delete, bounce, hold and release ('hygiene queue flush' without IDs"
                    + " retries every deferred message)");
        }
        if (!named && (all || wait != DEFAULT_WAIT)) {
            throw new UsageException(
                    all
                            ? "--all is for delete, bounce, hold and release"
                            : "--wait is for delete, bounce, hold, release and flush ID...");
        }
        if (sub.equals("flush") && json && !named) {
            throw new UsageException("--json is for list, delete, bounce, hold, release and flush ID...");
        }
        if (verify && !sub.equals("list")) {
            throw new UsageException("--verify is for list");
        }
        if (removal && all == !ids.isEmpty()) {
            throw new UsageException(sub + " needs message IDs or --all" + (all ? ", not both" : ""));
        }
        String problem = DataDirectory.problem(data);
        if (problem == null && named) {
            problem = DataDirectory.writeProblem(data);
        }
        if (problem != null) {
            io.err().println("hygiene queue: " + problem);
            return EXIT_ERROR;
        }
        java.util.Set<QueueId> parsed = new java.util.LinkedHashSet<>(); // linear in the number of ids
        for (String id : ids) {
            if (!QueueId.isValid(id)) {
                // a spool file's name or path (ID.q, DATA/spool/queue/ID.q.corrupt): name the id in it, but change
                // nothing, since the path may be another node's
                String file = id.substring(id.lastIndexOf('/') + 1);
                int dot = file.indexOf(".q");
                String stem = dot > 0 ? file.substring(0, dot) : "";
                io.err()
                        .println("hygiene queue: '" + id + "' is not a message id (20 letters and digits, as"
                                + " 'hygiene queue list' shows them)"
                                + (QueueId.isValid(stem) ? "; the id in that file name is " + stem : ""));
                return EXIT_ERROR;
            }
            // named twice: removed once, and said once (the second removal read 'not in the queue', exit 2)
            parsed.add(new QueueId(id));
        }
        Path spool = data.resolve("spool");
        try {
            if (named) {
                QueueRequests.Action action = QueueRequests.Action.valueOf(sub.toUpperCase(Locale.ROOT));
                return remove(spool, action, new ArrayList<>(parsed), wait, json, io);
            }
            if (sub.equals("flush")) {
                Spool.requestFlush(spool);
                io.out()
                        .println("flush requested: the node retries every deferred message within a second"
                                + " (a stopped node at its next start)");
                return EXIT_OK;
            }
            // printed as read, one message in memory at a time: until session 50 every message was read and held
            // first (a queue of 10,000 printed nothing for 4 s and took 170 MB; 100,000: 6 s, 1.1 GB); the messages
            // themselves are read only with --verify (until session 53 always: 2,000 of 1 MB were 2 GB to read)
            boolean json1 = json;
            long[] listed = new long[1];
            Spool.inspect(
                    spool,
                    verify,
                    m -> {
                        listed[0]++;
                        io.out().println(json1 ? json(m) : text(m));
                    },
                    d -> {
                        listed[0]++;
                        io.out().println(json1 ? json(d) : text(d));
                    });
            if (listed[0] == 0 && !json) {
                // as Postfix's "Mail queue is empty": the right directory was read (and standard output stays empty)
                io.err().println("hygiene queue: the queue is empty (" + spool + ")");
            }
            // Files recovery moved aside are not delivered and not listed above: say so where an administrator looks.
            List<Path> aside = Spool.setAside(spool);
            if (!aside.isEmpty()) {
                io.err()
                        .println("hygiene queue: " + aside.size() + " damaged spool file(s) kept aside, not delivered"
                                + " (inspect them, then delete them): "
                                + String.join(
                                        ", ", aside.stream().map(Path::toString).toList()));
            }
            return EXIT_OK;
        } catch (IOException e) {
            io.err().println("hygiene queue: " + IoErrors.describe(e));
            return EXIT_ERROR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            io.err().println("hygiene queue: interrupted while waiting for the node's answer");
            return EXIT_ERROR;
        }
    }

    /**
     * Deletes, bounces, holds or releases: through the node when it runs (its spool's lock is taken), else in the
     * spool directly, with the lock held so that the node cannot start meanwhile.
     */
    private static int remove(
            Path spoolDir, QueueRequests.Action action, List<QueueId> ids, Duration wait, boolean json, Io io)
            throws IOException, InterruptedException {
        Spool spool;
        try {
            spool = Spool.builder(spoolDir).spareFiles(0).build();
        } catch (Spool.InUseException running) {
            return ask(spoolDir, action, ids, wait, json, io);
        }
        try (spool) {
            // a damaged file handed over and not picked up yet, which 'queue list' shows as damaged: deleted as it says
            // before the pick-up below sets it aside (until session 50 the delete then said 'not in the queue')
            java.util.Map<QueueId, String> handedOver = new java.util.HashMap<>();
            if (action == QueueRequests.Action.DELETE) {
                for (QueueId id : ids) {
                    spool.discardUnreadableHandedOver(id)
                            .ifPresent(e -> handedOver.put(id, "deleted_damaged " + IoErrors.describe(e)));
                }
            }
            spool.pickUpIncoming(); // released from quarantine while the node was stopped: in the queue from now on
            List<QueueId> targets = ids;
            boolean all = ids.isEmpty();
            boolean delete = action == QueueRequests.Action.DELETE;
            if (all) {
                // the ids only, not every message held (a queue of 100,000 held 1.1 GB), nor read: until session 55
                // every message was read here and again below (20,000 of 20 KB: 131 s); delete --all also takes the
                // damaged files 'queue list' shows, which it left without a word
                List<QueueId> every = new ArrayList<>();
                Spool.inspect(
                        spoolDir,
                        false,
                        m -> {
                            if (action != QueueRequests.Action.RELEASE || m.held()) { // release --all: the held
                                every.add(m.id());
                            }
                        },
                        d -> {
                            if (delete) {
                                every.add(d.id());
                            }
                        });
                targets = every;
            }
            List<String> answers = new ArrayList<>();
            int unforced = 0; // answers from here on name deletions not yet forced to disk
            for (QueueId id : targets) {
                String result = handedOver.get(id);
                try {
                    result = result != null ? result : removeStopped(spool, id, action, all);
                } catch (IOException e) {
                    result = "error " + IoErrors.describe(e);
                }
                answers.add(id.value() + " " + result); // one failing does not keep the others from being tried
                if (all && delete && answers.size() - unforced >= FORCE_BATCH) {
                    forceDeletions(spool, answers, unforced);
                    unforced = answers.size();
                }
            }
            if (all && delete) {
                forceDeletions(spool, answers, unforced);
            }
            return report(asideNamed(spoolDir, answers), action, false, json, io);
        }
    }

    /**
     * Adds to each {@code ID absent} answer the file recovery set aside under that id ({@code ID.q.corrupt}, {@code
     * ID.q.incomplete}), if there is one, so that the administrator learns where the message went.
     */
    private static List<String> asideNamed(Path spoolDir, List<String> answers) throws IOException {
        List<Path> aside = null;
        List<String> out = new ArrayList<>();
        for (String a : answers) {
            if (a.endsWith(" absent")) {
                if (aside == null) {
                    aside = Spool.setAside(spoolDir);
                }
                String prefix = a.substring(0, a.indexOf(' ')) + ".q.";
                Optional<Path> file = aside.stream()
                        .filter(f -> f.getFileName().toString().startsWith(prefix))
                        .findFirst();
                if (file.isPresent()) {
                    a = a + " " + file.get();
                }
            }
            out.add(a);
        }
        return out;
    }

    /**
     * How many messages {@code delete --all} on a stopped node removes before it forces the directory once: a force
     * per message (about 2 ms each here) was most of the 131 s a queue of 20,000 took.
     */
    private static final int FORCE_BATCH = 1000;

    /**
     * Forces the deletions answered from {@code from} on to disk; if that fails, each of them is answered as an
     * error instead (the file is gone now, but may come back after a crash), so that nothing is said to be deleted
     * that is not.
     */
    private static void forceDeletions(Spool spool, List<String> answers, int from) {
        try {
            spool.forceQueueDirectory();
        } catch (IOException e) {
            for (int i = from; i < answers.size(); i++) {
                String a = answers.get(i);
                if (a.endsWith(" deleted")) {
                    answers.set(
                            i,
                            a.substring(0, a.indexOf(' ')) + " error " + IoErrors.describe(e)
                                    + " (the file was removed, but its removal may not survive a crash)");
                }
            }
        }
    }

    /**
     * Carries out one action on a stopped node's spool. For {@code --all} ({@code every}), the message itself is not
     * read to verify its checksum unless it is bounced (its bounce returns it), and a deletion is not forced to disk:
     * the caller forces the directory once per batch.
     */
    private static String removeStopped(Spool spool, QueueId id, QueueRequests.Action action, boolean every)
            throws IOException {
        boolean bounce = action == QueueRequests.Action.BOUNCE;
        Optional<QueuedMessage> m;
        try {
            m = spool.get(id, !every || bounce);
        } catch (IOException e) {
            // a file 'queue list' shows as damaged: until session 50 a delete failed on it and it stayed
            if (action == QueueRequests.Action.DELETE && spool.discardUnreadable(id)) {
                return "deleted_damaged " + IoErrors.describe(e);
            }
            throw e;
        }
        if (m.isEmpty()) {
            // A file that ends before its commit mark: until session 49 this said 'not in the queue' and left it
            if (action == QueueRequests.Action.DELETE && spool.discardUncommitted(id)) {
                return "deleted_incomplete";
            }
            return spool.isUncommitted(id) ? "incomplete" : "absent";
        }
        if (action == QueueRequests.Action.HOLD || action == QueueRequests.Action.RELEASE) {
            boolean hold = action == QueueRequests.Action.HOLD;
            if (m.get().held() == hold) {
                return hold ? "held" : "not_held";
            }
            // forced to the spool as the node's own records: a hold survives a crash; a released message's pending
            // recipients are due at the node's next start
            spool.update(
                    hold
                            ? m.get().withHeldSince(Optional.of(java.time.Instant.now()))
                            : m.get().withHeldSince(Optional.empty()).withPendingDueNow());
            return hold ? "held" : "released";
        }
        if (action == QueueRequests.Action.FLUSH) {
            if (m.get().held()) {
                return "held";
            }
            // forced to the spool: its pending recipients are due at the node's next start
            spool.update(m.get().withPendingDueNow());
            return "flushed";
        }
        if (action == QueueRequests.Action.DELETE && every) {
            return spool.discardUnforced(id) ? "deleted" : "absent";
        }
        if (action == QueueRequests.Action.DELETE || m.get().envelope().hasNullSender()) {
            return spool.discard(id) ? "deleted" : "absent";
        }
        // FAILED and recorded: the node bounces them at its start, before it delivers anything of the message
        QueuedMessage returned = spool.update(QueueRequests.returnToSender(m.get()));
        return QueueRequests.bounceWanted(returned) ? "returned" : "returned_without_notice";
    }

    private static int ask(
            Path spoolDir, QueueRequests.Action action, List<QueueId> ids, Duration wait, boolean json, Io io)
            throws IOException, InterruptedException {
        String name;
        try {
            name = QueueRequests.submit(spoolDir, action, ids);
        } catch (IOException e) {
            // until session 50 a full disk gave 'hygiene queue: No space left on device' alone: not what failed, nor
            // that nothing was done, nor the way out when the disk is full (a delete is what frees space)
            String why = IoErrors.describe(IoErrors.naming(QueueRequests.directory(spoolDir), e));
            boolean full = why.contains("No space left on device") || why.contains("Disk quota exceeded");
            io.err()
                    .println("hygiene queue: cannot leave the " + action.word() + " request for the running node: "
                            + why + "; nothing was done"
                            + (full
                                    ? " (with the file system full, stop the node and run 'hygiene queue delete'"
                                            + " again: on a stopped node it removes the files itself and needs no"
                                            + " space; or free space first)"
                                    : ""));
            return EXIT_ERROR;
        }
        // the node answers within a second unless a message is being delivered: then say which, and what for
        Duration first = wait.compareTo(Duration.ofSeconds(2)) < 0 ? wait : Duration.ofSeconds(2);
        Optional<List<String>> answer = QueueRequests.awaitAnswer(spoolDir, name, first);
        List<QueueId> busy = List.of();
        if (answer.isEmpty()) {
            busy = QueueRequests.waitingFor(spoolDir, name);
            if (!busy.isEmpty()) {
                io.err()
                        .println("hygiene queue: waiting for the node: " + busy.size() + " message(s) being delivered"
                                + " now ("
                                + String.join(
                                        ", ", busy.stream().map(QueueId::value).toList())
                                + "); the " + action.word() + " is carried out when that attempt ends, which is not"
                                + " cut short: when the next hop answers, or at the latest when the node's"
                                + " delivery timeout for the step it waits in passes (--wait " + Durations.format(wait)
                                + ")");
            }
            answer = QueueRequests.awaitAnswer(spoolDir, name, wait.minus(first));
        }
        if (answer.isPresent()) {
            List<String> lines = answer.get();
            long gone = 0;
            if (ids.isEmpty()) {
                // --all names what was queued when the node took the request: one delivered or bounced before the
                // node came to it left the queue, as asked, and is no error (until session 50 a 'delete --all' while
                // the node delivered a backlog printed 'not in the queue' for each of 1,466 messages and exited 2)
                lines = lines.stream().filter(l -> !l.endsWith(" absent")).toList();
                gone = answer.get().size() - lines.size();
                if (gone > 0) {
                    io.err()
                            .println("hygiene queue: " + gone + " message(s) left the queue (delivered, bounced or"
                                    + " removed) before the node came to them");
                }
            }
            if (lines.isEmpty() && gone > 0) {
                return EXIT_OK;
            }
            return report(asideNamed(spoolDir, lines), action, true, json, io);
        }
        String verb = action.word();
        if (QueueRequests.withdraw(spoolDir, name)) {
            io.err()
                    .println("hygiene queue: the node did not take the " + verb + " request within "
                            + Durations.format(wait) + "; nothing was done (its spool is locked: is the node hung, or"
                            + " is another hygiene queue command at work on it?)");
            return EXIT_ERROR;
        }
        String which = busy.isEmpty()
                ? "a message it is delivering at this moment is"
                : String.join(", ", busy.stream().map(QueueId::value).toList()) + (busy.size() == 1 ? " is" : " are");
        io.err()
                .println("hygiene queue: the node took the " + verb + " request and had not finished within "
                        + Durations.format(wait) + ": " + which + " "
                        + (action.removes()
                                ? "removed"
                                : action == QueueRequests.Action.HOLD
                                        ? "held"
                                        : action == QueueRequests.Action.FLUSH ? "retried" : "released")
                        + " when the attempt in progress ends, and no new attempt starts (see hygiene queue list)");
        return EXIT_IN_PROGRESS;
    }

    /**
     * Prints the answer lines ({@code ID RESULT [TEXT]}) and returns the exit status.
     *
     * @param running whether a running node gave the answers (else the command changed a stopped node's spool)
     */
    static int report(List<String> answers, QueueRequests.Action action, boolean running, boolean json, Io io) {
        int status = EXIT_OK;
        if (answers.isEmpty() && !json) {
            io.out()
                    .println(
                            action == QueueRequests.Action.RELEASE
                                    ? "no message is on hold: nothing to release"
                                    : "the queue holds no message: nothing to " + action.word());
        }
        for (String line : answers) {
            String[] f = line.split(" ", 3);
            String id = f[0];
            String result = f.length > 1 ? f[1] : "error";
            String detail = f.length > 2 ? f[2] : null;
            String text;
            switch (result) {
                case "deleted" ->
                    // a running node also answers a bounce with 'deleted' when a delete request for the message came
                    // first (both waited for its delivery in progress; the first decides): until session 48 that
                    // read 'it is from the null sender', which the message was not
                    text = action == QueueRequests.Action.DELETE
                            ? "deleted"
                            : running
                                    ? "deleted without a bounce (it is from the null sender, a bounce itself, or a"
                                            + " delete request for it came first)"
                                    : "deleted without a bounce (it is from the null sender: a bounce itself)";
                case "returned" ->
                    text = running
                            ? "returned to its sender (the bounce is queued)"
                            : "returned to its sender: the node sends the bounce at its next start, before it delivers"
                                    + " anything";
                case "returned_without_notice" ->
                    // until session 49 this read 'returned to its sender (the bounce is queued)': no bounce was sent
                    text = "returned without a bounce: no recipient it had left asked for failure notices"
                            + " (NOTIFY=NEVER), so no one is told; "
                            + (running ? "it left the queue" : "it leaves the queue at the node's next start");
                case "held" ->
                    text = (action == QueueRequests.Action.FLUSH ? "on hold, not flushed: " : "on hold: ")
                            + "no delivery until 'hygiene queue release'";
                case "flushed" ->
                    text = running
                            ? "flushed: its deferred recipients are retried now"
                            : "flushed: its deferred recipients are tried when the node starts";
                case "released" ->
                    text = running
                            ? "released: delivered at the next pass"
                            : "released: delivered when the node starts";
                case "not_held" -> text = "not on hold: nothing changed";
                case "absent" -> {
                    status = EXIT_ERROR;
                    text = null;
                    detail = detail != null
                            ? "not in the queue: its spool file was damaged and is kept aside, not delivered, as "
                                    + detail + " (inspect it, then delete that file)"
                            : "not in the queue (delivered, bounced or removed before; 'hygiene queue list' shows"
                                    + " what is queued)";
                }
                case "deleted_damaged" ->
                    text = "deleted: its spool file "
                            + (detail == null ? "was damaged" : "could not be read (" + detail + ")")
                            + ", so it was no message the node would deliver";
                case "deleted_incomplete" ->
                    text = "deleted: its spool file ended before its commit mark (a receipt a crash cut short, never"
                            + " acknowledged with 250, or a damaged file), so it was no message the node would deliver";
                case "incomplete" -> {
                    status = EXIT_ERROR;
                    text = null;
                    detail = "cannot " + action.word() + " it: its spool file ends before its commit mark (a receipt"
                            + " a crash cut short, never acknowledged with 250, or a damaged file), so it is no"
                            + " message the node delivers; the node's next start sets it aside as " + id + ".q"
                            + ".incomplete, or 'hygiene queue delete " + id + "' removes it now";
                }
                default -> {
                    status = EXIT_ERROR;
                    text = null;
                    detail = action.word() + " failed: " + detail
                            + (action.removes()
                                    ? " (it stays queued unless 'hygiene queue list' no longer shows it)"
                                    : " (it stays as 'hygiene queue list' shows it)");
                }
            }
            if (json) {
                io.out()
                        .println("{\"id\":" + Json.string(id) + ",\"result\":"
                                + Json.string(
                                        List.of(
                                                                "deleted",
                                                                "deleted_damaged",
                                                                "deleted_incomplete",
                                                                "incomplete",
                                                                "returned",
                                                                "returned_without_notice",
                                                                "absent",
                                                                "held",
                                                                "released",
                                                                "not_held",
                                                                "flushed")
                                                        .contains(result)
                                                ? result
                                                : "error")
                                + ",\"detail\":" + Json.stringOrNull(text == null ? detail : text) + "}");
            } else if (text != null) {
                io.out().println(id + " " + text);
            } else {
                io.err().println("hygiene queue: " + (id.equals("-") ? "" : id + ": ") + detail);
            }
        }
        return status;
    }

    /**
     * A message as the text list prints it. The addresses, the last reply and the remote MTA come from clients and next
     * hops: a bidirectional override or isolate, which the relay takes in an SMTPUTF8 address, is printed as {@code ?}
     * ({@link FileReport#printable}), as is any control character; the JSON output keeps the exact text, escaped.
     */
    private static String text(QueuedMessage m) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.id().value())
                .append("  ")
                .append(m.queuedAt())
                .append("  ")
                .append(m.size())
                .append("  <")
                .append(FileReport.printable(m.envelope().sender()))
                .append('>');
        m.heldSince().ifPresent(t -> sb.append("  on hold since ").append(t));
        for (RecipientState r : m.recipients()) {
            sb.append("\n    ")
                    .append(FileReport.printable(r.address()))
                    .append("  ")
                    .append(r.status().name().toLowerCase(Locale.ROOT))
                    .append("  attempts=")
                    .append(r.attempts());
            r.nextAttempt().ifPresent(t -> sb.append("  next=").append(t));
            r.lastReply().ifPresent(t -> sb.append("  last=").append(FileReport.printable(t)));
            r.remoteMta()
                    .ifPresent(
                            t -> sb.append(" (").append(FileReport.printable(t)).append(')'));
        }
        return sb.toString();
    }

    /** A spool file the node's recovery has not set aside yet that holds no message: in its place in the list. */
    private static String text(DamagedSpoolFile d) {
        return d.id().value() + "  damaged: " + FileReport.printable(d.reason()) + "; not delivered (" + d.file() + ", "
                + d.size() + " bytes; 'hygiene queue delete " + d.id().value() + "' removes it)";
    }

    private static String json(DamagedSpoolFile d) {
        return "{\"id\":" + Json.string(d.id().value()) + ",\"damaged\":" + Json.string(d.reason()) + ",\"file\":"
                + Json.string(d.file().toString()) + ",\"size\":" + d.size() + "}";
    }

    private static String json(QueuedMessage m) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"id\":").append(Json.string(m.id().value()));
        sb.append(",\"queued\":").append(Json.string(m.queuedAt().toString()));
        sb.append(",\"size\":").append(m.size());
        sb.append(",\"from\":").append(Json.string(m.envelope().sender()));
        sb.append(",\"held\":")
                .append(Json.stringOrNull(m.heldSince().map(Object::toString).orElse(null)));
        List<String> rcpts = new ArrayList<>();
        for (RecipientState r : m.recipients()) {
            rcpts.add("{\"address\":" + Json.string(r.address())
                    + ",\"status\":" + Json.string(r.status().name().toLowerCase(Locale.ROOT))
                    + ",\"attempts\":" + r.attempts()
                    + ",\"next\":"
                    + Json.stringOrNull(r.nextAttempt().map(Object::toString).orElse(null))
                    + ",\"last\":" + Json.stringOrNull(r.lastReply().orElse(null))
                    + ",\"remote\":" + Json.stringOrNull(r.remoteMta().orElse(null)) + "}");
        }
        sb.append(",\"recipients\":[").append(String.join(",", rcpts)).append(']');
        return sb.append('}').toString();
    }
}
