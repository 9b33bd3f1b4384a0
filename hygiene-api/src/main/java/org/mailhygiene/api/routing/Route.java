package org.mailhygiene.api.routing;

import java.util.List;
import java.util.Objects;

/**
 * Where mail for a recipient goes: to fixed relays, or wherever the recipient domain's MX records point.
 */
public sealed interface Route permits Route.Relay, Route.Mx {

    /**
     * Static relays, tried in order as one failover group.
     *
     * @param hops at least one next hop; copied
     */
    record Relay(List<NextHop> hops) implements Route {
        /**
         * Validates and copies.
         *
         * @throws IllegalArgumentException if {@code hops} is empty
         */
        public Relay {
            hops = List.copyOf(Objects.requireNonNull(hops, "hops"));
            if (hops.isEmpty()) {
                throw new IllegalArgumentException("a relay route needs at least one next hop");
            }
        }

        /**
         * A route to one or more next hops.
         *
         * @param first the preferred hop
         * @param more further hops, in order of preference
         * @return a new route
         */
        public static Relay to(NextHop first, NextHop... more) {
            List<NextHop> all = new java.util.ArrayList<>();
            all.add(first);
            all.addAll(List.of(more));
            return new Relay(all);
        }

        @Override
        public String toString() {
            return "relay " + hops;
        }
    }

    /** Look up the recipient domain's MX records (and fall back to its address records, as RFC 5321 §5.1 says). */
    record Mx() implements Route {
        @Override
        public String toString() {
            return "mx";
        }
    }

    /**
     * The MX route.
     *
     * @return an MX route
     */
    static Route mx() {
        return new Mx();
    }
}
