package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.delivery.RepeatedFailures.Decision;
import org.mailhygiene.smtp.delivery.RepeatedFailures.Level;

/**
 * A full disk failed every queued message's pass the same way, each logged as an ERROR with a stack trace every
 * minute; now the first is logged in full, the rest of the window quietly, and the next full line counts them.
 */
class RepeatedFailuresTest {
    private final AtomicLong nanos = new AtomicLong();
    private final RepeatedFailures failures = new RepeatedFailures(nanos::get, Duration.ofMinutes(5));
    private static final String DISK = "java.io.IOException: No space left on device";

    @Test
    void theSameFailureIsLoggedInFullOncePerWindowAndCounted() {
        assertThat(failures.record(DISK)).isEqualTo(new Decision(Level.FULL, 0));
        for (int i = 0; i < 999; i++) {
            assertThat(failures.record(DISK).level()).isEqualTo(Level.QUIET);
        }
        nanos.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(failures.record(DISK)).isEqualTo(new Decision(Level.FULL, 999));
        assertThat(failures.record(DISK).level()).isEqualTo(Level.QUIET);
    }

    @Test
    void anotherFailureIsLoggedInFullAtOnce() {
        assertThat(failures.record(DISK).level()).isEqualTo(Level.FULL);
        assertThat(failures.record(DISK).level()).isEqualTo(Level.QUIET);
        assertThat(failures.record("java.io.IOException: Read-only file system"))
                .isEqualTo(new Decision(Level.FULL, 1));
        assertThat(failures.record(DISK)).as("back to the first: new again").isEqualTo(new Decision(Level.FULL, 0));
    }

    @Test
    void aTickerThatWentBackLogsInFull() {
        nanos.set(Duration.ofHours(1).toNanos());
        assertThat(failures.record(DISK).level()).isEqualTo(Level.FULL);
        nanos.set(0);
        assertThat(failures.record(DISK).level()).isEqualTo(Level.FULL);
    }

    @Test
    void aSpoolRefusingEveryMessagesFileIsOneFailureNotOnePerFile() {
        // A spool remounted read-only: each message's update fails opening its own file, and the exception names it.
        java.nio.file.FileSystemException a =
                new java.nio.file.FileSystemException("/var/spool/hygiene/q/0AAA", null, "Read-only file system");
        java.nio.file.FileSystemException b =
                new java.nio.file.FileSystemException("/var/spool/hygiene/q/0BBB", null, "Read-only file system");
        assertThat(failures.record(RepeatedFailures.describe(a)).level()).isEqualTo(Level.FULL);
        assertThat(failures.record(RepeatedFailures.describe(b)).level()).isEqualTo(Level.QUIET);
        assertThat(RepeatedFailures.describe(new java.nio.file.AccessDeniedException("/var/spool/hygiene/q/0AAA")))
                .isEqualTo(RepeatedFailures.describe(
                        new java.nio.file.AccessDeniedException("/var/spool/hygiene/q/0BBB")));
        assertThat(RepeatedFailures.describe(new java.io.IOException("No space left on device")))
                .isEqualTo("java.io.IOException: No space left on device");
    }
}
