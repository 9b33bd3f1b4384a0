package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.ChildJvm;

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
        // the child prints one short line; a hung child is killed
        ChildJvm.Result child = ChildJvm.run(ModelVersionAcrossProcessesTest.class, label);
        assertThat(child.exited()).as("the child process ends").isTrue();
        assertThat(child.exitValue()).isZero();
        return child.out().strip();
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
