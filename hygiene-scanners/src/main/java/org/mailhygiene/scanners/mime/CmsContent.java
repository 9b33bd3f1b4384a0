package org.mailhygiene.scanners.mime;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reads the CMS structure (RFC 5652) of an S/MIME {@code application/pkcs7-mime} part ({@code smime.p7m}, RFC 5751
 * section 3): an opaque signature ({@code signedData}, whose {@code encapContentInfo} carries the signed MIME entity as
 * an {@code OCTET STRING}) or an encrypted message ({@code envelopedData}, {@code authEnvelopedData}). Mailers write it
 * in DER or, streaming, in BER with indefinite lengths and the octet string in chunks; both are read. A signature is
 * not verified: the point is to inspect what the reader's mailer will show, whoever signed it. Encrypted content can
 * be read only with the recipient's key, by no scanner on the way.
 *
 * <p>A small recursive-descent reader over the bytes, linear in their length (each element is visited at most once
 * per level of nesting above it, and nesting is bounded, {@value #MAX_DEPTH} levels); anything that is not such a
 * structure (a truncated file, a length running past the end, another type) is {@link Optional#empty()} from
 * {@link #read}. {@link MimeWalker} walks a signature's content as the signature's child entity; the attachment policy
 * reads what the walker left a leaf (an encrypted message, a structure that cannot be read). Stateless and
 * thread-safe.
 */
public final class CmsContent {
    /** DER of the object identifier 1.2.840.113549.1.7.2, {@code id-signedData}. */
    private static final byte[] ID_SIGNED_DATA = {
        0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x02
    };

    /** DER of 1.2.840.113549.1.7.1, {@code id-data}: the only content type of a signed MIME entity. */
    private static final byte[] ID_DATA = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x01};

    /** DER of 1.2.840.113549.1.7.3, {@code id-envelopedData}. */
    private static final byte[] ID_ENVELOPED_DATA = {
        0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x03
    };

    /** DER of 1.2.840.113549.1.9.16.1.23, {@code id-ct-authEnvelopedData} (RFC 5083). */
    private static final byte[] ID_AUTH_ENVELOPED_DATA = {
        0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17
    };

    /** Deepest nesting of constructed elements followed (an octet string in chunks of chunks). */
    static final int MAX_DEPTH = 16;

    private static final int SEQUENCE = 0x30;
    private static final int SET = 0x31;
    private static final int OID = 0x06;
    private static final int INTEGER = 0x02;
    private static final int OCTET_STRING = 0x04;
    private static final int OCTET_STRING_CONSTRUCTED = 0x24;
    private static final int CONTEXT_0 = 0xa0;

    private CmsContent() {}

    /** What a CMS structure is. */
    public enum Kind {
        /** An opaque signature: {@link Content#bytes()} is the signed MIME entity. */
        SIGNED,
        /** A signature without its content (detached, or certificates only): nothing inside to inspect. */
        DETACHED,
        /** An encrypted message ({@code envelopedData}, {@code authEnvelopedData}): unreadable without the key. */
        ENCRYPTED
    }

    /**
     * What a CMS structure holds.
     *
     * <p>The array is the one {@link #read} made, not copied: a caller that hands it on must not change it.
     *
     * @param kind what it is
     * @param bytes the signed entity for {@link Kind#SIGNED}, else empty
     */
    public record Content(Kind kind, byte[] bytes) {
        /**
         * Checks the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Content {
            java.util.Objects.requireNonNull(kind, "kind");
            java.util.Objects.requireNonNull(bytes, "bytes");
        }
    }

    /**
     * The bytes {@link #signedDataLength} needs to tell a {@code signedData} from anything else: 32 (a tag, a length
     * of up to nine bytes, the object identifier's tag, a length of up to nine bytes and its nine bytes).
     */
    public static final int HEAD_BYTES = 32;

    /** The most bytes a BER length may take after its first: 8 (leading zero octets are allowed, X.690 8.1.3.5). */
    private static final int MAX_LENGTH_BYTES = 8;

    /**
     * Whether data starts as a CMS {@code signedData} ContentInfo: a SEQUENCE (definite or indefinite length) whose
     * first element is the object identifier {@code id-signedData}. Reads only the first {@link #HEAD_BYTES} bytes, so
     * that a part declared S/MIME is read whole only when it may be a signature.
     *
     * @param head the first bytes of the data
     * @param n how many of them there are (fewer than {@link #HEAD_BYTES} only for shorter data)
     * @return -1 when the data does not start so; 0 for an indefinite length (BER); else the whole structure's length
     *     in bytes, as its header says
     * @throws NullPointerException if {@code head} is {@code null}
     */
    public static long signedDataLength(byte[] head, int n) {
        java.util.Objects.requireNonNull(head, "head");
        if (n < 4 || (head[0] & 0xff) != SEQUENCE) {
            return -1;
        }
        int first = head[1] & 0xff;
        int at;
        long total;
        if (first < 0x80) {
            at = 2;
            total = 2L + first;
        } else if (first == 0x80) {
            at = 2;
            total = 0;
        } else {
            long len = headLength(head, 1, n);
            if (len < 0) {
                return -1;
            }
            at = 2 + (first & 0x7f);
            total = at + len;
        }
        if (at + 2 > n || head[at] != OID) {
            return -1;
        }
        int oidLength = head[at + 1] & 0xff;
        int oidAt = at + 2;
        if (oidLength > 0x80) { // a long form, as BER allows
            long len = headLength(head, at + 1, n);
            oidAt = at + 2 + (oidLength & 0x7f);
            oidLength = len == ID_SIGNED_DATA.length ? ID_SIGNED_DATA.length : -1;
        }
        if (oidLength != ID_SIGNED_DATA.length
                || oidAt + ID_SIGNED_DATA.length > n
                || !Arrays.equals(
                        head, oidAt, oidAt + ID_SIGNED_DATA.length, ID_SIGNED_DATA, 0, ID_SIGNED_DATA.length)) {
            return -1;
        }
        return total;
    }

    /**
     * The value of a long-form BER length whose first byte is at {@code at} (of the first {@code n} bytes of
     * {@code head}), or -1 when it is not one, takes more than {@link #MAX_LENGTH_BYTES} bytes, runs past {@code n} or
     * is larger than {@link Integer#MAX_VALUE}. The one length reader of {@link #signedDataLength} and {@link #read}.
     */
    private static long headLength(byte[] head, int at, int n) {
        int k = head[at] & 0x7f;
        if ((head[at] & 0x80) == 0 || k == 0 || k > MAX_LENGTH_BYTES || at + 1 + k > n) {
            return -1;
        }
        long len = 0;
        for (int i = 0; i < k; i++) {
            len = (len << 8) | (head[at + 1 + i] & 0xff);
            if (len > Integer.MAX_VALUE) {
                return -1;
            }
        }
        return len;
    }

    /**
     * Reads a CMS {@code ContentInfo}.
     *
     * @param der the structure's bytes (DER or BER)
     * @return what it holds, or empty when the bytes are not a readable {@code signedData}, {@code envelopedData} or
     *     {@code authEnvelopedData} structure
     * @throws NullPointerException if {@code der} is {@code null}
     */
    public static Optional<Content> read(byte[] der) {
        return read(der, der.length);
    }

    /**
     * Reads a CMS {@code ContentInfo} from the first {@code length} bytes of an array (the rest is not looked at).
     *
     * @param der the array
     * @param length how many of its bytes are the data
     * @return as {@link #read(byte[])}
     * @throws NullPointerException if {@code der} is {@code null}
     * @throws IndexOutOfBoundsException if {@code length} is negative or larger than the array
     */
    public static Optional<Content> read(byte[] der, int length) {
        java.util.Objects.checkFromIndexSize(0, length, der.length);
        try {
            Reader r = new Reader(der, length);
            Element info = r.element(0, 0);
            if (info.tag != SEQUENCE) {
                return Optional.empty();
            }
            Element type = r.element(info.start, 1);
            if (type.tag != OID) {
                return Optional.empty();
            }
            byte[] oid = r.bytes(type);
            boolean encrypted = Arrays.equals(oid, ID_ENVELOPED_DATA) || Arrays.equals(oid, ID_AUTH_ENVELOPED_DATA);
            if (!encrypted && !Arrays.equals(oid, ID_SIGNED_DATA)) {
                return Optional.empty();
            }
            Element explicit = r.element(type.next, 1);
            if (explicit.tag != CONTEXT_0) {
                return Optional.empty();
            }
            Element signed = r.element(explicit.start, 2);
            if (signed.tag != SEQUENCE) {
                return Optional.empty();
            }
            if (!r.endsTheData(info)) {
                return Optional.empty(); // something after the structure: not what a mailer writes
            }
            if (encrypted) {
                return r.enveloped(signed) ? Optional.of(new Content(Kind.ENCRYPTED, new byte[0])) : Optional.empty();
            }
            Element version = r.element(signed.start, 3);
            if (version.tag != INTEGER) {
                return Optional.empty();
            }
            Element digests = r.element(version.next, 3);
            if (digests.tag != SET) {
                return Optional.empty();
            }
            Element encap = r.element(digests.next, 3);
            if (encap.tag != SEQUENCE) {
                return Optional.empty();
            }
            Element contentType = r.element(encap.start, 4);
            if (contentType.tag != OID || !Arrays.equals(r.bytes(contentType), ID_DATA)) {
                return Optional.empty(); // a CMS structure inside (NSS unwraps it, we do not), or something else
            }
            if (!r.signerInfosFollow(encap, signed)) {
                return Optional.empty();
            }
            if (r.atEnd(contentType.next, encap)) {
                return Optional.of(new Content(Kind.DETACHED, new byte[0])); // the content travels beside it
            }
            Element wrapper = r.element(contentType.next, 4);
            if (wrapper.tag != CONTEXT_0) {
                return Optional.empty();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Element octets = r.element(wrapper.start, 5);
            r.octets(octets, out, 5);
            return Optional.of(new Content(Kind.SIGNED, out.toByteArray()));
        } catch (Malformed e) {
            return Optional.empty();
        }
    }

    /** One element: its tag, where its content starts, where it ends (-1: indefinite) and where the next one starts. */
    private record Element(int tag, int start, int end, int next) {}

    private static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed() {
            super(null, null, false, false);
        }
    }

    private static final class Reader {
        private final byte[] b;
        /** The end of the data in {@link #b}. */
        private final int limit;

        Reader(byte[] b, int limit) {
            this.b = b;
            this.limit = limit;
        }

        /** The element at {@code at}; an indefinite-length one is walked to its end-of-contents to find the next. */
        Element element(int at, int depth) throws Malformed {
            if (depth > MAX_DEPTH || at + 2 > limit) {
                throw new Malformed();
            }
            int tag = b[at] & 0xff;
            if ((tag & 0x1f) == 0x1f) {
                throw new Malformed(); // multi-byte tags appear nowhere in these structures
            }
            int first = b[at + 1] & 0xff;
            int start;
            int length;
            if (first < 0x80) {
                start = at + 2;
                length = first;
            } else if (first == 0x80) {
                if ((tag & 0x20) == 0) {
                    throw new Malformed(); // only constructed elements may have an indefinite length
                }
                int end = endOfContents(at + 2, depth);
                return new Element(tag, at + 2, -1, end + 2);
            } else {
                long len = headLength(b, at + 1, limit); // leading zero octets are BER; past 2 GB is no data here
                if (len < 0) {
                    throw new Malformed();
                }
                start = at + 2 + (first & 0x7f);
                if (len > limit - start) {
                    throw new Malformed();
                }
                length = (int) len;
            }
            if (length > limit - start) {
                throw new Malformed();
            }
            return new Element(tag, start, start + length, start + length);
        }

        /** Where the end-of-contents octets of an indefinite-length element whose content starts at {@code at} are. */
        private int endOfContents(int at, int depth) throws Malformed {
            int p = at;
            while (true) {
                if (p + 2 > limit) {
                    throw new Malformed();
                }
                if (b[p] == 0 && b[p + 1] == 0) {
                    return p;
                }
                p = element(p, depth + 1).next;
            }
        }

        /**
         * Whether the structure ends where the data does: only NUL bytes and line ends may follow (some mailers pad),
         * not a second file a reader could find behind it.
         */
        boolean endsTheData(Element top) {
            for (int i = top.next; i < limit; i++) {
                if (b[i] != 0 && b[i] != '\r' && b[i] != '\n') {
                    return false;
                }
            }
            return true;
        }

        /**
         * Whether {@code enveloped} (the sequence inside the {@code [0]} of an envelopedData or authEnvelopedData
         * ContentInfo) has their shape: a version, optionally the originator's information, a non-empty set of
         * recipients, and the encrypted content's information (its type and algorithm).
         */
        boolean enveloped(Element enveloped) throws Malformed {
            Element version = element(enveloped.start, 3);
            if (version.tag != INTEGER) {
                return false;
            }
            Element next = element(version.next, 3);
            if (next.tag == CONTEXT_0) {
                next = element(next.next, 3); // originatorInfo
            }
            if (next.tag != SET || atEnd(next.start, next)) {
                return false; // recipientInfos, at least one
            }
            Element info = element(next.next, 3);
            if (info.tag != SEQUENCE) {
                return false;
            }
            Element type = element(info.start, 4);
            Element algorithm = element(type.next, 4);
            return type.tag == OID && algorithm.tag == SEQUENCE;
        }

        /** Whether a signedData's certificates and CRLs (optional) are followed by its set of signer infos. */
        boolean signerInfosFollow(Element encap, Element signed) throws Malformed {
            int p = encap.next;
            while (!atEnd(p, signed)) {
                Element e = element(p, 3);
                if (e.tag == SET) {
                    return true;
                }
                if (e.tag != CONTEXT_0 && e.tag != 0xa1) {
                    return false;
                }
                p = e.next;
            }
            return false;
        }

        /** Whether {@code at} is the end of {@code parent}'s content. */
        boolean atEnd(int at, Element parent) throws Malformed {
            if (parent.end >= 0) {
                if (at > parent.end) {
                    throw new Malformed(); // a child ran past its parent's end
                }
                return at == parent.end;
            }
            if (at + 2 > limit) {
                throw new Malformed();
            }
            return b[at] == 0 && b[at + 1] == 0;
        }

        byte[] bytes(Element e) throws Malformed {
            if (e.end < 0) {
                throw new Malformed();
            }
            return Arrays.copyOfRange(b, e.start, e.end);
        }

        /** The octets of an OCTET STRING, primitive or in chunks (BER's constructed form, chunks of chunks too). */
        void octets(Element e, ByteArrayOutputStream out, int depth) throws Malformed {
            if (e.tag == OCTET_STRING) {
                out.write(b, e.start, e.end - e.start);
            } else if (e.tag == OCTET_STRING_CONSTRUCTED) {
                int p = e.start;
                while (!atEnd(p, e)) {
                    Element chunk = element(p, depth + 1);
                    octets(chunk, out, depth + 1);
                    p = chunk.next;
                }
                if (e.end >= 0 && p != e.end) {
                    throw new Malformed();
                }
            } else {
                throw new Malformed();
            }
        }
    }
}
