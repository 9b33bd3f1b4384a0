/**
 * Attachment policy: {@link org.mailhygiene.scanners.attachments.AttachmentPolicyScanner} checks every MIME part and
 * zip entry of a message for executables and scripts (by true type, declared type and name), disguising double
 * extensions, type mismatches, encrypted archives and zip bombs, under a configurable
 * {@link org.mailhygiene.scanners.attachments.AttachmentPolicy}.
 */
package org.mailhygiene.scanners.attachments;
