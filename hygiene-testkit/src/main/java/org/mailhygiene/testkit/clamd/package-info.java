/**
 * Test doubles for the ClamAV daemon: {@link org.mailhygiene.testkit.clamd.FakeClamd}, a scriptable protocol-level
 * fake, {@link org.mailhygiene.testkit.clamd.RealClamd}, which runs the installed clamd with a private generated
 * database, and {@link org.mailhygiene.testkit.clamd.Eicar}, the test string assembled at run time.
 */
package org.mailhygiene.testkit.clamd;
