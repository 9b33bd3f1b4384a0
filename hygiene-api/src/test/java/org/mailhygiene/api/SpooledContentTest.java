package org.mailhygiene.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpooledContentTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void staysInHeapUpToTheThresholdAndSpillsPastIt() {
        qt().withExamples(200)
                .forAll(integers().between(0, 3000), integers().between(0, 3000))
                .checkAssert((size, threshold) -> {
                    byte[] data = bytes(size);
                    try (SpooledContent c = SpooledContent.spool(new ByteArrayInputStream(data), threshold, dir)) {
                        assertThat(c.isOnDisk()).isEqualTo(size > threshold);
                        assertThat(c.size()).isEqualTo((long) size);
                        assertThat(files()).hasSize(c.isOnDisk() ? 1 : 0);
                        // Repeatable reads, each a fresh stream from the first byte.
                        assertThat(c.readAllBytes()).isEqualTo(data);
                        try (InputStream a = c.openStream();
                                InputStream b = c.openStream()) {
                            assertThat(a.readAllBytes()).isEqualTo(data);
                            assertThat(b.readAllBytes()).isEqualTo(data);
                        }
                        c.close();
                        assertThat(files()).isEmpty();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void theTemporaryFileIsOwnerOnlyAndDeletedOnClose() throws IOException {
        SpooledContent c = SpooledContent.spool(new ByteArrayInputStream(bytes(10_000)), 100, dir);
        List<Path> spilled = files();
        assertThat(spilled).hasSize(1);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(Files.getPosixFilePermissions(spilled.get(0)))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        }
        c.close();
        c.close();
        assertThat(files()).isEmpty();
        assertThatThrownBy(c::openStream).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void heapContentStaysReadableAfterClose() throws IOException {
        SpooledContent c = SpooledContent.spool(new ByteArrayInputStream(bytes(10)), 100);
        c.close();
        assertThat(c.readAllBytes()).hasSize(10);
    }

    @Test
    void aFailureMidStreamLeavesNoFile() {
        InputStream failing = new InputStream() {
            private int n;

            @Override
            public int read() throws IOException {
                if (n++ > 5000) {
                    throw new IOException("connection reset");
                }
                return 'x';
            }
        };
        assertThatThrownBy(() -> SpooledContent.spool(failing, 100, dir)).hasMessage("connection reset");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void aFailureBeforeTheThresholdLeavesNoFileEither() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("early");
            }
        };
        assertThatThrownBy(() -> SpooledContent.spool(failing, 100, dir)).hasMessage("early");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void anUnboundedThresholdKeepsEverythingInHeap() throws IOException {
        try (SpooledContent c = SpooledContent.spool(new ByteArrayInputStream(bytes(100_000)), Long.MAX_VALUE, dir)) {
            assertThat(c.isOnDisk()).isFalse();
            assertThat(c.readAllBytes()).isEqualTo(bytes(100_000));
        }
        try (SpooledContent c = SpooledContent.spool(new ByteArrayInputStream(bytes(100)), Integer.MAX_VALUE, dir)) {
            assertThat(c.size()).isEqualTo(100L);
        }
    }

    @Test
    void negativeThresholdIsRejected() {
        assertThatThrownBy(() -> SpooledContent.spool(InputStream.nullInputStream(), -1))
                .hasMessageContaining("memoryThreshold must be >= 0");
    }

    @Test
    void otherContentFactories() throws IOException {
        byte[] data = bytes(100);
        MessageContent heap = MessageContent.ofBytes(data);
        data[0]++;
        assertThat(heap.readAllBytes()).isNotEqualTo(data);
        Path file = dir.resolve("m.eml");
        Files.write(file, data);
        MessageContent onDisk = MessageContent.ofFile(file);
        assertThat(onDisk.size()).isEqualTo(100);
        assertThat(onDisk.readAllBytes()).isEqualTo(data);
        assertThat(onDisk.readAllBytes()).isEqualTo(data);
        assertThat(Files.exists(file)).isTrue();
        // what is not a regular file is refused at once, not by every scan later
        assertThatThrownBy(() -> MessageContent.ofFile(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a regular file (a directory)");
        assertThatThrownBy(() -> MessageContent.ofFile(dir.resolve("missing.eml")))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }
}
