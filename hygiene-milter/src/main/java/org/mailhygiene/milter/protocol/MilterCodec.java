package org.mailhygiene.milter.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.mailhygiene.internal.Checks;

/**
 * Frames milter packets: a 4-byte big-endian length {@code n} (the code plus the payload), then {@code n} bytes.
 *
 * <p>Reading is strict. A length of 0, or one above the caller's limit (unsigned lengths of 2^31 and more included),
 * is a {@link MilterProtocolException} before any payload byte is read or any buffer is allocated, so a hostile or
 * broken peer costs at most the limit in memory and then loses its connection. A stream that ends inside a packet is
 * an {@link EOFException}; a stream that ends cleanly between packets reads as "no packet".
 *
 * <p>Stateless and thread-safe; the streams are not (one reader and one writer per connection).
 */
public final class MilterCodec {
    /**
     * The default limit for one packet: 1 MiB. Postfix sends body chunks of at most 65535 bytes and header fields of
     * at most {@code header_size_limit} (100 KiB by default); libmilter's largest configurable packet is 1 MiB.
     */
    public static final int DEFAULT_MAX_PACKET = 1 << 20;

    private MilterCodec() {}

    /**
     * Reads one packet.
     *
     * @param in the stream (a buffered one is much faster)
     * @param maxLength the largest acceptable length field (code plus payload), {@code >= 1}
     * @return the packet, or {@code null} if the stream ended cleanly before the first length byte
     * @throws MilterProtocolException if the length is 0 or above {@code maxLength}
     * @throws EOFException if the stream ends inside a packet
     * @throws IOException if reading fails
     * @throws IllegalArgumentException if {@code maxLength < 1}
     */
    public static MilterPacket read(InputStream in, int maxLength) throws IOException {
        Checks.requireAtLeast(maxLength, 1, "maxLength");
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.read();
        int b2 = in.read();
        int b3 = in.read();
        if ((b1 | b2 | b3) < 0) {
            throw new EOFException("stream ended inside a packet length");
        }
        long length = ((long) b0 << 24) | ((long) b1 << 16) | ((long) b2 << 8) | b3;
        if (length < 1) {
            throw new MilterProtocolException("packet length 0");
        }
        if (length > maxLength) {
            throw new MilterProtocolException("packet length " + length + " exceeds the limit of " + maxLength);
        }
        int code = in.read();
        if (code < 0) {
            throw new EOFException("stream ended before the packet code");
        }
        int n = (int) length - 1;
        byte[] payload = in.readNBytes(n);
        if (payload.length != n) {
            throw new EOFException("stream ended inside " + MilterProtocol.name((byte) code) + " after "
                    + payload.length + " of " + n + " payload bytes");
        }
        return new MilterPacket((byte) code, payload);
    }

    /**
     * Writes one packet (not flushed).
     *
     * @param out the stream
     * @param packet the packet
     * @throws IOException if writing fails
     */
    public static void write(OutputStream out, MilterPacket packet) throws IOException {
        Objects.requireNonNull(packet, "packet");
        writeRaw(out, packet.code(), packet.payload(), 0, packet.length());
    }

    /**
     * Writes one packet from a slice of a buffer without copying it into a {@link MilterPacket} first (body chunks).
     * Not flushed.
     *
     * @param out the stream
     * @param code the code
     * @param payload the buffer
     * @param offset where the payload starts
     * @param length the payload length
     * @throws IOException if writing fails
     * @throws IndexOutOfBoundsException if the slice is outside the buffer
     */
    public static void writeRaw(OutputStream out, byte code, byte[] payload, int offset, int length)
            throws IOException {
        Objects.checkFromIndexSize(offset, length, payload.length);
        int n = length + 1;
        out.write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, code});
        out.write(payload, offset, length);
    }

    /**
     * The bytes of one framed packet.
     *
     * @param packet the packet
     * @return length, code and payload
     */
    public static byte[] encode(MilterPacket packet) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(packet.length() + 5);
        try {
            write(out, packet);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // cannot happen with a byte array
        }
        return out.toByteArray();
    }
}
