/**
 * The milter server: {@link org.mailhygiene.milter.MilterServer} accepts connections from Postfix
 * ({@code smtpd_milters = inet:HOST:PORT}) or Sendmail ({@code INPUT_MAIL_FILTER}), hands each message to a
 * {@code ScanPipeline} and answers with the disposition: reject with our SMTP reply, tempfail, accept, tag through
 * header edits, or quarantine in the MTA's hold queue.
 */
package org.mailhygiene.milter;
