/**
 * Archive readers shared inside the scanners module: zip read from its start ({@link
 * org.mailhygiene.scanners.archive.ZipStream}), tar ({@link org.mailhygiene.scanners.archive.TarStream}) and TNEF,
 * Outlook's {@code winmail.dat} ({@link org.mailhygiene.scanners.archive.TnefStream}), used by the attachment policy
 * and the built-in signature scanner. Not API: the module does not export this package, and its types may change in
 * any release.
 */
package org.mailhygiene.scanners.archive;
