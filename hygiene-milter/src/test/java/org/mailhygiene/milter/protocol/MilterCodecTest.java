package org.mailhygiene.milter.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Property tests for the milter packet framing: round trips, any chunking, hostile and truncated input. */
class MilterCodecTest {
    private static final int MAX = 70_000;

    /** Delivers a byte array in random-sized pieces (1..n bytes per read), as a TCP stream may. */
    static final class ChunkedStream extends InputStream {
        private final byte[] data;
        private final Random random;
        private int pos;
        private int reads;

        ChunkedStream(byte[] data, long seed) {
            this.data = data;
            this.random = new Random(seed);
        }

        @Override
        public int read() {
            reads++;
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            reads++;
            if (len == 0) {
                return 0;
            }
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(len, Math.min(data.length - pos, 1 + random.nextInt(97)));
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }

        int position() {
            return pos;
        }
    }

    static Gen<MilterPacket> packets() {
        Gen<Integer> codes = integers().between(0, 255);
        Gen<Integer> sizes = integers().between(0, 600).mix(integers().between(0, MAX - 1), 5);
        return codes.zip(sizes, longs().all(), (code, size, seed) -> {
            byte[] p = new byte[size];
            new Random(seed).nextBytes(p);
            return new MilterPacket((byte) (int) code, p);
        });
    }

