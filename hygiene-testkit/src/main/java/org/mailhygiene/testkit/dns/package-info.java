/** A fake authoritative DNS server for tests of SPF, DKIM and DMARC code, with its JUnit 5 extension. */
package org.mailhygiene.testkit.dns;
