package org.mailhygiene.cli;

import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * {@code --builtin}: the in-process {@link SignatureScanner}, which recognises the EICAR test virus (also inside base64
 * and quoted-printable MIME parts) and the GTUBE test spam. Needs no daemon. Thread-safe; stateless.
 */
public final class BuiltinScannerOption implements ScannerOption {

    /** Creates the option. */
    public BuiltinScannerOption() {}

    @Override
    public String flag() {
        return "--builtin";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.empty();
    }

    @Override
    public String description() {
        return "built-in signatures: the EICAR test virus and the GTUBE test spam (no daemon needed)";
    }

    @Override
    public Scanner create(Optional<String> argument) {
        return SignatureScanner.create();
    }
}
