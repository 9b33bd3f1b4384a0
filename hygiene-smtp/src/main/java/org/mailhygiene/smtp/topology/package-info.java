/**
 * The paper's three-server topology assembled from code: {@link org.mailhygiene.smtp.topology.Node} builds an edge
 * relay or the virus gateway (a {@link org.mailhygiene.smtp.Relay} with its spool, quarantine, statistics, access
 * rules, routes and role-specific policy) and logs one line per message.
 */
package org.mailhygiene.smtp.topology;
