package org.mailhygiene.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;

/**
 * {@code --bayes FILE|default}: the in-process {@link BayesScanner} over a model written by {@code hygiene train} or
 * {@code hygiene learn}, or over the shipped default model ({@code default}; a file named {@code default} is written
 * {@code ./default}; its threshold is {@link BayesModels#DEFAULT_MODEL_THRESHOLD}, as for a model file learned on top
 * of it). A model file is loaded when the option is read and watched afterwards ({@link BayesModels#resolve}):
 * a long scan picks up a replaced file. Stateless.
 */
public final class BayesScannerOption implements ScannerOption {

    /** Creates the option. */
    public BayesScannerOption() {}

    @Override
    public String flag() {
        return "--bayes";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.of("FILE|default");
    }

    @Override
    public String description() {
        return "the statistical spam classifier: a model from 'hygiene train', or the shipped 'default'";
    }

    @Override
    public Scanner create(Optional<String> argument) throws UsageException {
        return create(argument, List.of(), true);
    }

    /**
     * Builds one classifier per occurrence; with {@code --local-domains}, its bounce detector calls bounces for mail
     * not from those domains backscatter; with {@code --no-brand-check}, it leaves brand impersonation to the score.
     *
     * @param arguments the model of each occurrence
     * @param settings the scan command's settings
     * @return the scanners
     * @throws UsageException if a model cannot be loaded
     */
    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments, ScanSettings settings) throws UsageException {
        List<Scanner> out = new ArrayList<>();
        for (Optional<String> a : arguments) {
            out.add(create(a, settings.localDomains(), settings.brandCheck()));
        }
        return out;
    }

    private static Scanner create(Optional<String> argument, List<String> localDomains, boolean brandCheck)
            throws UsageException {
        String file = argument.orElseThrow(() -> new UsageException("--bayes needs a model FILE or 'default'"));
        try {
            return BayesModels.scanner(file, localDomains, brandCheck);
        } catch (IOException e) {
            throw new UsageException("--bayes " + file + ": cannot load the model: " + IoErrors.describe(e), false);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--bayes " + file + ": cannot load the model: " + e.getMessage(), false);
        }
    }
}
