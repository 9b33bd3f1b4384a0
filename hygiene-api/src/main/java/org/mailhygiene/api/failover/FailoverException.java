package org.mailhygiene.api.failover;

import java.util.List;
import java.util.Objects;

/**
 * A {@link FailoverGroup} call that did not succeed on any member. {@link #getCause()} is the last member's exception,
 * if any member was tried.
 */
public final class FailoverException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the call ended. */
    public enum Reason {
        /** Every member was in back-off; none was tried. */
        ALL_DOWN,
        /** Every available member was tried and failed. */
        EXHAUSTED,
        /** The group's deadline passed before a member succeeded. */
        DEADLINE_EXCEEDED,
        /**
         * A member failed with an exception that the group's failover predicate says is not the member's fault (for
         * example "message too large"); no other member was tried and the member was not marked down.
         */
        NOT_RETRYABLE
    }

    /**
     * One failed try.
     *
     * @param member the member's name
     * @param error what it threw
     */
    public record Attempt(String member, Throwable error) {
        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Attempt {
            Objects.requireNonNull(member, "member");
            Objects.requireNonNull(error, "error");
        }
    }

    private final Reason reason;
    private final transient List<Attempt> attempts;

    /**
     * Creates the exception.
     *
     * @param group the group's name
     * @param reason why the call ended
     * @param attempts the failed tries in order; copied
     */
    public FailoverException(String group, Reason reason, List<Attempt> attempts) {
        this(group, reason, attempts, List.of());
    }

    /**
     * Creates the exception with notes on members that were not tried: {@link FailoverGroup} gives, for
     * {@link Reason#ALL_DOWN}, each member's remaining back-off and last error, so that a tempfail built from the
     * message says which instances are down and why.
     *
     * @param group the group's name
     * @param reason why the call ended
     * @param attempts the failed tries in order; copied
     * @param notes texts appended to the message after the attempts, each after {@code "; "}
     * @throws NullPointerException if an argument or a note is {@code null}
     */
    public FailoverException(String group, Reason reason, List<Attempt> attempts, List<String> notes) {
        super(
                message(group, reason, attempts, notes),
                attempts.isEmpty() ? null : attempts.get(attempts.size() - 1).error());
        this.reason = Objects.requireNonNull(reason, "reason");
        this.attempts = List.copyOf(attempts);
    }

    private static String message(String group, Reason reason, List<Attempt> attempts, List<String> notes) {
        StringBuilder sb = new StringBuilder(group)
                .append(": ")
                .append(
                        switch (reason) {
                            case ALL_DOWN -> "all members are down";
                            case EXHAUSTED -> "every member failed";
                            case DEADLINE_EXCEEDED -> "deadline exceeded";
                            case NOT_RETRYABLE -> "failed (not retryable)";
                        });
        for (Attempt a : attempts) {
            String error = a.error().getMessage();
            sb.append("; ");
            // a member's own error usually names its address already ("127.0.0.1:3310: connect failed"): once is
            // enough
            if (error == null || !error.contains(a.member())) {
                sb.append(a.member()).append(": ");
            }
            sb.append(error);
        }
        for (String note : notes) {
            sb.append("; ").append(Objects.requireNonNull(note, "note"));
        }
        return sb.toString();
    }

    /**
     * Why the call ended.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The failed tries in order (empty for {@link Reason#ALL_DOWN}).
     *
     * @return an unmodifiable list
     */
    public List<Attempt> attempts() {
        return attempts == null ? List.of() : attempts;
    }
}
