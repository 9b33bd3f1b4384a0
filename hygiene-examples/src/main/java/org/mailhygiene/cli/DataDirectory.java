package org.mailhygiene.cli;

import java.io.IOException;
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

    /**
     * Why this process must not write into {@code dir}, or {@code null} if it may: the files a tool writes there (a
     * released message's spool file, quarantine records) must be readable and writable by the node, which runs as the
     * directory's owner; written by another user (typically root) with the usual modes, the node could read a released
     * message but not record its delivery. So only the directory's owner may change it. {@code null} too where the file
     * system has no owners.
     */
    static String writeProblem(Path dir) {
        String me = System.getProperty("user.name", "");
        try {
            String owner = Files.getOwner(dir).getName();
            if (owner.equals(me)) {
                return null;
            }
            return dir + " belongs to " + owner + ", not to " + me + ": what this command writes there would not be the"
                    + " node's to change; run it as " + owner + " (sudo -u " + owner + " hygiene ...)";
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
