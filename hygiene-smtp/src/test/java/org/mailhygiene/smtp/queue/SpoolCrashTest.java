package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Kills a JVM that is storing messages with SIGKILL, then recovers its spool: nothing acknowledged is lost. */
class SpoolCrashTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void everyAcknowledgedMessageAndUpdateSurvivesSigkill() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-XX:TieredStopAtLevel=1",
                        SpoolCrashChild.class.getName(),
                        dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Map<String, Integer> acked = new HashMap<>();
        Set<String> updated = new HashSet<>();
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("ACK")) {
                    acked.put(f[2], Integer.parseInt(f[1]));
                } else if (f[0].equals("UPD")) {
                    updated.add(f[1]);
                }
                if (acked.size() >= 300 && p.isAlive()) {
                    // SIGKILL on Linux: no shutdown hooks, no close(). Keep reading: lines the child wrote before
                    // it died are still in the pipe, and every ACK among them was a returned store.
                    p.toHandle().destroyForcibly(); // the handle's kill leaves our end of the pipe open
                }
            }
        } finally {
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acked).hasSizeGreaterThanOrEqualTo(300);
        try (Spool spool = Spool.open(dir)) {
            List<QueuedMessage> recovered = spool.recover();
            Map<String, QueuedMessage> byId = new HashMap<>();
            recovered.forEach(m -> byId.put(m.id().value(), m));
            // Nothing acknowledged is lost, and at most the message in flight was added beyond them.
            assertThat(byId.keySet()).containsAll(acked.keySet());
            assertThat(recovered.size() - acked.size()).isBetween(0, 1);
            for (Map.Entry<String, Integer> e : acked.entrySet()) {
                QueuedMessage m = byId.get(e.getKey());
                assertThat(m.content().readAllBytes()).isEqualTo(SpoolCrashChild.body(e.getValue()));
                RecipientState a = m.recipients().get(0);
                if (updated.contains(e.getKey())) {
                    assertThat(a.status()).isEqualTo(RecipientState.Status.DELIVERED);
                }
                assertThat(m.recipients().get(1).status()).isEqualTo(RecipientState.Status.PENDING);
            }
        }
    }
}
