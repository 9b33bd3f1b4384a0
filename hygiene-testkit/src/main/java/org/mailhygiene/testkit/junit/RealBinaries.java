package org.mailhygiene.testkit.junit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds installed programs (clamd, spamd, swaks, ...) for tests that run real daemons and clients.
 *
 * <p>Rule: without the program a test is skipped with a clear reason, except under CI (see {@link #underCi()}), where
 * the CI script installs every program and a missing one fails the test instead.
 *
 * <p>This class holds the project's one rule for "CI mode": the build has no Maven profile or system property of its
 * own for it; the forked test JVMs inherit the environment and ask {@link #underCi()}.
 *
 * <p>Thread-safe; stateless.
 */
public final class RealBinaries {
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin");

    private RealBinaries() {}

    private static final Set<String> NOT_CI = Set.of("", "false", "0", "no", "off");

    /**
     * Whether tests run under CI, where real programs are mandatory: {@link #isCiValue(String)} applied to the
     * environment variable {@code CI}.
     *
     * @return {@code true} when the environment variable {@code CI} says CI
     */
    public static boolean underCi() {
        return isCiValue(System.getenv("CI"));
    }

    /**
     * The CI rule: a value of the environment variable {@code CI} means CI unless it is absent, empty (after trimming)
     * or one of {@code false}, {@code 0}, {@code no}, {@code off} (any case). So {@code CI=true} (GitHub Actions,
     * GitLab, {@code .ci/run}), {@code CI=1} and {@code CI=woodpecker} all make the real-daemon tests mandatory, and
     * nothing that looks like CI skips them silently.
     *
     * @param value the variable's value, or {@code null} when it is not set
     * @return whether that value means CI
     */
    public static boolean isCiValue(String value) {
        return value != null && !NOT_CI.contains(value.trim().toLowerCase(Locale.ROOT));
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
        return require(program, packageHint, System.getenv("CI"));
    }

    /** {@link #require(String, String)} with the value of {@code CI} given, for the rule's own tests. */
    static Path require(String program, String packageHint, String ciValue) {
        Optional<Path> p = find(program);
        if (p.isPresent()) {
            return p.get();
        }
        String reason = program + " is not installed (Debian package " + packageHint + ")";
        if (isCiValue(ciValue)) {
            throw new AssertionError(
                    reason + "; under CI (CI=" + ciValue + ") this test is mandatory and .ci/run must install it");
        }
        Assumptions.abort(reason + "; skipping (install it, or run with CI=true to make this mandatory)");
        throw new AssertionError("unreachable");
    }
}
