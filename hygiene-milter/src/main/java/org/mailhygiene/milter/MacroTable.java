package org.mailhygiene.milter;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The macros an MTA sent on one milter connection, kept by the command they were sent for, as libmilter keeps them.
 *
 * <p>An MTA sends a command's macros ({@code SMFIC_MACRO} naming the command) just before the command: the connection's
 * ({@code j}, {@code {daemon_name}}, {@code _}) before {@code SMFIC_CONNECT}, the transaction's ({@code i}, {@code
 * {auth_authen}}, {@code {mail_addr}}) before {@code SMFIC_MAIL}, and so on. A command's packet replaces what was sent
 * for that command before; {@link #get(String)} finds a name in the latest command's macros first (end of message,
 * end of header, body, header, DATA, RCPT, MAIL, HELO, CONNECT, then any other command). {@link #startTransaction()}
 * (at {@code SMFIC_MAIL}) forgets the macros of the commands after MAIL, {@link #endTransaction()} (at the end of a
 * message or {@code SMFIC_ABORT}) those of MAIL and after, {@link #startConnection()} (at {@code SMFIC_CONNECT}) all
 * but CONNECT's, {@link #clear()} (at {@code SMFIC_QUIT_NC}) all. So a queue id Sendmail sends only before MAIL, and
 * the connection's macros sent before CONNECT, last as long as what they describe.
 *
 * <p>Bounded: at most {@code maxMacros} names and {@code maxChars} characters of names and values over every command;
 * past either bound a packet's further entries are dropped (one packet may carry a megabyte of them). Not thread-safe:
 * one connection's reader owns it.
 */
final class MacroTable {
    /** Commands in the order of a transaction, latest last: {@link #get} searches them from the end. */
    private static final byte[] ORDER = {'C', 'H', 'M', 'R', 'T', 'L', 'N', 'B', 'E'};

    private final int maxMacros;
    private final long maxChars;
    private final Map<Byte, Map<String, String>> byCommand = new HashMap<>();
    private int count;
    private long chars;

    /**
     * @param maxMacros the most names kept over every command
     * @param maxChars the most characters of names and values kept over every command
     */
    MacroTable(int maxMacros, long maxChars) {
        this.maxMacros = maxMacros;
        this.maxChars = maxChars;
    }

    /**
     * Records one {@code SMFIC_MACRO} packet's macros for {@code command}, replacing what was sent for it before, entry
     * by entry within the bounds.
     */
    void put(byte command, Map<String, String> values) {
        forget(command);
        Map<String, String> kept = new HashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String old = kept.get(e.getKey());
            long grows = e.getValue().length() + (old == null ? e.getKey().length() : -old.length());
            if ((old != null || count < maxMacros) && chars + grows <= maxChars) {
                kept.put(e.getKey(), e.getValue());
                chars += grows;
                if (old == null) {
                    count++;
                }
            }
        }
        if (!kept.isEmpty()) {
            byCommand.put(command, kept);
        }
    }

    /** The value of macro {@code name} (as sent, braces included: {@code {auth_authen}}), latest command first. */
    Optional<String> get(String name) {
        for (int i = ORDER.length - 1; i >= 0; i--) {
            Map<String, String> m = byCommand.get(ORDER[i]);
            if (m != null && m.containsKey(name)) {
                return Optional.of(m.get(name));
            }
        }
        for (Map.Entry<Byte, Map<String, String>> e : byCommand.entrySet()) {
            if (rank(e.getKey()) < 0 && e.getValue().containsKey(name)) {
                return Optional.of(e.getValue().get(name));
            }
        }
        return Optional.empty();
    }

    /** At {@code SMFIC_CONNECT}: forgets every command's macros but CONNECT's own, just sent. */
    void startConnection() {
        byCommand.keySet().removeIf(c -> c != 'C');
        recount();
    }

    /** At {@code SMFIC_MAIL}: forgets the macros of the commands after MAIL (a transaction the MTA did not end). */
    void startTransaction() {
        byCommand.keySet().removeIf(c -> rank(c) > rank((byte) 'M') || rank(c) < 0);
        recount();
    }

    /** At the end of a message or {@code SMFIC_ABORT}: forgets the macros of MAIL and every command after it. */
    void endTransaction() {
        byCommand.keySet().removeIf(c -> rank(c) >= rank((byte) 'M') || rank(c) < 0);
        recount();
    }

    /** At {@code SMFIC_QUIT_NC}: forgets everything. */
    void clear() {
        byCommand.clear();
        count = 0;
        chars = 0;
    }

    /** Names kept, over every command. */
    int size() {
        return count;
    }

    private void forget(byte command) {
        Map<String, String> old = byCommand.remove(command);
        if (old != null) {
            for (Map.Entry<String, String> e : old.entrySet()) {
                count--;
                chars -= e.getKey().length() + e.getValue().length();
            }
        }
    }

    private void recount() {
        count = 0;
        chars = 0;
        for (Map<String, String> m : byCommand.values()) {
            for (Map.Entry<String, String> e : m.entrySet()) {
                count++;
                chars += e.getKey().length() + e.getValue().length();
            }
        }
    }

    private static int rank(byte command) {
        for (int i = 0; i < ORDER.length; i++) {
            if (ORDER[i] == command) {
                return i;
            }
        }
        return -1;
    }
}
