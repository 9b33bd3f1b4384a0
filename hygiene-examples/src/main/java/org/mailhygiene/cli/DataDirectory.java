package org.mailhygiene.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks that a {@code --data DIR} argument is a node's data directory before a tool touches it. Stateless. */
final class DataDirectory {
    private DataDirectory() {}

    /**
     * The problem with {@code dir} as a node's data directory, or {@code null} if it is one: it must exist and hold
     * {@code spool/} and {@code quarantine/} (a node creates both when it is first built).
     */
    static String problem(Path dir) {
        if (!Files.isDirectory(dir)) {
            return dir + " is not a directory";
        }
        if (!Files.isDirectory(dir.resolve("spool")) || !Files.isDirectory(dir.resolve("quarantine"))) {
            return dir + " is not a node's data directory (it has no spool/ and quarantine/; give the node config's"
                    + " 'data' directory)";
        }
        return null;
    }
}
