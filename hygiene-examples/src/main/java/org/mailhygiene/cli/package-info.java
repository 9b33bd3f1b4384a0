/**
 * The {@code hygiene} command-line tool: {@link org.mailhygiene.cli.Main} dispatches to one
 * {@link org.mailhygiene.cli.Command} per sub-command ({@code scan}, {@code samples}, ...), and {@code hygiene scan}
 * gets its scanner options from small {@link org.mailhygiene.cli.ScannerOption} classes.
 */
package org.mailhygiene.cli;
