package org.mailhygiene.scanners;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test class's {@code main} in a JVM of its own, on the tests' class path, for what one process cannot show (a
 * class's first initialisation, state that must differ between processes). Standard error is discarded.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * How the child ended.
     *
     * @param exited whether it ended within two minutes (it is killed otherwise)
     * @param exitValue its exit status, -1 when it did not end
     * @param out what it printed on standard output
     */
    public record Result(boolean exited, int exitValue, String out) {}

    /**
     * Runs {@code main} with {@code args} and waits for it, two minutes at most. The child must print little: the
     * output is read after it ends, so a full pipe would hold it.
     *
     * @param main the class whose {@code main} runs
     * @param args its arguments
     * @return how it ended
     * @throws IOException if it cannot be started or read
     * @throws InterruptedException if interrupted while waiting
     */
    public static Result run(Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "-XX:TieredStopAtLevel=1",
                main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        boolean exited = p.waitFor(2, TimeUnit.MINUTES);
        if (!exited) {
            p.destroyForcibly();
            return new Result(false, -1, "");
        }
        return new Result(true, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
