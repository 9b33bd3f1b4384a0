package org.mailhygiene.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.delivery.RetrySchedule;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The paper's topology in one JVM, each server on its own loopback address (all of 127.0.0.0/8 is loopback on Linux):
 *
 * <pre>
 *   Internet client 127.0.0.1  --&gt;  edge-1 127.0.0.11, edge-2 127.0.0.12  --&gt;  gateway 127.0.0.13
 *   gateway --&gt; internal-1 127.0.0.21 (dept-a.example), internal-2 127.0.0.22 (dept-b.example)
 *   gateway --&gt; [edge-1, edge-2] (one failover group) --&gt; "Internet" sink 127.0.0.30
 * </pre>
 *
 * The edges accept mail for {@code dept-a.example} and {@code dept-b.example} from anyone and outbound mail only from
 * the gateway; the gateway accepts SMTP only from the edges and the internal servers. Outgoing connections bind each
 * node's own address, so these access rules are exercised for real. Delivery to the Internet by MX cannot work
 * offline: the edges' default route points at a local sink that stands for the Internet.
 *
 * <p>Ports are ephemeral: free ports are found on each address before the nodes are built (the routes need them), so
 * another program could in principle take one in between; starting then fails with a bind error. The delivery agents
 * retry after 1 s (not qmail's schedule) and skip a failed next hop for 2 s at first (at most 30 s), so the demo's failover settles quickly.
 *
 * <p>Close it to stop every node and sink. Not thread-safe.
 */
public final class DemoTopology implements AutoCloseable {
    /** The domain of internal-1. */
    public static final String DEPT_A = "dept-a.example";

    /** The domain of internal-2. */
    public static final String DEPT_B = "dept-b.example";

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, SmtpSink> sinks = new LinkedHashMap<>();
    private final SmtpSink internet;

    private DemoTopology(Path data, Supplier<List<Scanner>> edgeScanners, Supplier<List<Scanner>> gatewayScanners)
            throws IOException {
        boolean ok = false;
        try {
            SmtpSink internal1 = sink("internal-1", "127.0.0.21", "internal-1." + DEPT_A);
            SmtpSink internal2 = sink("internal-2", "127.0.0.22", "internal-2." + DEPT_B);
            internet = SmtpSink.builder()
                    .bindAddress(ip("127.0.0.30"))
                    .hostname("mx.internet.example")
                    .start();
            // The ports are found free, then released and bound again by the nodes: another process (a second test
            // run on the same machine) can take one in between. A node that cannot bind its port ends this attempt;
            // the next one takes other ports (until session 49 the demo failed with "Address already in use").
            for (int attempt = 1; ; attempt++) {
                int edge1Port = freePort("127.0.0.11");
                int edge2Port = freePort("127.0.0.12");
                int gatewayPort = freePort("127.0.0.13");
                AcceptedDomains ours = AcceptedDomains.of(DEPT_A, DEPT_B);
                String toGateway = DEPT_A + ":127.0.0.13:" + gatewayPort + "\n" + DEPT_B + ":127.0.0.13:" + gatewayPort
                        + "\n:127.0.0.30:" + internet.port() + "\n";
                for (String[] e : new String[][] {
                    {"edge-1", "127.0.0.11", "" + edge1Port}, {"edge-2", "127.0.0.12", "" + edge2Port}
                }) {
                    Node edge = Node.builder(Role.EDGE, e[0])
                            .listen(ip(e[1]), Integer.parseInt(e[2]))
                            .acceptedDomains(ours)
                            .relayClients("127.0.0.13")
                            .router(StaticRouter.parse(toGateway))
                            .scanners(edgeScanners.get())
                            .dataDirectory(data.resolve(e[0]))
                            .delivery(DemoTopology::quickRetries)
                            .build();
                    nodes.put(e[0], edge);
                }
                Node gateway = Node.builder(Role.GATEWAY, "gateway")
                        .listen(ip("127.0.0.13"), gatewayPort)
                        .acceptedDomains(ours)
                        .relayClients("127.0.0.11", "127.0.0.12", "127.0.0.21", "127.0.0.22")
                        .router(StaticRouter.parse(DEPT_A + ":127.0.0.21:" + internal1.port() + "\n" + DEPT_B
                                + ":127.0.0.22:" + internal2.port() + "\n:127.0.0.11:" + edge1Port + ",127.0.0.12:"
                                + edge2Port + "\n"))
                        .scanners(gatewayScanners.get())
                        .dataDirectory(data.resolve("gateway"))
                        .delivery(DemoTopology::quickRetries)
                        .build();
                nodes.put("gateway", gateway);
                try {
                    for (Node n : nodes.values()) {
                        n.start();
                    }
                    break;
                } catch (java.net.BindException taken) {
                    for (Node n : nodes.values()) {
                        n.close();
                    }
                    nodes.clear();
                    if (attempt == PORT_ATTEMPTS) {
                        throw taken;
                    }
                }
            }
            ok = true;
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    private static void quickRetries(org.mailhygiene.smtp.delivery.DeliveryAgent.Builder b) {
        b.retrySchedule(RetrySchedule.exponential(Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .hopInitialBackoff(Duration.ofSeconds(2))
                .hopMaxBackoff(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1));
    }

    /**
     * Starts the sinks and the three relays.
     *
     * @param data the data directory; each relay keeps {@code spool/}, {@code quarantine/} and {@code stats/} under
     *     {@code data/NAME}
     * @param edgeScanners makes the scanner list of one edge (called once per edge)
     * @param gatewayScanners makes the gateway's scanner list
     * @return the running topology
     * @throws IOException if a server cannot bind or a data directory cannot be prepared
     */
    public static DemoTopology start(
            Path data, Supplier<List<Scanner>> edgeScanners, Supplier<List<Scanner>> gatewayScanners)
            throws IOException {
        return new DemoTopology(data, edgeScanners, gatewayScanners);
    }

    private SmtpSink sink(String name, String ip, String hostname) throws IOException {
        SmtpSink s = SmtpSink.builder().bindAddress(ip(ip)).hostname(hostname).start();
        sinks.put(name, s);
        return s;
    }

    static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** How many sets of free ports the relays are tried on before a port taken meanwhile fails the start. */
    static final int PORT_ATTEMPTS = 5;

    private static int freePort(String address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, ip(address))) {
            return s.getLocalPort();
        }
    }

    /**
     * A relay by name ({@code edge-1}, {@code edge-2}, {@code gateway}).
     *
     * @param name the name
     * @return the node
     * @throws IllegalArgumentException if there is no such node
     */
    public Node node(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no node " + name);
        }
        return n;
    }

    /**
     * The relays, edge-1, edge-2, gateway.
     *
     * @return the nodes in that order
     */
    public List<Node> nodes() {
        return new ArrayList<>(nodes.values());
    }

    /**
     * An internal mail server by name ({@code internal-1}, {@code internal-2}).
     *
     * @param name the name
     * @return the sink
     * @throws IllegalArgumentException if there is no such sink
     */
    public SmtpSink internal(String name) {
        SmtpSink s = sinks.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no internal server " + name);
        }
        return s;
    }

    /**
     * The sink standing for the Internet (the edges' default route instead of MX lookups).
     *
     * @return the sink
     */
    public SmtpSink internet() {
        return internet;
    }

    /**
     * One {@code NAME smtp://HOST:PORT} line per node: edge-1, edge-2, gateway, internal-1, internal-2.
     *
     * @return the lines
     */
    public List<String> endpoints() {
        List<String> out = new ArrayList<>();
        for (Node n : nodes.values()) {
            out.add(n.name() + " " + url(n.address()));
        }
        for (Map.Entry<String, SmtpSink> e : sinks.entrySet()) {
            out.add(e.getKey() + " " + url(e.getValue().address()));
        }
        return out;
    }

    /**
     * {@code smtp://HOST:PORT} for a listening address (see {@link #hostPort}).
     */
    static String url(InetSocketAddress a) {
        return "smtp://" + hostPort(a);
    }

    /**
     * {@code HOST:PORT} of a listening address as a URL writes it: an IPv6 address in brackets, as RFC 3986 asks
     * ({@code [::1]:2525}, the address in the RFC 5952 form; without brackets, {@code ::1:2525}, it was no URL a client could use),
     * its zone, if any, as {@code %25}.
     */
    static String hostPort(InetSocketAddress a) {
        return org.mailhygiene.internal.HostPorts.of(
                org.mailhygiene.internal.HostPorts.address(a.getAddress()).replace("%", "%25"), a.getPort());
    }

    /** Stops the relays (their spools stay on disk), then the sinks. Idempotent. */
    @Override
    public void close() {
        for (Node n : nodes.values()) {
            n.close();
        }
        for (SmtpSink s : sinks.values()) {
            s.close();
        }
        if (internet != null) {
            internet.close();
        }
    }
}
