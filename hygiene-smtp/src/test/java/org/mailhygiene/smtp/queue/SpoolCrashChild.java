package org.mailhygiene.smtp.queue;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;

/**
 * Run by {@link SpoolCrashTest} in a child JVM: stores messages as fast as it can and prints {@code ACK n id} after
 * each store returns (the moment a server would answer 250), then marks its first recipient delivered and prints
 * {@code UPD id}. Runs until killed.
 */
public final class SpoolCrashChild {
    private SpoolCrashChild() {}

    static byte[] body(int n) {
        return ("Subject: crash " + n + "\r\n\r\n" + "line of text\r\n".repeat(1 + n % 200))
                .getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
        try (Spool spool = Spool.open(dir)) {
            for (int n = 0; ; n++) {
                QueuedMessage m = spool.store(
                        Envelope.of("s@x.org", List.of("a" + n + "@y.org", "b" + n + "@y.org")),
                        MessageContent.ofBytes(body(n)));
                out.println("ACK " + n + " " + m.id());
                spool.update(m.withRecipient("a" + n + "@y.org", r -> r.delivered("250 ok")));
                out.println("UPD " + m.id());
            }
        }
    }
}
