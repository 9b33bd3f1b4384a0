package org.mailhygiene.scanners.clamd;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.FakeClamdExtension;
import org.mailhygiene.testkit.junit.ScannerContract;

/** The clamd contract against {@link org.mailhygiene.testkit.clamd.FakeClamd}, configured like the real clamd. */
class FakeClamdContractTest implements ClamdContract, ScannerContract {
    @RegisterExtension
    final FakeClamdExtension clamd = FakeClamdExtension.create(b -> b.streamMaxLength(DAEMON_STREAM_LIMIT)
            .eicarName(RealClamd.EICAR_NDB_NAME + RealClamd.UNOFFICIAL)
            .signature(RealClamd.TEST_MARKER, RealClamd.MARKER_NDB_NAME + RealClamd.UNOFFICIAL));

    @Override
    public String tcpAddress() {
        return clamd.get().tcpAddress();
    }

    @Override
    public String unixAddress() {
        return clamd.get().unixAddress();
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
        clamd.get().stageSignature(marker, name + RealClamd.UNOFFICIAL);
        return name + RealClamd.UNOFFICIAL;
    }

    /** The general scanner contract ({@link ScannerContract}) runs on the same daemon. */
    @Override
    public Scanner scanner() {
        return scannerBuilder().build();
    }
}
