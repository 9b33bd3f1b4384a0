package org.mailhygiene.modulepath;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.clamd.FakeClamd;

/**
 * Scans the sample messages with the attachment policy and a {@link ClamdScanner} against a {@link FakeClamd}, as a
 * module-path application, and checks the dispositions (the clean message is accepted, the EICAR attachment rejected)
 * and that no scanner failed.
 * Exits 0 when every expectation held, 1 otherwise (printing what happened), so the build fails on any defect that
 * only shows on the module path.
 */
public final class ModulePathConsumer {
    private ModulePathConsumer() {}

    /**
     * Runs the check.
     *
     * @param args ignored
     * @throws IOException if the fake clamd cannot start
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        // Prove that this really runs on the module path: on the class path every module would be unnamed.
        for (Class<?> c : List.of(ModulePathConsumer.class, ScanPipeline.class, Message.class, FakeClamd.class)) {
            if (!c.getModule().isNamed()) {
                problems.add(c.getName() + " is in the unnamed module: not running on the module path");
            }
        }
        try (FakeClamd clamd = FakeClamd.start();
                ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(AttachmentPolicyScanner.create())
                        .scanner(ClamdScanner.builder()
                                .address(clamd.tcpAddress())
                                .scanDeadline(Duration.ofSeconds(60))
                                .build())
                        .build()) {
            expect(problems, "clean", pipeline.scan(SampleMessages.cleanMessage()), Action.ACCEPT);
            expect(problems, "eicar-attachment", pipeline.scan(SampleMessages.eicarAttachmentMessage()), Action.REJECT);
        }
        if (problems.isEmpty()) {
            System.out.println("module path: all expectations held");
            return;
        }
        problems.forEach(p -> System.out.println("module path: FAILED: " + p));
        System.exit(1);
    }

    private static void expect(List<String> problems, String what, ScanReport report, Action expected) {
        Disposition d = report.disposition();
        System.out.println("module path: " + what + ": " + d.action() + " " + d.reason());
        if (d.action() != expected) {
            problems.add(what + ": expected " + expected + ", got " + d.action() + " (" + d.reason() + ")");
        }
        // A failed scanner can hide behind another's verdict (a virus is rejected whatever the attachment scanner
        // did), so every scanner must have answered.
        for (ScanFailure f : report.failures()) {
            problems.add(what + ": scanner " + f.scanner() + " failed: " + f.kind() + " " + f.detail());
        }
    }
}
