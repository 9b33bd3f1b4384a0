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
     * A leaf entity (anything but {@code multipart/*} and {@code message/rfc822}) with its decoded body. A leaf named
     * {@code .eml} or of another {@code message/*} type ({@link MimeWalker#isAttachedMessage}) may be
     * {@linkplain #enter entered} after this call and walked as a message too. The stream
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
     * A container ({@code multipart/*}, {@code message/rfc822}, an opaque S/MIME signature whose content was read, or
     * a leaf named {@code .eml} or of another {@code message/*} type that starts as a message, after its
     * {@link #leaf} call: see
     * {@link MimeWalker#isAttachedMessage}) is about to be entered. By default every container is entered.
     *
     * @param part what is known about the container
     * @return {@code true} to walk its children, {@code false} to skip them
     */
    default boolean enter(PartInfo part) {
        return true;
    }

    /**
     * An opaque S/MIME signature that the walker opened (see {@link MimeWalker}), with its CMS structure's bytes (the
     * part's body, decoded): called before {@link #enter} and the walk of the signed entity inside. The structure
     * holds more than the entity (certificates, signer information), which a scanner that matches bytes should see as
     * it saw the part before. By default it is handed to {@link #leaf}; a visitor that judges the signed entity by its
     * parts only (the attachment policy) overrides this.
     *
     * @param part the signature's part
     * @param structure the CMS structure, decoded
     * @return {@code true} to go on, {@code false} to end the walk here
     * @throws IOException if the visitor fails
     */
    default boolean signature(PartInfo part, InputStream structure) throws IOException {
        return leaf(part, structure);
    }

    /**
     * The signed entity of an opaque S/MIME signature (see {@link MimeWalker}), after {@link #signature} and after
     * {@link #enter} accepted the signature and before the entity is walked as its only child (path
     * {@code part.path() + ".1"}, or {@code "1"} for a message that is a signature). For a visitor that needs the entity whole (to hand it to a scanner that
     * does not unwrap CMS). By default nothing is done and the entity is walked.
     *
     * @param part the signature's part
     * @param entity the signed entity, header and body (a {@code Content-Type: text/plain} header put before content
     *     that has none, as mail clients show it)
     * @return {@code true} to walk the entity, {@code false} to skip it
     * @throws IOException if the visitor fails
     */
    default boolean signedContent(PartInfo part, org.mailhygiene.api.MessageContent entity) throws IOException {
        return true;
    }

    /**
     * The body of a leaf as sent, before its transfer encoding is removed, when Thunderbird reads it as untyped text
     * and so does not remove the encoding (its untyped-text parser looks for uuencoded, yEnc and BinHex files in the
     * lines as they are): a message, or a message inside one, with a {@code Content-Transfer-Encoding} other than
     * {@code 7bit}, {@code 8bit} or {@code binary} and neither a {@code Content-Type} nor a {@code MIME-Version}, or
     * any part whose {@code Content-Type} names the type {@code text} with no subtype, or nothing. Called before
     * {@link #leaf} for such leaves only. By default nothing is done.
     *
     * @param part the leaf's part
     * @param raw its body as sent (valid only during the call)
     * @throws IOException if the visitor fails
     */
    default void untypedText(PartInfo part, InputStream raw) throws IOException {}
}
