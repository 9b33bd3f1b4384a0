package org.mailhygiene.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Objects;

/**
 * The standard streams a command uses, so tests can run commands in-process with captured output.
 *
 * @param in standard input (read by {@code hygiene scan -})
 * @param out standard output: results
 * @param err standard error: usage errors and diagnostics
 */
public record Io(InputStream in, PrintStream out, PrintStream err) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public Io {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
    }

    /**
     * The process's own streams.
     *
     * @return {@code System.in}, {@code System.out} and {@code System.err}
     */
    public static Io system() {
        return new Io(System.in, System.out, System.err);
    }
}
