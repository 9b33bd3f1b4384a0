package org.mailhygiene.milter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.testkit.junit.RealBinaries;

/** Sends one message with swaks and reports the server's reply to the end of data. Test support. */
final class Swaks {
    private Swaks() {}

    /** The final reply ({@code 250 2.0.0 Ok: queued as ...} or a refusal), or the transcript when none was seen. */
    record Result(int exit, String finalReply, String transcript) {
        boolean accepted() {
            return finalReply.startsWith("250");
        }
    }

    static Result send(int port, String from, String to, byte[] message, Path dir, String... extra)
            throws IOException, InterruptedException {
        Path swaks = RealBinaries.require("swaks", "swaks");
        Path file = Files.createTempFile(dir, "msg-", ".eml");
        // swaks ends the data with CRLF "." CRLF after the file's content: drop the file's own last CRLF, or the
        // message would arrive with an extra empty line.
        int n = message.length;
        if (n >= 2 && message[n - 2] == '\r' && message[n - 1] == '\n') {
            n -= 2;
        }
        Files.write(file, java.util.Arrays.copyOf(message, n));
        List<String> cmd = new ArrayList<>(List.of(
                swaks.toString(),
                "--server",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--from",
                from,
                "--to",
                to,
                "--helo",
                "client.example.test",
                "--data",
                "@" + file,
                "--timeout",
                "600",
                "--suppress-data"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("swaks did not finish");
        }
        Files.deleteIfExists(file);
        String transcript = new String(out, StandardCharsets.UTF_8);
        return new Result(p.exitValue(), finalReply(transcript), transcript);
    }

    /** The server reply after the data (the line after the one that sent the message body). */
    static String finalReply(String transcript) {
        String[] lines = transcript.split("\r?\n");
        boolean afterData = false;
        String last = "";
        for (String line : lines) {
            if (line.startsWith(" -> ") && (line.equals(" -> .") || line.contains("lines sent"))) {
                afterData = true;
                continue;
            }
            if (afterData && line.startsWith("<")) {
                return line.replaceFirst("^<[-*~ ]*\\s*", "");
            }
            if (line.startsWith("<")) {
                last = line.replaceFirst("^<[-*~ ]*\\s*", "");
            }
        }
        return last.isEmpty() ? transcript : last;
    }
}
