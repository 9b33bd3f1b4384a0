package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockedDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void aDirectoryIsPrivateLockedAndDeletedOnClose() throws IOException {
        LockedDirectory d = LockedDirectory.create(tmp, "work-");
        assertThat(d.path().getParent()).isEqualTo(tmp);
        assertThat(d.path().getFileName().toString()).startsWith("work-");
        assertThat(d.path().resolve(LockedDirectory.LOCK_FILE)).isRegularFile();
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.path())))
                    .isEqualTo("rwx------");
        }
        Files.writeString(d.path().resolve("message.eml"), "Subject: x\r\n\r\nbody\r\n");
        assertThat(LockedDirectory.deleteAbandoned(tmp, "work-", Duration.ZERO))
                .as("this process holds the lock")
                .isZero();
        assertThat(d.path()).isDirectory();
        d.close();
        d.close();
        assertThat(d.path()).doesNotExist();
    }

    /** A process killed with SIGKILL cannot delete its directory; the next one does, and never a live one's. */
    @Test
    void aKilledProcesssDirectoryIsDeletedByTheNextAndALiveOnesIsNot() throws Exception {
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Holder.class.getName(),
                        tmp.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            Path held = Path.of(out.readLine());
            assertThat(held).isDirectory();
            assertThat(LockedDirectory.deleteAbandoned(tmp, "held-", Duration.ZERO))
                    .as("the other process lives and holds its lock")
                    .isZero();
            assertThat(held.resolve("copy.eml")).isRegularFile();

            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(held).as("a killed process leaves its directory").isDirectory();
            assertThat(LockedDirectory.deleteAbandoned(tmp, "held-", Duration.ofHours(1)))
                    .as("too young: it may be one being made")
                    .isZero();
            assertThat(LockedDirectory.deleteAbandoned(tmp, "held-", Duration.ZERO))
                    .isOne();
            assertThat(held).doesNotExist();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void whatIsNotALockedDirectoryOfTheRightNameIsLeftAlone() throws IOException {
        Path noLock = Files.createDirectories(tmp.resolve("work-old"));
        Files.writeString(noLock.resolve("message.eml"), "x");
        Path file = Files.writeString(tmp.resolve("work-file"), "x");
        Path other = Files.createDirectories(tmp.resolve("other-1"));
        Files.writeString(other.resolve(LockedDirectory.LOCK_FILE), "");
        Files.setLastModifiedTime(
                other.resolve(LockedDirectory.LOCK_FILE),
                FileTime.from(Instant.now().minusSeconds(3600)));
        Path target = Files.createDirectories(tmp.resolve("target"));
        Files.writeString(target.resolve(LockedDirectory.LOCK_FILE), "");
        Files.setLastModifiedTime(
                target.resolve(LockedDirectory.LOCK_FILE),
                FileTime.from(Instant.now().minusSeconds(3600)));
        Path link = Files.createSymbolicLink(tmp.resolve("work-link"), target);

        assertThat(LockedDirectory.deleteAbandoned(tmp, "work-", Duration.ZERO)).isZero();
        assertThat(noLock.resolve("message.eml")).isRegularFile();
        assertThat(file).isRegularFile();
        assertThat(other).isDirectory();
        assertThat(link).isSymbolicLink();
        assertThat(target.resolve(LockedDirectory.LOCK_FILE)).isRegularFile();
        assertThat(LockedDirectory.deleteAbandoned(tmp.resolve("never-made"), "work-", Duration.ZERO))
                .isZero();
    }

    @Test
    void anAbandonedDirectoryOfTheRightNameGoesWithEverythingInIt() throws IOException {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Path dir = Files.createDirectories(tmp.resolve("work-dead/in/sub"));
        Files.writeString(dir.resolve("part.bin"), "x");
        Path root = tmp.resolve("work-dead");
        Files.writeString(root.resolve(LockedDirectory.LOCK_FILE), "");
        Files.setLastModifiedTime(
                root.resolve(LockedDirectory.LOCK_FILE),
                FileTime.from(Instant.now().minusSeconds(120)));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
        assertThat(LockedDirectory.deleteAbandoned(tmp, "work-", Duration.ofMinutes(1)))
                .isOne();
        assertThat(tmp).isEmptyDirectory();
    }

    /**
     * A look for abandoned directories in the process that holds one must not drop its lock: POSIX record locks belong
     * to the process, and closing any descriptor of the lock file releases them, so another process would then find
     * the live directory abandoned and delete it under the running scan.
     */
    @Test
    void aLookInTheHoldingProcessKeepsItsLockForOtherProcesses() throws Exception {
        try (LockedDirectory d = LockedDirectory.create(tmp, "work-")) {
            // (no older lock file: setting its time opens and closes it, which drops the lock as well)
            assertThat(LockedDirectory.deleteAbandoned(tmp, "work-", Duration.ZERO))
                    .isZero();
            Process other = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            Sweeper.class.getName(),
                            tmp.toString(),
                            "work-")
                    .redirectErrorStream(true)
                    .start();
            try {
                String said = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertThat(other.waitFor(120, TimeUnit.SECONDS)).isTrue();
                assertThat(said).as("directories the other process deleted").isEqualTo("0");
            } finally {
                other.destroyForcibly();
            }
            assertThat(d.path().resolve(LockedDirectory.LOCK_FILE)).isRegularFile();
        }
    }

    /**
     * Copies of messages spilled without a configured directory (an embedder's SmtpServer or MilterServer, a
     * SpooledContent without one) went into java.io.tmpdir itself, where a process killed outright left them for good
     * (session 36's leftovers). They go into the process's own locked directory now: deleted at a normal exit, and by
     * the next process when this one was killed.
     */
    @Test
    void spilledCopiesGoIntoTheProcesssOwnDirectoryWhichOutlivesNoProcess() throws Exception {
        Path exited = spillInChild("exit");
        assertThat(exited.getParent()).isEqualTo(tmp);
        assertThat(exited.getFileName().toString()).startsWith(LockedDirectory.PROCESS_PREFIX);
        assertThat(exited).as("deleted at a normal exit").doesNotExist();

        Process child = spiller("hold");
        Path killed;
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            killed = Path.of(out.readLine());
            assertThat(killed).isDirectory();
            assertThat(Files.list(killed).map(f -> f.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("hygiene-") && n.endsWith(".eml"));
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(killed).as("a killed process leaves its directory").isDirectory();
        // older than the minute a directory being made is given
        Files.setLastModifiedTime(
                killed.resolve(LockedDirectory.LOCK_FILE),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Duration.ofMinutes(2))));
        Path next = spillInChild("exit");
        assertThat(killed).as("deleted by the next process that spills").doesNotExist();
        assertThat(next).doesNotExist();
    }

    /**
     * A cleaner of {@code /tmp} (systemd-tmpfiles deletes what was not touched for 10 days) may remove the process's
     * directory under a long-running node: every later spill failed with {@code NoSuchFileException} until a restart.
     * A new directory is made instead.
     */
    @Test
    void aProcessWhoseDirectoryWasRemovedMakesANewOne() throws Exception {
        Process p = spiller("vanish");
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            List<String> dirs = out.lines().toList();
            assertThat(dirs).hasSize(2);
            assertThat(dirs.get(1)).isNotEqualTo(dirs.get(0)).contains(LockedDirectory.PROCESS_PREFIX);
            assertThat(Path.of(dirs.get(1))).as("deleted at exit").doesNotExist();
        } finally {
            p.destroyForcibly();
        }
    }

    private Process spiller(String mode) throws IOException {
        return new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Djava.io.tmpdir=" + tmp,
                        "-cp",
                        System.getProperty("java.class.path"),
                        Spiller.class.getName(),
                        mode)
                .redirectErrorStream(true)
                .start();
    }

    /** Runs a spiller that exits by itself; returns the directory it spilled into. */
    private Path spillInChild(String mode) throws Exception {
        Process p = spiller(mode);
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            return Path.of(out.lines().findFirst().orElseThrow());
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A process that spills a message without a directory, prints the directory, and exits ({@code exit}) or waits to
     * be killed ({@code hold}).
     */
    public static final class Spiller {
        private Spiller() {}

        /**
         * Runs the spiller.
         *
         * @param args {@code exit} or {@code hold}
         * @throws Exception never expected
         */
        public static void main(String[] args) throws Exception {
            org.mailhygiene.api.SpooledContent c =
                    org.mailhygiene.api.SpooledContent.spool(new java.io.ByteArrayInputStream(new byte[100_000]), 10);
            if (!c.isOnDisk()) {
                throw new IllegalStateException("not spilled");
            }
            System.out.println(LockedDirectory.ofProcess());
            System.out.flush();
            if (args[0].equals("vanish")) {
                // a cleaner of /tmp removes the directory under the running process
                FileTrees.deleteTree(LockedDirectory.ofProcess());
                c.close();
                org.mailhygiene.api.SpooledContent again = org.mailhygiene.api.SpooledContent.spool(
                        new java.io.ByteArrayInputStream(new byte[100_000]), 10);
                if (!again.isOnDisk()) {
                    throw new IllegalStateException("not spilled");
                }
                System.out.println(LockedDirectory.ofProcess());
                System.out.flush();
            }
            if (args[0].equals("hold")) {
                Thread.sleep(Duration.ofMinutes(5).toMillis());
            }
        }
    }

    /** Another process looking for abandoned directories: prints how many it deleted. */
    public static final class Sweeper {
        private Sweeper() {}

        /**
         * Runs the sweep.
         *
         * @param args the parent directory and the prefix
         */
        public static void main(String[] args) {
            System.out.println(LockedDirectory.deleteAbandoned(Path.of(args[0]), args[1], Duration.ZERO));
        }
    }

    /** The other process: makes a locked directory, writes a file into it, says where, and waits to be killed. */
    public static final class Holder {
        private Holder() {}

        /**
         * Runs the holder.
         *
         * @param args the parent directory
         * @throws Exception never expected
         */
        public static void main(String[] args) throws Exception {
            LockedDirectory d = LockedDirectory.create(Path.of(args[0]), "held-");
            Files.writeString(d.path().resolve("copy.eml"), "x");
            System.out.println(d.path());
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(5).toMillis());
        }
    }
}
