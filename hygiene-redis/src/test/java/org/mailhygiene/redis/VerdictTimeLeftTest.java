package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.server.FakeServer;

/**
 * The time a verdict without an expiry of its own (written by a node without a secret) has left: its key's {@code PTTL},
 * asked after the {@code GET}. A server that answers {@code -2} (the key expired, or was deleted, between the two) says
 * the verdict is gone; it was taken as "no time known", and the node kept the verdict locally for its whole
 * verdict-cache expiry (an hour) after the store had dropped it. A scripted server answers in that order, which a real
 * one does only when the expiry falls between the two commands.
 */
class VerdictTimeLeftTest {
    private static final String SHA = "0".repeat(64);

    /** A server that answers GET with {@code value}, PTTL with {@code pttl}, and everything else with OK. */
    private static FakeServer redis(String value, long pttl) throws Exception {
        return FakeServer.builder("fake-redis", c -> {
                    BufferedReader in = new BufferedReader(new InputStreamReader(c.input(), StandardCharsets.UTF_8));
                    OutputStream out = c.output();
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (!line.startsWith("*")) {
                            continue;
                        }
                        int n = Integer.parseInt(line.substring(1));
                        List<String> args = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            in.readLine(); // $length
                            args.add(in.readLine());
                        }
                        String cmd = args.get(0).toUpperCase(java.util.Locale.ROOT);
                        String reply;
                        if (cmd.equals("GET")) {
                            byte[] b = value.getBytes(StandardCharsets.UTF_8);
                            reply = "$" + b.length + "\r\n" + value + "\r\n";
                        } else if (cmd.equals("PTTL")) {
                            reply = ":" + pttl + "\r\n";
                        } else {
                            reply = "+OK\r\n";
                        }
                        out.write(reply.getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                })
                .start();
    }

    @Test
    void aKeyGoneBeforeItsTimeToLiveWasAskedIsAMiss() throws Exception {
        String plain = VerdictCodec.encode(Verdict.infected("sig", List.of("Eicar-Test-Signature"), Duration.ZERO));
        try (FakeServer gone = redis(plain, -2);
                RedisSharedState state =
                        RedisSharedState.open("redis://127.0.0.1:" + gone.port(), Duration.ofSeconds(5))) {
            assertThat(state.verdicts().find("sig 1", SHA))
                    .as("expired between GET and PTTL")
                    .isEmpty();
        }
        try (FakeServer lasting = redis(plain, 90_000);
                RedisSharedState state =
                        RedisSharedState.open("redis://127.0.0.1:" + lasting.port(), Duration.ofSeconds(5))) {
            assertThat(state.verdicts().find("sig 1", SHA))
                    .hasValueSatisfying(f -> assertThat(f.timeLeft()).contains(Duration.ofSeconds(90)));
        }
        try (FakeServer persistent = redis(plain, -1);
                RedisSharedState state =
                        RedisSharedState.open("redis://127.0.0.1:" + persistent.port(), Duration.ofSeconds(5))) {
            assertThat(state.verdicts().find("sig 1", SHA))
                    .as("a key without a time to live: the verdict, no time known")
                    .hasValueSatisfying(f -> assertThat(f.timeLeft()).isEmpty());
        }
    }
}
