/** A private Postfix instance on loopback for tests that need a real MTA before or after ours. */
package org.mailhygiene.testkit.postfix;
