package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.clamd.FakeClamd;
import org.mailhygiene.testkit.spamd.FakeSpamd;
import org.mailhygiene.testkit.spamd.Fault;

/**
 * Every scanner that calls its instances through a {@link FailoverGroup} maps a failed group call to a failure kind by
 * the api's one rule, {@link Kind#ofFailover}. Each fixture builds its scanner over instances that behave as asked;
 * the same scenarios must give the same kinds for all of them.
 */
class FailoverKindContractTest {

    /** How one instance behaves for every connection. */
    enum Behaviour {
        /** Nothing listens: connection refused, an UNAVAILABLE attempt. */
        REFUSED,
        /** Answers bytes that are not the protocol: a PROTOCOL_ERROR attempt. */
        GARBAGE
    }

    /** Builds one kind of failover-using scanner. */
    interface Fixture {
        Scanner scanner(List<Behaviour> instances, Clock clock) throws IOException;

        FailoverGroup<?> group(Scanner scanner);
    }

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : resources) {
            c.close();
        }
    }

    static int refusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Stream<String> scanners() {
        return Stream.of("clamd", "spamd");
    }

    Fixture fixture(String which) {
        if (which.equals("clamd")) {
            return new Fixture() {
                @Override
                public Scanner scanner(List<Behaviour> instances, Clock clock) throws IOException {
                    ClamdScanner.Builder b = ClamdScanner.builder().clock(clock);
                    for (Behaviour x : instances) {
                        if (x == Behaviour.REFUSED) {
                            b.address("127.0.0.1:" + refusedPort());
                        } else {
                            FakeClamd f = FakeClamd.start();
                            resources.add(f);
                            f.enqueue(FakeClamd.Fault.garbage());
                            b.address(f.tcpAddress());
                        }
                    }
                    return b.build();
                }

                @Override
                public FailoverGroup<?> group(Scanner scanner) {
                    return ((ClamdScanner) scanner).group();
                }
            };
        }
        return new Fixture() {
            @Override
            public Scanner scanner(List<Behaviour> instances, Clock clock) throws IOException {
                SpamdScanner.Builder b = SpamdScanner.builder().clock(clock);
                for (Behaviour x : instances) {
                    if (x == Behaviour.REFUSED) {
                        b.server("127.0.0.1:" + refusedPort());
                    } else {
                        FakeSpamd f = FakeSpamd.start();
                        resources.add(f);
                        f.failAll(new Fault.Garbage("HTTP/1.1 400 Bad Request\r\n\r\n"));
                        b.server(f.address());
                    }
                }
                return b.build();
            }

            @Override
            public FailoverGroup<?> group(Scanner scanner) {
                return ((SpamdScanner) scanner).group();
            }
        };
    }

    private static Kind failureKind(Scanner s) {
        try {
            s.scan(SampleMessages.cleanMessage());
        } catch (ScanException e) {
            return e.failure().kind();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError(s.name() + " did not fail");
    }

    @ParameterizedTest
    @MethodSource("scanners")
    void instancesFailingInDifferentWaysAreUnavailable(String which) throws Exception {
        Fixture f = fixture(which);
        // The preferred instance refuses (UNAVAILABLE), the second answers garbage (PROTOCOL_ERROR): the last error
        // alone must not decide.
        Scanner s = f.scanner(List.of(Behaviour.REFUSED, Behaviour.GARBAGE), Clock.systemUTC());
        assertThat(failureKind(s)).isEqualTo(Kind.UNAVAILABLE);
    }

    @ParameterizedTest
    @MethodSource("scanners")
    void instancesFailingAlikeGiveThatKind(String which) throws Exception {
        Fixture f = fixture(which);
        Scanner s = f.scanner(List.of(Behaviour.GARBAGE, Behaviour.GARBAGE), Clock.systemUTC());
        assertThat(failureKind(s)).isEqualTo(Kind.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @MethodSource("scanners")
    void everyInstanceInBackOffIsUnavailable(String which) throws Exception {
        Fixture f = fixture(which);
        Scanner s = f.scanner(List.of(Behaviour.GARBAGE, Behaviour.GARBAGE), Clock.systemUTC());
        FailoverGroup<?> g = f.group(s);
        g.members().forEach(m -> g.markDown(m.name(), "test"));
        assertThat(failureKind(s)).isEqualTo(Kind.UNAVAILABLE);
    }

    @ParameterizedTest
    @MethodSource("scanners")
    void aPassedDeadlineIsTimedOut(String which) throws Exception {
        Fixture f = fixture(which);
        // Every reading of this clock is ten minutes after the last, so the group's deadline has passed before the
        // first instance is tried: deterministic, no waiting.
        Scanner s = f.scanner(List.of(Behaviour.GARBAGE), new JumpingClock(Duration.ofMinutes(10)));
        assertThat(failureKind(s)).isEqualTo(Kind.TIMED_OUT);
    }

    @ParameterizedTest
    @MethodSource("scanners")
    void aFailedScanIsAScanExceptionNeverAVerdict(String which) throws Exception {
        Scanner s = fixture(which).scanner(List.of(Behaviour.REFUSED), Clock.systemUTC());
        assertThatThrownBy(() -> s.scan(SampleMessages.cleanMessage())).isInstanceOf(ScanException.class);
    }

    /** A clock that moves forward by a fixed step at every reading. */
    static final class JumpingClock extends Clock {
        private final AtomicLong readings = new AtomicLong();
        private final Duration step;

        JumpingClock(Duration step) {
            this.step = step;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.parse("2026-01-01T00:00:00Z").plus(step.multipliedBy(readings.getAndIncrement()));
        }
    }
}
