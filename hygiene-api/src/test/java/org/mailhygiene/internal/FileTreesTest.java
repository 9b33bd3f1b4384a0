package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
    @TempDir
    Path tmp;

    @Test
    void aTreeIsDeletedWithItsRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root/a/b"));
        Files.writeString(root.resolve("f"), "x");
        Files.writeString(tmp.resolve("root/g"), "y");
        Files.createDirectories(tmp.resolve("root/empty"));
        FileTrees.deleteTree(tmp.resolve("root"));
        assertThat(tmp.resolve("root")).doesNotExist();
        assertThat(tmp).isEmptyDirectory();
    }

    @Test
    void aMissingRootOrAPlainFileIsFine() throws IOException {
        FileTrees.deleteTree(tmp.resolve("never-made"));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThat(FileTrees.deleteTreeQuietly(file)).isTrue();
        assertThat(file).doesNotExist();
    }

    @Test
    void aLinkIsDeletedNotFollowed() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("link"), outside);
        FileTrees.deleteTree(root);
        assertThat(root).doesNotExist();
        assertThat(outside.resolve("keep")).exists();
    }

    @Test
    void directoriesTheOwnerCannotChangeAreMadeChangeableFirst() throws IOException {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Path root = Files.createDirectories(tmp.resolve("root/locked"));
        Files.writeString(root.resolve("f"), "x");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("r-x------"));
        FileTrees.deleteTree(tmp.resolve("root"));
        assertThat(tmp.resolve("root")).doesNotExist();
    }
}
