/**
 * Applying a {@link org.mailhygiene.api.policy.Disposition} to the message bytes: the Subject tag, the added header
 * fields, and neutralising look-alike header fields that arrived from outside. See
 * {@link org.mailhygiene.scanners.tagging.MessageTagger}.
 */
package org.mailhygiene.scanners.tagging;
