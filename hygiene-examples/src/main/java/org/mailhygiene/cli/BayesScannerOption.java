package org.mailhygiene.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.ModelSource;

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

    /**
     * {@code --bayes} with {@code --redis}: each model as the nodes of a cluster have it, the model plus what the
     * cluster learned in the store ({@code hygiene learn --redis}, the quarantine tool with a Redis URL), read once when
     * the scan starts, so that a verdict and its explanation ({@code --json}: the tokens' training counts) are the
     * nodes'. Without it a scan reads the model file alone and leaves the cluster's learnings out.
     *
     * @param arguments the model of each occurrence ({@code default} or a file: the nodes' {@code bayes:} model)
     * @param settings the scan command's settings
     * @param url the shared state, the nodes' {@code redis} key
     * @param name the shared model's name, the nodes' {@code redis-model}
     * @return the scanners
     * @throws UsageException if a model cannot be loaded or the store does not answer
     */
    List<Scanner> createShared(List<Optional<String>> arguments, ScanSettings settings, String url, String name)
            throws UsageException {
        List<Scanner> out = new ArrayList<>();
        for (Optional<String> a : arguments) {
            String spec = spec(a);
            BayesModel model = loading(spec, () -> BayesModels.load(spec));
            try {
                // the model now holds what the cluster learned; nothing more is read during the scan
                ClusterLearning.open(url, name, model).close();
            } catch (SharedStateException | IllegalArgumentException e) {
                throw new UsageException("--redis " + url + ": " + e.getMessage(), false);
            }
            out.add(BayesModels.scanner(ModelSource.of(model), settings.localDomains(), settings.brandCheck()));
        }
        return out;
    }

    private static Scanner create(Optional<String> argument, List<String> localDomains, boolean brandCheck)
            throws UsageException {
        String spec = spec(argument);
        return loading(spec, () -> BayesModels.scanner(spec, localDomains, brandCheck));
    }

    private static String spec(Optional<String> argument) throws UsageException {
        return argument.orElseThrow(() -> new UsageException("--bayes needs a model FILE or 'default'"));
    }

    /** Something read from a model file. */
    private interface Loading<T> {
        T get() throws IOException;
    }

    /** {@code load}, its failure said as a usage error naming the model. */
    private static <T> T loading(String spec, Loading<T> load) throws UsageException {
        try {
            return load.get();
        } catch (IOException e) {
            throw new UsageException("--bayes " + spec + ": cannot load the model: " + IoErrors.describe(e), false);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--bayes " + spec + ": cannot load the model: " + e.getMessage(), false);
        }
    }
}
