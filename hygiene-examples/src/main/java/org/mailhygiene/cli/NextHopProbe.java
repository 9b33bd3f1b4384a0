package org.mailhygiene.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;

/**
 * {@code hygiene relay --check}'s look at the static next hops of a node's {@code route} lines and {@code smtproutes}
 * file: each is connected to once (from the node's outgoing address where this machine has it) and its greeting read.
 * A hop that answers with something that is no SMTP reply (clamd, HTTP, a database on the port) is an error: the node
 * would queue the mail for it and retry until the queue lifetime ends. One that accepts the connection and says
 * nothing, or greets with a refusal, is a warning. One that cannot be reached now is not reported (a next hop down for
 * maintenance is the queue's ordinary business). Routes by MX are not looked up. Stateless; a call blocks up to the
 * timeout per hop.
 */
final class NextHopProbe {
    /** The longest greeting line read. */
    private static final int MAX_GREETING = 512;

    private NextHopProbe() {}

    /**
     * One finding.
     *
     * @param error whether the file is wrong (a non-SMTP server on the hop), else a warning
     * @param text {@code FILE line N: route: ...} ({@code FILE line N: warning: route: ...}); for a line of the
     *     {@code smtproutes} file that file's name and line, without the key
     */
    record Finding(boolean error, String text) {}

