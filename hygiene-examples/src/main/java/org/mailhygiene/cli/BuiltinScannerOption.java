package org.mailhygiene.cli;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.builtin.EmbeddedScanners;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * {@code --builtin}: the embedded scanner set ({@link EmbeddedScanners}), everything that runs inside the JVM with no
 * daemon: the {@link SignatureScanner} (the EICAR test virus, also inside base64 and quoted-printable MIME parts, and
 * the GTUBE test spam) and the attachment policy with its default rules (executables and scripts by true type and by
 * name, double extensions, type mismatches, encrypted archives, also inside zips) and the Bayes classifier with the
 * shipped default model; with {@code --bayes FILE} the classifier uses that model instead, with {@code --attachments}
 * or {@code --attachment-policy FILE} the policy those give. Thread-safe; stateless.
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
        return "embedded scanners, no daemon: EICAR/GTUBE, the attachment policy and the classifier (default model);"
                + " --attachments, --attachment-policy and --bayes replace those two";
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
     * Builds the embedded set, once per occurrence: the signature scanner, the attachment policy scanner and the
     * classifier with the default model. With {@code --bayes} given too, {@code hygiene scan} leaves the classifier out
     * of this set ({@link #createBeside}) and uses the one {@code --bayes} names.
     *
     * @param arguments one empty argument per occurrence
     * @return the scanners, per occurrence
     * @throws UsageException if the default model cannot be read (a broken installation)
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments) throws UsageException {
        return createAll(arguments, true, true, ScanSettings.DEFAULTS);
    }

    /**
     * Builds the embedded set with the classifier, its brand check as the settings say ({@code --no-brand-check}).
     *
     * @param arguments one empty argument per occurrence
     * @param settings the command's settings
     * @return the scanners, per occurrence
     * @throws UsageException if the default model cannot be read (a broken installation)
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments, ScanSettings settings) throws UsageException {
        return createAll(arguments, true, true, settings);
    }

    /**
     * Builds the embedded set, once per occurrence, beside the other scanner options of the command: without the
     * default classifier when {@code --bayes} is among them, without the default attachment policy when
     * {@code --attachments} or {@code --attachment-policy} is, which give their own (as a node's {@code bayes:} and
     * {@code attachments} lines replace those of {@code builtin}).
     *
     * @param arguments one empty argument per occurrence
     * @param chosen every scanner option of the command, this one included
     * @param settings the command's settings ({@link ScanSettings#brandCheck()} is read)
     * @return the scanners, per occurrence
     * @throws UsageException if the default model cannot be read (a broken installation)
     */
    public List<Scanner> createBeside(
            List<Optional<String>> arguments, java.util.Collection<ScannerOption> chosen, ScanSettings settings)
            throws UsageException {
        return createAll(
                arguments,
                chosen.stream().noneMatch(o -> o instanceof BayesScannerOption),
                chosen.stream().noneMatch(o -> o instanceof AttachmentsScannerOption),
                settings);
    }

    /**
     * Builds the embedded set, once per occurrence, with or without the default classifier ({@code --bayes} replaces
     * it) and the default attachment policy ({@code --attachments} or {@code --attachment-policy FILE} replaces it),
     * the classifier's brand check as the settings say.
     *
     * @param arguments one empty argument per occurrence
     * @param withClassifier whether to add the classifier with the default model
     * @param withPolicy whether to add the attachment policy with the default rules
     * @param settings the command's settings ({@link ScanSettings#brandCheck()} is read)
     * @return the scanners, per occurrence
     * @throws UsageException if the default model cannot be read (a broken installation)
     */
    public List<Scanner> createAll(
            List<Optional<String>> arguments, boolean withClassifier, boolean withPolicy, ScanSettings settings)
            throws UsageException {
        try {
            List<Scanner> out = new java.util.ArrayList<>();
            for (int i = 0; i < arguments.size(); i++) {
                out.addAll(EmbeddedScanners.withoutClassifier(withPolicy));
                if (withClassifier) {
                    out.add(BayesModels.scanner(BayesModels.DEFAULT, List.of(), settings.brandCheck()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UsageException("--builtin: cannot load the default Bayes model: " + e.getMessage());
        }
    }
}
