/**
 * Scheduled signature updates: {@link org.mailhygiene.scanners.update.SignatureUpdateScheduler} runs a list of
 * {@link org.mailhygiene.scanners.update.UpdateStep}s (an update command such as freshclam or Vexira's updater, then a
 * reload of the scanner daemons) hourly with jitter, never overlapping, and reports each run to the listener.
 */
package org.mailhygiene.scanners.update;
