package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloseablesTest {

    @Test
    void everyResourceIsClosedInOrderWhateverTheOthersThrow() {
        List<String> closed = new ArrayList<>();
        Closeable failing = () -> {
            closed.add("failing");
            throw new IOException("broken pipe");
        };
        Closeable fine = () -> closed.add("fine");
        Closeables.closeQuietly(failing, null, fine, failing);
        assertThat(closed).containsExactly("failing", "fine", "failing");
    }

    @Test
    void nothingToCloseIsFine() {
        Closeables.closeQuietly();
        Closeables.closeQuietly((Closeable) null);
    }

    @Test
    void anUncheckedExceptionIsNotSwallowed() {
        Closeable bug = () -> {
            throw new IllegalStateException("a bug, not an I/O failure");
        };
        assertThatThrownBy(() -> Closeables.closeQuietly(bug)).isInstanceOf(IllegalStateException.class);
    }
}
