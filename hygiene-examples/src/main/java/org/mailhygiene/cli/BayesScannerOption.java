package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesScanner;

/**
 * {@code --bayes FILE}: the in-process {@link BayesScanner} over a model written by {@code hygiene train}. The model is
 * loaded once, when the option is read. Stateless.
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
        return Optional.of("FILE");
    }

    @Override
    public String description() {
        return "the statistical spam classifier with a model from 'hygiene train'";
    }

    @Override
    public Scanner create(Optional<String> argument) throws UsageException {
        String file = argument.orElseThrow(() -> new UsageException("--bayes needs a model FILE"));
        try {
            return BayesScanner.create(BayesModel.load(Path.of(file)));
        } catch (IOException | InvalidPathException e) {
            throw new UsageException("--bayes " + file + ": cannot load the model: " + e.getMessage());
        }
    }
}
