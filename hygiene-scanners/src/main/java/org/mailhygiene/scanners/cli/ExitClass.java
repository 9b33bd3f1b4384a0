package org.mailhygiene.scanners.cli;

/**
 * What a command-line scanner's exit status means, as declared by a {@link CommandProfile}. The adapter turns each
 * class into a verdict or a failure (see {@link CommandLineScanner}); no class turns a failed run into "clean".
 */
public enum ExitClass {
    /** Nothing found. Becomes a clean verdict, unless the output names a threat (then infected). */
    CLEAN,
    /** Something found. Becomes an infected verdict naming the threats parsed from the output; with no name, a failure. */
    INFECTED,
    /** A policy concern rather than proof (for example a macro in a document). Becomes a suspicious verdict. */
    SUSPICIOUS,
    /**
     * The scanner could not look inside the content: encrypted or corrupt. Becomes a
     * {@link org.mailhygiene.api.ScanFailure.Kind#UNSCANNABLE} failure, which the policy decides about.
     */
    UNSCANNABLE,
    /** The scanner failed. Becomes a {@link org.mailhygiene.api.ScanFailure.Kind#SCANNER_ERROR} failure. */
    ERROR
}
