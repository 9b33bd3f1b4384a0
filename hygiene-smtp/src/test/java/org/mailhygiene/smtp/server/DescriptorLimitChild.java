package org.mailhygiene.smtp.server;

import java.time.Duration;
import org.mailhygiene.smtp.access.AcceptedDomains;

/**
 * Runs an {@link SmtpServer} on a free port for {@link DescriptorLimitTest}, in a JVM whose descriptor limit the test
 * set: prints {@code PORT n}, serves until its standard input ends, then stops.
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
        SmtpServer server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .limits(SmtpLimits.builder()
                        .maxConnections(2000)
                        .maxConnectionsPerIp(2000)
                        .connectionRatePerIp(100_000, Duration.ofMinutes(1))
                        .build())
                .handler(new RecordingHandler())
                .stopGrace(Duration.ofSeconds(1))
                .build();
        server.start();
        System.out.println("PORT " + server.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the test to close our input
        }
        server.stop();
    }
}
