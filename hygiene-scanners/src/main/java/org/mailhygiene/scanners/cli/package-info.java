/**
 * Command-line virus scanners: {@link org.mailhygiene.scanners.cli.CommandLineScanner} runs a program described by a
 * {@link org.mailhygiene.scanners.cli.CommandProfile} (built-ins in {@link org.mailhygiene.scanners.cli.Profiles}:
 * Vexira's {@code vascan} and older {@code vexira}, ClamAV's {@code clamscan} and {@code clamdscan}; user profiles
 * from text with {@link org.mailhygiene.scanners.cli.ProfileParser}) on a private copy of the message, and maps its
 * exit status and output to a verdict or a failure. What is known about Vexira is in
 * {@code shared/notes/protocols.md} §3; each profile cites its sources.
 */
package org.mailhygiene.scanners.cli;
