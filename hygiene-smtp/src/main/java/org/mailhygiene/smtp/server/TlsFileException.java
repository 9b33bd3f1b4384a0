package org.mailhygiene.smtp.server;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A TLS certificate or key file that cannot be used, naming the file: a certificate file with no certificate or one
 * that does not parse, a key file holding no key or a key in a form the relay does not read (PKCS#1, SEC1, encrypted).
 * Its message names the file and says what to do; {@link #file()} lets a configuration reader point at the line that
 * named that file. Thrown by {@link TlsConfig#fromPem} and {@link ReloadableTls}. Immutable.
 */
public final class TlsFileException extends GeneralSecurityException {
    private static final long serialVersionUID = 1L;

    /** The file at fault; paths are not serializable, so it is kept as text. */
    private final String file;

    /**
     * A problem with one file.
     *
     * @param file the file at fault
     * @param message what is wrong with it, naming it
     * @param cause the underlying failure, or {@code null}
     */
    public TlsFileException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = Objects.requireNonNull(file, "file").toString();
    }

    /**
     * The file at fault.
     *
     * @return the path as it was given
     */
    public Path file() {
        return Path.of(file);
    }
}
