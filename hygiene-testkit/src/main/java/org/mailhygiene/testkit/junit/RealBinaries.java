package org.mailhygiene.testkit.junit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds installed programs (clamd, spamd, swaks, ...) for tests that run real daemons and clients.
 *
 * <p>Rule: without the program a test is skipped with a clear reason, except when the environment variable {@code CI}
 * is {@code true}, where the CI script installs every program and a missing one fails the test instead.
 *
 * <p>Thread-safe; stateless.
 */
public final class RealBinaries {
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin");

    private RealBinaries() {}

    /**
     * Whether tests run under CI, where real programs are mandatory.
     *
     * @return {@code true} when the environment variable {@code CI} is {@code true}
     */
    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Looks a program up on {@code PATH} and in the usual system directories (daemons live in {@code /usr/sbin}).
     *
     * @param program the program's file name
     * @return its path, if installed and executable
     */
    public static Optional<Path> find(String program) {
        String path = System.getenv("PATH");
        List<String> dirs = new java.util.ArrayList<>();
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(EXTRA_DIRS);
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the program's path; skips the calling test when it is missing, or fails it under CI.
     *
     * @param program the program's file name
     * @param packageHint the Debian package that provides it, for the message
     * @return the program's path
     * @throws org.opentest4j.TestAbortedException (skip) when missing outside CI
     * @throws AssertionError when missing under CI
     */
    public static Path require(String program, String packageHint) {
        Optional<Path> p = find(program);
        if (p.isPresent()) {
            return p.get();
        }
        String reason = program + " is not installed (Debian package " + packageHint + ")";
        if (underCi()) {
            throw new AssertionError(reason + "; under CI=true this test is mandatory and .ci/run must install it");
        }
        Assumptions.abort(reason + "; skipping (install it, or run under CI=true to make this mandatory)");
        throw new AssertionError("unreachable");
    }
}
