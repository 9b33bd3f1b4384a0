package org.mailhygiene.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * The bytes of a message as received (RFC 5322 header and body, CRLF line ends, no SMTP dot-stuffing), readable any
 * number of times.
 *
 * <p>Scanners call {@link #openStream()} and stream; nothing in the API requires a whole message in heap. Every call
 * returns a fresh stream positioned at the first byte; the caller closes it. Implementations are thread-safe: several
 * scanners may read the same content concurrently.
 *
 * <p>Factories: {@link #ofBytes(byte[])} (heap), {@link #ofFile(Path)} (a file that must stay unchanged while the
 * content is in use), and {@link #spool(InputStream, long)} (memory up to a threshold, then a private temporary
 * file).
 */
public interface MessageContent {

    /**
     * The exact number of bytes {@link #openStream()} delivers.
     *
     * @return the size in bytes, {@code >= 0}
     */
    long size();

    /**
     * Opens a new stream over the whole content.
     *
     * @return a fresh stream, which the caller must close
     * @throws IOException if the backing file cannot be opened (for example it was deleted)
     */
    InputStream openStream() throws IOException;

    /**
     * Reads the whole content into a new array. Convenient for small messages and tests; avoid on the mail path.
     *
     * @return a new array holding the content
     * @throws IOException if the content cannot be read
     * @throws IllegalStateException if the content is larger than {@link Integer#MAX_VALUE} - 8 bytes
     */
    default byte[] readAllBytes() throws IOException {
        if (size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("content of " + size() + " bytes does not fit in an array");
        }
        try (InputStream in = openStream()) {
            return in.readAllBytes();
        }
    }

    /**
     * Content backed by a copy of the given array.
     *
     * @param bytes the message bytes; copied
     * @return heap-backed content
     */
    static MessageContent ofBytes(byte[] bytes) {
        return new ByteArrayContent(bytes.clone());
    }

    /**
     * Content backed by a string encoded with the given charset; handy in tests.
     *
     * @param text the message text
     * @param charset how to encode it
     * @return heap-backed content
     */
    static MessageContent ofString(String text, Charset charset) {
        return new ByteArrayContent(text.getBytes(charset));
    }

    /**
     * Content backed by a file. The size is read now; the file must not change while the content is in use. The
     * content does not own the file and never deletes it.
     *
     * @param file a regular, readable file (a symbolic link to one is followed)
     * @return file-backed content
     * @throws IOException if the file's size cannot be read (it does not exist, say), or it is not a regular file (a
     *     directory, a FIFO, a device)
     */
    static MessageContent ofFile(Path file) throws IOException {
        return new FileContent(file);
    }

    /**
     * Reads a stream to its end, keeping up to {@code memoryThreshold} bytes in heap and spilling to a private
     * (owner-only) temporary file past that. The stream is not closed. Close the result to delete the file.
     *
     * @param in the source, read to its end
     * @param memoryThreshold how many bytes may stay in heap, {@code >= 0}
     * @return spooled content, which the caller must close
     * @throws IOException if reading the source or writing the temporary file fails; nothing is left on disk then
     * @throws IllegalArgumentException if {@code memoryThreshold} is negative
     */
    static SpooledContent spool(InputStream in, long memoryThreshold) throws IOException {
        return SpooledContent.spool(in, memoryThreshold);
    }
}
