package org.mailhygiene.smtp.topology;

import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;

/** What a node does in the topology; decides its default policy and how its relay clients are treated. */
public enum Role {
    /**
     * An edge relay: accepts mail for the accepted domains from anyone (without relay rights), scores spam and tags
     * it, forwards inbound mail to the gateway; only its relay clients (the gateway) may send outbound mail through it.
     * Default policy: {@link DefaultPolicy#defaults()} (spam: TAG with {@code [SPAM]}; virus: REJECT at DATA with
     * {@code 554}; scanner failure: TEMPFAIL).
     */
    EDGE,
    /**
     * The virus gateway: accepts SMTP only from its relay clients (the edges and the internal servers; everybody else
     * is refused at connect), scans every message and routes by static routes. Default policy: virus QUARANTINE (the
     * sender may be forged, so it is never bounced, and nothing is silently lost), spam TAG {@code [SPAM]}, scanner
     * failure TEMPFAIL.
     */
    GATEWAY;

    /**
     * The role's default policy, as described on each constant.
     *
     * @return a new policy
     */
    public Policy defaultPolicy() {
        return switch (this) {
            case EDGE -> DefaultPolicy.defaults();
            case GATEWAY -> DefaultPolicy.builder().onVirus(Action.QUARANTINE).build();
        };
    }
}
