package org.mailhygiene.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.failover.FailoverException;
import org.mailhygiene.api.failover.FailoverException.Attempt;
import org.mailhygiene.api.failover.FailoverException.Reason;

class FailoverKindTest {
    /** The test's errors carry their kind in the message. */
    private static final Function<Throwable, Kind> KIND = e -> Kind.valueOf(e.getMessage());

    private static FailoverException failed(Reason reason, Kind... kinds) {
        List<Attempt> attempts = java.util.Arrays.stream(kinds)
                .map(k -> new Attempt("m-" + k, new IOException(k.name())))
                .toList();
        return new FailoverException("g", reason, attempts);
    }

    @Test
    void theOneRule() {
        assertThat(Kind.ofFailover(failed(Reason.ALL_DOWN), KIND)).isEqualTo(Kind.UNAVAILABLE);
        assertThat(Kind.ofFailover(failed(Reason.DEADLINE_EXCEEDED, Kind.PROTOCOL_ERROR), KIND))
                .isEqualTo(Kind.TIMED_OUT);
        assertThat(Kind.ofFailover(failed(Reason.EXHAUSTED, Kind.TIMED_OUT, Kind.TIMED_OUT), KIND))
                .isEqualTo(Kind.TIMED_OUT);
        assertThat(Kind.ofFailover(failed(Reason.EXHAUSTED, Kind.UNAVAILABLE, Kind.PROTOCOL_ERROR), KIND))
                .isEqualTo(Kind.UNAVAILABLE);
        assertThat(Kind.ofFailover(failed(Reason.EXHAUSTED, Kind.PROTOCOL_ERROR, Kind.UNAVAILABLE), KIND))
                .isEqualTo(Kind.UNAVAILABLE);
        assertThat(Kind.ofFailover(failed(Reason.EXHAUSTED, Kind.PROTOCOL_ERROR), KIND))
                .isEqualTo(Kind.PROTOCOL_ERROR);
        assertThat(Kind.ofFailover(failed(Reason.NOT_RETRYABLE, Kind.UNAVAILABLE, Kind.TOO_LARGE), KIND))
                .isEqualTo(Kind.TOO_LARGE);
    }
}
