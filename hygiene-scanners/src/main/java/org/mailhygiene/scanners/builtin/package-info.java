/**
 * Built-in scanners that need no daemon: {@link org.mailhygiene.scanners.builtin.SignatureScanner} recognises the EICAR
 * anti-virus test file and the GTUBE spam test string.
 */
package org.mailhygiene.scanners.builtin;
