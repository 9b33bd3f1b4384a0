package org.mailhygiene.api;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The SMTP envelope of a message: who connected, what they said in HELO/EHLO, the reverse path and the forward paths.
 *
 * <p>The sender is the reverse path without angle brackets. The null reverse path {@code <>} used by bounces is the
 * empty string; {@link #hasNullSender()} tells it apart. Recipients are forward paths without angle brackets, in the
 * order they were given; the list is never empty for a message received over SMTP, but may be empty for a message
 * scanned outside the mail path (see {@link #unknown()}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param clientAddress the connecting client's IP address, empty when unknown (a file scanned from disk)
 * @param heloName the HELO/EHLO argument, empty when unknown
 * @param sender the reverse path without brackets; {@link #NULL_SENDER} ({@code ""}) for the null sender
 * @param recipients the forward paths without brackets; copied, never {@code null}
 * @param receivedAt when the message was received
 */
public record Envelope(
        Optional<InetAddress> clientAddress,
        Optional<String> heloName,
        String sender,
        List<String> recipients,
        Instant receivedAt) {

    /** The null reverse path, {@code <>} on the wire, as bounces use it. */
    public static final String NULL_SENDER = "";

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if any component or any recipient is {@code null}
     * @throws IllegalArgumentException if a recipient is blank or an address contains CR or LF
     */
    public Envelope {
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(heloName, "heloName");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(receivedAt, "receivedAt");
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        checkNoLineBreak(sender, "sender");
        for (String r : recipients) {
            if (r.isBlank()) {
                throw new IllegalArgumentException("recipient must not be blank");
            }
            checkNoLineBreak(r, "recipient");
        }
        heloName.ifPresent(h -> checkNoLineBreak(h, "heloName"));
    }

    private static void checkNoLineBreak(String value, String what) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException(what + " must not contain CR or LF");
        }
    }

    /**
     * An envelope for content scanned outside the mail path: no client, no HELO, null sender, no recipients, received
     * now.
     *
     * @return a new envelope
     */
    public static Envelope unknown() {
        return new Envelope(Optional.empty(), Optional.empty(), NULL_SENDER, List.of(), Instant.now());
    }

    /**
     * An envelope with the given sender and recipients and no client information, received now.
     *
     * @param sender the reverse path, {@code ""} for the null sender
     * @param recipients the forward paths
     * @return a new envelope
     * @throws IllegalArgumentException as the canonical constructor
     */
    public static Envelope of(String sender, List<String> recipients) {
        return new Envelope(Optional.empty(), Optional.empty(), sender, recipients, Instant.now());
    }

    /**
     * Whether the reverse path is the null sender {@code <>}.
     *
     * @return {@code true} for a bounce-style null sender
     */
    public boolean hasNullSender() {
        return sender.isEmpty();
    }

    /**
     * A copy with other recipients, for example after the relay split a transaction per next hop.
     *
     * @param newRecipients the forward paths
     * @return a new envelope
     */
    public Envelope withRecipients(List<String> newRecipients) {
        return new Envelope(clientAddress, heloName, sender, newRecipients, receivedAt);
    }
}
