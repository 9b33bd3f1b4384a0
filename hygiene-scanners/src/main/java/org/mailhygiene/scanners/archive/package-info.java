/**
 * Archive readers shared inside the scanners module: zip read from its start ({@link
 * org.mailhygiene.scanners.archive.ZipStream}), tar ({@link org.mailhygiene.scanners.archive.TarStream}) and TNEF,
 * Outlook's {@code winmail.dat} ({@link org.mailhygiene.scanners.archive.TnefStream}), bzip2 ({@link
 * org.mailhygiene.scanners.archive.Bzip2Stream}, our own decoder), xz and LZMA ({@link
 * org.mailhygiene.scanners.archive.Compressed}, through XZ for Java), used by the attachment policy and the built-in
 * signature scanner; {@link org.mailhygiene.scanners.archive.ArchiveKind} tells them by their first bytes. Not API: the module does not export this package, and its types may change in
 * any release.
 */
package org.mailhygiene.scanners.archive;
