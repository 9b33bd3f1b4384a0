package org.mailhygiene.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories of the load harnesses (spools, quarantines, models), removed when the JVM exits. */
public final class TempDirs {
    private TempDirs() {}

    /**
     * Creates a temporary directory under {@code java.io.tmpdir} that is deleted, with everything in it, when the JVM
     * exits (normally or on SIGINT/SIGTERM).
     *
     * @param prefix the directory name's prefix
     * @return the new directory
     * @throws IOException if it cannot be created
     */
    public static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "delete " + dir.getFileName()));
        return dir;
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not remove " + dir + ": " + e);
        }
    }
}
