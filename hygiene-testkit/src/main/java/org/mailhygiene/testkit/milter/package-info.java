/**
 * A milter client that plays the MTA ({@link org.mailhygiene.testkit.milter.MilterClient}), so a milter (ours or any
 * other) can be tested without Postfix or Sendmail.
 */
package org.mailhygiene.testkit.milter;
