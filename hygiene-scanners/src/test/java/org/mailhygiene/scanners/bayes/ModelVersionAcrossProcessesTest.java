package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model's {@link BayesModel#version()} is part of the classifier's cache identity, which a cluster's shared verdict
 * cache compares between nodes: two processes that each load a different model must not produce the same version.
 */
class ModelVersionAcrossProcessesTest {

    /** Child process: learns one message into a new model (spam or ham, as told) and prints its version. */
    public static void main(String[] args) {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("only", args[0]), args[0].equals("spam"));
        System.out.println(m.version());
    }

    private static String versionInAnotherProcess(String label) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        classPath,
                        "-XX:TieredStopAtLevel=1",
                        ModelVersionAcrossProcessesTest.class.getName(),
                        label)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        // the child prints one short line, so waiting before reading cannot fill the pipe; a hung child is killed
        boolean exited = p.waitFor(2, TimeUnit.MINUTES);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("the child process ends").isTrue();
        assertThat(p.exitValue()).isZero();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    }

    @Test
    void twoProcessesWithDifferentModelsNeverShareAVersion() throws Exception {
        // each child's model is its first instance, learned once: the counters alone would both read "1.1"
        String spam = versionInAnotherProcess("spam");
        String ham = versionInAnotherProcess("ham");
        assertThat(spam).isNotBlank().endsWith("1.1");
        assertThat(ham).isNotBlank().endsWith("1.1");
        assertThat(spam).isNotEqualTo(ham);
    }
}
