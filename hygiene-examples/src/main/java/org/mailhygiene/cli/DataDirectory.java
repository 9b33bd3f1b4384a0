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
     * Why this process must not write into the data directory {@code dir}, or {@code null} if it may: the files a tool
     * writes there (a released message's spool file, quarantine records) must be readable and writable by the node,
     * whose user owns {@code dir/spool} (the node creates it); written by another user (typically root) with the usual
     * modes, the node could read a released message but not append its delivery state. So only that user may change
     * it. Users are compared by number ({@code unix:uid}: a container's user without a name is still itself); {@code
     * null} too where the file system has no such attribute.
     */
    static String writeProblem(Path dir) {
        Path spool = dir.resolve("spool");
        try {
            int owner = (Integer) Files.getAttribute(spool, "unix:uid");
            int me = ownUid();
            if (owner == me) {
                return null;
            }
            String name = Files.getOwner(spool).getName();
            String sudo = name.equals(String.valueOf(owner)) ? "'#" + owner + "'" : name;
            String myName = System.getProperty("user.name", "?");
            return dir + " is the node's of user " + name + " (its spool/ belongs to " + name + "), not of " + myName
                    + " (uid " + me + "): what this command writes there would not be the node's to change; run it as "
                    + name + " (sudo -u " + sudo + " hygiene ...)";
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    /** This process's effective user id: the owner of a file it creates. */
    private static int ownUid() throws IOException {
        Path probe = Files.createTempFile("hygiene-uid-", ".tmp");
        try {
            return (Integer) Files.getAttribute(probe, "unix:uid");
        } finally {
            Files.deleteIfExists(probe);
        }
    }
}
