package org.mailhygiene.cli;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.builtin.EmbeddedScanners;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * {@code --builtin}: the embedded scanner set ({@link EmbeddedScanners}), everything that runs inside the JVM with no
 * daemon: the {@link SignatureScanner} (the EICAR test virus, also inside base64 and quoted-printable MIME parts, and
 * the GTUBE test spam) and the attachment policy with its default rules (executables and scripts by true type and by
 * name, double extensions, type mismatches, encrypted archives, also inside zips). Together with {@code --bayes FILE}
 * it is the full embedded set, classifier included. Thread-safe; stateless.
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
        return "embedded scanners, no daemon: EICAR/GTUBE and the attachment policy (+ --bayes FILE)";
    }

    /**
     * Builds the first scanner of the set, the {@link SignatureScanner}, for callers that want exactly one scanner;
     * {@code hygiene scan} uses {@link #createAll} and gets the whole set.
     *
     * @param argument always empty ({@code --builtin} is a switch)
     * @return a new signature scanner
     */
    @Override
    public Scanner create(Optional<String> argument) {
        return SignatureScanner.create();
    }

    /**
     * Builds the embedded set without a classifier ({@code --bayes FILE} adds that), once per occurrence.
     *
     * @param arguments one empty argument per occurrence
     * @return the signature scanner and the attachment policy scanner, per occurrence
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments) throws UsageException {
        try {
            List<Scanner> out = new java.util.ArrayList<>();
            for (int i = 0; i < arguments.size(); i++) {
                out.addAll(EmbeddedScanners.create(Optional.empty()));
            }
            return out;
        } catch (IOException e) {
            // no model file is read without --bayes; kept for the signature of EmbeddedScanners.create
            throw new UsageException("--builtin: " + e.getMessage());
        }
    }
}
