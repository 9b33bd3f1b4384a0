package org.mailhygiene.scanners.bayes;

/**
 * Where a {@link BayesScanner} gets its model for each scan: a fixed model ({@link #of(BayesModel)}) or a model file
 * that is reloaded when it changes ({@link WatchedModelFile}).
 *
 * <p>Implementations are thread-safe: {@link #current()} is called concurrently by every scan.
 */
public interface ModelSource {

    /**
     * The model to classify with now. Cheap: called once per scan.
     *
     * @return the current model
     */
    BayesModel current();

    /**
     * A source that always gives the same model (which may still learn in memory).
     *
     * @param model the model
     * @return the source
     * @throws NullPointerException if {@code model} is {@code null}
     */
    static ModelSource of(BayesModel model) {
        java.util.Objects.requireNonNull(model, "model");
        return () -> model;
    }
}
