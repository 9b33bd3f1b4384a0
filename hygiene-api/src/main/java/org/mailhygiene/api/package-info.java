/**
 * Messages, scanners, verdicts and scan failures.
 *
 * <p>A {@link org.mailhygiene.api.Message} is an {@link org.mailhygiene.api.Envelope} plus repeatable
 * {@link org.mailhygiene.api.MessageContent}. A {@link org.mailhygiene.api.Scanner} turns a message into a
 * {@link org.mailhygiene.api.Verdict} or throws a {@link org.mailhygiene.api.ScanException} that carries a
 * {@link org.mailhygiene.api.ScanFailure}. No code path turns a failure into a clean verdict: a verdict is only ever
 * produced by a scanner that actually looked at the content.
 *
 * <p>Everything in this package is immutable and thread-safe unless a type says otherwise.
 */
package org.mailhygiene.api;
