package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temporary copies of messages: owner-only, and a directory removed under a running process made again. */
class TempFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFileIsTheOwnersOnly() throws Exception {
        Path f = TempFiles.createPrivate(dir, "hygiene-", ".eml");
        assertThat(f.getParent()).isEqualTo(dir);
        assertThat(f.getFileName().toString()).startsWith("hygiene-").endsWith(".eml");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo("rw-------");
    }

    /** A cleaner of /tmp removed a long-running milter's or relay's directory: every later copy failed (session 38). */
    @Test
    void aRemovedDirectoryIsMadeAgainForTheOwnerOnly() throws Exception {
        Path spill = Files.createDirectory(dir.resolve("spill"));
        Files.delete(spill);
        Path f = TempFiles.createPrivate(spill, "hygiene-", ".eml");
        assertThat(f.getParent()).isEqualTo(spill);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spill)))
                .isEqualTo("rwx------");
    }

    @Test
    void aFileWhereTheDirectoryShouldBeIsAnError() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> TempFiles.createPrivate(notADirectory, "hygiene-", ".eml"))
                .isInstanceOf(FileSystemException.class);
        assertThat(Files.readString(notADirectory)).isEqualTo("x");
    }

    @Test
    void withoutADirectoryTheProcesssOwnIsUsed() throws Exception {
        Path f = TempFiles.createPrivate(null, "hygiene-", ".eml");
        try {
            assertThat(f.getParent()).isEqualTo(LockedDirectory.ofProcess());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
