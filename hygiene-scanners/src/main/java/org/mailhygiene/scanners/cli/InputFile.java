package org.mailhygiene.scanners.cli;

import java.nio.file.Path;

/**
 * One file written for the scanner: its generated path and a human-readable label used in verdict rules.
 *
 * @param path absolute path inside the private directory
 * @param label e.g. {@code message} or {@code attachment "invoice.zip" (part 2)}
 */
record InputFile(Path path, String label) {}
