/**
 * A fake Vexira command-line scanner, {@link org.mailhygiene.testkit.cli.FakeVascan}, that tests can install on disk
 * and run as a real process: it follows the exit statuses and output lines documented for {@code vascan} (and the
 * older {@code vexira}) in {@code shared/notes/protocols.md} §3, driven by the content it scans or by a script.
 */
package org.mailhygiene.testkit.cli;
