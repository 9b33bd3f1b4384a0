package org.mailhygiene.metrics;

import java.time.Duration;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;

/** A scanner whose probe says DOWN ("connection refused") while its scans are clean: a health check's case. */
final class DownScanner {
    private DownScanner() {}

    static Scanner named(String name) {
        return new Scanner() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Verdict scan(Message message) {
                return Verdict.clean(name, Duration.ZERO);
            }

            @Override
            public Health health() {
                return Health.down("connection refused", Duration.ZERO);
            }
        };
    }
}
