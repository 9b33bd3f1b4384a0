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
import org.mailhygiene.scanners.bayes.BayesScanner;

/**
 * The "embedded" scanner set: everything that runs inside the JVM with no daemon, used by the demo and by
 * {@code hygiene scan --builtin} (with {@code --bayes FILE} for the classifier).
 *
 * <p>The set is, in this order: {@link SignatureScanner} (EICAR, GTUBE), {@link AttachmentPolicyScanner} with the
 * default policy, and a {@link BayesScanner} when a model file is given. All three are thread-safe. Stateless.
 */
public final class EmbeddedScanners {
    private EmbeddedScanners() {}

    /**
     * Builds the embedded set.
     *
     * @param model a Bayes model file written by {@link BayesModel#save}, or empty for no classifier
     * @return the scanners, in the order above
     * @throws IOException if the model file cannot be read
     * @throws org.mailhygiene.scanners.bayes.ModelFormatException if the file is not a model of a supported version
     */
    public static List<Scanner> create(Optional<Path> model) throws IOException {
        Objects.requireNonNull(model, "model");
        List<Scanner> scanners = new ArrayList<>();
        scanners.add(SignatureScanner.create());
        scanners.add(AttachmentPolicyScanner.create());
        if (model.isPresent()) {
            scanners.add(BayesScanner.create(BayesModel.load(model.get())));
        }
        return List.copyOf(scanners);
    }
}
