package org.mailhygiene.api.shared;

import java.time.LocalDate;
import java.util.Map;

/**
 * Statistics counters per node and day, shared so that one report covers a whole cluster.
 *
 * <p>Counter names are free-form strings chosen by the caller (the relay uses its counter names and
 * {@code virus:NAME}). Implementations are thread-safe and keep each day for a bounded time (the Redis one: 400
 * days).
 */
public interface CounterStore {
    /**
     * Adds {@code deltas} to {@code node}'s counters of {@code day}.
     *
     * @param node the node's name
     * @param day the day the events belong to
     * @param deltas counter name to the amount to add (zero entries are skipped)
     * @throws SharedStateException if the store did not answer (nothing is known to have been added)
     */
    void add(String node, LocalDate day, Map<String, Long> deltas) throws SharedStateException;

    /**
     * Reads every node's counters of {@code day}.
     *
     * @param day the day
     * @return node name to its counters; empty if nothing was recorded
     * @throws SharedStateException if the store did not answer
     */
    Map<String, Map<String, Long>> read(LocalDate day) throws SharedStateException;
}
