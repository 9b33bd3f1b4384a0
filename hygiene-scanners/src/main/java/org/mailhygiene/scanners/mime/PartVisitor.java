package org.mailhygiene.scanners.mime;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives the entities of a message from {@link MimeWalker#walk}, in document order (depth first).
 *
 * <p>Called on the walking thread only; an implementation used for one walk at a time needs no synchronisation.
 */
@FunctionalInterface
public interface PartVisitor {

    /**
     * A leaf entity (anything but {@code multipart/*} and {@code message/rfc822}) with its decoded body. The stream
     * delivers the body with the transfer encoding removed (base64, quoted-printable, uuencode; 7bit, 8bit and binary
     * pass through), and ends early when the walker's decoded-bytes limit is reached. It is closed by the walker; the
     * visitor may read as much or as little of it as it likes.
     *
     * @param part what is known about the entity
     * @param decoded the decoded body
     * @return {@code true} to go on, {@code false} to end the walk here
     * @throws IOException if the visitor fails; an exception caused by undecodable content becomes a
     *     {@link MimeFinding.Kind#DECODING_ERROR} finding instead and the walk goes on
     */
    boolean leaf(PartInfo part, InputStream decoded) throws IOException;

    /**
     * A container ({@code multipart/*} or {@code message/rfc822}) is about to be entered. By default every container is
     * entered.
     *
     * @param part what is known about the container
     * @return {@code true} to walk its children, {@code false} to skip them
     */
    default boolean enter(PartInfo part) {
        return true;
    }
}
