/**
 * Per-node statistics that survive restarts, and the reports built from them: daily counter files written atomically,
 * monthly tables of mail received and sent, spam and viruses by name, as text and as HTML with an SVG chart.
 */
package org.mailhygiene.smtp.stats;
