/**
 * Walking the MIME structure of a message: {@link org.mailhygiene.scanners.mime.MimeWalker} streams the decoded body of
 * every leaf part (through nested multiparts and encapsulated messages) to a
 * {@link org.mailhygiene.scanners.mime.PartVisitor}, within limits on depth, part count and decoded bytes, and reports
 * broken structure as {@link org.mailhygiene.scanners.mime.MimeFinding}s instead of failing.
 */
package org.mailhygiene.scanners.mime;
