package org.mailhygiene.scanners.clamd;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.RealClamdExtension;
import org.mailhygiene.testkit.junit.ScannerContract;

/** The clamd contract and the general scanner contract against the installed clamd (skipped without it, mandatory under CI). */
class RealClamdContractTest implements ClamdContract, ScannerContract {
    @RegisterExtension
    static final RealClamdExtension CLAMD = RealClamdExtension.create(b -> b.streamMaxLength(DAEMON_STREAM_LIMIT));

    @Override
    public String tcpAddress() {
        return CLAMD.get().tcpAddress();
    }

    @Override
    public String unixAddress() {
        return CLAMD.get().unixAddress();
    }

    @Override
    public String eicarName() {
        return RealClamd.EICAR_NDB_NAME + RealClamd.UNOFFICIAL;
    }

    @Override
    public String markerName() {
        return RealClamd.MARKER_NDB_NAME + RealClamd.UNOFFICIAL;
    }

    @Override
    public String stageSignature(String name, String marker) {
        CLAMD.get()
                .addSignatureFile(
                        name + ".ndb", List.of(RealClamd.ndbLine(name, marker.getBytes(StandardCharsets.US_ASCII))));
        return name + RealClamd.UNOFFICIAL;
    }

    /** The general scanner contract ({@link ScannerContract}) runs on the same daemon. */
    @Override
    public Scanner scanner() {
        return scannerBuilder().build();
    }
}
