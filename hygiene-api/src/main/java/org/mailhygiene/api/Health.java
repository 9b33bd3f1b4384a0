package org.mailhygiene.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The result of a scanner's health probe (for clamd, a {@code PING}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param status up, down or unknown
 * @param detail what the probe saw, e.g. {@code PONG} or {@code connection refused}
 * @param latency how long the probe took
 */
public record Health(Status status, String detail, Duration latency) {

    /** Probe outcomes. */
    public enum Status {
        /** The scanner answered its probe. */
        UP,
        /** The scanner did not answer or answered wrongly. */
        DOWN,
        /** The scanner has no probe (an in-process scanner). */
        UNKNOWN
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public Health {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(latency, "latency");
    }

    /**
     * An up result.
     *
     * @param detail what the probe saw
     * @param latency probe time
     * @return a new health result
     */
    public static Health up(String detail, Duration latency) {
        return new Health(Status.UP, detail, latency);
    }

    /**
     * A down result.
     *
     * @param detail why
     * @param latency probe time
     * @return a new health result
     */
    public static Health down(String detail, Duration latency) {
        return new Health(Status.DOWN, detail, latency);
    }

    /**
     * The result for scanners without a probe.
     *
     * @return an unknown-status result
     */
    public static Health unknown() {
        return new Health(Status.UNKNOWN, "no health probe", Duration.ZERO);
    }

    /**
     * Whether the probe saw the scanner up.
     *
     * @return {@code true} only for {@link Status#UP}
     */
    public boolean isUp() {
        return status == Status.UP;
    }
}
