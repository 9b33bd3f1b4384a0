package org.mailhygiene.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code hygiene} command as a child process of the test JVM: same runtime, same class path. */
final class MainProcess {
    private MainProcess() {}

    /**
     * A process builder for {@code hygiene ARGS...}; the caller sets redirects and starts it.
     *
     * @param args the command and its options, e.g. {@code "relay", "--config", path}
     * @return the builder
     */
    static ProcessBuilder of(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }
}
