package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** The relay scans and stores a message sent with BDAT exactly as one sent with DATA. */
class RelayBdatTest {
    @TempDir
    Path dir;

    private SmtpSink sink;
    private Relay relay;
    private Spool spool;
    private ScanPipeline pipeline;

    @BeforeEach
    void start() throws IOException {
        sink = SmtpSink.start();
        spool = Spool.open(dir.resolve("spool"));
        pipeline = ScanPipeline.builder()
                .scanner(SignatureScanner.create())
                .noCache()
                .build();
        relay = Relay.builder()
                .server(b ->
                        b.port(0).hostname("gw.example.ac.jp").acceptedDomains(AcceptedDomains.of("example.ac.jp")))
                .delivery(b -> b.hostname("gw.example.ac.jp"))
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(Quarantine.builder(dir.resolve("quarantine")).build())
                .router(StaticRouter.parse(":127.0.0.1:" + sink.port()))
                .build();
        relay.start();
    }

    @AfterEach
    void stop() throws IOException {
        if (relay != null) {
            relay.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (spool != null) {
            spool.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    /** One BDAT transaction, the message cut into chunks of {@code chunk} octets; returns the reply to LAST. */
    private String sendWithBdat(byte[] message, int chunk) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relay.port()), 5000);
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(reply(in)).startsWith("220");
            out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(reply(in)).contains("CHUNKING");
            out.write("MAIL FROM:<sender@example.net>\r\nRCPT TO:<user@example.ac.jp>\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(reply(in)).startsWith("250");
            assertThat(reply(in)).startsWith("250");
            for (int from = 0; ; from += chunk) {
                int to = Math.min(message.length, from + chunk);
                boolean last = to == message.length;
                out.write(("BDAT " + (to - from) + (last ? " LAST" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(Arrays.copyOfRange(message, from, to));
                out.flush();
                String r = reply(in);
                if (last || !r.startsWith("250")) {
                    return r;
                }
            }
        }
    }

    private static String reply(BufferedReader in) throws IOException {
        StringBuilder all = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
            all.append(all.length() == 0 ? "" : "\n").append(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return all.toString();
    }

    @Test
    void aVirusSentInChunksIsRejectedAsWithData() throws Exception {
        assertThat(sendWithBdat(SampleMessages.eicarAttachment(), 97)).startsWith("554 5.7.1");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void aCleanMessageSentInChunksIsDeliveredByteForByte() throws Exception {
        byte[] clean = SampleMessages.clean();
        assertThat(sendWithBdat(clean, 50)).startsWith("250 2.0.0");
        List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(20));
        String text = new String(got.get(0).data(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("Received: from client.example ([127.0.0.1])\r\n\tby gw.example.ac.jp");
        assertThat(text).endsWith(new String(clean, StandardCharsets.UTF_8));
    }
}
