package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.queue.QuarantinedMessage;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * {@code not-read-action} end to end (session 55): a node started from a file with {@code scanner = builtin}, swaks
 * sending a message whose attachment is a RAR written by WinRAR with a compressed file (libarchive's
 * {@code rar5_compressed.rar}, in hygiene-scanners' test resources), which the signature scanner cannot search. Until
 * session 55 such a message was delivered unmarked whatever the site wanted. Skips without swaks, except under CI.
 */
class NodeNotReadRealClientsTest {
    private static final Path RAR =
            Path.of("../hygiene-scanners/src/test/resources/org/mailhygiene/scanners/archive/rar/rar5_compressed.rar");

    /** What the delivered message says, for the RAR's one compressed file. */
    private static final String MARK = "X-Hygiene-Not-Read: builtin: not searched: MIME part '2'";

    @TempDir
    Path dir;

    private Node start(SmtpSink sink, String setting) throws Exception {
        Path conf = dir.resolve("node.conf");
        Files.writeString(conf, """
                role = edge
                name = not-read
                listen = 127.0.0.1:0
                data = data
                accept-domain = example.test
                scanner = builtin
                route = :127.0.0.1:%d
                %s
                """.formatted(sink.port(), setting));
        Node node = NodeConfig.read(conf).build();
        node.start();
        return node;
    }

    private record Result(int exit, String output) {}

    /** swaks sends the RAR as an attachment to u@example.test. */
    private Result send(Node node) throws Exception {
        Process p = new ProcessBuilder(
                        RealBinaries.require("swaks", "swaks").toString(),
                        "--server",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(node.address().getPort()),
                        "--from",
                        "a@example.net",
                        "--to",
                        "u@example.test",
                        "--header",
                        "Subject: the report",
                        "--attach-type",
                        "application/x-rar",
                        "--attach-name",
                        "report.rar",
                        "--attach",
                        "@" + RAR.toAbsolutePath(),
                        "--timeout",
                        "60")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("swaks finished").isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void byDefaultItIsDeliveredAsBefore() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, "")) {
            Result r = send(node);
            assertThat(r.exit()).as(r.output()).isZero();
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(120)).get(0);
            assertThat(m.text()).contains("report.rar").doesNotContain("X-Hygiene-Not-Read");
        }
    }

    @Test
    void acceptDeliversItNamingWhatWasNotSearched() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, "not-read-action = accept")) {
            Result r = send(node);
            assertThat(r.exit()).as(r.output()).isZero();
            String text = sink.awaitMessages(1, Duration.ofSeconds(120)).get(0).text();
            assertThat(text).contains(MARK);
            assertThat(text.replaceAll("\r\n[ \t]+", " "))
                    .contains("report.rar): RAR file \"test.bin\" (compressed (RAR5 method 5))");
        }
    }

    @Test
    void quarantineHoldsItMarkedForItsReleaseAndRejectRefusesIt() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, "not-read-action = quarantine")) {
            Result r = send(node);
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("250 2.0.0 Ok (held as ");
            List<QuarantinedMessage> held = node.quarantine().list();
            assertThat(held).hasSize(1);
            assertThat(held.get(0).reason()).startsWith("builtin: not searched: MIME part '2'");
            assertThat(sink.messages()).isEmpty();
            // released, it leaves with the header saying what was not searched
            assertThat(node.quarantine().release(held.get(0).id(), dir.resolve("data/spool"), "test"))
                    .isPresent();
            assertThat(sink.awaitMessages(1, Duration.ofSeconds(120)).get(0).text())
                    .contains(MARK);
        }
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, "not-read-action = reject")) {
            Result r = send(node);
            assertThat(r.exit()).as(r.output()).isNotZero();
            assertThat(r.output()).contains("554 5.7.1 Message holds content that could not be searched");
            assertThat(sink.messages()).isEmpty();
        }
    }
}
