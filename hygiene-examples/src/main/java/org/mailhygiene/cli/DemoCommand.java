package org.mailhygiene.cli;

import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.scanners.builtin.EmbeddedScanners;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.HopFailedException;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.delivery.TransactionResult;
import org.mailhygiene.smtp.queue.QuarantinedMessage;
import org.mailhygiene.smtp.stats.Counter;
import org.mailhygiene.smtp.stats.DailyCounts;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * {@code hygiene demo}: starts the paper's topology in this JVM ({@link DemoTopology}: edge-1, edge-2, the gateway,
 * two internal mail servers and a sink standing for the Internet, each on its own loopback address), sends sample
 * traffic over real SMTP from 127.0.0.1 (the Internet) and from the internal servers' addresses, stops edge-1 to show
 * failover, waits until every accepted message is delivered or quarantined, and prints what happened to each message
 * and every node's statistics.
 *
 * <p>Exit status 0 when every expectation held, 1 when one failed (the table says which), 2 on a usage or start-up
 * error. With {@code --keep-running} the nodes keep running after the traffic (or right away with
 * {@code --no-traffic}) until the process is stopped.
 */
public final class DemoCommand implements Command {
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private static final int STORM = 50;
    private static final String EMBEDDED = "embedded (EICAR/GTUBE signatures, attachment policy)";
    private static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";

    /** Creates the command. */
    public DemoCommand() {}

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "run edge-1, edge-2, gateway and two internal servers on 127.0.0.x and send sample mail";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene demo [--keep-running] [--no-traffic] [--data DIR] [--clamd ADDR] [--spamd HOST:PORT]

                Starts the three-server topology in one JVM, each node on its own loopback address:
                edge-1 127.0.0.11, edge-2 127.0.0.12, gateway 127.0.0.13, internal-1 127.0.0.21
                (dept-a.example), internal-2 127.0.0.22 (dept-b.example), and a sink at 127.0.0.30
                standing for the Internet (MX delivery cannot work offline). Prints 'NAME smtp://HOST:PORT'
                per node, sends a clean, an EICAR, a GTUBE, a Japanese, a Japanese spam and an empty-Subject
                message and a storm of %d EICAR copies from 127.0.0.1, outbound mail from the internal
                servers, stops edge-1 to show failover, then prints what happened and the statistics.

