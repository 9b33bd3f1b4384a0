package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.smtp.queue.Quarantine;

/**
 * {@code hygiene quarantine list} printed each line with {@code printf} on standard output, which the JDK writes
 * piece by piece: about 15 write calls per line, 220,000 for a quarantine of 14,520 messages (audit, session 39). The
 * list is written in chunks now; what it prints is unchanged.
 */
class QuarantineListOutputTest {
    @TempDir
    Path dir;

    /** Counts the write calls that reach standard output, keeping the bytes. */
    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int writes;

        @Override
        public void write(int b) {
            writes++;
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes++;
            bytes.write(b, off, len);
        }
    }

    @Test
    void aLongListIsWrittenInFewWritesAndReadsAsBefore() throws Exception {
        Files.createDirectories(dir.resolve("spool"));
        Quarantine q = Quarantine.builder(dir.resolve("quarantine")).build();
        int n = 60;
        for (int i = 0; i < n; i++) {
            q.hold(
                    Envelope.of("s" + i + "@example.net", List.of("u" + i + "@example.org", "v@example.org")),
                    MessageContent.ofBytes(("Subject: " + i + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)),
                    "QUARANTINE",
                    "builtin: Eicar-Test-Signature",
                    List.of());
        }
        for (boolean json : new boolean[] {false, true}) {
            CountingStream out = new CountingStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Io io = new Io(
                    new ByteArrayInputStream(new byte[0]),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            List<String> args = json
                    ? List.of("quarantine", "list", "--data", dir.toString(), "--json")
                    : List.of("quarantine", "list", "--data", dir.toString());
            assertThat(Main.run(args, io, Main.commands())).isZero();
            String text = out.bytes.toString(StandardCharsets.UTF_8);
            List<String> lines = text.lines().toList();
            assertThat(lines).hasSize(n);
            assertThat(text).endsWith(System.lineSeparator());
            if (json) {
                assertThat(lines.get(7)).startsWith("{\"id\":").contains("\"from\":\"s7@example.net\"");
            } else {
                assertThat(lines.get(7))
                        .matches("[0-9A-Z]{20}  \\S+Z  +\\d+  <s7@example\\.net> -> u7@example\\.org,v@example\\.org"
                                + "  builtin: Eicar-Test-Signature");
            }
            // 60 lines of about 110 bytes (JSON: 330) are a few chunks, not several writes per line
            assertThat(out.writes).isLessThanOrEqualTo(6);
        }
    }
}
