package org.mailhygiene.scanners.builtin;

import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.junit.ScannerContract;

/** The built-in scanner keeps the contract every scanner keeps: EICAR attachment infected, GTUBE spam, clean clean. */
class SignatureScannerContractTest implements ScannerContract {
    private final SignatureScanner scanner = SignatureScanner.create();

    @Override
    public Scanner scanner() {
        return scanner;
    }

    @Override
    public boolean detectsSpam() {
        return true;
    }
}
