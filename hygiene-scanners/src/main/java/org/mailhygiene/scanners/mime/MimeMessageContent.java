package org.mailhygiene.scanners.mime;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.mailhygiene.api.SpooledContent;

/**
 * Scans a Jakarta Mail {@link MimeMessage} without buffering it into a {@code byte[]}: {@link #spool(MimeMessage)}
 * streams the message's RFC 5322 form ({@link MimeMessage#writeTo(java.io.OutputStream)}, headers and body exactly as
 * Jakarta Mail would send them) into a {@link SpooledContent}, which keeps up to a memory threshold in heap and spills
 * the rest to a private temporary file. Wrap the result with {@link org.mailhygiene.api.Message#of} and scan it; close
 * it afterwards to delete the file:
 *
 * <pre>{@code
 * try (SpooledContent content = MimeMessageContent.spool(mimeMessage)) {
 *     ScanReport report = pipeline.scan(Message.of(content));
 * }
 * }</pre>
 *
 * <p>Writing a message that was parsed from a stream and not changed copies its body and its header lines as they
 * were read, but Jakarta Mail ends every header line with CRLF: header lines ended by a bare LF come back ended by
 * CRLF, and a header block without its empty line gets one (the body's line ends are never changed). A message built or
 * changed in code is encoded by Jakarta Mail first (call {@link MimeMessage#saveChanges()} as for sending). Stateless
 * and thread-safe, but a {@code MimeMessage} itself is not: do not change it while it is written.
 */
public final class MimeMessageContent {
    /** Default bytes kept in heap before spilling to a temporary file: 1 MiB. */
    public static final long DEFAULT_MEMORY_THRESHOLD = 1024 * 1024;

    private MimeMessageContent() {}

    /**
     * Streams the message into content held in heap up to {@link #DEFAULT_MEMORY_THRESHOLD} bytes and in a temporary
     * file in the process's own directory under the JVM's temporary directory beyond it (see {@link SpooledContent}).
     *
     * @param message the message
     * @return the content; close it to delete any temporary file
     * @throws IOException if writing fails (any temporary file is deleted first)
     * @throws MessagingException if Jakarta Mail cannot encode the message
     */
    public static SpooledContent spool(MimeMessage message) throws IOException, MessagingException {
        return spool(message, DEFAULT_MEMORY_THRESHOLD, null);
    }

    /**
     * Streams the message into content held in heap up to {@code memoryThreshold} bytes and in a private temporary
     * file in {@code directory} beyond it. At most {@code memoryThreshold} bytes of the message are held in heap by
     * this method (Jakarta Mail's own buffers aside).
     *
     * @param message the message
     * @param memoryThreshold bytes that may stay in heap, {@code >= 0}
     * @param directory where a temporary file goes; {@code null} means the process's own directory under the JVM's
     *     temporary directory (see {@link SpooledContent})
     * @return the content; close it to delete any temporary file
     * @throws IOException if writing fails (any temporary file is deleted first)
     * @throws MessagingException if Jakarta Mail cannot encode the message
     * @throws IllegalArgumentException if {@code memoryThreshold < 0}
     */
    public static SpooledContent spool(MimeMessage message, long memoryThreshold, Path directory)
            throws IOException, MessagingException {
        Objects.requireNonNull(message, "message");
        return SpooledContent.<MessagingException>write(message::writeTo, memoryThreshold, directory);
    }
}
