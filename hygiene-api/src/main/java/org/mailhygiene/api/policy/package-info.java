/**
 * Policy: turning the scan results of one message into one {@link org.mailhygiene.api.policy.Disposition}.
 *
 * <p>{@link org.mailhygiene.api.policy.DefaultPolicy} has safe defaults: a virus is rejected, a scanner failure
 * tempfails, spam is tagged, and nothing is ever discarded unless configured explicitly.
 */
package org.mailhygiene.api.policy;
