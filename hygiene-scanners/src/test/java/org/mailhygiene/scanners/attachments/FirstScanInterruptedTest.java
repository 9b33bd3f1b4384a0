package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Scanner;
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
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        classPath,
                        "-XX:TieredStopAtLevel=1",
                        FirstScanInterruptedTest.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        // the child prints two short lines, so waiting before reading cannot fill the pipe; a hung child is killed
        boolean exited = p.waitFor(2, TimeUnit.MINUTES);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("the child process ends").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // before: "first: ExceptionInInitializerError" (Tika's table reader gave up on the interrupt), then
        // "second: NoClassDefFoundError" for this and every later scan of the process
        assertThat(out)
                .as("child output")
                .contains("first: SUSPICIOUS, interrupt kept: true")
                .contains("second: SUSPICIOUS");
        assertThat(p.exitValue()).isZero();
    }
}
