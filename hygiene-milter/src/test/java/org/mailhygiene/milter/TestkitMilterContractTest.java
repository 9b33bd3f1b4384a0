package org.mailhygiene.milter;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.milter.MilterClient;
import org.mailhygiene.testkit.milter.MilterResult;

/** The milter contract through the testkit's MTA-playing client: no Postfix needed. */
class TestkitMilterContractTest extends MilterContract {
    private static ScanPipeline pipeline;
    private static MilterServer server;

    @BeforeAll
    static void start() throws Exception {
        pipeline = ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        server = MilterServer.builder().pipeline(pipeline).build();
        server.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        pipeline.close();
    }

    @Override
    Delivery deliver(String from, List<String> to, byte[] message) throws Exception {
        try (MilterClient mta = MilterClient.connect(server.address())) {
            MilterResult r = mta.send(from, to, message);
            if (r.accepted()) {
                return new Delivery(Optional.empty(), Optional.of(r.apply(message)));
            }
            return new Delivery(r.smtpReply(), Optional.empty());
        }
    }
}
