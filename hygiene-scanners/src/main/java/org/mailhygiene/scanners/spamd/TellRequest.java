package org.mailhygiene.scanners.spamd;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a {@link SpamdCommand#TELL} request asks spamd to do: learn the message as spam or ham, forget it, report it to
 * or revoke it from remote services. Sent as the {@code Message-class}, {@code Set} and {@code Remove} headers.
 *
 * <p>Immutable and thread-safe.
 *
 * @param messageClass the class to learn; required when {@code set} is not empty
 * @param set the databases to add the message to
 * @param remove the databases to remove the message from
 */
public record TellRequest(Optional<MessageClass> messageClass, Set<Database> set, Set<Database> remove) {

    /** The class of a message being learned. */
    public enum MessageClass {
        /** Unsolicited bulk mail. */
        SPAM,
        /** Wanted mail. */
        HAM;

        String wire() {
            return this == SPAM ? "spam" : "ham";
        }
    }

    /** Where spamd records what it is told. */
    public enum Database {
        /** The local Bayes database. */
        LOCAL,
        /** Remote collaborative services (Razor, Pyzor, ...). */
        REMOTE;

        String wire() {
            return this == LOCAL ? "local" : "remote";
        }
    }

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if both sets are empty, if {@code set} is not empty without a message class,
     *     or if one database is both set and removed (spamd refuses that)
     */
    public TellRequest {
        Objects.requireNonNull(messageClass, "messageClass");
        set = Set.copyOf(Objects.requireNonNull(set, "set"));
        remove = Set.copyOf(Objects.requireNonNull(remove, "remove"));
        if (set.isEmpty() && remove.isEmpty()) {
            throw new IllegalArgumentException("a TELL request must set or remove at least one database");
        }
        if (!set.isEmpty() && messageClass.isEmpty()) {
            throw new IllegalArgumentException("setting " + set + " needs a message class (spam or ham)");
        }
        for (Database d : set) {
            if (remove.contains(d)) {
                throw new IllegalArgumentException("cannot set and remove " + d + " in the same request");
            }
        }
    }

    /**
     * Learn the message into the local Bayes database ({@code spamc -L spam|ham}).
     *
     * @param messageClass spam or ham
     * @return a new request
     */
    public static TellRequest learn(MessageClass messageClass) {
        return new TellRequest(Optional.of(messageClass), EnumSet.of(Database.LOCAL), Set.of());
    }

    /**
     * Forget a previously learned message, whichever class it was learned as ({@code spamc -L forget}).
     *
     * @return a new request
     */
    public static TellRequest forget() {
        return new TellRequest(Optional.empty(), Set.of(), EnumSet.of(Database.LOCAL));
    }

    /**
     * Forget a message previously learned as the given class. Same effect as {@link #forget()}; some deployments
     * log the class.
     *
     * @param messageClass the class it was learned as
     * @return a new request
     */
    public static TellRequest forget(MessageClass messageClass) {
        return new TellRequest(Optional.of(messageClass), Set.of(), EnumSet.of(Database.LOCAL));
    }

    /**
     * The header lines of this request, each ending in CRLF, in the order spamc sends them.
     *
     * @return the header text
     */
    String headerLines() {
        StringBuilder sb = new StringBuilder();
        messageClass.ifPresent(
                c -> sb.append("Message-class: ").append(c.wire()).append("\r\n"));
        if (!set.isEmpty()) {
            sb.append("Set: ").append(join(set)).append("\r\n");
        }
        if (!remove.isEmpty()) {
            sb.append("Remove: ").append(join(remove)).append("\r\n");
        }
        return sb.toString();
    }

    private static String join(Set<Database> dbs) {
        StringBuilder sb = new StringBuilder();
        for (Database d : Database.values()) {
            if (dbs.contains(d)) {
                sb.append(sb.length() == 0 ? "" : ", ").append(d.wire());
            }
        }
        return sb.toString();
    }
}
