package org.mailhygiene.scanners.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.testkit.junit.FakeClamdExtension;

/** The scheduler running an update command and then RELOAD of every clamd in a group. */
class ClamdReloadSchedulingTest {
    @RegisterExtension
    final FakeClamdExtension a = FakeClamdExtension.create();

    @RegisterExtension
    final FakeClamdExtension b = FakeClamdExtension.create();

    @Test
    void updateCommandThenReloadOfEveryInstance() throws Exception {
        ClamdScanner scanner = ClamdScanner.builder()
                .address(a.get().tcpAddress())
                .address(b.get().unixAddress())
                .reloadSettle(Duration.ZERO)
                .versionCheckExecutor(Runnable::run)
                .build();
        String before = scanner.cacheIdentity().orElseThrow();
        try (SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("clamav")
                .step(UpdateStep.command(
                        "freshclam", List.of("sh", "-c", "echo Database updated"), Duration.ofSeconds(30)))
                .step(scanner.reloadStep())
                .build()) {
            SignatureUpdateScheduler.Run run = s.runNow().orElseThrow();
            assertThat(run.success()).as(run.detail()).isTrue();
            assertThat(run.detail())
                    .isEqualTo("freshclam ok (exit 0: Database updated); clamd-reload ok (RELOADING on 2 instance(s))");
        }
        assertThat(a.get().reloadCount()).isEqualTo(1);
        assertThat(b.get().reloadCount()).isEqualTo(1);
        assertThat(scanner.cacheIdentity()).isPresent().get().isNotEqualTo(before);
    }
}
