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
     * @param args {@code steal} to run a thread that takes free descriptors for a moment, again and again
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
        if (args.length > 0 && args[0].equals("steal")) {
            stealDescriptors();
        }
        System.out.println("PORT " + server.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the test to close our input
        }
        server.stop();
    }

    /**
     * Starts a thread that opens a file, holds it a moment and closes it, again and again: as class loading, a log
     * file's rotation or a scanner's socket do in a real process, it takes a descriptor the accepting thread freed.
     */
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
