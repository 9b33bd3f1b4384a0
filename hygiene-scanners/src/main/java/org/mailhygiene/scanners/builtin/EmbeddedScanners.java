package org.mailhygiene.scanners.builtin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.WatchedModelFile;

/**
 * The "embedded" scanner set: everything that runs inside the JVM with no daemon, used by the demo and by
 * {@code hygiene scan --builtin}.
 *
 * <p>The set is, in this order: {@link SignatureScanner} (EICAR, GTUBE), {@link AttachmentPolicyScanner} with the
 * default policy, and a {@link BayesScanner} with the given model file, or with the shipped default model
 * ({@link BayesModels#loadDefault()}, threshold {@link BayesModels#DEFAULT_MODEL_THRESHOLD}) when none is given. All three are thread-safe. Stateless.
 */
public final class EmbeddedScanners {
    private EmbeddedScanners() {}

    /**
     * Builds the embedded set.
     *
     * @param model a Bayes model file written by {@link BayesModel#save} (watched and reloaded when replaced), or empty
     *     for the shipped default model
     * @return the scanners, in the order above
     * @throws IOException if the model file (or the default model) cannot be read
     * @throws org.mailhygiene.scanners.bayes.ModelFormatException if the file is not a model of a supported version
     */
    public static List<Scanner> create(Optional<Path> model) throws IOException {
        Objects.requireNonNull(model, "model");
        List<Scanner> scanners = new ArrayList<>(withoutClassifier());
        if (model.isPresent()) {
            scanners.add(
                    BayesScanner.builder(WatchedModelFile.open(model.get())).build());
        } else {
            scanners.add(BayesModels.scanner(BayesModels.DEFAULT));
        }
        return List.copyOf(scanners);
    }

    /**
     * The embedded set without the classifier: the signature scanner and the attachment policy.
     *
     * @return the scanners, in the order above
     */
    public static List<Scanner> withoutClassifier() {
        return withoutClassifier(true);
    }

    /**
     * The embedded set without the classifier, and without the default attachment policy when a caller adds a policy
     * of its own (a node's {@code attachments:FILE} line, {@code hygiene scan --builtin --attachment-policy FILE}), as
     * a caller with a model of its own leaves out the default classifier.
     *
     * @param defaultPolicy whether the attachment policy scanner with the default rules is in the set
     * @return the signature scanner, then the attachment policy scanner when asked for
     */
    public static List<Scanner> withoutClassifier(boolean defaultPolicy) {
        return defaultPolicy
                ? List.of(SignatureScanner.create(), AttachmentPolicyScanner.create())
                : List.of(SignatureScanner.create());
    }
}
