/**
 * The relay's durable spool and quarantine.
 *
 * <p>{@link org.mailhygiene.smtp.queue.Spool} holds accepted messages until each recipient is delivered or bounced;
 * nothing is acknowledged before it is forced to disk. {@link org.mailhygiene.smtp.queue.QueuedMessage} and
 * {@link org.mailhygiene.smtp.queue.RecipientState} are snapshots of its records;
 * {@link org.mailhygiene.smtp.queue.QueueId} names them. {@link org.mailhygiene.smtp.queue.Quarantine} holds messages
 * a policy decided to keep from delivery, with the reason, until they are released, deleted or expire.
 */
package org.mailhygiene.smtp.queue;
