package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.ChildJvm;
import org.mailhygiene.testkit.SampleMessages;

/**
 * The first attachment scan of a process, interrupted (a pipeline's deadline, or another scanner that found a virus
 * first), leaves the scanner working for every later scan. It runs in a process of its own: in this test JVM another
 * test has loaded the content-type table already.
 */
class FirstScanInterruptedTest {

    /** Child process: the first scan on an interrupted thread, then a second one; prints both outcomes. */
    public static void main(String[] args) {
        Scanner scanner = AttachmentPolicyScanner.create();
        Thread.currentThread().interrupt();
        System.out.println("first: " + outcome(scanner) + ", interrupt kept: " + Thread.interrupted());
        System.out.println("second: " + outcome(scanner));
    }

    private static String outcome(Scanner scanner) {
        try {
            return scanner.scan(Message.of(SampleMessages.eicarAttachment()))
                    .outcome()
                    .toString();
        } catch (ScanException e) {
            return "ScanException " + e.failure().kind();
        } catch (InterruptedException e) {
            return "InterruptedException";
        } catch (RuntimeException | Error e) {
            return e.getClass().getSimpleName();
        }
    }

    @Test
    void theFirstScanInterruptedDoesNotBreakTheScannerForTheProcess() throws IOException, InterruptedException {
        // the child prints two short lines; a hung child is killed
        ChildJvm.Result child = ChildJvm.run(FirstScanInterruptedTest.class);
        assertThat(child.exited()).as("the child process ends").isTrue();
        String out = child.out();
        // before: "first: ExceptionInInitializerError" (Tika's table reader gave up on the interrupt), then
        // "second: NoClassDefFoundError" for this and every later scan of the process
        assertThat(out)
                .as("child output")
                .contains("first: SUSPICIOUS, interrupt kept: true")
                .contains("second: SUSPICIOUS");
        assertThat(child.exitValue()).isZero();
    }
}
