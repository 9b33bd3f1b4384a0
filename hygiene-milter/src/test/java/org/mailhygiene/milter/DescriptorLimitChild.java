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
     * @param args none
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
            System.out.println("PORT " + server.address().getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the test to close our input
            }
        }
    }
}
