package org.mailhygiene.cli;

import java.util.List;

/** The scanner options {@code hygiene scan} offers. Thread-safe; stateless. */
public final class ScannerOptions {
    private ScannerOptions() {}

    /**
     * Every scanner option of the standard tool, in the order the help lists them. A new scanner family adds its
     * {@link ScannerOption} here.
     *
     * @return an immutable list
     */
    public static List<ScannerOption> standard() {
        return List.of(
                new BuiltinScannerOption(),
                new ClamdScannerOption(),
                new SpamdScannerOption(),
                new VexiraScannerOption(),
                new CommandScannerOption(),
                AttachmentsScannerOption.defaultPolicy(),
                AttachmentsScannerOption.policyFile(),
                new BayesScannerOption(),
                new AuthScannerOption());
    }
}
