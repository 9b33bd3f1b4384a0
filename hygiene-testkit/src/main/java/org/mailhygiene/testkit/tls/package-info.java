/** A private certificate authority made with openssl at run time, for tests of TLS clients and servers. */
package org.mailhygiene.testkit.tls;
