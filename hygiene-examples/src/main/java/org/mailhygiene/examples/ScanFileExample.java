package org.mailhygiene.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * The library usage example from the README: build a pipeline with the built-in {@link SignatureScanner}, scan one
 * message file, and read the disposition (what a mail server should do with the message, and the SMTP reply that
 * goes with it).
 *
 * <p>Run it with {@code java -cp hygiene-examples/target/hygiene.jar org.mailhygiene.examples.ScanFileExample FILE}.
 */
public final class ScanFileExample {
    private ScanFileExample() {}

    /**
     * Scans one file and prints the disposition.
     *
     * @param args one argument: the message file
     * @throws IOException if the file cannot be read
     * @throws InterruptedException if interrupted while scanning
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: ScanFileExample FILE");
            System.exit(2);
        }
        System.out.println(describe(scan(Path.of(args[0]))));
    }

    /**
     * One line for a disposition: action, SMTP reply and reason, e.g.
     * {@code REJECT: 554 5.7.1 Virus found: Eicar-Test-Signature (builtin: Eicar-Test-Signature)}.
     *
     * @param d the disposition
     * @return the line, without line break
     */
    public static String describe(Disposition d) {
        return d.action() + ": " + d.reply() + " (" + d.reason() + ")";
    }

    /**
     * Scans one message file with the built-in scanner and the default policy.
     *
     * @param file an RFC 5322 message file (.eml)
     * @return the policy's decision: ACCEPT for a clean message, REJECT for a virus, TAG for spam
     * @throws IOException if the file cannot be read
     * @throws InterruptedException if interrupted while scanning
     */
    public static Disposition scan(Path file) throws IOException, InterruptedException {
        try (ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build()) {
            ScanReport report = pipeline.scan(Message.of(MessageContent.ofFile(file)));
            return report.disposition();
        }
    }
}
