package org.mailhygiene.smtp.stats;

import java.io.IOException;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.SharedStateException;

/**
 * Daily statistics in a shared {@link CounterStore}, so that {@code hygiene report --redis URL} covers every node of a
 * cluster. A node publishes its own totals (which it keeps durably in its data directory) for today and yesterday;
 * publishing replaces what the node published before, so restarts and store outages never count anything twice, and a
 * store that lost its data is refilled at the next publication.
 *
 * <p>Counter names in the store: the {@link Counter#key() counter keys} ({@code received}, {@code spam}, ...) and
 * {@code virus:NAME} per virus name. Names this version does not know are ignored when reading (a newer node may add
 * counters). Stateless; thread-safe.
 */
public final class SharedStatistics {
    private static final String VIRUS = "virus:";

    private SharedStatistics() {}

    /**
     * The store's form of one day's counts.
     *
     * @param counts the counts
     * @return counter name to value, zeros left out
     */
    public static Map<String, Long> flatten(DailyCounts counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.counters().forEach((c, v) -> out.put(c.key(), v));
        counts.viruses().forEach((name, v) -> out.put(VIRUS + name, v));
        return out;
    }

    /**
     * Reads the store's form back.
     *
     * @param day the day
     * @param values counter name to value
     * @return the counts (unknown names ignored)
     */
    public static DailyCounts unflatten(LocalDate day, Map<String, Long> values) {
        Map<Counter, Long> counters = new EnumMap<>(Counter.class);
        Map<String, Long> viruses = new TreeMap<>();
        values.forEach((name, v) -> {
            if (name.startsWith(VIRUS)) {
                viruses.put(name.substring(VIRUS.length()), v);
            } else {
                try {
                    counters.put(Counter.ofKey(name), v);
                } catch (IllegalArgumentException unknown) {
                    // A counter of a newer version: not shown by this one.
                }
            }
        });
        return new DailyCounts(day, counters, viruses);
    }

    /**
     * Publishes a node's totals of today and of yesterday (a day that ended since the last publication).
     *
     * @param statistics the node's statistics
     * @param node the node's name
     * @param store the shared store
     * @throws SharedStateException if the store did not answer
     * @throws IOException if yesterday's file cannot be read
     */
    public static void publish(NodeStatistics statistics, String node, CounterStore store)
            throws SharedStateException, IOException {
        publish(statistics, node, store, true);
    }

    /**
     * Publishes a node's totals of today, from memory; with {@code previousDay}, also those of the day before, read
     * from its file (needed once after a day ended, or after a start: a periodic publication need not re-read disk).
     *
     * @param statistics the node's statistics
     * @param node the node's name
     * @param store the shared store
     * @param previousDay whether to publish the previous day too
     * @throws SharedStateException if the store did not answer
     * @throws IOException if the statistics files cannot be read
     */
    public static void publish(NodeStatistics statistics, String node, CounterStore store, boolean previousDay)
            throws SharedStateException, IOException {
        Objects.requireNonNull(node, "node");
        if (!previousDay) {
            DailyCounts today = statistics.today();
            store.publish(node, today.day(), flatten(today));
            return;
        }
        List<DailyCounts> history = statistics.history();
        int from = Math.max(0, history.size() - 2);
        for (DailyCounts d : history.subList(from, history.size())) {
            store.publish(node, d.day(), flatten(d));
        }
    }

    /**
     * Every node's counts of each day in {@code [first, last]} from the store.
     *
     * @param store the shared store
     * @param first the first day
     * @param last the last day (inclusive)
     * @return node to its days, days without counts left out
     * @throws SharedStateException if the store did not answer
     */
    public static Map<String, List<DailyCounts>> read(CounterStore store, LocalDate first, LocalDate last)
            throws SharedStateException {
        Map<String, List<DailyCounts>> out = new TreeMap<>();
        for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
            for (Map.Entry<String, Map<String, Long>> e : store.read(d).entrySet()) {
                DailyCounts c = unflatten(d, e.getValue());
                if (!c.counters().isEmpty() || !c.viruses().isEmpty()) {
                    out.computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>())
                            .add(c);
                }
            }
        }
        return out;
    }
}