    /**
     * Probes the static next hops the file names, each host and port once.
     *
     * @param config the node's configuration file (valid: read by {@code NodeConfig} a moment ago)
     * @param timeout the bound on connecting and on waiting for the greeting, per hop
     * @return the findings, in file order (the {@code smtproutes} file's first, as the node reads it)
     */
    static List<Finding> probe(Path config, Duration timeout) {
        List<Finding> out = new ArrayList<>();
        ConfigFile c;
        try {
            c = ConfigFile.read(config);
        } catch (IOException | ConfigException e) {
            return out; // read a moment ago; a file that changed since is the next check's
        }
        Path base = config.toAbsolutePath().getParent();
        Optional<InetAddress> from = outgoing(c);
        Set<String> seen = new LinkedHashSet<>();
        try {
            Optional<String> smtproutes = c.string("smtproutes");
            if (smtproutes.isPresent()) {
                Path f = base.resolve(smtproutes.get());
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    probeLine(lines.get(i), f + " line " + (i + 1), "", from, timeout, seen, out);
                }
            }
            for (Map.Entry<String, Integer> line : c.lines("route")) {
                probeLine(line.getKey(), config + " line " + line.getValue(), "route: ", from, timeout, seen, out);
            }
        } catch (IOException | ConfigException | RuntimeException e) {
            // validated a moment ago by NodeConfig; nothing more to probe in a file that changed since
        }
        return out;
    }

    private static void probeLine(
            String line,
            String where,
            String key,
            Optional<InetAddress> from,
            Duration timeout,
            Set<String> seen,
            List<Finding> out) {
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
            return;
        }
        for (Map.Entry<String, Route> e : StaticRouter.parse(t).entries().entrySet()) {
            if (!(e.getValue() instanceof Route.Relay relay)) {
                continue; // by MX: nothing fixed to probe
            }
            String domain = e.getKey().isEmpty() ? "the default route" : "'" + e.getKey() + "'";
            for (NextHop hop : relay.hops()) {
                if (seen.add(hop.host() + ":" + hop.port())) {
                    probeHop(hop, from, timeout)
                            .ifPresent(f -> out.add(new Finding(
                                    f.error(),
                                    where + ": " + (f.error() ? "" : "warning: ") + key + domain + ": " + f.text())));
                }
            }
        }
    }

    /** The address the node's deliveries leave from: {@code outgoing-address}, else the {@code listen} address. */
    private static Optional<InetAddress> outgoing(ConfigFile c) {
        try {
            Optional<String> v = c.string("outgoing-address");
            if (v.isEmpty()) {
                v = c.string("listen").map(l -> l.substring(0, Math.max(0, l.lastIndexOf(':'))));
            }
            if (v.isEmpty() || v.get().isEmpty()) {
                return Optional.empty();
            }
            String ip = v.get().startsWith("[") && v.get().endsWith("]")
                    ? v.get().substring(1, v.get().length() - 1)
                    : v.get();
            InetAddress a = InetAddress.getByName(ip); // an IP literal (validated): no lookup
            return a.isAnyLocalAddress() ? Optional.empty() : Optional.of(a);
        } catch (IOException | ConfigException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Finding> probeHop(NextHop hop, Optional<InetAddress> from, Duration timeout) {
        String name = hop.toString();
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        InetSocketAddress to;
        try {
            to = new InetSocketAddress(InetAddress.getByName(hop.host()), hop.port());
        } catch (IOException e) {
            return Optional.empty(); // a name that does not resolve now: as for a hop that is down
        }
        try (Socket s = new Socket()) {
            if (from.isPresent()) {
                try {
                    s.bind(new InetSocketAddress(from.get(), 0)); // as the node connects, so access rules see it
                } catch (IOException notHere) {
                    // the node's address is not on this machine (--check run elsewhere): connect from any
                }
            }
            s.connect(to, ms);
            String greeting;
            try {
                greeting = firstLine(s, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms));
            } catch (SocketTimeoutException e) {
                if (e instanceof PartialGreeting p) {
                    return Optional.of(new Finding(
                            false,
                            "next hop " + name + " sent only part of a greeting line within " + ms + " ms: "
                                    + quote(p.sofar) + " (a server that trickles its greeting, as a tarpit does,"
                                    + " holds every delivery to it)"));
                }
                return Optional.of(new Finding(
                        false,
                        "next hop " + name + " accepted the connection but sent no greeting within " + ms + " ms"
                                + " (a port for TLS from the first byte, such as 465, waits for the client: the"
                                + " relay speaks SMTP with STARTTLS, port 25 or 587)"));
            }
            if (greeting == null) {
                return Optional.of(
                        new Finding(false, "next hop " + name + " closed the connection without a greeting"));
            }
            if (!greeting.matches("[2-5][0-9][0-9]([ -].*)?")) {
                return Optional.of(new Finding(
                        true,
                        "next hop " + name + " is not an SMTP server: it said " + quote(greeting)
                                + " (an SMTP server greets with 220; check the host and port)"));
            }
            if (!greeting.startsWith("220")) {
                return Optional.of(new Finding(
                        false,
                        "next hop " + name + " refuses connections from "
                                + (from.isPresent() ? from.get().getHostAddress() : "here") + ": "
                                + quote(greeting)));
            }
            if (greeting.startsWith("220-")) {
                // a greeting not ended yet: a node with greet-delay (or postscreen) sends its last line later and
                // refuses a client that talks before it as an early talker; close without a word (session 48)
                return Optional.empty();
            }
            try {
                OutputStream o = s.getOutputStream();
                o.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                o.flush();
            } catch (IOException ignored) {
                // it greeted: enough
            }
            return Optional.empty();
        } catch (IOException e) {
            // down for now (maintenance, not started yet): the node queues and retries, and a warning here would be
            // said of every test and sample configuration whose hop is not running; what answers is what is judged
            return Optional.empty();
        }
    }

    /**
     * The first line, at most {@link #MAX_GREETING} bytes; {@code null} at a close before any byte. The whole line must
     * come by {@code deadline} ({@link System#nanoTime()}): a socket timeout alone bounds each byte, and a greeting
     * trickled a byte at a time (a tarpit) held the probe up to {@link #MAX_GREETING} times the timeout.
     *
     * @throws SocketTimeoutException if the line has not ended by the deadline (a {@link PartialGreeting} when part of
     *     it came)
     */
    private static String firstLine(Socket socket, long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] b = new byte[MAX_GREETING];
        int n = 0;
        while (n < b.length) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw PartialGreeting.of(b, n);
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            int x;
            try {
                x = in.read();
            } catch (SocketTimeoutException e) {
                throw PartialGreeting.of(b, n);
            }
            if (x < 0) {
                break;
            }
            if (x == '\n') {
                break;
            }
            b[n++] = (byte) x;
        }
        if (n == 0) {
            return null;
        }
        String s = new String(b, 0, n, StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * No whole greeting line by the deadline; {@link #sofar} is what came of it ({@code SocketTimeoutException} itself
     * when nothing came).
     */
    private static final class PartialGreeting extends SocketTimeoutException {
        private static final long serialVersionUID = 1L;
        /** The bytes of the line that came, as ISO-8859-1. */
        final String sofar;

        private PartialGreeting(String sofar) {
            super("no whole greeting line by the deadline");
            this.sofar = sofar;
        }

        static SocketTimeoutException of(byte[] b, int n) {
            return n == 0
                    ? new SocketTimeoutException("no greeting by the deadline")
                    : new PartialGreeting(new String(b, 0, n, StandardCharsets.ISO_8859_1));
        }
    }

    /** The text, control characters and non-ASCII escaped, at most 100 characters. */
    private static String quote(String s) {
        StringBuilder q = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 100; i++) {
            char ch = s.charAt(i);
            q.append(ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\x%02x", (int) ch));
        }
        return q.append(s.length() > 100 ? "...'" : "'").toString();
    }
}
