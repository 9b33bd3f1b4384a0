package org.mailhygiene.smtp;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessRules;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.smtp.server.SmtpLimits;

/**
 * A runnable relay for crash tests ({@code RelayCrashIT}) and benchmarks ({@code benchmarks/scripts/relay-vs-postfix.sh},
 * which runs it from {@code hygiene-smtp/target/test-classes}): a harness, in the test sources so that it is no part
 * of the module's API (the {@code hygiene relay} command with its configuration files is the relay for users). Scans with the built-in {@link SignatureScanner} (EICAR, GTUBE) and the default policy.
 *
 * <p>Options (all {@code --name value}):
 *
 * <ul>
 *   <li>{@code --spool DIR} (required) and {@code --quarantine DIR} (default {@code DIR/../quarantine});
 *   <li>{@code --routes TEXT}: smtproutes lines separated by {@code ;}, e.g. {@code :127.0.0.1:2526} (required);
 *   <li>{@code --accept DOMAINS}: comma-separated accepted domains (rcpthosts entries);
 *   <li>{@code --access TEXT}: tcprules lines separated by {@code ;} (default {@code 127.:allow,RELAYCLIENT=""});
 *   <li>{@code --bind ADDR} (default 127.0.0.1), {@code --port N} (default 0 = ephemeral), {@code --hostname NAME};
 *   <li>{@code --max-connections N} (default 200), {@code --max-per-ip N} (default 200 here, as load tests come from
 *       one address), {@code --rate N} (connections and messages per IP per minute, default 1000000 here);
 *   <li>{@code --group-commit true|false}: the spool's {@linkplain Spool.Builder#groupCommit group commit} (default
 *       the spool's default, off).
 * </ul>
 *
 * Prints {@code LISTENING <port>} on standard output once it accepts connections, then runs until the process is
 * terminated (SIGTERM closes it cleanly; SIGKILL is what the crash test uses).
 */
public final class RelayMain {
    private RelayMain() {}

    /**
     * Runs the relay.
     *
     * @param args the options above
     * @throws Exception if the relay cannot start; the message names the bad option
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        Path spoolDir = Path.of(require(o, "spool"));
        Path quarantineDir = Path.of(o.getOrDefault(
                "quarantine", spoolDir.resolveSibling("quarantine").toString()));
        StaticRouter router = StaticRouter.parse(require(o, "routes").replace(';', '\n'));
        AcceptedDomains accepted =
                AcceptedDomains.of(Arrays.stream(o.getOrDefault("accept", "").split(","))
                        .filter(s -> !s.isBlank())
                        .toList());
        AccessRules access = AccessRules.parse(
                o.getOrDefault("access", "127.:allow,RELAYCLIENT=\"\"").replace(';', '\n'));
        int rate = Integer.parseInt(o.getOrDefault("rate", "1000000"));
        SmtpLimits limits = SmtpLimits.builder()
                .maxConnections(Integer.parseInt(o.getOrDefault("max-connections", "200")))
                .maxConnectionsPerIp(Integer.parseInt(o.getOrDefault("max-per-ip", "200")))
                .connectionRatePerIp(rate, java.time.Duration.ofMinutes(1))
                .messageRatePerIp(rate, java.time.Duration.ofMinutes(1))
                .build();
        String hostname = o.getOrDefault("hostname", "relay.example.test");
        InetAddress bind = InetAddress.getByName(o.getOrDefault("bind", "127.0.0.1"));
        int port = Integer.parseInt(o.getOrDefault("port", "0"));

        Spool spool = Spool.builder(spoolDir)
                .groupCommit(Boolean.parseBoolean(o.getOrDefault("group-commit", "false")))
                .build();
        Quarantine quarantine = Quarantine.builder(quarantineDir).build();
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        Relay relay = Relay.builder()
                .server(b -> b.bindAddress(bind)
                        .port(port)
                        .hostname(hostname)
                        .limits(limits)
                        .accessRules(access)
                        .acceptedDomains(accepted))
                .delivery(b -> b.hostname(hostname))
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(quarantine)
                .router(router)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            relay.close();
                            pipeline.close();
                            try {
                                spool.close();
                            } catch (IOException ignored) {
                                // exiting anyway
                            }
                            stopped.countDown();
                        },
                        "relay-shutdown"));
        int recovered = relay.start();
        PrintStream out = System.out;
        out.println("RECOVERED " + recovered);
        out.println("LISTENING " + relay.port());
        out.flush();
        stopped.await();
    }

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return v;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        List<String> list = new ArrayList<>(List.of(args));
        for (int i = 0; i < list.size(); i += 2) {
            String k = list.get(i);
            if (!k.startsWith("--") || i + 1 >= list.size()) {
                throw new IllegalArgumentException("expected --name value pairs, got " + k);
            }
            o.put(k.substring(2), list.get(i + 1));
        }
        return o;
    }
}
