package org.mailhygiene.scanners.bayes;

import java.io.IOException;

/** Thrown when a model file is not a Mail Hygiene Bayes model, has an unsupported version, or is truncated. */
public final class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the file, naming the file where known
     */
    public ModelFormatException(String message) {
        super(message);
    }
}
