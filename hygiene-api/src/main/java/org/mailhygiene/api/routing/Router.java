package org.mailhygiene.api.routing;

/** Maps a recipient to a route. Implementations are thread-safe and do no I/O. */
@FunctionalInterface
public interface Router {

    /**
     * The route for a recipient.
     *
     * @param recipient a forward path ({@code user@domain}, or a bare {@code postmaster}) or a bare domain
     * @return the route, never {@code null}
     */
    Route route(String recipient);

    /**
     * The domain part of an address, lower-cased: the text after the last {@code @}, without a trailing dot, its
     * internationalised labels as A-labels (RFC 5890: {@code jörg@bücher.example} gives {@code xn--bcher-kva.example},
     * as does {@code jörg@xn--bcher-kva.example}, so both spellings of a domain route alike). An address
     * literal keeps its brackets ({@code user@[192.0.2.1]} gives {@code [192.0.2.1]}), so it is never mistaken for a
     * domain name. A string without {@code @} is taken to be a domain itself, except that a bare {@code postmaster} has
     * the empty domain.
     *
     * @param recipient an address or domain
     * @return the domain, possibly empty
     */
    static String domainOf(String recipient) {
        int at = recipient.lastIndexOf('@');
        String d = at >= 0 ? recipient.substring(at + 1) : recipient;
        if (at < 0 && d.equalsIgnoreCase("postmaster")) {
            return "";
        }
        return org.mailhygiene.internal.Domains.ascii(d);
    }
}
