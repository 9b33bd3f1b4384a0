package org.mailhygiene.scanners.spamd;

import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.testkit.junit.RealSpamdExtension;
import org.mailhygiene.testkit.spamd.RealSpamd;

/** The spamd contract against the installed spamd (one instance for the class). */
@ExtendWith(RealSpamdExtension.class)
class RealSpamdContractTest implements SpamdContract {
    private final RealSpamd spamd;

    RealSpamdContractTest(RealSpamd spamd) {
        this.spamd = spamd;
    }

    @Override
    public String spamdAddress() {
        return spamd.address();
    }
}