                options:
                  --keep-running      keep the nodes running afterwards (stop with Ctrl-C / SIGTERM)
                  --no-traffic        start the nodes and send nothing
                  --data DIR          keep each node's spool, quarantine and statistics under DIR/NODE
                                      (default: a new temporary directory); then: hygiene report --data DIR
                  --clamd ADDR        the gateway scans with clamd at ADDR (host:port or a socket path)
                                      instead of the embedded scanners
                  --spamd HOST:PORT   the edges score spam with spamd (threshold 6.8) instead of the
                                      embedded scanners
                  -h, --help          show this help
                """.formatted(STORM);
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException, InterruptedException {
        boolean keepRunning = false;
        boolean traffic = true;
        Path data = null;
        String clamd = null;
        String spamd = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                case "--keep-running" -> keepRunning = true;
                case "--no-traffic" -> traffic = false;
                case "--data" -> data = path(value(args, ++i, a));
                case "--clamd" -> clamd = value(args, ++i, a);
                case "--spamd" -> spamd = value(args, ++i, a);
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        Supplier<List<Scanner>> edgeScanners = edgeScanners(spamd);
        Supplier<List<Scanner>> gatewayScanners = gatewayScanners(clamd);
        try {
            if (data == null) {
                data = Files.createTempDirectory("hygiene-demo-");
            }
            Files.createDirectories(data);
        } catch (IOException e) {
            io.err().println("hygiene demo: cannot create the data directory: " + e);
            return EXIT_ERROR;
        }
        Path log = data.resolve("demo.log");
        if (System.getProperty(LOG_FILE) == null) {
            // slf4j-simple reads this when the first logger is made: the per-message lines go to a file, not the
            // terminal. (When logging was already set up, as in tests, they go where it was set up to go.)
            System.setProperty(LOG_FILE, log.toString());
        }
        DemoTopology topology;
        try {
            topology = DemoTopology.start(data, edgeScanners, gatewayScanners);
        } catch (IOException | RuntimeException e) {
            io.err().println("hygiene demo: cannot start the nodes: " + e);
            return EXIT_ERROR;
        }
        try {
            for (String line : topology.endpoints()) {
                io.out().println(line);
            }
            io.out().println("data: " + data + " (log: " + System.getProperty(LOG_FILE) + ")");
            io.out()
                    .println("scanners: edges " + (spamd == null ? EMBEDDED : "spamd " + spamd) + "; gateway "
                            + (clamd == null ? EMBEDDED : "clamd " + clamd));
            io.out()
                    .println("The edges deliver outbound mail to "
                            + DemoTopology.url(topology.internet().address())
                            + ", a local sink standing for the Internet (no MX lookups offline).");
            io.out().flush();
            int status = EXIT_OK;
            if (traffic) {
                status = new Traffic(topology, io).run() ? EXIT_OK : EXIT_FOUND;
                printStatistics(topology, io);
                io.out().println();
                io.out()
                        .println(
                                "Statistics are kept under " + data + "; see them with: hygiene report --data " + data);
            }
            if (keepRunning) {
                io.out()
                        .println("Running; send mail with e.g. swaks --server "
                                + org.mailhygiene.internal.HostPorts.address(
                                        topology.node("edge-2").address().getAddress())
                                + " --port "
                                + topology.node("edge-2").address().getPort() + " --to user@" + DemoTopology.DEPT_A
                                + ". Stop with Ctrl-C.");
                io.out().flush();
                CountDownLatch stopped = new CountDownLatch(1);
                DemoTopology t = topology;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    t.close();
                    stopped.countDown();
                }));
                stopped.await();
            }
            return status;
        } finally {
            topology.close();
        }
    }

    private static List<Scanner> embedded() {
        try {
            return EmbeddedScanners.create(Optional.empty());
        } catch (IOException e) {
            throw new UncheckedIOException("no model file is read, so this cannot happen", e);
        }
    }

    private static Supplier<List<Scanner>> edgeScanners(String spamd) throws UsageException {
        if (spamd == null) {
            return DemoCommand::embedded;
        }
        try {
            SpamdScannerOption.group(List.of(spamd));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
        return () -> List.of(org.mailhygiene.scanners.spamd.SpamdScanner.builder()
                .server(spamd)
                .threshold(6.8)
                .build());
    }

    private static Supplier<List<Scanner>> gatewayScanners(String clamd) throws UsageException {
        if (clamd == null) {
            return DemoCommand::embedded;
        }
        try {
            ClamdScanner.builder().address(clamd);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--clamd: " + e.getMessage());
        }
        return () -> List.of(ClamdScanner.builder().address(clamd).build());
    }

    private static void printStatistics(DemoTopology topology, Io io) {
        io.out().println();
        io.out().println("Statistics (today, per node):");
        Counter[] shown = {
            Counter.RECEIVED,
            Counter.SENT,
            Counter.REJECTED,
            Counter.QUARANTINED,
            Counter.TAGGED,
            Counter.SPAM,
            Counter.INFECTED,
            Counter.TEMPFAILED,
            Counter.BOUNCED,
            Counter.CACHE_HITS
        };
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-8s", "node"));
        for (Counter c : shown) {
            head.append(String.format(Locale.ROOT, " %11s", c.key()));
        }
        io.out().println(head.toString().stripTrailing());
        for (Node n : topology.nodes()) {
            DailyCounts d = n.statistics().today();
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-8s", n.name()));
            for (Counter c : shown) {
                row.append(String.format(Locale.ROOT, " %11d", d.get(c)));
            }
            io.out().println(row);
            if (!d.viruses().isEmpty()) {
                io.out().println("           viruses: " + d.viruses());
            }
        }
    }

    private static String value(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static Path path(String s) throws UsageException {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UsageException("invalid path '" + s + "'");
        }
    }

    /** One message sent by the demo: where it went in, what was answered, and what must become of it. */
    private static final class Case {
        final String label;
        final String id;
        final String path;
        final String expected;
        final Predicate<Case> check;
        String reply = "";
        boolean accepted;
        final List<SinkMessage> delivered = new ArrayList<>();
        final List<String> deliveredTo = new ArrayList<>();
        final List<String> quarantinedAt = new ArrayList<>();

        Case(String label, String id, String path, String expected, Predicate<Case> check) {
            this.label = label;
            this.id = id;
            this.path = path;
            this.expected = expected;
            this.check = check;
        }

        boolean settled() {
            return !accepted || !deliveredTo.isEmpty() || !quarantinedAt.isEmpty();
        }

        String outcome() {
            List<String> parts = new ArrayList<>();
            if (!accepted) {
                parts.add("refused: " + reply);
            }
            for (int i = 0; i < deliveredTo.size(); i++) {
                parts.add("delivered to " + deliveredTo.get(i) + " by "
                        + delivered.get(i).helo() + subjectOf(delivered.get(i)));
            }
            for (String q : quarantinedAt) {
                parts.add("quarantined at " + q);
            }
            if (parts.isEmpty()) {
                parts.add("accepted (" + reply + "), not yet delivered");
            }
            return String.join("; ", parts);
        }
    }

    static String subject(SinkMessage m) {
        String text = new String(m.data(), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        for (String line : head.split("\r\n(?![ \t])")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                String raw = line.substring(8).replace("\r\n", "").strip();
                try {
                    return MimeUtility.decodeText(raw);
                } catch (IOException e) {
                    return raw;
                }
            }
        }
        return null;
    }

    private static String subjectOf(SinkMessage m) {
        String s = subject(m);
        return s == null ? " (no Subject)" : " (Subject: \"" + s + "\")";
    }

    /** The traffic, the wait and the table. */
    private static final class Traffic {
        private final DemoTopology t;
        private final Io io;
        private final List<Case> cases = new ArrayList<>();
        private int storm;
        private int stormRefused;
        private int stormAccepted;
        private int stormQuarantined;

        Traffic(DemoTopology t, Io io) {
            this.t = t;
            this.io = io;
        }

        boolean run() throws InterruptedException {
            InetAddress internet = DemoTopology.ip("127.0.0.1");
            InetAddress internal1 = DemoTopology.ip("127.0.0.21");
            InetAddress internal2 = DemoTopology.ip("127.0.0.22");
            Node edge1 = t.node("edge-1");
            Node edge2 = t.node("edge-2");
            Node gateway = t.node("gateway");
            String a = "alice@" + DemoTopology.DEPT_A;
            String b = "bob@" + DemoTopology.DEPT_B;
            String far = "friend@example.org";

            send(
                    new Case(
                            "clean",
                            "clean",
                            "Internet > edge-1",
                            "arrives at internal-1, Subject unchanged",
                            c -> deliveredOnlyTo(c, "internal-1")
                                    && "Clean sample message".equals(subject(c.delivered.get(0)))),
                    internet,
                    edge1,
                    "carol@example.net",
                    a,
                    SampleMessages.clean());
            send(
                    new Case(
                            "EICAR",
                            "eicar",
                            "Internet > edge-1",
                            "refused at DATA or quarantined, never delivered",
                            c -> c.delivered.isEmpty()
                                    && (!c.accepted && c.reply.startsWith("5") || !c.quarantinedAt.isEmpty())),
                    internet,
                    edge1,
                    "forged@example.net",
                    b,
                    SampleMessages.eicarAttachment());
            send(
                    new Case(
                            "GTUBE",
                            "gtube",
                            "Internet > edge-1",
                            "arrives at internal-1 tagged [SPAM]",
                            c -> deliveredOnlyTo(c, "internal-1")
                                    && subject(c.delivered.get(0)).startsWith("[SPAM] ")),
                    internet,
                    edge1,
                    "spammer@example.net",
                    a,
                    SampleMessages.gtube());
            send(
                    new Case(
                            "Japanese",
                            "japanese",
                            "Internet > edge-1",
                            "arrives at internal-2 untagged, Subject 会議のお知らせ",
                            c -> deliveredOnlyTo(c, "internal-2") && "会議のお知らせ".equals(subject(c.delivered.get(0)))),
                    internet,
                    edge1,
                    "yamada@example.jp",
                    b,
                    SampleMessages.japaneseIso2022jp());
            send(
                    new Case(
                            "Japanese spam",
                            "japanese-spam",
                            "Internet > edge-1",
                            "arrives at internal-2, Subject decodes to [SPAM] 会議のお知らせ",
                            c -> deliveredOnlyTo(c, "internal-2")
                                    && "[SPAM] 会議のお知らせ".equals(subject(c.delivered.get(0)))),
                    internet,
                    edge1,
                    "spammer@example.jp",
                    b,
                    japaneseSpam());
            send(
                    new Case(
                            "empty Subject",
                            "empty-subject",
                            "Internet > edge-1",
                            "arrives at internal-1",
                            c -> deliveredOnlyTo(c, "internal-1") && "".equals(subject(c.delivered.get(0)))),
                    internet,
                    edge1,
                    "dave@example.net",
                    a,
                    SampleMessages.emptySubject());
            storm(internet, edge1, b);
            send(
                    new Case(
                            "outbound EICAR",
                            "out-eicar",
                            "internal-1 > gateway",
                            "quarantined at the gateway (no bounce to a possibly forged sender)",
                            c -> c.accepted && c.delivered.isEmpty() && c.quarantinedAt.contains("gateway")),
                    internal1,
                    gateway,
                    a,
                    far,
                    SampleMessages.eicarAttachment());
            send(
                    new Case(
                            "outbound",
                            "out-1",
                            "internal-1 > gateway",
                            "reaches the Internet through an edge",
                            c -> deliveredOnlyTo(c, "Internet")),
                    internal1,
                    gateway,
                    a,
                    far,
                    SampleMessages.clean());
            send(
                    new Case(
                            "Internet > gateway",
                            "direct",
                            "Internet > gateway",
                            "refused: only edges and internal servers may connect",
                            c -> !c.accepted && c.delivered.isEmpty()),
                    internet,
                    gateway,
                    "carol@example.net",
                    a,
                    SampleMessages.clean());
            send(
                    new Case(
                            "open relay",
                            "relay",
                            "Internet > edge-1",
                            "refused: 554 relay access denied",
                            c -> !c.accepted && c.reply.startsWith("554") && c.delivered.isEmpty()),
                    internet,
                    edge1,
                    "spammer@example.net",
                    far,
                    SampleMessages.clean());
            awaitSettled();

            io.out().println();
            io.out().println("Stopping edge-1 to show failover...");
            io.out().flush();
            edge1.close();
            send(
                    new Case(
                            "outbound, edge-1 down",
                            "out-2",
                            "internal-2 > gateway",
                            "reaches the Internet through edge-2",
                            c -> deliveredOnlyTo(c, "Internet")
                                    && "edge-2".equals(c.delivered.get(0).helo())),
                    internal2,
                    gateway,
                    b,
                    far,
                    SampleMessages.clean());
            send(
                    new Case(
                            "inbound, edge-1 down",
                            "in-2",
                            "Internet > edge-2",
                            "arrives at internal-2 through edge-2",
                            c -> deliveredOnlyTo(c, "internal-2")
                                    && c.delivered.get(0).text().contains("from edge-2")),
                    internet,
                    edge2,
                    "carol@example.net",
                    b,
                    SampleMessages.clean());
            awaitSettled();
            return printTable();
        }

        private static boolean deliveredOnlyTo(Case c, String where) {
            return c.accepted && c.deliveredTo.equals(List.of(where)) && c.quarantinedAt.isEmpty();
        }

        private static byte[] japaneseSpam() {
            String jp = new String(SampleMessages.japaneseIso2022jp(), StandardCharsets.ISO_8859_1);
            String text =
                    jp.replace("Message-ID: <", "Message-ID: <spam-") + "\r\n" + SampleMessages.gtubeString() + "\r\n";
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }

        private void send(Case c, InetAddress from, Node to, String sender, String rcpt, byte[] message) {
            cases.add(c);
            String r = transact(from, to.address(), sender, rcpt, withId(c.id, message));
            c.reply = r;
            c.accepted = r.startsWith("2");
        }

        private void storm(InetAddress from, Node to, String rcpt) {
            byte[] m = withId("storm", SampleMessages.eicarAttachment());
            for (int i = 0; i < STORM; i++) {
                String r = transact(from, to.address(), "worm@example.net", rcpt, m);
                storm++;
                if (r.startsWith("2")) {
                    stormAccepted++;
                } else {
                    stormRefused++;
                }
            }
        }

        private static byte[] withId(String id, byte[] message) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(("X-Demo-Id: " + id + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(message);
            return out.toByteArray();
        }

        private static String transact(
                InetAddress from, InetSocketAddress to, String sender, String rcpt, byte[] message) {
            SmtpClient client = SmtpClient.builder()
                    .heloName(from.getHostAddress().equals("127.0.0.1") ? "client.example.net" : "internal")
                    .localAddress(from)
                    .tls(TlsPolicy.disabled())
                    .connectionReuse(Duration.ofSeconds(1), 1) // one message per connection, as outside clients
                    .build();
            try {
                TransactionResult tr = client.deliver(
                        Endpoint.literal(new NextHop(to.getAddress().getHostAddress(), to.getPort())),
                        sender,
                        List.of(rcpt),
                        MessageContent.ofBytes(message),
                        Duration.ofSeconds(30));
                RecipientResult rr = tr.recipients().get(0);
                return rr.diagnostic();
            } catch (HopFailedException e) {
                return e.reply().map(Object::toString).orElse(e.getMessage());
            } catch (IOException e) {
                return "error: " + e.getMessage();
            }
        }

        private void collect() {
            for (Case c : cases) {
                c.delivered.clear();
                c.deliveredTo.clear();
                c.quarantinedAt.clear();
            }
            stormQuarantined = 0;
            collectSink("internal-1", t.internal("internal-1"));
            collectSink("internal-2", t.internal("internal-2"));
            collectSink("Internet", t.internet());
            for (Node n : t.nodes()) {
                try {
                    for (QuarantinedMessage q : n.quarantine().list()) {
                        String head = new String(Files.readAllBytes(q.file()), StandardCharsets.ISO_8859_1);
                        for (Case c : cases) {
                            if (head.contains("X-Demo-Id: " + c.id + "\r\n")) {
                                c.quarantinedAt.add(n.name());
                            }
                        }
                        if (head.contains("X-Demo-Id: storm\r\n")) {
                            stormQuarantined++;
                        }
                    }
                } catch (IOException e) {
                    io.err().println("cannot read the quarantine of " + n.name() + ": " + e);
                }
            }
        }

        private void collectSink(String name, SmtpSink sink) {
            for (SinkMessage m : sink.messages()) {
                String text = m.text();
                for (Case c : cases) {
                    if (text.contains("X-Demo-Id: " + c.id + "\r\n")) {
                        c.delivered.add(m);
                        c.deliveredTo.add(name);
                    }
                }
            }
        }

        private void awaitSettled() throws InterruptedException {
            long end = System.nanoTime() + SETTLE.toNanos();
            while (true) {
                collect();
                boolean settled = cases.stream().allMatch(Case::settled) && stormQuarantined >= stormAccepted;
                if (settled || System.nanoTime() > end) {
                    return;
                }
                Thread.sleep(100);
            }
        }

        private boolean printTable() {
            collect();
            io.out().println();
            io.out().println("What happened to each message:");
            boolean allOk = true;
            int n = 0;
            for (Case c : cases) {
                boolean ok = c.check.test(c);
                allOk &= ok;
                n++;
                io.out()
                        .printf(
                                Locale.ROOT,
                                "%2d %-4s %-22s %-21s %s%n",
                                n,
                                ok ? "ok" : "FAIL",
                                c.label,
                                c.path,
                                c.outcome());
                if (!ok) {
                    io.out().println("          expected: " + c.expected);
                }
            }
            boolean stormDelivered = t.internal("internal-2").messages().stream()
                    .anyMatch(m -> m.text().contains("X-Demo-Id: storm\r\n"));
            boolean stormOk = storm == STORM && stormQuarantined == stormAccepted && !stormDelivered;
            allOk &= stormOk;
            io.out()
                    .printf(
                            Locale.ROOT,
                            "%2d %-4s %-22s %-21s %d sent: %d refused at DATA, %d quarantined%n",
                            n + 1,
                            stormOk ? "ok" : "FAIL",
                            "virus storm",
                            "Internet > edge-1",
                            storm,
                            stormRefused,
                            stormQuarantined);
            boolean noBounce =
                    t.internet().messages().stream().noneMatch(m -> m.sender().isEmpty());
            allOk &= noBounce;
            io.out()
                    .printf(
                            Locale.ROOT,
                            "%2d %-4s %-22s %-21s %s%n",
                            n + 2,
                            noBounce ? "ok" : "FAIL",
                            "no bounces",
                            "",
                            noBounce ? "no bounce was sent to the (forged) senders" : "a bounce left for the Internet");
            io.out().println(allOk ? "All expectations held." : "Some expectations FAILED (see above).");
            return allOk;
        }
    }
}
