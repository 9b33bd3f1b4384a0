package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.internal.Urls;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a running {@link Node} from its configuration file: what {@code hygiene relay} does on {@code SIGHUP}, and
 * what an embedding application or a test calls as {@link #reload()}.
 *
 * <p>A reload reads the file again with everything it names (the {@code smtproutes}, {@code rcpthosts} and
 * {@code tcprules} files, the TLS certificate and key, Bayes models, attachment policies and command-line scanner
 * profiles), validates it exactly as a start would, and hands the result to {@link Node#reload}: new sessions and
 * messages use it, sessions and messages in progress finish with the configuration they started with. A file that
 * cannot be read or is invalid is refused as a whole, with the file, the line and the problem in the log (ERROR) and
 * in the {@link Result}; the node goes on with the configuration it had, nothing half-applied.
 *
 * <p>Keys that need a restart ({@link #RESTART_KEYS}: the listen address, the data directory, the host name, ...) keep
 * their running value when they change: each reload that finds one changed logs a WARN line naming the key, its line,
 * the running and the new value. {@code role} and {@code name} cannot change at all: such a file is refused. A file
 * that is applied but has findings {@code --check} prints as warnings (a certificate that expired) logs each at WARN,
 * {@code NAME: FILE: warning: ...}.
 *
 * <p>Log lines (logger {@code org.mailhygiene.smtp.topology.NodeReloader}): {@code NAME: configuration reloaded from
 * FILE (reload N)} at INFO on success, {@code NAME: reload refused, still running the previous configuration: PROBLEM}
 * at ERROR; a reload asked for while the node stops (a {@code SIGHUP} during the stop) is not applied, logged
 * {@code NAME: reload not applied: the node is stopping (the next start reads FILE)} at WARN, with the problem
 * {@code the node is stopping} in the {@link Result}. Thread-safe: reloads run one at a time.
 */
public final class NodeReloader {
    private static final Logger LOG = LoggerFactory.getLogger(NodeReloader.class);

    /**
     * The keys whose change needs a restart: a reload keeps their running value and logs the difference. {@code role}
     * and {@code name} are not listed: a file that changes them is refused.
     */
    public static final List<String> RESTART_KEYS = java.util.stream.Stream.of(
                    List.of(
                            "listen",
                            "data",
                            "hostname",
                            "outgoing-address",
                            "outbound-tls",
                            "outbound-tls-trust",
                            "outbound-tls-verify",
                            "route-tls",
                            "queue-lifetime",
                            "retry-schedule",
                            "delay-warning",
                            "mime-output-conversion"),
                    LimitsConfig.DELIVERY_TIMEOUT_KEYS,
                    List.of(
                            "report-to",
                            "report-from",
                            "report-time",
                            "stats-flush",
                            "quarantine-retention",
                            "incomplete-retention",
                            "stop-grace",
                            "redis",
                            "redis-timeout",
                            "redis-model",
                            "redis-model-refresh",
                            "redis-verdict-key",
                            "redis-verdict-key-previous",
                            "admin-listen"))
            .flatMap(List::stream)
            .toList();

    private final Node node;
    private final Path file;
    private final Map<String, List<String>> running;
    private int reloads;

    private NodeReloader(Node node, Path file, Map<String, List<String>> running) {
        this.node = node;
        this.file = file;
        this.running = running;
    }

    /**
     * A reloader for a node built from {@code file}; the file as it is now is taken as the running configuration, so
     * create the reloader right after reading the file to start the node. It also takes the node's
     * {@linkplain Node#onReloadRequest reload requests} ({@code hygiene relay --reload}).
     *
     * @param node the node
     * @param file its configuration file
     * @return the reloader
     * @throws IOException if the file cannot be read
     * @throws ConfigException if it is not a configuration file
     */
    public static NodeReloader of(Node node, Path file) throws IOException, ConfigException {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(file, "file");
        NodeReloader reloader = new NodeReloader(node, file, restartValues(ConfigFile.read(file)));
        node.onReloadRequest(reloader::reload, file);
        return reloader;
    }

    /**
     * What one reload did.
     *
     * @param applied whether the new configuration is now in use
     * @param problem why it was refused (file, line and problem), when it was
     * @param restartNeeded one sentence per changed key that keeps its running value until a restart, the
     *     postmaster's included: it is compared as the node would use it, so a changed first {@code accept-domain}
     *     that changes the default postmaster is listed too
     */
    public record Result(boolean applied, Optional<String> problem, List<String> restartNeeded) {
        /**
         * Copies the list.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Result {
            Objects.requireNonNull(problem, "problem");
            restartNeeded = List.copyOf(restartNeeded);
        }
    }

    /**
     * Reads the file again and applies it to the node (see the class comment). Never throws: a refusal is logged and
     * returned.
     *
     * @return what happened
     */
    public synchronized Result reload() {
        String name = node.name();
        if (!node.running()) {
            return stopping(name);
        }
        LOG.info("{}: reloading the configuration from {}", name, file);
        ConfigFile text;
        Node.Builder next;
        try {
            text = ConfigFile.read(file);
            next = NodeConfig.parse(text, file.toAbsolutePath().getParent(), node.hostname());
        } catch (ConfigException e) {
            return refused(name, e.getMessage());
        } catch (IOException e) {
            return refused(name, file + ": cannot read " + e.getMessage());
        } catch (RuntimeException e) {
            return refused(name, file + ": " + e);
        }
        List<String> restart = new ArrayList<>();
        Map<String, List<String>> now = restartValues(text);
        for (String key : RESTART_KEYS) {
            List<String> was = running.get(key);
            List<String> is = now.get(key);
            if (!was.equals(is)) {
                // a key taken out of the file has no line: it was named "line 0"
                String where = text.lineOf(key) > 0
                        ? text.source() + " line " + text.lineOf(key)
                        : text.source() + ", no longer given";
                // The redis URL holds passwords: the change is logged (WARN) and returned without them.
                List<String> wasShown = key.equals("redis") ? withoutPasswords(was) : was;
                List<String> isShown = key.equals("redis") ? withoutPasswords(is) : is;
                if (wasShown.equals(isShown)) {
                    restart.add(key + " (" + where + ") changed (a password)"
                            + ": needs a restart; the previous value stays in use");
                } else {
                    // a key that was not set runs with its default: name it where it is at hand
                    String stays = !wasShown.isEmpty()
                            ? show(wasShown)
                            : key.equals("hostname") ? node.hostname() + " (the default)" : "the default";
                    restart.add(key + " (" + where + ") changed from "
                            + show(wasShown) + " to " + show(isShown) + ": needs a restart; " + stays
                            + " stays in use");
                }
            }
        }
        // The postmaster is kept too, and its change was only logged by the node: its value as the node would use it
        // (a changed first accept-domain changes the default), whether or not the file names it.
        String postmaster = next.postmaster();
        if (!postmaster.equals(node.postmaster())) {
            String where = text.lineOf("postmaster") > 0
                    ? "postmaster (" + text.source() + " line " + text.lineOf("postmaster") + ")"
                    : "postmaster (not set: the default, from accept-domain, rcpthosts and hostname)";
            restart.add(where + " changed from " + node.postmaster() + " to " + postmaster + ": needs a restart; "
                    + node.postmaster() + " stays in use");
        }
        try {
            node.reload(next);
        } catch (RuntimeException e) {
            if (!node.running()) {
                return stopping(name); // stopped while the file was read: not a fault of the file
            }
            return refused(name, file + ": " + e.getMessage());
        }
        for (String r : restart) {
            LOG.warn("{}: {}", name, r);
        }
        // What --check and the start print as warnings (a renewed certificate that has already expired, say).
        for (String w : next.configurationWarnings()) {
            LOG.warn("{}: {}: warning: {}", name, file, w);
        }
        reloads++;
        LOG.info("{}: configuration reloaded from {} (reload {})", name, file, reloads);
        return new Result(true, Optional.empty(), restart);
    }

    /** A reload asked for while the node stops (a SIGHUP during the stop): nothing to apply it to. */
    private Result stopping(String name) {
        String problem = "the node is stopping";
        LOG.warn("{}: reload not applied: {} (the next start reads {})", name, problem, file);
        return new Result(false, Optional.of(problem), List.of());
    }

    private Result refused(String name, String problem) {
        LOG.error("{}: reload refused, still running the previous configuration: {}", name, problem);
        return new Result(false, Optional.of(problem), List.of());
    }

    /** URLs as a log line may quote them: without passwords ({@link Urls#withoutPasswords}). */
    static List<String> withoutPasswords(List<String> urls) {
        List<String> out = new ArrayList<>();
        for (String url : urls) {
            out.add(Urls.withoutPasswords(url));
        }
        return out;
    }

    private static String show(List<String> values) {
        return values.isEmpty() ? "(not set)" : String.join(", ", values);
    }

    private static Map<String, List<String>> restartValues(ConfigFile c) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String key : RESTART_KEYS) {
            List<String> v = new ArrayList<>();
            c.lines(key).forEach(e -> v.add(e.getKey()));
            values.put(key, List.copyOf(v));
        }
        return values;
    }
}