    @Test
    void encodeThenDecodeGivesTheSamePacketsUnderAnyChunking() {
        qt().withExamples(300)
                .forAll(lists().of(packets()).ofSizeBetween(0, 8), longs().all())
                .checkAssert((list, seed) -> {
                    ByteArrayOutputStream wire = new ByteArrayOutputStream();
                    for (MilterPacket p : list) {
                        wire.writeBytes(MilterCodec.encode(p));
                    }
                    ChunkedStream in = new ChunkedStream(wire.toByteArray(), seed);
                    List<MilterPacket> back = new ArrayList<>();
                    MilterPacket p;
                    try {
                        while ((p = MilterCodec.read(in, MAX)) != null) {
                            back.add(p);
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(back).isEqualTo(list);
                });
    }

    @Test
    void aLengthOverTheLimitOrZeroIsRefusedBeforeAnyPayloadIsRead() {
        // Hostile lengths: 0, just over the limit, and every unsigned 32-bit value up to 0xFFFFFFFF.
        Gen<Long> hostile = longs().between(MAX + 1L, 0xFFFF_FFFFL).mix(longs().between(0, 0), 10);
        qt().withExamples(500).forAll(hostile, longs().all()).checkAssert((length, seed) -> {
            byte[] wire = new byte[4 + 64];
            wire[0] = (byte) (length >>> 24);
            wire[1] = (byte) (length >>> 16);
            wire[2] = (byte) (length >>> 8);
            wire[3] = (byte) (long) length;
            ChunkedStream in = new ChunkedStream(wire, seed);
            assertThatThrownBy(() -> MilterCodec.read(in, MAX))
                    .isInstanceOf(MilterProtocolException.class)
                    .hasMessageContaining("packet length");
            assertThat(in.position())
                    .as("nothing after the length was consumed")
                    .isEqualTo(4);
        });
    }

    @Test
    void aStreamCutAnywhereInsideAPacketIsAnEofNeverAShortPacket() {
        qt().withExamples(300)
                .forAll(packets(), integers().between(1, 1000), longs().all())
                .checkAssert((packet, cutSeed, seed) -> {
                    byte[] wire = MilterCodec.encode(packet);
                    int cut = 1 + (cutSeed % (wire.length - 1)); // 1 .. wire.length-1: inside the packet
                    byte[] partial = java.util.Arrays.copyOf(wire, cut);
                    assertThatThrownBy(() -> MilterCodec.read(new ChunkedStream(partial, seed), MAX))
                            .isInstanceOf(EOFException.class);
                });
    }

    @Test
    void arbitraryBytesNeverReadPastTheLimitOrThrowAnythingButIoExceptions() {
        Gen<byte[]> noise = integers().between(0, 300).zip(longs().all(), (n, seed) -> {
            byte[] b = new byte[n];
            new Random(seed).nextBytes(b);
            // Often make the first length small so some packets parse.
            if (n > 4 && (seed & 1) == 0) {
                b[0] = 0;
                b[1] = 0;
                b[2] = 0;
                b[3] = (byte) (seed >>> 8 & 0x3f);
            }
            return b;
        });
        qt().withExamples(1000).forAll(noise, longs().all()).checkAssert((bytes, seed) -> {
            ChunkedStream in = new ChunkedStream(bytes, seed);
            try {
                while (MilterCodec.read(in, 64) != null) {
                    // keep reading
                }
            } catch (IOException expected) {
                // protocol error or truncation: the caller closes the connection
            }
        });
    }

    @Test
    void optionNegotiationRoundTrips() {
        qt().forAll(integers().all(), integers().all(), integers().all()).checkAssert((v, a, p) -> {
            OptionNegotiation o = new OptionNegotiation(v, a, p);
            try {
                MilterPacket back = MilterCodec.read(new ByteArrayInputStream(MilterCodec.encode(o.toPacket())), 64);
                assertThat(OptionNegotiation.decode(back)).isEqualTo(o);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void stringPayloadsRoundTripForEveryByteButNul() {
        Gen<String> strings = lists().of(integers().between(1, 255))
                .ofSizeBetween(0, 40)
                .map(cs -> {
                    StringBuilder sb = new StringBuilder();
                    cs.forEach(c -> sb.append((char) (int) c));
                    return sb.toString();
                });
        qt().forAll(lists().of(strings).ofSizeBetween(0, 6)).checkAssert(list -> {
            MilterPacket p = MilterPacket.ofStrings(MilterProtocol.SMFIC_MAIL, list.toArray(String[]::new));
            try {
                assertThat(p.strings()).isEqualTo(list);
            } catch (MilterProtocolException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void indexedPayloadsRoundTrip() throws IOException {
        MilterPacket p = MilterPacket.ofIndexed(MilterProtocol.SMFIR_CHGHEADER, 3, "Subject", " [SPAM] hi");
        assertThat(p.int32(0)).isEqualTo(3);
        assertThat(p.strings(4)).containsExactly("Subject", " [SPAM] hi");
    }

    @Test
    void unterminatedStringsAreMalformed() {
        MilterPacket p = new MilterPacket(MilterProtocol.SMFIC_HEADER, nul("Subject|hello"));
        assertThatThrownBy(p::strings)
                .isInstanceOf(MilterProtocolException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> p.exactly(2)).isInstanceOf(MilterProtocolException.class);
    }

    @Test
    void macrosAndConnectPayloadsParse() throws IOException {
        byte[] macro = nul("Ci|ABC123|{client_addr}|192.0.2.1|");
        MilterPacket.Macros m = new MilterPacket(MilterProtocol.SMFIC_MACRO, macro).macros();
        assertThat(m.command()).isEqualTo(MilterProtocol.SMFIC_CONNECT);
        assertThat(m.values()).containsEntry("i", "ABC123").containsEntry("{client_addr}", "192.0.2.1");
        assertThatThrownBy(() -> new MilterPacket(MilterProtocol.SMFIC_MACRO, nul("Ci|")).macros())
                .isInstanceOf(MilterProtocolException.class);

        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.writeBytes(nul("mx.example|"));
        c.write('4');
        c.write(0x30);
        c.write(0x39);
        c.writeBytes(nul("192.0.2.7|"));
        MilterPacket.ConnectInfo info = new MilterPacket(MilterProtocol.SMFIC_CONNECT, c.toByteArray()).connectInfo();
        assertThat(info.hostName()).isEqualTo("mx.example");
        assertThat(info.port()).isEqualTo(12345);
        assertThat(info.ip()).isPresent();
        assertThat(info.ip().get().getHostAddress()).isEqualTo("192.0.2.7");

        MilterPacket unknown = new MilterPacket(MilterProtocol.SMFIC_CONNECT, nul("localhost|U"));
        assertThat(unknown.connectInfo().ip()).isEmpty();
        assertThatThrownBy(() -> new MilterPacket(MilterProtocol.SMFIC_CONNECT, nul("h|4|")).connectInfo())
                .isInstanceOf(MilterProtocolException.class);
    }

    /** The bytes of {@code s} (ISO-8859-1) with every {@code |} turned into NUL. */
    static byte[] nul(String s) {
        return s.replace('|', (char) 0).getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void protocolMasksGrowWithTheVersion() {
        assertThat(MilterProtocol.protocolMask(2) & MilterProtocol.SMFIP_NR_HDR).isZero();
        assertThat(MilterProtocol.protocolMask(3) & MilterProtocol.SMFIP_NOUNKNOWN)
                .isNotZero();
        assertThat(MilterProtocol.protocolMask(4) & MilterProtocol.SMFIP_NODATA).isNotZero();
        assertThat(MilterProtocol.protocolMask(6) & MilterProtocol.SMFIP_HDR_LEADSPC)
                .isNotZero();
        assertThat(MilterProtocol.protocolMask(6)).isEqualTo(0x1FFFFF);
    }
}
