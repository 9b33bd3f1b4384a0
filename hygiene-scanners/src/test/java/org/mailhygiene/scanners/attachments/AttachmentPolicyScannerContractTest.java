package org.mailhygiene.scanners.attachments;

import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.junit.ScannerContract;

/** The attachment policy scanner keeps the contract every scanner keeps (it detects neither viruses nor spam). */
class AttachmentPolicyScannerContractTest implements ScannerContract {
    private final AttachmentPolicyScanner scanner = AttachmentPolicyScanner.create();

    @Override
    public Scanner scanner() {
        return scanner;
    }

    @Override
    public boolean detectsViruses() {
        return false;
    }
}
