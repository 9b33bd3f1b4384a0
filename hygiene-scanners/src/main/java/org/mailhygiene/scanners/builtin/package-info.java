/**
 * Built-in scanners that need no daemon: {@link org.mailhygiene.scanners.builtin.SignatureScanner} recognises the EICAR
 * anti-virus test file and the GTUBE spam test string; {@link org.mailhygiene.scanners.builtin.EmbeddedScanners} assembles
 * the daemon-free scanner set (signatures, attachment policy, and the Bayes classifier with a given model file or,
 * without one, the shipped default model).
 */
package org.mailhygiene.scanners.builtin;
