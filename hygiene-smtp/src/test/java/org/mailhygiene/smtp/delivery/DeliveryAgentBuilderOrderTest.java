package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.queue.Spool;

/** {@link DeliveryAgent.Builder}: hop back-offs are checked in build(), so the order of the calls never matters. */
class DeliveryAgentBuilderOrderTest {
    @TempDir
    Path dir;

    private void build(UnaryOperator<DeliveryAgent.Builder> settings) throws Exception {
        try (Spool spool = Spool.builder(dir.resolve("spool")).build()) {
            StaticRouter router = StaticRouter.builder()
                    .defaultRoute(Route.Relay.to(new NextHop("127.0.0.1", 25)))
                    .build();
            settings.apply(DeliveryAgent.builder(spool, router)).build().close();
        }
    }

    @Test
    void aLongInitialBackOffIsFineOnceTheMaximumIsRaisedInEitherOrder() throws Exception {
        build(b -> b.hopInitialBackoff(Duration.ofMinutes(20)).hopMaxBackoff(Duration.ofMinutes(30)));
        build(b -> b.hopMaxBackoff(Duration.ofMinutes(30)).hopInitialBackoff(Duration.ofMinutes(20)));
        // A default yields to an explicit setting.
        build(b -> b.hopInitialBackoff(Duration.ofMinutes(20)));
        build(b -> b.hopMaxBackoff(Duration.ofSeconds(5)));
    }

    @Test
    void twoConflictingExplicitBackOffsAreRefusedByBuildInEitherOrder() {
        String message = "hopInitialBackoff PT2M exceeds hopMaxBackoff PT1M";
        assertThatThrownBy(() ->
                        build(b -> b.hopInitialBackoff(Duration.ofMinutes(2)).hopMaxBackoff(Duration.ofMinutes(1))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(message);
        assertThatThrownBy(() ->
                        build(b -> b.hopMaxBackoff(Duration.ofMinutes(1)).hopInitialBackoff(Duration.ofMinutes(2))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(message);
    }
}
