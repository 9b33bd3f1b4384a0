package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BuffersTest {
    @Test
    void aBufferIsNoLargerThanItsInputWithinTheBounds() {
        assertThat(Buffers.forSize(40, 64 * 1024)).isEqualTo(Buffers.MIN);
        assertThat(Buffers.forSize(-1, 64 * 1024)).isEqualTo(Buffers.MIN);
        assertThat(Buffers.forSize(3000, 64 * 1024)).isEqualTo(3000);
        assertThat(Buffers.forSize(10L << 30, 16 * 1024)).isEqualTo(16 * 1024);
        assertThatThrownBy(() -> Buffers.forSize(100, 100)).isInstanceOf(IllegalArgumentException.class);
    }
}
