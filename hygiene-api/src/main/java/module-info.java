/**
 * The stable API of Mail Hygiene: the message model, scanners and their verdicts, policy, routing, failover groups
 * and the listener SPI. This module has no run-time dependencies.
 */
module org.mailhygiene.api {
    exports org.mailhygiene.api;
    exports org.mailhygiene.api.events;
    exports org.mailhygiene.api.failover;
    exports org.mailhygiene.api.policy;
    exports org.mailhygiene.api.routing;
    exports org.mailhygiene.api.shared;

    uses org.mailhygiene.api.shared.SharedStateProvider;
}
