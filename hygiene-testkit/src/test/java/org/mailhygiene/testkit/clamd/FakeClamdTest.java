package org.mailhygiene.testkit.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.clamd.FakeClamd.Command;
import org.mailhygiene.testkit.server.Fault;

/** Protocol-level behaviour of {@link FakeClamd}, spoken to with a raw socket. */
class FakeClamdTest {

    /** Sends raw bytes, half-closes, and returns everything the fake answered until it closed. */
    static String exchange(FakeClamd f, byte[] request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            if (String.valueOf(e.getMessage()).contains("reset")) {
                return "<reset>"; // closed with unread data: the peer sees a reset instead of a clean end
            }
            throw e;
        }
    }

    static byte[] instream(String framing, byte[]... chunks) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bos);
        d.write((framing + "INSTREAM" + (framing.equals("z") ? "\0" : "\n")).getBytes(StandardCharsets.US_ASCII));
        for (byte[] c : chunks) {
            d.writeInt(c.length);
            d.write(c);
        }
        d.writeInt(0);
        return bos.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void framingVariants() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PONG\0");
            assertThat(exchange(f, ascii("nPING\n"))).isEqualTo("PONG\n");
            assertThat(exchange(f, ascii("PING\n"))).isEqualTo("PONG\n");
            assertThat(exchange(f, ascii("zVERSION\0"))).isEqualTo("ClamAV 1.4.6\0");
            assertThat(exchange(f, ascii("nping\n"))).isEqualTo("UNKNOWN COMMAND\n");
            assertThat(exchange(f, ascii("INSTREAM\n"))).isEqualTo("UNKNOWN COMMAND\n");
            assertThat(exchange(f, ascii("zFOO\0"))).isEqualTo("UNKNOWN COMMAND\0");
            assertThat(f.requests())
                    .extracting(FakeClamd.Request::framing)
                    .containsExactly('z', 'n', '-', 'z', 'n', '-', 'z');
        }
    }

    @Test
    void instreamChunksDetectionAndLimit() throws Exception {
        try (FakeClamd f = FakeClamd.builder()
                .streamMaxLength(100)
                .signature("MARKER-1", "Local.M1")
                .start()) {
            byte[] e = Eicar.bytes();
            assertThat(exchange(f, instream("z", ascii("hello "), ascii("world"))))
                    .isEqualTo("stream: OK\0");
            assertThat(exchange(
                            f,
                            instream(
                                    "z",
                                    java.util.Arrays.copyOf(e, 30),
                                    java.util.Arrays.copyOfRange(e, 30, e.length))))
                    .isEqualTo("stream: Eicar-Test-Signature FOUND\0");
            assertThat(exchange(f, instream("n", ascii("xx MARKER-1 yy")))).isEqualTo("stream: Local.M1 FOUND\n");
            assertThat(exchange(f, instream("z"))).isEqualTo("stream: OK\0");
            assertThat(exchange(f, instream("z", new byte[100]))).isEqualTo("stream: OK\0");
            assertThat(exchange(f, instream("z", new byte[60], new byte[41])))
                    .isEqualTo("INSTREAM size limit exceeded. ERROR\0");
            assertThat(f.requests().get(1).streamBytes()).isEqualTo(68);
        }
    }

    /**
     * Audit, session 41: VERSIONCOMMANDS listed real clamd's commands (SCAN, CONTSCAN, MULTISCAN, ...), which the fake
     * answers UNKNOWN COMMAND. Every command it lists is served.
     */
    @Test
    void versionCommandsListsOnlyCommandsTheFakeServes() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            String reply = exchange(f, ascii("zVERSIONCOMMANDS\0"));
            assertThat(reply).startsWith("ClamAV 1.4.6| COMMANDS: ").endsWith("\0");
            List<String> commands = List.of(
                    reply.substring(reply.indexOf(": ") + 2, reply.length() - 1).split(" "));
            assertThat(commands).contains("PING", "INSTREAM", "IDSESSION", "END");
            for (String c : commands) {
                String answer = switch (c) {
                    case "INSTREAM" -> exchange(f, instream("z", ascii("clean")));
                    case "IDSESSION", "END" -> exchange(f, ascii("zIDSESSION\0zPING\0zEND\0"));
                    default -> exchange(f, ascii("z" + c + "\0"));
                };
                assertThat(answer).as(c).isNotEmpty().doesNotContain("UNKNOWN COMMAND");
            }
        }
    }

    @Test
    void detectsInsideZipAndBase64() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(bos)) {
                z.putNextEntry(new ZipEntry("e.com"));
                z.write(Eicar.bytes());
            }
            byte[] zip = bos.toByteArray();
            assertThat(f.detect(zip)).contains("Eicar-Test-Signature");
            String mime = "Content-Transfer-Encoding: base64\r\n\r\n"
                    + Base64.getMimeEncoder().encodeToString(zip) + "\r\n--b--\r\n";
            assertThat(f.detect(ascii(mime))).contains("Eicar-Test-Signature");
            assertThat(f.detect(ascii("nothing here\r\nQUJD\r\n"))).isEmpty();
        }
    }

    @Test
    void idsessionPrefixesRepliesWithRequestNumbers() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.write(ascii("zIDSESSION\0zPING\0"));
            req.write(instream("z", Eicar.bytes()));
            req.write(ascii("zVERSION\0zEND\0"));
            assertThat(exchange(f, req.toByteArray()))
                    .isEqualTo("1: PONG\0" + "2: stream: Eicar-Test-Signature FOUND\0" + "3: ClamAV 1.4.6\0");
            assertThat(exchange(f, ascii("zIDSESSION\0zPING\0zRELOAD\0zPING\0")))
                    .isEqualTo("1: PONG\0" + "2: Command invalid inside IDSESSION. ERROR\0");
            assertThat(f.requests()).allMatch(r -> r.command().equals("IDSESSION") || r.session());
        }
    }

    @Test
    void reloadActivatesStagedSignatures() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.stageSignature("NEW-MARK", "Local.New");
            assertThat(exchange(f, instream("z", ascii("a NEW-MARK b")))).isEqualTo("stream: OK\0");
            assertThat(exchange(f, ascii("zRELOAD\0"))).isEqualTo("RELOADING\0");
            assertThat(exchange(f, instream("z", ascii("a NEW-MARK b")))).isEqualTo("stream: Local.New FOUND\0");
            assertThat(f.reloadCount()).isEqualTo(1);
        }
    }

    @Test
    @SuppressWarnings("deprecation") // the older, per-connection fault model still works
    void legacyFaultsAreConsumedInOrder() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.enqueue(FakeClamd.Fault.garbage()).enqueue(FakeClamd.Fault.refuse());
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("HTTP/1.1 400 Bad Request\0");
            assertThat(exchange(f, ascii("zPING\0"))).isIn("", "<reset>");
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PONG\0");
            f.enqueue(FakeClamd.Fault.closeMidStream(5));
            assertThat(exchange(f, instream("z", new byte[50]))).isIn("", "<reset>");
            assertThat(f.requests().get(f.requests().size() - 1).streamBytes()).isEqualTo(5);
        }
    }

    @Test
    void unixSocket(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        try (FakeClamd f = FakeClamd.builder().unixSocket(sock).start()) {
            assertThat(f.unixAddress()).isEqualTo("unix:" + sock);
            try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock))) {
                ch.write(java.nio.ByteBuffer.wrap(ascii("zPING\0")));
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
                while (ch.read(b) >= 0 && b.position() < 5) {
                    // read until PONG\0
                }
                assertThat(new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII))
                        .isEqualTo("PONG\0");
            }
        }
        assertThat(Files.exists(sock)).isFalse();
    }

    @Test
    void aFaultWaitsForTheCommandItTargets() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.enqueue(Command.INSTREAM, Fault.reply("stream: Chosen.Name FOUND"));
            assertThat(exchange(f, ascii("zVERSION\0"))).isEqualTo("ClamAV 1.4.6\0");
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PONG\0");
            assertThat(exchange(f, instream("z", ascii("clean")))).isEqualTo("stream: Chosen.Name FOUND\0");
            assertThat(exchange(f, instream("z", ascii("clean")))).isEqualTo("stream: OK\0");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).command()).isEqualTo("VERSION");
            assertThat(f.takeRequest(Command.INSTREAM, Duration.ofSeconds(5)).connection())
                    .isEqualTo(3);
            assertThat(f.takeRequest(Duration.ofSeconds(5)).reply()).contains("stream: OK");
        }
    }

    @Test
    void everySharedFaultPlaysOutOnAScan() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.enqueue(Command.INSTREAM, Fault.refuse());
            assertThat(exchange(f, instream("z", new byte[50]))).isIn("", "<reset>");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).streamBytes()).isZero();
            f.enqueue(Command.INSTREAM, Fault.close());
            assertThat(exchange(f, instream("z", new byte[50]))).isIn("", "<reset>");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).streamBytes()).isEqualTo(50);
            f.enqueue(Command.INSTREAM, Fault.closeAfter(5));
            assertThat(exchange(f, instream("z", new byte[50]))).isIn("", "<reset>");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).streamBytes()).isEqualTo(5);
            f.enqueue(Command.INSTREAM, Fault.replyAfter(7, FakeClamd.SIZE_LIMIT_ERROR));
            assertThat(exchange(f, instream("z", new byte[50]))).startsWith(FakeClamd.SIZE_LIMIT_ERROR);
            assertThat(f.takeRequest(Duration.ofSeconds(5)).streamBytes()).isEqualTo(7);
            f.enqueue(Command.INSTREAM, Fault.delay(Duration.ofMillis(1)));
            assertThat(exchange(f, instream("z", Eicar.bytes()))).isEqualTo("stream: Eicar-Test-Signature FOUND\0");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).reply()).isPresent();
        }
    }

    @Test
    void aStallHoldsTheConnectionUntilTheFakeCloses() throws Exception {
        FakeClamd f = FakeClamd.start();
        f.enqueue(Command.PING, Fault.stall());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.port())) {
            s.getOutputStream().write(ascii("zPING\0"));
            assertThat(f.takeRequest(Duration.ofSeconds(5)).reply()).isEmpty();
            f.close(); // releases the stalled connection: the client sees the end, not a hang
            s.setSoTimeout(10_000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void standingFaultsLastUntilCleared() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.always(Command.PING, Fault.reply("PANG"));
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PANG\0");
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PANG\0");
            assertThat(exchange(f, ascii("zVERSION\0"))).isEqualTo("ClamAV 1.4.6\0");
            f.clearFaults();
            assertThat(exchange(f, ascii("zPING\0"))).isEqualTo("PONG\0");
        }
    }

    @Test
    void aFaultCanTargetACommandInsideASession() throws Exception {
        try (FakeClamd f = FakeClamd.start()) {
            f.enqueue(Command.VERSION, Fault.reply("2: garbage"));
            assertThat(exchange(f, ascii("zIDSESSION\0zPING\0zVERSION\0zPING\0zEND\0")))
                    .isEqualTo("1: PONG\0" + "2: garbage\0" + "3: PONG\0");
        }
    }
}
