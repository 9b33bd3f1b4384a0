package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;
import org.mailhygiene.smtp.queue.Spool;

/**
 * {@code hygiene queue list|flush --data DIR}: the delivery queue of a node, running or not. {@code list} reads the
 * spool files without taking the spool's lock (a running node keeps it); {@code flush} leaves a request the node takes
 * within a second (or at its next start) and retries every deferred recipient at once.
 */
public final class QueueCommand implements Command {

    /** Creates the command. */
    public QueueCommand() {}

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public String summary() {
        return "list a node's delivery queue, or ask it to retry deferred messages now";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene queue list --data DIR [--json]
                       hygiene queue flush --data DIR

                The delivery queue of the node whose data directory is DIR (the node config's 'data').
                  list    queued messages, oldest first: id, queued at, size, sender, and per recipient its
                          state (pending, delivered, failed, bounced), attempts, next attempt and last reply
                  flush   ask the node to retry every deferred recipient now (a running node does so within a
                          second, a stopped one at its next start)

                options:
                  --data DIR   the node's data directory (required)
                  --json       one JSON object per message (list)
                  -h, --help   show this help

                exit status: 0 done, 2 wrong directory or other error
                """;
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        if (args.isEmpty()) {
            throw new UsageException("queue needs a subcommand: list or flush");
        }
        String sub = args.get(0);
        if (sub.equals("-h") || sub.equals("--help")) {
            io.out().print(usage());
            return EXIT_OK;
        }
        if (!sub.equals("list") && !sub.equals("flush")) {
            throw new UsageException("unknown subcommand '" + sub + "' (list or flush)");
        }
        Path data = null;
        boolean json = false;
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
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if (data == null) {
            throw new UsageException("--data DIR is required");
        }
        String problem = DataDirectory.problem(data);
        if (problem != null) {
            io.err().println("hygiene queue: " + problem);
            return EXIT_ERROR;
        }
        Path spool = data.resolve("spool");
        try {
            if (sub.equals("flush")) {
                Spool.requestFlush(spool);
                io.out()
                        .println("flush requested: the node retries every deferred message within a second"
                                + " (a stopped node at its next start)");
                return EXIT_OK;
            }
            for (QueuedMessage m : Spool.inspect(spool)) {
                io.out().println(json ? json(m) : text(m));
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
            io.err().println("hygiene queue: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    private static String text(QueuedMessage m) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.id().value())
                .append("  ")
                .append(m.queuedAt())
                .append("  ")
                .append(m.size())
                .append("  <")
                .append(m.envelope().sender())
                .append('>');
        for (RecipientState r : m.recipients()) {
            sb.append("\n    ")
                    .append(r.address())
                    .append("  ")
                    .append(r.status().name().toLowerCase(Locale.ROOT))
                    .append("  attempts=")
                    .append(r.attempts());
            r.nextAttempt().ifPresent(t -> sb.append("  next=").append(t));
            r.lastReply().ifPresent(t -> sb.append("  last=").append(t));
            r.remoteMta().ifPresent(t -> sb.append(" (").append(t).append(')'));
        }
        return sb.toString();
    }

    private static String json(QueuedMessage m) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"id\":").append(Json.string(m.id().value()));
        sb.append(",\"queued\":").append(Json.string(m.queuedAt().toString()));
        sb.append(",\"size\":").append(m.size());
        sb.append(",\"from\":").append(Json.string(m.envelope().sender()));
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
