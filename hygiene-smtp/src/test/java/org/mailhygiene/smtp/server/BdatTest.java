package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;

/** BDAT / CHUNKING (RFC 3030), spoken over raw sockets (no installed client speaks BDAT). */
class BdatTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    private int start(Consumer<SmtpLimits.Builder> limits) throws Exception {
        SmtpLimits.Builder l = SmtpLimits.builder();
        limits.accept(l);
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .limits(l.build())
                .handler(handler)
                .build();
        server.start();
        return server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The stored message without the server's Received header. */
    private String storedBody(int i) {
        RecordingHandler.Received r = handler.messages.get(i);
        return text(r.bytes()).substring(r.text().length() - r.body().length());
    }

    private static void envelope(TestClient c) throws IOException {
        assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
        assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
    }

    @Test
    void chunkingIsAdvertisedButNotBinaryMime() throws Exception {
        int port = start(l -> {});
        try (TestClient c = new TestClient(port)) {
            c.reply();
            String ehlo = c.cmd("EHLO client.example");
            assertThat(ehlo).contains("250-CHUNKING").doesNotContain("BINARYMIME");
            assertThat(c.cmd("HELP")).contains("BDAT");
        }
    }

    @Test
    void pipelinedChunksAreStoredRawWithoutUnstuffingAndWithTheReceivedHeader() throws Exception {
        int port = start(l -> {});
        String part1 = "Subject: chunks\r\n\r\n..two dots stay two\r\n";
        String part2 = ".\r\nnot the end\r\n";
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            c.send("BDAT " + part1.length() + "\r\n" + part1 + "BDAT " + part2.length() + " LAST\r\n" + part2);
            assertThat(c.reply()).isEqualTo("250 2.0.0 " + part1.length() + " octets received");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok queued");
            assertThat(c.cmd("NOOP")).startsWith("250");
        }
        assertThat(handler.messages).hasSize(1);
        assertThat(storedBody(0)).isEqualTo(part1 + part2);
        assertThat(handler.messages.get(0).receivedHeader())
                .startsWith("Received: from client.example")
                .contains("with ESMTP id");
        assertThat(handler.messages.get(0).envelope().recipients()).containsExactly("u@example.org");
    }

    @Test
    void emptyLastChunkEndsTheMessageAndTheNextTransactionWorks() throws Exception {
        int port = start(l -> {});
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.send("BDAT 3\r\nab\r").reply()).startsWith("250 2.0.0 3 octets");
            assertThat(c.send("BDAT 0 last\r\n").reply()).startsWith("550 5.5.2"); // "ab<CR>": a bare CR
            envelope(c);
            assertThat(c.send("BDAT 3\r\nab\n").reply()).startsWith("550 5.5.2"); // a bare LF, refused at once
            assertThat(c.send("BDAT 0 LAST\r\n").reply()).startsWith("503 5.5.1 Chunk discarded");
            envelope(c);
            assertThat(c.send("BDAT 4\r\nab\r\n").reply()).startsWith("250");
            assertThat(c.send("BDAT 0 LAST\r\n").reply()).isEqualTo("250 2.0.0 Ok queued");
        }
        assertThat(handler.messages).hasSize(1);
        assertThat(storedBody(0)).isEqualTo("ab\r\n");
    }

    @Test
    void dataAndRcptAfterBdatAreRefusedUntilRset() throws Exception {
        int port = start(l -> {});
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.send("BDAT 3\r\nx\r\n").reply()).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("503 5.5.1 DATA not allowed after BDAT");
            assertThat(c.cmd("RCPT TO:<v@example.org>")).startsWith("503 5.5.1");
            assertThat(c.cmd("RSET")).startsWith("250");
            envelope(c);
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.send("y\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages).hasSize(1);
        assertThat(storedBody(0)).isEqualTo("y\r\n");
    }

    @Test
    void chunkOutsideATransactionIsReadAndDroppedNeverRunAsCommands() throws Exception {
        int port = start(l -> {});
        String inner = "MAIL FROM:<evil@example.net>\r\nRCPT TO:<u@example.org>\r\n";
        try (TestClient c = new TestClient(port).hello()) {
            c.send("BDAT " + inner.length() + "\r\n" + inner + "NOOP\r\n");
            assertThat(c.reply()).startsWith("503 5.5.1 Need MAIL before BDAT");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok"); // the NOOP, not the MAIL inside the chunk
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("503 5.5.1 Need MAIL");
        }
    }

    @Test
    void bdatNeedsEhlo() throws Exception {
        int port = start(l -> {});
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("HELO client.example")).startsWith("250");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.send("BDAT 5 LAST\r\nQUIT\n").reply()).startsWith("503 5.5.1 BDAT needs EHLO");
            assertThat(c.cmd("NOOP")).startsWith("250");
        }
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void unparsableSizeClosesTheConnection() throws Exception {
        int port = start(l -> {});
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.cmd("BDAT ten LAST")).startsWith("501 5.5.4 Syntax: BDAT");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    @Test
    void sizeLimitSpansChunksAndTheRestOfTheMessageIsDiscardedInStep() throws Exception {
        int port = start(l -> l.maxMessageSize(100));
        String first = "a".repeat(58) + "\r\n"; // 60
        String second = ("RSET\r\nMAIL FROM:<evil@example.net>\r\n" + "b".repeat(60)).substring(0, 58) + "\r\n";
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            c.send("BDAT 60\r\n" + first + "BDAT 60\r\n" + second + "BDAT 3 LAST\r\nc\r\nNOOP\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 60 octets");
            assertThat(c.reply()).isEqualTo("552 5.3.4 Message size exceeds fixed limit of 100 octets");
            assertThat(c.reply()).startsWith("503 5.5.1 Chunk discarded");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok"); // NOOP: the session is in step
            // the failed message is gone; a new one within the limit goes through
            envelope(c);
            assertThat(c.send("BDAT 60 LAST\r\n" + first).reply()).isEqualTo("250 2.0.0 Ok queued");
        }
        assertThat(handler.messages).hasSize(1);
        assertThat(storedBody(0)).isEqualTo(first);
    }

    /**
     * A chunk larger than the whole message size limit ({@code BDAT 999999999999999999 LAST}) was read to its end to
     * stay in step, so the worker read whatever the client sent, into nowhere, until the data timeout (10 minutes).
     * Postfix 3.7 does the same (it discards the chunk and answers {@code 552 5.3.4 Chunk exceeds message size limit}
     * only after its last octet). Now such a chunk is answered {@code 552 5.3.4} at once, none of it is read, and the
     * connection is closed: in a transaction, outside one, and after an earlier chunk failed. (This client reads with a
     * 10-second timeout and the server's data timeout is an hour: before the fix, reply() timed out.)
     */
    @Test
    void aChunkLargerThanTheSizeLimitIsAnsweredAtOnceAndTheConnectionClosed() throws Exception {
        int port = start(l -> l.maxMessageSize(100).dataTimeout(java.time.Duration.ofHours(1)));
        String junk = "x".repeat(32 * 1024);
        for (int variant = 0; variant < 3; variant++) {
            try (TestClient c = new TestClient(port).hello()) {
                if (variant != 1) {
                    envelope(c);
                }
                if (variant == 2) {
                    assertThat(c.send("BDAT 60\r\n" + "y".repeat(60)).reply()).startsWith("250");
                    assertThat(c.send("BDAT 60\r\n" + "y".repeat(60)).reply()).startsWith("552 5.3.4 Message size");
                }
                c.send("BDAT 999999999999999999 LAST\r\n" + junk);
                assertThat(c.reply())
                        .as("variant %d", variant)
                        .isEqualTo("552 5.3.4 Chunk of 999999999999999999 octets exceeds the fixed message size limit"
                                + " of 100 octets; closing connection");
                assertThat(c.reply()).isEqualTo("EOF");
            }
        }
        // one octet over the limit is still answered at once; a chunk within the limit is still discarded in step
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.send("BDAT 101\r\n").reply()).startsWith("552 5.3.4 Chunk of 101 octets");
            assertThat(c.reply()).isEqualTo("EOF");
        }
        assertThat(handler.messages).isEmpty();
    }

    /**
     * A client that writes a whole oversized chunk before it reads (as Postfix's smtp client and swaks do) must get to
     * read the {@code 552}. The session closed with the chunk unread in its socket buffer, so the close sent a TCP reset:
     * the client's write failed with "Connection reset" (or "Broken pipe") and it never read the reply. Now the server
     * shuts its output down after the reply and discards input for a bounded time before closing: the client's write
     * completes, and it reads the {@code 552} and then the end of the connection.
     */
    @Test
    void aClientWritingAWholeOversizedChunkBeforeReadingGetsThe552() throws Exception {
        int port = start(l -> l.maxMessageSize(100));
        byte[] chunk = new byte[8 * 1024 * 1024]; // more than the two sockets' buffers hold
        java.util.Arrays.fill(chunk, (byte) 'x');
        for (int round = 0; round < 3; round++) {
            try (TestClient c = new TestClient(port).hello()) {
                envelope(c);
                c.send("BDAT " + chunk.length + " LAST\r\n").sendBytes(chunk);
                assertThat(c.reply())
                        .as("round %d", round)
                        .isEqualTo("552 5.3.4 Chunk of " + chunk.length + " octets exceeds the fixed message size"
                                + " limit of 100 octets; closing connection");
                assertThat(c.reply()).isEqualTo("EOF");
            }
        }
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void sizeLimitCountsExactlyTheChunkOctets() throws Exception {
        int port = start(l -> l.maxMessageSize(10));
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.send("BDAT 6\r\n12345\r").reply()).startsWith("250");
            assertThat(c.send("BDAT 5 LAST\r\n\n1234").reply()).startsWith("552 5.3.4"); // 11 octets
            envelope(c);
            assertThat(c.send("BDAT 6\r\n1234\r\n").reply()).startsWith("250");
            assertThat(c.send("BDAT 4 LAST\r\n12\r\n").reply()).startsWith("250 2.0.0 Ok queued");
        }
        assertThat(storedBody(0)).isEqualTo("1234\r\n12\r\n");
    }

    @Test
    void contentRulesOfDataApply() throws Exception {
        int port = start(l -> l.maxHops(3));
        String looping = "Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nx\r\n";
        String longLine = "y".repeat(1001) + "\r\n";
        try (TestClient c = new TestClient(port).hello()) {
            envelope(c);
            assertThat(c.send("BDAT " + looping.length() + " LAST\r\n" + looping)
                            .reply())
                    .startsWith("554 5.4.6 Too many hops (3");
            envelope(c);
            assertThat(c.send("BDAT " + longLine.length() + " LAST\r\n" + longLine)
                            .reply())
                    .startsWith("554 5.6.0");
            envelope(c);
            assertThat(c.send("BDAT 9 LAST\r\nx\r\n.\nQUIT").reply()).startsWith("550 5.5.2");
            envelope(c); // a first line that the Received field on top would take as its continuation
            assertThat(c.send("BDAT 17 LAST\r\n\tFrom: a@x\r\n\r\nb\r\n").reply())
                    .startsWith("554 5.6.0 Message starts with a space or tab");
        }
        assertThat(handler.messages).isEmpty();
    }

    /** Lines of arbitrary bytes (CR and LF only as CRLF), often starting with dots. */
    private static org.quicktheories.core.Gen<String> messages() {
        org.quicktheories.core.Gen<String> line = lists().of(integers().between(0, 255))
                .ofSizeBetween(0, 80)
                .map(bs -> {
                    StringBuilder sb = new StringBuilder();
                    for (int b : bs) {
                        sb.append(b == '\r' || b == '\n' ? '.' : (char) b);
                    }
                    return sb.toString();
                });
        // The first line is a header field so that the test's view of "body after our Received header" is unambiguous.
        return lists().of(line)
                .ofSizeBetween(1, 30)
                .map(lines -> "Subject: p\r\n" + String.join("\r\n", lines) + "\r\n");
    }

    @Test
    void randomChunkSplitsStoreExactlyTheBytesSentAndTheSameAsData() throws Exception {
        int port = start(l -> l.messageRatePerIp(100_000, java.time.Duration.ofMinutes(1)));
        try (TestClient c = new TestClient(port).hello()) {
            qt().withExamples(60)
                    .forAll(messages(), lists().of(integers().between(0, 3000)).ofSizeBetween(0, 6))
                    .checkAssert((message, cuts) -> {
                        try {
                            byte[] body = bytes(message);
                            TreeSet<Integer> points = new TreeSet<>();
                            cuts.forEach(p -> points.add(Math.min(p, body.length)));
                            List<byte[]> chunks = new ArrayList<>();
                            int from = 0;
                            for (int p : points) {
                                chunks.add(java.util.Arrays.copyOfRange(body, from, p));
                                from = p;
                            }
                            chunks.add(java.util.Arrays.copyOfRange(body, from, body.length));
                            int before = handler.messages.size();
                            envelope(c);
                            java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
                            for (int i = 0; i < chunks.size(); i++) {
                                boolean last = i == chunks.size() - 1;
                                wire.writeBytes(bytes("BDAT " + chunks.get(i).length + (last ? " LAST" : "") + "\r\n"));
                                wire.writeBytes(chunks.get(i));
                            }
                            c.sendBytes(wire.toByteArray());
                            for (int i = 0; i < chunks.size() - 1; i++) {
                                assertThat(c.reply()).startsWith("250 2.0.0 " + chunks.get(i).length + " octets");
                            }
                            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok queued");
                            assertThat(storedBody(before)).isEqualTo(message);
                            // the same message with DATA is stored identically
                            envelope(c);
                            assertThat(c.cmd("DATA")).startsWith("354");
                            assertThat(c.sendBytes(bytes(DataReaderTest.stuff(message) + ".\r\n"))
                                            .reply())
                                    .isEqualTo("250 2.0.0 Ok queued");
                            assertThat(storedBody(before + 1)).isEqualTo(storedBody(before));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    });
        }
    }
}
