package org.mailhygiene.smtp.access;

import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.policy.SmtpReply;

/**
 * Decides whether a client may send to a recipient: anyone may send to an {@linkplain AcceptedDomains accepted
 * domain} and to the bare {@code postmaster}; only relay clients (see {@link AccessDecision#relay()}) may send
 * elsewhere.
 *
 * <p>Address forms that old relays interpreted as routing instructions never pass, whoever the client is and whatever
 * the domain: a {@code %} or {@code !} in the local part ({@code user%evil.example@ours}, {@code evil!user@ours}) and a
 * quoted local part holding {@code @} ({@code "user@evil.example"@ours}). Source routes ({@code @a,@b:user@c}) are
 * removed by the SMTP parser before this check, as RFC 5321 §4.1.1.3 and Appendix C ask, so the route's hosts are never
 * used and only the final mailbox is judged.
 *
 * <p>Immutable and thread-safe.
 */
public final class RelayControl {
    /** The reply for a recipient outside the accepted domains from a client without relay rights. */
    public static final SmtpReply RELAY_DENIED = new SmtpReply(554, "5.7.1", "Relay access denied");

    /** The reply for {@code %}, {@code !} and quoted-{@code @} address forms. */
    public static final SmtpReply ROUTING_FORM_DENIED =
            new SmtpReply(553, "5.7.1", "Address form not accepted: no %, ! or @ routing in the local part");

    private final AcceptedDomains acceptedDomains;

    /**
     * A relay control over the given accepted domains.
     *
     * @param acceptedDomains the domains anyone may send to
     */
    public RelayControl(AcceptedDomains acceptedDomains) {
        this.acceptedDomains = Objects.requireNonNull(acceptedDomains, "acceptedDomains");
    }

    /**
     * Checks one recipient.
     *
     * @param localPart the local part as written, without surrounding quotes when quoted (escapes removed)
     * @param quoted whether the local part was a quoted string
     * @param domain the domain or address literal (with brackets); empty only for the bare {@code postmaster}
     * @param clientMayRelay whether the client has relay rights
     * @return empty when the recipient is acceptable, else the rejection reply
     */
    public Optional<SmtpReply> check(String localPart, boolean quoted, String domain, boolean clientMayRelay) {
        if (localPart.indexOf('%') >= 0 || localPart.indexOf('!') >= 0 || localPart.indexOf('@') >= 0) {
            return Optional.of(ROUTING_FORM_DENIED);
        }
        if (domain.isEmpty()) {
            return localPart.equalsIgnoreCase("postmaster") && !quoted
                    ? Optional.empty()
                    : Optional.of(new SmtpReply(553, "5.1.3", "Recipient address needs a domain"));
        }
        if (clientMayRelay || acceptedDomains.accepts(domain)) {
            return Optional.empty();
        }
        return Optional.of(RELAY_DENIED);
    }

    /**
     * The accepted domains.
     *
     * @return the accepted domains
     */
    public AcceptedDomains acceptedDomains() {
        return acceptedDomains;
    }
}
