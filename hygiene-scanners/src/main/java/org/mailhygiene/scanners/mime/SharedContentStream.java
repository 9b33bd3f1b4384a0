package org.mailhygiene.scanners.mime;

import jakarta.mail.internet.SharedInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.Buffers;
import org.mailhygiene.internal.BulkInputStream;
import org.mailhygiene.internal.Checks;

/**
 * A {@link SharedInputStream} over {@link MessageContent}, so Jakarta Mail parses structure without copying part
 * bodies into heap: every {@link #newStream(long, long)} opens the content afresh (lazily, on first read) and skips
 * to the slice. Positions are relative to this stream's own start, as {@link SharedInputStream} requires.
 *
 * <p>Not thread-safe (one walk uses it on one thread). Every underlying stream is registered with the walk's
 * {@link WalkScope}, which closes them all when the walk ends, because Jakarta Mail does not close the streams it
 * derives.
 */
final class SharedContentStream extends BufferedInputStream implements SharedInputStream {
    private static final int BUFFER = 16 * 1024;

    private final MessageContent content;
    private final WalkScope scope;
    private final long start;
    private final long end;
    private final Slice slice;

    SharedContentStream(MessageContent content, WalkScope scope) {
        this(content, scope, 0, -1);
    }

    private SharedContentStream(MessageContent content, WalkScope scope, long start, long end) {
        this(content, scope, start, end, new Slice(content, scope, start, end));
    }

    private SharedContentStream(MessageContent content, WalkScope scope, long start, long end, Slice slice) {
        super(slice, bufferFor(content, start, end));
        this.content = content;
        this.scope = scope;
        this.start = start;
        this.end = end;
        this.slice = slice;
    }

    /** A buffer no larger than the slice ({@link Buffers#forSize}): the walk opens a stream per MIME part. */
    private static int bufferFor(MessageContent content, long start, long end) {
        return Buffers.forSize((end < 0 ? content.size() : end) - start, BUFFER);
    }

    @Override
    public synchronized long getPosition() {
        return slice.delivered - (count - pos);
    }

    @Override
    public InputStream newStream(long from, long to) {
        Checks.requireAtLeast(from, 0, "start");
        long absoluteEnd = to < 0 ? end : start + to;
        if (end >= 0 && absoluteEnd > end) {
            absoluteEnd = end;
        }
        return new SharedContentStream(content, scope, start + from, absoluteEnd);
    }

    /** The bytes {@code [start, end)} of the content, opened on first use. */
    private static final class Slice extends BulkInputStream {
        private final MessageContent content;
        private final WalkScope scope;
        private final long start;
        private final long end;
        private InputStream in;
        private long delivered;

        Slice(MessageContent content, WalkScope scope, long start, long end) {
            this.content = content;
            this.scope = scope;
            this.start = start;
            this.end = end;
        }

        private InputStream open() throws IOException {
            if (in == null) {
                try {
                    InputStream s = content.openStream();
                    scope.register(s);
                    s.skipNBytes(Math.min(start, content.size()));
                    in = s;
                } catch (IOException e) {
                    scope.contentFailed(e);
                    throw e;
                }
            }
            return in;
        }

        private long remaining() {
            return end < 0 ? Long.MAX_VALUE : Math.max(0, end - start - delivered);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long left = remaining();
            if (left == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int want = (int) Math.min(len, left);
            int n;
            try {
                n = open().read(b, off, want);
            } catch (IOException e) {
                scope.contentFailed(e);
                throw e;
            }
            if (n > 0) {
                delivered += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long want = Math.min(n, remaining());
            if (want <= 0) {
                return 0;
            }
            long skipped;
            try {
                skipped = open().skip(want);
            } catch (IOException e) {
                scope.contentFailed(e);
                throw e;
            }
            delivered += skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return in == null ? 0 : (int) Math.min(in.available(), remaining());
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
