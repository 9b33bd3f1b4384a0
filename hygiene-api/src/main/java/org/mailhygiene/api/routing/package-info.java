/**
 * Routing: which next hop a recipient's mail goes to.
 *
 * <p>{@link org.mailhygiene.api.routing.StaticRouter} implements qmail's {@code smtproutes} semantics: exact domain,
 * then parent-domain suffixes ({@code .example.com}), then the default route; a route is either a list of relays
 * ({@link org.mailhygiene.api.routing.Route.Relay}) or an explicit MX lookup
 * ({@link org.mailhygiene.api.routing.Route.Mx}).
 */
package org.mailhygiene.api.routing;
