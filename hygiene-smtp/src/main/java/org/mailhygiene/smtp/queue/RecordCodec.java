package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.smtp.dsn.DsnRequest;

/**
 * The text form of a spool or quarantine record: UTF-8 lines of tab-separated fields, the first field naming the
 * line. Fields escape {@code %}, TAB and control characters as {@code %XX}; an optional field is empty when absent
 * and starts with {@code =} when present. The last line is {@code end}, so a truncated record is detected (the
 * spool also frames its records with checksums, see {@link SpoolFile}; the quarantine writes them to a temporary file
 * and renames it). In a spool record, since session 55, a {@code sum} line before {@code end} holds the CRC-32C of
 * every byte before that line, so that a record changed after it was written is told from a sound one by reading the
 * record alone: the spool's own checksum covers the message too, which {@code hygiene queue list} does not read. A
 * record without the line (an older version's) is read as before, and an older version skips the line, as any line it
 * does not know.
 */
final class RecordCodec {
    static final String MAGIC = "hygiene-spool\t1";
    /** The key of the checksum line, the last before {@code end}. */
    private static final String SUM = "sum";
    /** How many bytes the checksum line and the end line take together: {@code "sum\tXXXXXXXX\nend\n"}. */
    private static final int SUM_TAIL = SUM.length() + 1 + 8 + 1 + "end\n".length();

