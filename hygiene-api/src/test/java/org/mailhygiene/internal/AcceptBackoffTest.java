package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AcceptBackoffTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final IOException emfile = new IOException("Too many open files");

    @Test
    void pausesDoubleFromFiveMillisecondsToOneSecondAndResetOnSuccess() {
        AcceptBackoff b = new AcceptBackoff(now::get, false);
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            b.failed(emfile);
            pauses.add(b.nextPauseMillis());
        }
        assertThat(pauses).containsExactly(5L, 10L, 20L, 40L, 80L, 160L, 320L, 640L, 1000L, 1000L);
        b.succeeded();
        b.failed(emfile);
        assertThat(b.nextPauseMillis()).isEqualTo(5L);
    }

    @Test
    void aRunOfFailuresIsReportedWhenItStartsOnceAMinuteAndWhenItEnds() {
        AcceptBackoff b = new AcceptBackoff(now::get, false);
        assertThat(b.succeeded()).as("no run, nothing to say").isNull();
        String first = b.failed(emfile);
        assertThat(first)
                .startsWith(
                        "accept failed: Too many open files (the process's descriptor limit, ulimit -n, is reached");
        int logged = 0;
        for (int i = 0; i < 100_000; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1)); // 100 s of failures, one a millisecond
            if (i % 10 == 0) {
                b.refused();
            }
            if (b.failed(emfile) != null) {
                logged++;
            }
        }
        assertThat(logged).as("one line a minute").isEqualTo(1);
        assertThat(b.succeeded())
                .isEqualTo("accepting again after 100001 failed accepts over 100.0 s (10000 connections refused"
                        + " meanwhile)");
        assertThat(b.succeeded()).isNull();
        assertThat(b.failed(new IOException("Connection aborted")))
                .isEqualTo("accept failed: Connection aborted; retrying with a pause of up to 1000 ms");
    }

    @Test
    void theMinuteReportCountsTheFailuresSinceTheLastLine() {
        AcceptBackoff b = new AcceptBackoff(now::get, false);
        b.failed(emfile);
        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        assertThat(b.failed(emfile)).isNull();
        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        assertThat(b.failed(emfile))
                .isEqualTo("accept still failing: 2 more failures and 0 connections refused since the run began 60.0 s"
                        + " ago (last: Too many open files)");
    }

    @Test
    void outOfDescriptorsIsEmfileOrEnfile() {
        assertThat(AcceptBackoff.outOfDescriptors(emfile)).isTrue();
        assertThat(AcceptBackoff.outOfDescriptors(new IOException("Too many open files in system")))
                .isTrue();
        assertThat(AcceptBackoff.outOfDescriptors(new IOException("Connection reset")))
                .isFalse();
        assertThat(AcceptBackoff.outOfDescriptors(new IOException())).isFalse();
    }

    @Test
    void theSpareIsHeldReleasedAndRestored() {
        try (AcceptBackoff b = new AcceptBackoff(now::get, true)) {
            assertThat(b.holdsSpare()).isTrue();
            assertThat(b.releaseSpare()).isTrue();
            assertThat(b.holdsSpare()).isFalse();
            assertThat(b.releaseSpare()).as("nothing left to release").isFalse();
            assertThat(b.restoreSpare()).isTrue();
            assertThat(b.holdsSpare()).isTrue();
        }
        AcceptBackoff none = new AcceptBackoff(now::get, false);
        assertThat(none.holdsSpare()).isFalse();
        assertThat(none.releaseSpare()).isFalse();
    }

    /** A spare that opens unless {@code full} is set (then "Too many open files", as the kernel's EMFILE). */
    private static AcceptBackoff.SpareOpener failingWhile(AtomicBoolean full) {
        return () -> {
            if (full.get()) {
                throw new IOException("Too many open files");
            }
            return () -> {};
        };
    }

    @Test
    void aLostSpareIsTakenBackWithTheNextConnectionWhenNoDescriptorIsFree() throws Exception {
        AtomicBoolean full = new AtomicBoolean();
        AcceptBackoff.SpareOpener opener = failingWhile(full);
        try (AcceptBackoff b = new AcceptBackoff(now::get, opener);
                ServerSocket ss = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            assertThat(b.holdsSpare()).isTrue();
            try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
                    Socket s = ss.accept()) {
                assertThat(b.refusedToKeepSpare(s, x -> {
                            throw new AssertionError("refused while the spare is held");
                        }))
                        .isFalse();
            }
            // another thread took the descriptor freed for an accept: the spare is gone and cannot be opened again
            b.releaseSpare();
            full.set(true);
            assertThat(b.restoreSpare()).isFalse();
            b.failed(new IOException("Too many open files"));
            try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort())) {
                Socket s = ss.accept();
                boolean refused = b.refusedToKeepSpare(s, x -> {
                    x.getOutputStream().write("421 refused\r\n".getBytes(StandardCharsets.US_ASCII));
                    full.set(false); // closing it frees its descriptor
                });
                assertThat(refused).isTrue();
                assertThat(s.isClosed()).isTrue();
                c.setSoTimeout(10_000);
                assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("421 refused\r\n");
            }
            assertThat(b.holdsSpare())
                    .as("the refused connection's descriptor became the spare")
                    .isTrue();
            assertThat(b.succeeded()).contains("(1 connections refused meanwhile)");
            // still no descriptor free after the refusal: refused again, the spare still lost, nothing spins
            b.releaseSpare();
            full.set(true);
            try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
                    Socket s = ss.accept()) {
                assertThat(b.refusedToKeepSpare(s, x -> {})).isTrue();
                assertThat(b.holdsSpare()).isFalse();
            }
        }
        AcceptBackoff none = new AcceptBackoff(now::get, false);
        try (ServerSocket ss = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
                Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
                Socket s = ss.accept()) {
            assertThat(none.refusedToKeepSpare(s, x -> {
                        throw new AssertionError("refused without a spare to keep");
                    }))
                    .isFalse();
        }
    }

    /**
     * Where the spare cannot be opened at all (no {@code /dev/null}: not Unix, or a chroot without {@code /dev}), the
     * backoff keeps none and accepting works as without it: until the review of session 44 every accepted connection
     * was refused as one taken to hold the last descriptor ({@code 421 4.3.2 Out of system resources} from the relay,
     * closed by the milter), though descriptors were free.
     */
    @Test
    void withoutADevNullToOpenNoConnectionIsRefused() throws Exception {
        AcceptBackoff.SpareOpener noDevNull = () -> {
            throw new java.io.FileNotFoundException("/dev/null (No such file or directory)");
        };
        try (AcceptBackoff b = new AcceptBackoff(now::get, noDevNull);
                ServerSocket ss = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            assertThat(b.holdsSpare()).isFalse();
            for (int i = 0; i < 3; i++) {
                try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
                        Socket s = ss.accept()) {
                    assertThat(b.refusedToKeepSpare(s, x -> {
                                throw new AssertionError("refused though no descriptor is short");
                            }))
                            .isFalse();
                    assertThat(s.isClosed()).isFalse();
                }
            }
        }
    }

    /**
     * Out of descriptors, the accept that the spare's descriptor lets in waits for the next client, which may come
     * after the shortage ended: it is returned to be admitted, not refused. Until session 45 it was
     * refused all the same, so the first client after a shortage was told {@code 421 4.3.2 Out of system resources}
     * while descriptors were free (seen with {@code hygiene relay} under {@code ulimit -n 48}). While no descriptor is
     * free when the client comes, it is refused as before.
     */
    @Test
    void aClientThatComesAfterTheShortageEndedIsAdmittedNotRefused() throws Exception {
        AtomicBoolean full = new AtomicBoolean();
        AcceptBackoff.SpareOpener opener = failingWhile(full);
        try (AcceptBackoff b = new AcceptBackoff(now::get, opener);
                ServerSocket ss = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            // still short when the client comes: refused, and nothing to admit
            full.set(true);
            try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort())) {
                Socket let = b.handleFailure(ss, emfile, () -> true, line -> {}, x -> {
                    x.getOutputStream().write("421 refused\r\n".getBytes(StandardCharsets.US_ASCII));
                    full.set(false); // closing it frees its descriptor
                });
                assertThat(let).isNull();
                c.setSoTimeout(10_000);
                assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("421 refused\r\n");
            }
            assertThat(b.holdsSpare()).isTrue();
            // descriptors free again by the time the client comes (the sessions that held them ended)
            try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort())) {
                Socket let = b.handleFailure(ss, emfile, () -> true, line -> {}, x -> {
                    throw new AssertionError("refused though a descriptor was free");
                });
                assertThat(let).as("the connection, to be admitted").isNotNull();
                try (Socket admitted = let) {
                    assertThat(admitted.isClosed()).isFalse();
                    assertThat(admitted.getPort()).isEqualTo(c.getLocalPort());
                }
            }
            assertThat(b.holdsSpare()).isTrue();
            assertThat(b.succeeded()).contains("2 failed accepts").contains("(1 connections refused meanwhile)");
        }
    }
}
