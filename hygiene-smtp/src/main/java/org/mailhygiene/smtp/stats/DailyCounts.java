package org.mailhygiene.smtp.stats;

import java.time.LocalDate;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One node's counters for one day: the {@link Counter}s and the number of messages per virus name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param day the day (in the node's clock zone)
 * @param counters the counters; missing ones are zero
 * @param viruses messages per virus name, sorted by name
 */
public record DailyCounts(LocalDate day, Map<Counter, Long> counters, Map<String, Long> viruses) {

    /**
     * Copies the maps.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public DailyCounts {
        Objects.requireNonNull(day, "day");
        Map<Counter, Long> c = new EnumMap<>(Counter.class);
        counters.forEach((k, v) -> {
            if (v != 0) {
                c.put(k, v);
            }
        });
        counters = java.util.Collections.unmodifiableMap(c);
        viruses = java.util.Collections.unmodifiableMap(new TreeMap<>(viruses));
    }

    /**
     * An empty day.
     *
     * @param day the day
     * @return counts of zero
     */
    public static DailyCounts empty(LocalDate day) {
        return new DailyCounts(day, Map.of(), Map.of());
    }

    /**
     * One counter.
     *
     * @param counter the counter
     * @return its value, 0 when absent
     */
    public long get(Counter counter) {
        return counters.getOrDefault(counter, 0L);
    }

    /**
     * Adds another day's (or node's) counts to these, keeping this day.
     *
     * @param other the counts to add
     * @return the sum
     */
    public DailyCounts plus(DailyCounts other) {
        Map<Counter, Long> c = new EnumMap<>(Counter.class);
        c.putAll(counters);
        other.counters.forEach((k, v) -> c.merge(k, v, Long::sum));
        Map<String, Long> v = new TreeMap<>(viruses);
        other.viruses.forEach((k, n) -> v.merge(k, n, Long::sum));
        return new DailyCounts(day, c, v);
    }
}
