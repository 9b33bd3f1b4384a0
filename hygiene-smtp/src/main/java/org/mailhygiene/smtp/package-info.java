/** SMTP integration and the reference relay. */
package org.mailhygiene.smtp;
