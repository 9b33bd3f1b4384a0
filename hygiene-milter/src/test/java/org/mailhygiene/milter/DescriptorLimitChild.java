package org.mailhygiene.milter;

import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * Runs a {@link MilterServer} on a free port for {@link DescriptorLimitTest}, in a JVM whose descriptor limit the test
 * set: prints {@code PORT n}, serves until its standard input ends, then closes.
 */
public final class DescriptorLimitChild {
    private DescriptorLimitChild() {}

    /**
     * Serves until standard input ends.
     *
     * @param args {@code steal} to run a thread that takes free descriptors for a moment, again and again
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        try (ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(SignatureScanner.create())
                        .build();
                MilterServer server = MilterServer.builder()
                        .pipeline(pipeline)
                        .maxConnections(2000)
                        .build()) {
            server.start();
            negotiateOnce(server.address().getPort());
            if (args.length > 0 && args[0].equals("steal")) {
                stealDescriptors();
            }
            System.out.println("PORT " + server.address().getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the test to close our input
            }
        }
    }

    /**
     * Negotiates options with the milter once, before the test takes every descriptor: the session's classes are
     * loaded from the test's class directories one file at a time, which fails ({@code NoClassDefFoundError}) with no
     * descriptor free; a deployed milter loads them from jars it holds open.
     */
    private static void negotiateOnce(int port) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            org.mailhygiene.milter.protocol.MilterCodec.write(
                    s.getOutputStream(), new org.mailhygiene.milter.protocol.OptionNegotiation(6, 0x1ff, 0).toPacket());
            s.getOutputStream().flush();
            org.mailhygiene.milter.protocol.MilterPacket reply = org.mailhygiene.milter.protocol.MilterCodec.read(
                    s.getInputStream(), org.mailhygiene.milter.protocol.MilterCodec.DEFAULT_MAX_PACKET);
            if (reply == null || reply.code() != org.mailhygiene.milter.protocol.MilterProtocol.SMFIR_OPTNEG) {
                throw new java.io.IOException("the milter did not negotiate options: " + reply);
            }
        }
    }

    /** As the relay's test child: a thread that opens {@code /dev/null}, holds it 0.2 ms, closes it, in a loop. */
    private static void stealDescriptors() {
        Thread t = new Thread(
                () -> {
                    while (true) {
                        try (java.io.FileInputStream f = new java.io.FileInputStream("/dev/null")) {
                            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                        } catch (java.io.IOException e) {
                            // none free: try again
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                    }
                },
                "descriptor-stealer");
        t.setDaemon(true);
        t.start();
    }
}
