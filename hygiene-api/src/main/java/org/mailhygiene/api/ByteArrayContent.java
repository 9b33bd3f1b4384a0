package org.mailhygiene.api;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/** Heap-backed content; the array is owned and never exposed. */
final class ByteArrayContent implements MessageContent {
    private final byte[] bytes;

    ByteArrayContent(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public InputStream openStream() {
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public byte[] readAllBytes() {
        return bytes.clone();
    }

    @Override
    public String toString() {
        return "MessageContent[bytes=" + bytes.length + "]";
    }
}
