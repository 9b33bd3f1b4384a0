package org.mailhygiene.api.shared;

import java.time.LocalDate;
import java.util.Map;

/**
 * Statistics counters per node and day, shared so that one report covers a whole cluster.
 *
 * <p>Each node publishes its own running totals for a day (it keeps them durably itself), replacing what it published
 * before: publishing is idempotent, so a node that restarts, or a store that lost its data, is simply brought up to
 * date by the next publication, and nothing is ever counted twice. Counter names are free-form strings chosen by the
 * caller (the relay uses its counter names and {@code virus:NAME}). Implementations are thread-safe and keep each day
 * for a bounded time (the Redis one: 400 days).
 */
public interface CounterStore {
    /**
     * Replaces {@code node}'s counters of {@code day} with {@code totals}, atomically.
     *
     * @param node the node's name
     * @param day the day the totals belong to
     * @param totals counter name to the node's total for that day (zero entries are left out)
     * @throws SharedStateException if the store did not answer (the previous publication may still stand)
     */
    void publish(String node, LocalDate day, Map<String, Long> totals) throws SharedStateException;

    /**
     * Reads every node's counters of {@code day}.
     *
     * @param day the day
     * @return node name to its counters; empty if nothing was recorded
     * @throws SharedStateException if the store did not answer
     */
    Map<String, Map<String, Long>> read(LocalDate day) throws SharedStateException;
}
