package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.testkit.junit.RealRedisExtension;

/**
 * Two nodes of one {@code name} publish their statistics to one hash, each replacing the other's totals at every
 * flush: until session 47 nothing said so (two relay nodes named {@code node-a} published 47 and 4 twenty
 * milliseconds apart, and {@code hygiene report --redis} showed 4). Now the store logs it; a node restarted (a new
 * process finding its predecessor's totals) is no such case.
 */
class SharedNodeNameTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String WARNING = "another process publishes statistics as node 'edge-1'";

    @RegisterExtension
    final RealRedisExtension redis = RealRedisExtension.create();

    @Test
    void twoStoresPublishingOneNodeNameAreLoggedOnce() throws Exception {
        LocalDate day = LocalDate.of(2026, 12, 7);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        try (RedisSharedState first = RedisSharedState.open(redis.url(), TIMEOUT);
                RedisSharedState restarted = RedisSharedState.open(redis.url(), TIMEOUT);
                RedisSharedState twin = RedisSharedState.open(redis.url(), TIMEOUT)) {
            // slf4j-simple writes each line to the System.err of the moment
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            first.counters().publish("edge-1", day, Map.of("received", 5L));
            first.counters().publish("edge-1", day, Map.of("received", 6L));
            first.counters().publish("edge-2", day, Map.of("received", 1L));
            // the same node after a restart: it finds its predecessor's totals once, then its own
            restarted.counters().publish("edge-1", day, Map.of("received", 6L));
            restarted.counters().publish("edge-1", day, Map.of("received", 7L));
            first.counters().publish("edge-2", day, Map.of("received", 2L));
            assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("another process");

            twin.counters().publish("edge-1", day, Map.of("received", 1L));
            for (int i = 0; i < 5; i++) {
                restarted.counters().publish("edge-1", day, Map.of("received", 8L + i));
                twin.counters().publish("edge-1", day, Map.of("received", 2L + i));
            }
            String log = captured.toString(StandardCharsets.UTF_8);
            assertThat(log.split(WARNING, -1))
                    .as("logged, and once per store, not at every flush: %s", log)
                    .hasSize(3);
            assertThat(log).contains("give each node its own name");
            assertThat(first.counters().read(day))
                    .as("the statistics read as before")
                    .containsOnlyKeys("edge-1", "edge-2")
                    .containsEntry("edge-1", Map.of("received", 6L));
        } finally {
            System.setErr(err);
        }
    }
}
