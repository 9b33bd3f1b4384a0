/**
 * A scriptable SMTP server for tests: {@link org.mailhygiene.testkit.smtp.SmtpSink} records the messages it accepts
 * and answers commands and recipients as scripted ({@link org.mailhygiene.testkit.smtp.SinkAction}); the JUnit 5
 * extension {@link org.mailhygiene.testkit.smtp.SmtpSinkExtension} hands a fresh sink to each test.
 */
package org.mailhygiene.testkit.smtp;
