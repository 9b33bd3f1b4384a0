/**
 * The stable API of Mail Hygiene: the message model, scanners and their verdicts, policy, routing, failover groups
 * and the listener SPI. This module has no run-time dependencies.
 */
// "module": the modules named in the qualified export below are built after this one, so javac cannot see them here.
@SuppressWarnings("module")
module org.mailhygiene.api {
    exports org.mailhygiene.api;
    exports org.mailhygiene.api.events;
    exports org.mailhygiene.api.failover;
    exports org.mailhygiene.api.policy;
    exports org.mailhygiene.api.routing;
    exports org.mailhygiene.api.shared;
    // Helpers shared by the project's own modules (virtual threads, argument checks, close and delete quietly): not
    // API, so exported to those modules only (module-path users cannot read it), and left out of the japicmp check.
    exports org.mailhygiene.internal to
            org.mailhygiene.scanners,
            org.mailhygiene.smtp,
            org.mailhygiene.milter,
            org.mailhygiene.metrics,
            org.mailhygiene.redis,
            org.mailhygiene.testkit;

    uses org.mailhygiene.api.shared.SharedStateProvider;
}