    private RecordCodec() {}

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' || c < 0x20 || c == 0x7f) {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static String unescape(String s) throws IOException {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IOException("truncated escape in record field");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IOException("bad escape in record field");
                }
                sb.append((char) (hi << 4 | lo));
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static String opt(Optional<String> v) {
        return v.map(s -> "=" + escape(s)).orElse("");
    }

    static Optional<String> parseOpt(String field) throws IOException {
        if (field.isEmpty()) {
            return Optional.empty();
        }
        if (field.charAt(0) != '=') {
            throw new IOException("optional field must start with '=': " + field);
        }
        return Optional.of(unescape(field.substring(1)));
    }

    /** Builds a record. */
    static final class Writer {
        private final StringBuilder sb = new StringBuilder(256).append(MAGIC).append('\n');

        Writer line(String key, String... fields) {
            sb.append(key);
            for (String f : fields) {
                sb.append('\t').append(f);
            }
            sb.append('\n');
            return this;
        }

        byte[] finish() {
            sb.append("end\n");
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** As {@link #finish()}, with the {@code sum} line before {@code end} (spool records). */
        byte[] finishWithSum() {
            byte[] lines = sb.toString().getBytes(StandardCharsets.UTF_8);
            CRC32C crc = new CRC32C();
            crc.update(lines);
            byte[] tail =
                    String.format("%s\t%08x\nend\n", SUM, (int) crc.getValue()).getBytes(StandardCharsets.US_ASCII);
            byte[] out = java.util.Arrays.copyOf(lines, lines.length + tail.length);
            System.arraycopy(tail, 0, out, lines.length, tail.length);
            return out;
        }
    }

    /** A parsed record: lines by key, in order. */
    static final class Parsed {
        final Map<String, List<String[]>> lines = new LinkedHashMap<>();
        final Path source;

        Parsed(Path source) {
            this.source = source;
        }

        List<String[]> all(String key) {
            return lines.getOrDefault(key, List.of());
        }

        Optional<String[]> first(String key) {
            List<String[]> l = all(key);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }

        String[] require(String key, int fields) throws IOException {
            String[] l = first(key).orElseThrow(() -> new IOException(source + ": missing '" + key + "' line"));
            if (l.length < fields) {
                throw new IOException(source + ": '" + key + "' line has " + l.length + " fields, wanted " + fields);
            }
            return l;
        }
    }

    /**
     * Checks a record's {@code sum} line, if it has one, against the bytes before it.
     *
     * @throws IOException naming {@code source} if the sum does not match (or is no sum)
     */
    static void checkSum(byte[] bytes, Path source) throws IOException {
        int at = bytes.length - SUM_TAIL;
        if (at < 1 || bytes[at - 1] != '\n') {
            return;
        }
        String tail = new String(bytes, at, SUM_TAIL, StandardCharsets.ISO_8859_1);
        if (!tail.startsWith(SUM + "\t") || !tail.endsWith("\nend\n")) {
            return; // an older version's record
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, at);
        String want = String.format("%08x", (int) crc.getValue());
        if (!tail.substring(SUM.length() + 1, SUM.length() + 9).equals(want)) {
            throw new IOException(source + ": envelope record damaged: its checksum does not match (the file was"
                    + " committed and has since been damaged)");
        }
    }

    static Parsed parse(byte[] bytes, Path source) throws IOException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] rows = text.split("\n", -1);
        if (rows.length < 3 || !rows[0].equals(MAGIC)) {
            throw new IOException(source + ": not a spool record");
        }
        if (!rows[rows.length - 1].isEmpty() || !rows[rows.length - 2].equals("end")) {
            throw new IOException(source + ": truncated spool record");
        }
        Parsed p = new Parsed(source);
        for (int i = 1; i < rows.length - 2; i++) {
            String[] f = rows[i].split("\t", -1);
            p.lines.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
        }
        return p;
    }

    static void writeEnvelope(Writer w, Envelope e) {
        w.line("received", e.receivedAt().toString());
        w.line("client", opt(e.clientAddress().map(InetAddress::getHostAddress)));
        w.line("helo", opt(e.heloName()));
        w.line("sender", escape(e.sender()));
        for (String r : e.recipients()) {
            w.line("to", escape(r));
        }
    }

    static Envelope readEnvelope(Parsed p) throws IOException {
        try {
            Instant received = Instant.parse(p.require("received", 2)[1]);
            Optional<String> client = parseOpt(p.require("client", 2)[1]);
            Optional<InetAddress> addr = Optional.empty();
            if (client.isPresent()) {
                String c = client.get();
                if (!c.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == '.' || ch == ':' || ch == '%')) {
                    throw new IOException(p.source + ": client is not an IP literal: " + c);
                }
                addr = Optional.of(InetAddress.getByName(c));
            }
            Optional<String> helo = parseOpt(p.require("helo", 2)[1]);
            String sender = unescape(p.require("sender", 2)[1]);
            List<String> to = new ArrayList<>();
            for (String[] l : p.all("to")) {
                to.add(unescape(l[1]));
            }
            return new Envelope(addr, helo, sender, to, received);
        } catch (RuntimeException e) {
            throw new IOException(p.source + ": malformed envelope: " + e.getMessage(), e);
        }
    }

    static byte[] encodeQueued(QueuedMessage m) {
        Writer w = new Writer();
        w.line("id", m.id().value());
        w.line("queued", m.queuedAt().toString());
        w.line("size", Long.toString(m.size()));
        writeEnvelope(w, m.envelope());
        for (RecipientState r : m.recipients()) {
            w.line(
                    "rcpt",
                    r.status().name(),
                    Integer.toString(r.attempts()),
                    opt(r.nextAttempt().map(Instant::toString)),
                    escape(r.address()),
                    opt(r.lastReply()));
        }
        // Lines of their own, not a seventh rcpt field: a version that does not know them reads the record still
        // (it skips lines it does not know), so a node can be rolled back with mail in its queue.
        for (int i = 0; i < m.recipients().size(); i++) {
            int index = i;
            m.recipients().get(i).remoteMta().ifPresent(r -> w.line("remote", Integer.toString(index), escape(r)));
            m.recipients()
                    .get(i)
                    .lastAttempt()
                    .ifPresent(t -> w.line("attempted", Integer.toString(index), t.toString()));
        }
        writeDsn(w, m.dsn());
        writeNotices(w, m.notices());
        // what the node's log line says of the scan, so that a delivery after a restart can still say it (a line of
        // its own, which a version before session 42 skips)
        m.scan().ifPresent(text -> w.line("scan", escape(text)));
        // on hold (hygiene queue hold): a line of its own, which a version before session 49 skips
        m.heldSince().ifPresent(t -> w.line("held", t.toString()));
        return w.finishWithSum();
    }

    static QueuedMessage decodeQueued(byte[] bytes, Path source, Path messageFile, long contentOffset)
            throws IOException {
        checkSum(bytes, source);
        Parsed p = parse(bytes, source);
        try {
            QueueId id = new QueueId(p.require("id", 2)[1]);
            Instant queued = Instant.parse(p.require("queued", 2)[1]);
            long size = Long.parseLong(p.require("size", 2)[1]);
            Envelope env = readEnvelope(p);
            List<String[]> rcpts = p.all("rcpt");
            Map<Integer, String> remotes = new LinkedHashMap<>();
            for (String[] l : p.all("remote")) {
                if (l.length != 3) {
                    throw new IOException(source + ": remote line with " + l.length + " fields");
                }
                int index = Integer.parseInt(l[1]);
                if (index < 0 || index >= rcpts.size()) {
                    throw new IOException(source + ": remote line for recipient " + index + " of " + rcpts.size());
                }
                remotes.put(index, unescape(l[2]));
            }
            Map<Integer, Instant> attempted = new LinkedHashMap<>();
            for (String[] l : p.all("attempted")) {
                if (l.length != 3) {
                    throw new IOException(source + ": attempted line with " + l.length + " fields");
                }
                attempted.put(recipientIndex(p, l[1], rcpts.size()), Instant.parse(l[2]));
            }
            List<RecipientState> states = new ArrayList<>();
            for (String[] l : rcpts) {
                if (l.length != 6) {
                    throw new IOException(source + ": rcpt line with " + l.length + " fields");
                }
                states.add(new RecipientState(
                        unescape(l[4]),
                        RecipientState.Status.valueOf(l[1]),
                        Integer.parseInt(l[2]),
                        parseOpt(l[3]).map(Instant::parse),
                        parseOpt(l[5]),
                        Optional.ofNullable(remotes.get(states.size())),
                        Optional.ofNullable(attempted.get(states.size()))));
            }
            return new QueuedMessage(
                    id,
                    env,
                    queued,
                    states,
                    size,
                    messageFile,
                    contentOffset,
                    readDsn(p, states.size()),
                    readNotices(p, states.size()),
                    readScan(p),
                    readHeld(p));
        } catch (RuntimeException e) {
            throw new IOException(source + ": malformed spool record: " + e.getMessage(), e);
        }
    }

    /** Reads the {@code held} line {@link #encodeQueued} writes; empty for a record without it. */
    static Optional<Instant> readHeld(Parsed p) throws IOException {
        Optional<String[]> l = p.first("held");
        if (l.isEmpty()) {
            return Optional.empty();
        }
        if (l.get().length != 2) {
            throw new IOException(p.source + ": held line with " + l.get().length + " fields");
        }
        return Optional.of(Instant.parse(l.get()[1]));
    }

    /** Reads the {@code scan} line {@link #encodeQueued} writes; empty for a record without it. */
    static Optional<String> readScan(Parsed p) throws IOException {
        Optional<String[]> l = p.first("scan");
        if (l.isEmpty()) {
            return Optional.empty();
        }
        if (l.get().length != 2) {
            throw new IOException(p.source + ": scan line with " + l.get().length + " fields");
        }
        return Optional.of(unescape(l.get()[1]));
    }

    /**
     * Writes the DSN parameters (RFC 3461) as lines an older reader skips: {@code ret}, {@code envid}, and per recipient
     * (by its index) {@code notify} and {@code orcpt}. Nothing for {@link DsnRequest#NONE}.
     */
    static void writeDsn(Writer w, DsnRequest dsn) {
        dsn.ret().ifPresent(r -> w.line("ret", r.name()));
        dsn.envelopeId().ifPresent(e -> w.line("envid", escape(e)));
        for (int i = 0; i < dsn.recipients().size(); i++) {
            DsnRequest.Recipient r = dsn.recipients().get(i);
            String index = Integer.toString(i);
            r.notifyParameter().ifPresent(n -> w.line("notify", index, n));
            r.orcpt().ifPresent(o -> w.line("orcpt", index, escape(o.type()), escape(o.address())));
        }
    }

    /** Reads what {@link #writeDsn} wrote; {@link DsnRequest#NONE} for a record without it. */
    static DsnRequest readDsn(Parsed p, int recipients) throws IOException {
        Optional<DsnRequest.Ret> ret = Optional.empty();
        Optional<String[]> r = p.first("ret");
        if (r.isPresent()) {
            ret = Optional.of(DsnRequest.Ret.valueOf(r.get()[1]));
        }
        Optional<String> envid = Optional.empty();
        Optional<String[]> e = p.first("envid");
        if (e.isPresent()) {
            envid = Optional.of(unescape(e.get()[1]));
        }
        List<java.util.Set<DsnRequest.Notify>> notify = new ArrayList<>();
        List<Optional<DsnRequest.Orcpt>> orcpt = new ArrayList<>();
        for (int i = 0; i < recipients; i++) {
            notify.add(java.util.Set.of());
            orcpt.add(Optional.empty());
        }
        boolean any = false;
        for (String[] l : p.all("notify")) {
            if (l.length != 3) {
                throw new IOException(p.source + ": notify line with " + l.length + " fields");
            }
            java.util.Set<DsnRequest.Notify> set = java.util.EnumSet.noneOf(DsnRequest.Notify.class);
            for (String n : l[2].split(",", -1)) {
                set.add(DsnRequest.Notify.valueOf(n));
            }
            notify.set(recipientIndex(p, l[1], recipients), set);
            any = true;
        }
        for (String[] l : p.all("orcpt")) {
            if (l.length != 4) {
                throw new IOException(p.source + ": orcpt line with " + l.length + " fields");
            }
            orcpt.set(
                    recipientIndex(p, l[1], recipients),
                    Optional.of(new DsnRequest.Orcpt(unescape(l[2]), unescape(l[3]))));
            any = true;
        }
        List<DsnRequest.Recipient> per = new ArrayList<>();
        if (any) {
            for (int i = 0; i < recipients; i++) {
                per.add(new DsnRequest.Recipient(notify.get(i), orcpt.get(i)));
            }
        }
        if (ret.isEmpty() && envid.isEmpty() && per.isEmpty()) {
            return DsnRequest.NONE;
        }
        return new DsnRequest(ret, envid, per);
    }

    /**
     * Writes the notice bookkeeping as lines an older reader skips: {@code relayed-owed} per recipient (by its index)
     * whose relayed notice is owed, {@code delay-notified} with the time the delay notice was stored. Nothing for
     * {@link QueuedMessage.Notices#NONE}.
     */
    static void writeNotices(Writer w, QueuedMessage.Notices n) {
        for (int i : n.relayedOwed()) {
            w.line("relayed-owed", Integer.toString(i));
        }
        n.delayNotified().ifPresent(t -> w.line("delay-notified", t.toString()));
    }

    /** Reads what {@link #writeNotices} wrote; {@link QueuedMessage.Notices#NONE} for a record without it. */
    static QueuedMessage.Notices readNotices(Parsed p, int recipients) throws IOException {
        java.util.SortedSet<Integer> owed = new java.util.TreeSet<>();
        for (String[] l : p.all("relayed-owed")) {
            if (l.length != 2) {
                throw new IOException(p.source + ": relayed-owed line with " + l.length + " fields");
            }
            owed.add(recipientIndex(p, l[1], recipients));
        }
        Optional<Instant> delay = Optional.empty();
        Optional<String[]> d = p.first("delay-notified");
        if (d.isPresent()) {
            if (d.get().length != 2) {
                throw new IOException(p.source + ": delay-notified line with " + d.get().length + " fields");
            }
            delay = Optional.of(Instant.parse(d.get()[1]));
        }
        return owed.isEmpty() && delay.isEmpty() ? QueuedMessage.Notices.NONE : new QueuedMessage.Notices(owed, delay);
    }

    private static int recipientIndex(Parsed p, String field, int recipients) throws IOException {
        int index = Integer.parseInt(field);
        if (index < 0 || index >= recipients) {
            throw new IOException(p.source + ": DSN line for recipient " + index + " of " + recipients);
        }
        return index;
    }
}
