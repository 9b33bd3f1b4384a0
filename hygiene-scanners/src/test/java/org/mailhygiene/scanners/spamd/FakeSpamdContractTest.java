package org.mailhygiene.scanners.spamd;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/** The spamd contract against {@link FakeSpamd}. */
class FakeSpamdContractTest implements SpamdContract {
    private FakeSpamd fake;

    @BeforeEach
    void start() throws IOException {
        fake = FakeSpamd.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Override
    public String spamdAddress() {
        return fake.address();
    }
}
