/**
 * The shared-state SPI: what relay nodes, milters and pipelines may share across machines (verdicts of identical
 * content, rate-limit buckets, statistics counters, learned spam-classifier token counts), and how they find an
 * implementation.
 *
 * <p>Every operation here may fail with {@link org.mailhygiene.api.shared.SharedStateException}; callers treat a failure
 * as "nothing shared right now" and fall back to their local state. A failure is never taken for a clean verdict, a
 * granted limit or a learned message. The in-process implementation (hygiene-scanners) is the embedded default; the
 * Redis implementation lives in the hygiene-redis module and is found through {@link
 * org.mailhygiene.api.shared.SharedStateProvider} with {@link java.util.ServiceLoader}.
 */
package org.mailhygiene.api.shared;
