package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A single byte read as a bulk read of one: unsigned, -1 at the end, the bulk read's failure passed on. */
class BulkInputStreamTest {
    /** Hands out {@code data} at most two bytes a call, then fails if asked to. */
    private static BulkInputStream of(byte[] data, boolean failAtEnd) {
        return new BulkInputStream() {
            private int at;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (at == data.length) {
                    if (failAtEnd) {
                        throw new IOException("truncated");
                    }
                    return -1;
                }
                int n = Math.min(Math.min(len, 2), data.length - at);
                System.arraycopy(data, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    @Test
    void readsEachByteUnsignedThenTheEnd() throws IOException {
        BulkInputStream in = of(new byte[] {0, 1, (byte) 0x80, (byte) 0xff}, false);
        assertThat(in.read()).isZero();
        assertThat(in.read()).isOne();
        assertThat(in.read()).isEqualTo(0x80);
        assertThat(in.read()).isEqualTo(0xff);
        assertThat(in.read()).isEqualTo(-1);
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void aFailedBulkReadFailsTheByteRead() {
        BulkInputStream in = of(new byte[0], true);
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessage("truncated");
    }
}
