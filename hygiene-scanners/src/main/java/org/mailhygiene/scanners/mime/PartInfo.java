package org.mailhygiene.scanners.mime;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.internal.Checks;

/**
 * What the walker knows about one MIME entity before its body is read.
 *
 * <p>Paths are dot-separated 1-based indexes from the top: the message itself is {@code ""}, the parts of a top-level
 * multipart are {@code 1}, {@code 2}, ..., the parts of a nested multipart {@code 2.1}, {@code 2.2}, and the message
 * inside a {@code message/rfc822} part {@code p} is {@code p.1}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param path where the entity sits in the tree (see above)
 * @param depth nesting depth: 0 for the message, +1 for each multipart or encapsulated message level
 * @param mimeType the lower-case media type without parameters, e.g. {@code application/pdf}; {@code text/plain}
 *     when the header is absent or unparseable (RFC 2045 §5.2)
 * @param contentType the Content-Type header as it appeared (unfolded), empty when absent
 * @param charset the {@code charset} parameter, empty when absent
 * @param fileName the file name from Content-Disposition or Content-Type {@code name} (RFC 2231 and RFC 2047 decoded),
 *     empty when none
 * @param disposition the lower-case disposition type ({@code attachment}, {@code inline}), empty when absent
 * @param transferEncoding the lower-case Content-Transfer-Encoding, {@code 7bit} when absent
 * @param otherNames the other file names the headers give (decoded as {@code fileName}), which another mail client
 *     may show and save the part under: the plain {@code filename} beside an RFC 2231 one, a second {@code filename},
 *     a Content-Type {@code name} unlike the disposition's; none of them equal to {@code fileName}, empty when none
 */
public record PartInfo(
        String path,
        int depth,
        String mimeType,
        Optional<String> contentType,
        Optional<String> charset,
        Optional<String> fileName,
        Optional<String> disposition,
        String transferEncoding,
        List<String> otherNames) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code depth} is negative
     */
    public PartInfo {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(mimeType, "mimeType");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(charset, "charset");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(disposition, "disposition");
        Objects.requireNonNull(transferEncoding, "transferEncoding");
        otherNames = List.copyOf(otherNames);
        Checks.requireAtLeast(depth, 0, "depth");
    }

    /**
     * A part whose headers give one file name at most ({@link #otherNames()} empty).
     *
     * @param path where the entity sits in the tree
     * @param depth nesting depth
     * @param mimeType the lower-case media type
     * @param contentType the Content-Type header as it appeared
     * @param charset the {@code charset} parameter
     * @param fileName the file name
     * @param disposition the lower-case disposition type
     * @param transferEncoding the lower-case Content-Transfer-Encoding
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code depth} is negative
     */
    public PartInfo(
            String path,
            int depth,
            String mimeType,
            Optional<String> contentType,
            Optional<String> charset,
            Optional<String> fileName,
            Optional<String> disposition,
            String transferEncoding) {
        this(path, depth, mimeType, contentType, charset, fileName, disposition, transferEncoding, List.of());
    }

    /**
     * Whether this entity is a container the walker descends into ({@code multipart/*} or {@code message/rfc822}).
     *
     * @return {@code true} for containers
     */
    public boolean isContainer() {
        return mimeType.startsWith("multipart/") || MimeWalker.isEncapsulatedMessage(mimeType);
    }
}
