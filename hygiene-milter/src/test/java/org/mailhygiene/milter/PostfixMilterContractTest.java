package org.mailhygiene.milter;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * The milter contract through a real Postfix (private instance on loopback) and swaks: the same cases as
 * {@link TestkitMilterContractTest}. Skipped without Postfix and swaks, mandatory under {@code CI=true}.
 */
class PostfixMilterContractTest extends MilterContract {
    private static PostfixRig rig;
    private static int delivered;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        RealBinaries.require("postfix", "postfix");
        RealBinaries.require("swaks", "swaks");
        rig = new PostfixRig();
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    @Override
    Delivery deliver(String from, List<String> to, byte[] message) throws Exception {
        Swaks.Result r = Swaks.send(rig.port("main"), from, to.get(0), message, tmp);
        if (!r.accepted()) {
            return new Delivery(Optional.of(r.finalReply()), Optional.empty());
        }
        delivered++;
        byte[] data = rig.awaitDelivery(delivered).data();
        return new Delivery(Optional.empty(), Optional.of(PostfixRig.withoutFirstReceived(data)));
    }
}
