package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.clamd.FakeClamd;

/**
 * Two clamd scanners configured alike (as on two relay nodes) have the same cache identity, so a shared verdict cache
 * shares their verdicts; a scanner's own RELOAD makes its identity private.
 */
class ClamdSharedIdentityTest {
    private static String identity(ClamdScanner s) throws Exception {
        return Await.value("the version check answered", s::cacheIdentity, Optional::isPresent)
                .get();
    }

    @Test
    void scannersConfiguredAlikeShareTheirIdentityUntilTheirOwnReload() throws Exception {
        try (FakeClamd clamd = FakeClamd.start()) {
            ClamdScanner a = ClamdScanner.builder()
                    .address(clamd.tcpAddress())
                    .reloadSettle(Duration.ofMillis(50))
                    .build();
            ClamdScanner b = ClamdScanner.builder()
                    .address(clamd.tcpAddress())
                    .reloadSettle(Duration.ofMillis(50))
                    .build();
            String idA = identity(a);
            assertThat(identity(b)).isEqualTo(idA);
            a.reloadAll();
            String afterReload = identity(a);
            assertThat(afterReload).isNotEqualTo(idA).isNotEqualTo(identity(b));
        }
    }
}
