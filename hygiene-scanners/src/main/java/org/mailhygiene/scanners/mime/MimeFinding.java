package org.mailhygiene.scanners.mime;

import java.util.Objects;

/**
 * Something wrong or unusual about a message's MIME structure, found while walking it. Findings are data, never
 * exceptions: a broken message is still walked as far as it can be.
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind what was found
 * @param path the {@linkplain PartInfo#path() path} of the entity concerned
 * @param detail a human-readable explanation
 */
public record MimeFinding(Kind kind, String path, String detail) {

    /** The kinds of findings. */
    public enum Kind {
        /** A header could not be parsed (for example a malformed Content-Type); defaults were used. */
        MALFORMED_HEADER,
        /**
         * A {@code Content-Type}, {@code Content-Transfer-Encoding} or {@code Content-Disposition} field given more
         * than once on one entity with values that mean different things (another type, boundary or name, encoding,
         * disposition or file name). The first was used, as Jakarta Mail reads it; mail clients that take the last
         * (NeoMutt among them) decode and show another structure, encoding or file name, so a second
         * {@code Content-Transfer-Encoding: base64} hides a program from a scanner that reads the first. Also a
         * multipart's {@code boundary} parameter given twice in one field with different values: the walker splits at
         * the last (as Jakarta Mail), CPython's email package at the first, and each finds other parts.
         */
        CONFLICTING_HEADER,
        /** A multipart body could not be split (no boundary parameter, no start boundary); it was treated as a leaf. */
        MALFORMED_MULTIPART,
        /**
         * A message encapsulated in a {@code message/rfc822} or {@code message/global} part whose header says
         * multipart, is well formed (every line a header field, ended by its empty line) and whose body is empty
         * (blank lines at most): MTAs write it when they return a message's header alone. Nothing in it to walk or
         * hide; not a {@link #MALFORMED_MULTIPART}, though the classifier's token for it is the same. Anywhere else
         * an empty multipart stays malformed (MIME lines run into a header without its empty line leave a body empty
         * too).
         */
        EMPTY_MULTIPART,
        /** A multipart body ended without its closing boundary; the parts found were walked. */
        MISSING_END_BOUNDARY,
        /** A Content-Transfer-Encoding the walker does not know; the body was passed on undecoded. */
        UNKNOWN_ENCODING,
        /** A body could not be decoded to its end (for example broken base64); the bytes before were passed on. */
        DECODING_ERROR,
        /**
         * A base64 or quoted-printable body had errors that mail clients repair (base64 without its padding, with
         * characters outside the alphabet, with padding in the middle or lines of varying length; quoted-printable
         * with an {@code =} not followed by two hex digits); it was decoded as they decode it, and all of it was passed
         * on. The detail names the repairs.
         */
        REPAIRED_ENCODING,
        /**
         * A multipart or message/rfc822 entity with a base64 or quoted-printable transfer encoding, which RFC 2045
         * forbids and which scanners that ignore it can be evaded with; it was decoded and walked. Raised for an
         * encoded {@code message/global} too: RFC 6532 (section 3.5) allows it, but a scanner that does not decode it
         * is evaded all the same.
         */
        ENCODED_CONTAINER,
        /**
         * Beside {@link #ENCODED_CONTAINER}: the container's quoted-printable holds what decoders read differently (an
         * {@code =} not followed by two hex digits or a line end, a blank at a line end, a CR without LF, a byte other
         * than printable ASCII and blanks, a line over 200 characters), or was not read to its end; so the walker's
         * decoding may not be what a mail client shows.
         */
        AMBIGUOUS_ENCODING,
        /**
         * A multipart's header block holds a line starting {@code --}: readers that end the header at a line they take
         * for no field (by rules that differ: CPython's email package takes {@code X-Note : x} for none) read the rest
         * as body, where that line may be a multipart delimiter; this walker reads them as header lines. Readers
         * disagree on the parts, so it is broken structure.
         */
        AMBIGUOUS_HEADER,
        /**
         * A complete multipart whose epilogue (after its close delimiter) holds a delimiter line of its boundary: parts
         * after the close, which mail clients, CPython's email package and this walker do not show or walk and clamd
         * reads on to and scans. Broken structure: what is there is seen by some scanners only.
         */
        AMBIGUOUS_MULTIPART,
        /**
         * An opaque S/MIME signature (an {@code application/pkcs7-mime} CMS {@code signedData} holding the signed
         * entity): its content, which mail clients show as the message, was taken out and walked as the signature's
         * child. Not a fault: it tells that the content is hidden from scanners that read the message as it is
         * (clamd, SpamAssassin and command-line scanners given the whole message do not unwrap CMS; the clamd scanner
         * streams the content to clamd as a message of its own).
         */
        SMIME_SIGNED,
        /** The nesting depth limit was reached; the deeper entities were not walked. */
        DEPTH_LIMIT,
        /** The part-count limit was reached; the walk stopped. */
        PART_LIMIT,
        /**
         * A multipart's boundary is longer than {@link MimeWalker#MAX_BOUNDARY} (without a boundary parameter: its first
         * line that starts with {@code --}, where Jakarta Mail would split): it was not split, and handed over as one
         * leaf (its parts, text included, were not walked one by one).
         */
        BOUNDARY_LIMIT,
        /**
         * The decoded-bytes limit was reached; the body was cut there and the walk stopped. Also an S/MIME signature
         * larger than {@link MimeWalker#MAX_SMIME_BYTES}, which is not opened (the walk goes on).
         */
        SIZE_LIMIT,
        /**
         * A part that starts as an opaque S/MIME signature but cannot be read as one (data behind the structure,
         * another signature inside it, a structure this reader does not take): mail clients may read on and show a
         * letter that was not walked here. Handed to the visitor as a leaf; a limit, so that no scanner calls the
         * message clean for what it did not read.
         */
        SMIME_UNREADABLE;

        /**
         * Whether this finding means part of the message was not walked because a limit was reached.
         *
         * @return {@code true} for DEPTH_LIMIT, PART_LIMIT, BOUNDARY_LIMIT, SIZE_LIMIT and SMIME_UNREADABLE
         */
        public boolean isLimit() {
            return this == DEPTH_LIMIT
                    || this == PART_LIMIT
                    || this == BOUNDARY_LIMIT
                    || this == SIZE_LIMIT
                    || this == SMIME_UNREADABLE;
        }
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public MimeFinding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(detail, "detail");
    }
}
