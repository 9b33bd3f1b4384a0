package org.mailhygiene.testkit.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MilterClient.Builder}: the protocol flags offered on the wire depend on the settings, never on the order of
 * {@code version} and {@code protocol}.
 */
class MilterClientBuilderOrderTest {
    private ServerSocket server;

    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    /** Connects with the builder, answers the option negotiation like a minimal milter, returns the offered flags. */
    private int offeredFlags(UnaryOperator<MilterClient.Builder> settings) throws Exception {
        CompletableFuture<Integer> offered = CompletableFuture.supplyAsync(() -> {
            try (Socket s = server.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                int length = in.readInt();
                byte command = in.readByte();
                byte[] payload = new byte[length - 1];
                in.readFully(payload);
                if (command != 'O' || payload.length < 12) {
                    throw new IOException("expected an option negotiation, got " + (char) command);
                }
                ByteBuffer options = ByteBuffer.wrap(payload);
                int flags = options.getInt(8);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeInt(13);
                out.writeByte('O');
                out.writeInt(2); // version 2 is never above what a client offers
                out.writeInt(0);
                out.writeInt(0);
                out.flush();
                in.read(); // until the client closes
                return flags;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        try (MilterClient client = settings.apply(MilterClient.builder(address)).connect()) {
            assertThat(client.negotiated().version()).isEqualTo(2);
        }
        return offered.get(1, TimeUnit.MINUTES);
    }

    @Test
    void explicitFlagsAreOfferedWhetherTheVersionIsSetBeforeOrAfterThem() throws Exception {
        for (int version = 2; version <= 6; version++) {
            int v = version;
            int mask = 0x15;
            int versionFirst = offeredFlags(b -> b.version(v).protocol(mask));
            int flagsFirst = offeredFlags(b -> b.protocol(mask).version(v));
            assertThat(flagsFirst).as("version %d", v).isEqualTo(versionFirst).isEqualTo(mask);
        }
    }

    @Test
    void withoutExplicitFlagsTheVersionsFlagsAreOffered() throws Exception {
        assertThat(offeredFlags(b -> b)).isEqualTo(0x1FFFFF);
        assertThat(offeredFlags(b -> b.version(2))).isEqualTo(0x7F);
        assertThat(offeredFlags(b -> b.version(3))).isEqualTo(0x17F);
        assertThat(offeredFlags(b -> b.version(4))).isEqualTo(0x37F);
        assertThat(offeredFlags(b -> b.version(6).version(2))).isEqualTo(0x7F);
    }
}
