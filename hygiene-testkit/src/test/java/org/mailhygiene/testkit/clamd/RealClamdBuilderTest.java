package org.mailhygiene.testkit.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The builder refuses, when the setting is made, what {@link RealClamd.Builder#start()} could not honour. A
 * {@code configLine("TCPSocket N")} used to replace the generated port silently: {@code start()} then waited for a
 * {@code PONG} on the generated port until its timeout (60 s), three times, and failed (measured with a 15 s timeout:
 * an IOException after 45 s), and {@code port()} would have named a port clamd did not listen on; a zero start
 * timeout was accepted although documented as positive. No clamd is started.
 */
class RealClamdBuilderTest {
    private final RealClamd.Builder builder = RealClamd.builder(Path.of("/usr/sbin/clamd"));

    @Test
    void optionsTheClassManagesCannotBeReplaced() {
        for (String line : new String[] {
            "TCPSocket 44100",
            "tcpaddr 0.0.0.0",
            "LocalSocket /tmp/x.sock",
            "LogFile /tmp/x.log",
            "  PidFile /x",
            "Foreground no"
        }) {
            assertThatThrownBy(() -> builder.configLine(line))
                    .as(line)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(
                            "clamd.conf option " + line.strip().split(" ")[0] + " is set by RealClamd itself");
        }
        assertThatThrownBy(() -> builder.configLine("  ")).hasMessage("a clamd.conf line must not be blank");
    }

    @Test
    void otherOptionsAreTaken() {
        assertThat(builder.configLine("AlertExceedsMax no").configLine("MaxScanSize 10M"))
                .isSameAs(builder);
    }

    @Test
    void theStartTimeoutMustBePositive() {
        assertThatThrownBy(() -> builder.startTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startTimeout");
        assertThatThrownBy(() -> builder.startTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
