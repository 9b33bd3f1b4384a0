/**
 * {@link org.mailhygiene.api.failover.FailoverGroup}: members in priority order with health and back-off; the software
 * form of a shared VRRP address, used for scanner daemon pools, next-hop relays and MX hosts alike.
 */
package org.mailhygiene.api.failover;
