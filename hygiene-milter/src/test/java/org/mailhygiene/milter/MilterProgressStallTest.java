package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.milter.protocol.MilterCodec;
import org.mailhygiene.milter.protocol.MilterPacket;
import org.mailhygiene.milter.protocol.MilterProtocol;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.FailingScanner;

/**
 * An MTA that stops reading while a scan runs. Found from outside (session 40): connections that never read, whose
 * socket buffers filled with the replies to one-byte body chunks, made the {@code SMFIR_PROGRESS} write block on the
 * server's one watchdog thread; from then on no connection got progress, a backstop or a write deadline, and the
 * blocked session itself never ended. Here the connection's output blocks on demand and the test drives the
 * watchdog's sweep ({@link MilterSession#tick}) itself.
 */
class MilterProgressStallTest {
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration PROGRESS = Duration.ofMillis(100);

    @TempDir
    Path tmp;

    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService progressWriters = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-progress");
        t.setDaemon(true);
        return t;
    });
    private ScanPipeline pipeline;
    private StallingSocket socket;

    @AfterEach
    void cleanUp() throws Exception {
        if (socket != null) {
            socket.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        watchdog.shutdownNow();
        progressWriters.shutdownNow();
    }

    @Test
    void aProgressWriteThatBlocksNeitherHoldsTheSweepNorOutlivesTheWriteTimeout() throws Exception {
        FailingScanner hanging = FailingScanner.hanging().named("clamd");
        pipeline = ScanPipeline.builder()
                .scanner(hanging)
                .deadline(Duration.ofMinutes(10))
                .build();
        MilterServer.Settings cfg = new MilterServer.Settings(
                pipeline,
                (env, content, report, outcome) -> {},
                256 * 1024L,
                tmp,
                MilterCodec.DEFAULT_MAX_PACKET,
                Duration.ofMinutes(10),
                MilterServer.Builder.DEFAULT_TRANSACTION_TIMEOUT,
                WRITE_TIMEOUT,
                PROGRESS,
                Duration.ofMinutes(10),
                Clock.systemUTC(),
                watchdog,
                progressWriters);
        socket = new StallingSocket();
        CountDownLatch ended = new CountDownLatch(1);
        MilterSession session = new MilterSession(cfg, socket, ended::countDown);
        Thread t = new Thread(session, "test-session");
        t.setDaemon(true);
        t.start();

        socket.send(new MilterPacket(MilterProtocol.SMFIC_OPTNEG, ints(6, 0x1ff, 0)));
        socket.send(MilterPacket.ofStrings(MilterProtocol.SMFIC_MAIL, "<s@example.net>"));
        socket.send(MilterPacket.ofStrings(MilterProtocol.SMFIC_RCPT, "<u@example.org>"));
        socket.send(MilterPacket.ofStrings(MilterProtocol.SMFIC_HEADER, "Subject", "x"));
        socket.send(MilterPacket.of(MilterProtocol.SMFIC_EOH));
        socket.send(new MilterPacket(MilterProtocol.SMFIC_BODY, "body\r\n".getBytes(StandardCharsets.US_ASCII)));
        socket.send(MilterPacket.of(MilterProtocol.SMFIC_BODYEOB));
        Await.until("the scan started", () -> hanging.scanCount() > 0);

        socket.stall = true; // the MTA stops reading: every write from now on blocks until the connection is closed
        long now = System.nanoTime() + PROGRESS.toNanos() * 2;
        // the sweep is due to send progress: it must come back at once, whatever the write does (it blocked forever)
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> session.tick(now));
        assertThat(socket.stalled.await(60, TimeUnit.SECONDS))
                .as("the progress write was attempted")
                .isTrue();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> session.tick(now + PROGRESS.toNanos() * 2));
        assertThat(socket.closed.getCount()).isEqualTo(1);

        // the write timeout passes: the next sweep closes the connection, the blocked write fails, the session ends
        assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> session.tick(System.nanoTime() + WRITE_TIMEOUT.toNanos() * 2));
        assertThat(socket.closed.getCount()).isZero();
        // and at the backstop the scan is interrupted and the session ends (it hung after its scan, waiting for the
        // watch's lock that the blocked write held)
        assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> session.tick(System.nanoTime() + Duration.ofMinutes(20).toNanos()));
        assertThat(ended.await(60, TimeUnit.SECONDS)).as("the session ended").isTrue();
    }

    private static byte[] ints(int... xs) {
        ByteBuffer b = ByteBuffer.allocate(4 * xs.length);
        for (int x : xs) {
            b.putInt(x);
        }
        return b.array();
    }

    /** A connection over a pipe whose output, once {@link #stall} is set, blocks until the socket is closed. */
    private static final class StallingSocket extends Socket {
        private final PipedOutputStream toServer = new PipedOutputStream();
        private final PipedInputStream in;
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        volatile boolean stall;

        StallingSocket() throws IOException {
            in = new PipedInputStream(toServer, 1 << 20);
        }

        void send(MilterPacket p) throws IOException {
            MilterCodec.write(toServer, p);
            toServer.flush();
        }

        @Override
        public InputStream getInputStream() {
            return in;
        }

        @Override
        public OutputStream getOutputStream() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (closed.getCount() == 0) {
                        throw new SocketException("Socket closed");
                    }
                    if (stall) {
                        stalled.countDown();
                        try {
                            closed.await(5, TimeUnit.MINUTES); // bounded: a stuck test ends
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        throw new SocketException("Socket closed");
                    }
                }
            };
        }

        @Override
        public void setTcpNoDelay(boolean on) {}

        @Override
        public void setSoTimeout(int timeout) {}

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return new InetSocketAddress("127.0.0.1", 4444);
        }

        @Override
        public synchronized void close() {
            closed.countDown();
            try {
                toServer.close();
            } catch (IOException ignored) {
                // a pipe
            }
        }

        @Override
        public boolean isClosed() {
            return closed.getCount() == 0;
        }
    }
}
