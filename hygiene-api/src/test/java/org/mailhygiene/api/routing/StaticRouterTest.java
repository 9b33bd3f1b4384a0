package org.mailhygiene.api.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class StaticRouterTest {
    private static final List<String> LABELS = List.of("a", "b", "mail", "example", "org", "ac", "jp", "x-y");

    /** Domains of 1 to 4 labels from a small alphabet, so that suffixes of one another are common. */
    private static Gen<String> domains() {
        return lists().of(integers().between(0, LABELS.size() - 1))
                .ofSizeBetween(1, 4)
                .map(idx -> String.join(".", idx.stream().map(LABELS::get).toList()));
    }

    private static Route relay(String host) {
        return Route.Relay.to(new NextHop(host, 25));
    }

    /** The reference semantics, written independently: exact, then suffixes longest first, then default, then MX. */
    private static Optional<String> expectedEntry(List<String> keys, String domain) {
        if (keys.contains(domain)) {
            return Optional.of(domain);
        }
        String[] labels = domain.split("\\.");
        for (int i = 1; i < labels.length; i++) {
            String suffix = "." + String.join(".", List.of(labels).subList(i, labels.length));
            if (keys.contains(suffix)) {
                return Optional.of(suffix);
            }
        }
        return keys.contains("") ? Optional.of("") : Optional.empty();
    }

    @Test
    void exactThenLongestSuffixThenDefaultThenMx() {
        qt().withExamples(500)
                .forAll(
                        lists().of(domains()).ofSizeBetween(0, 6),
                        lists().of(integers().between(0, 2)).ofSizeBetween(6, 6),
                        domains(),
                        integers().between(0, 1))
                .checkAssert((names, kinds, recipientDomain, withDefault) -> {
                    StaticRouter.Builder b = StaticRouter.builder();
                    List<String> keys = new ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                        // kind 0: exact entry, 1: suffix entry, 2: both
                        int kind = kinds.get(i);
                        List<String> patterns = kind == 0
                                ? List.of(names.get(i))
                                : kind == 1 ? List.of("." + names.get(i)) : List.of(names.get(i), "." + names.get(i));
                        for (String p : patterns) {
                            if (!keys.contains(p)) {
                                keys.add(p);
                                b.route(p, relay("r" + keys.size() + ".relay"));
                            }
                        }
                    }
                    if (withDefault == 1) {
                        keys.add("");
                        b.defaultRoute(relay("default.relay"));
                    }
                    StaticRouter router = b.build();
                    Optional<String> expected = expectedEntry(keys, recipientDomain);
                    assertThat(router.matchingEntry(recipientDomain)).isEqualTo(expected);
                    Route route = router.route("user@" + recipientDomain.toUpperCase(java.util.Locale.ROOT) + ".");
                    assertThat(route)
                            .isEqualTo(expected.map(router.entries()::get).orElse(Route.mx()));
                });
    }

    @Test
    void aSuffixEntryNeverMatchesTheDomainItself() {
        StaticRouter r = StaticRouter.builder()
                .route(".example.org", relay("inner.relay"))
                .build();
        assertThat(r.route("u@example.org")).isEqualTo(Route.mx());
        assertThat(r.route("u@a.example.org")).isEqualTo(relay("inner.relay"));
        assertThat(r.route("u@a.b.example.org")).isEqualTo(relay("inner.relay"));
        assertThat(r.route("u@notexample.org")).isEqualTo(Route.mx());
    }

    @Test
    void parsesTheSmtproutesFormat() {
        StaticRouter r = StaticRouter.parse(String.join(
                "\n",
                "# internal servers",
                "dept-a.example.ac.jp:10.0.0.11",
                "dept-b.example.ac.jp:10.0.0.12:2525",
                ".example.ac.jp:gw.example.ac.jp",
                "v6.example.ac.jp:[2001:db8::1]:25",
                "pool.example.ac.jp:10.0.0.21:25, 10.0.0.22:25",
                "mx.example.ac.jp:",
                "",
                "   ",
                ":edge-relay.example.net:587"));
        assertThat(r.route("u@dept-a.example.ac.jp")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.11", 25)));
        assertThat(r.route("u@DEPT-B.example.ac.jp")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.12", 2525)));
        assertThat(r.route("u@lab.example.ac.jp")).isEqualTo(Route.Relay.to(new NextHop("gw.example.ac.jp", 25)));
        Route v6 = r.route("u@v6.example.ac.jp");
        assertThat(v6).isEqualTo(Route.Relay.to(new NextHop("2001:db8::1", 25)));
        assertThat(((Route.Relay) v6).hops().get(0).isIpLiteral()).isTrue();
        assertThat(((Route.Relay) v6).hops().get(0).toString()).isEqualTo("[2001:db8::1]:25");
        assertThat(r.route("u@pool.example.ac.jp"))
                .isEqualTo(Route.Relay.to(new NextHop("10.0.0.21", 25), new NextHop("10.0.0.22", 25)));
        assertThat(r.route("u@mx.example.ac.jp")).isEqualTo(Route.mx());
        assertThat(r.route("someone@elsewhere.org"))
                .isEqualTo(Route.Relay.to(new NextHop("edge-relay.example.net", 587)));
        assertThat(r.route("postmaster")).isEqualTo(r.route("x@elsewhere.org"));
    }

    @Test
    void addressLiteralsMatchOnlyAnExactLiteralEntry() {
        StaticRouter r = StaticRouter.builder()
                .route("[192.0.2.1]", relay("literal.relay"))
                .route(".2.1", relay("suffix.relay"))
                .build();
        assertThat(r.route("u@[192.0.2.1]")).isEqualTo(relay("literal.relay"));
        assertThat(r.route("u@[198.51.100.2]")).isEqualTo(Route.mx());
        assertThat(Router.domainOf("u@[192.0.2.1]")).isEqualTo("[192.0.2.1]");
    }

    @Test
    void addressLiteralEntriesCanBeWrittenInTheFile() {
        StaticRouter r = StaticRouter.parse("[192.0.2.1]:10.0.0.1\n[IPv6:2001:db8::1]:[2001:db8::25]:2525\n");
        assertThat(r.route("u@[192.0.2.1]")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.1", 25)));
        assertThat(r.route("u@[IPv6:2001:db8::1]")).isEqualTo(Route.Relay.to(new NextHop("2001:db8::25", 2525)));
        assertThatThrownBy(() -> StaticRouter.parse("[192.0.2.1"))
                .hasMessageStartingWith("smtproutes line 1: ")
                .hasMessageContaining("']'");
    }

    @Test
    void ipLiteralsAndPortsInNextHops() {
        assertThat(NextHop.parse("192.0.2.1", 25)).isEqualTo(new NextHop("192.0.2.1", 25));
        assertThat(NextHop.parse("[192.0.2.1]:2525", 25)).isEqualTo(new NextHop("192.0.2.1", 2525));
        assertThat(NextHop.parse("[2001:db8::1]", 25)).isEqualTo(new NextHop("2001:db8::1", 25));
        assertThat(NextHop.parse("2001:db8::1", 25)).isEqualTo(new NextHop("2001:db8::1", 25));
        assertThat(NextHop.parse("Relay.Example.NET:587", 25)).isEqualTo(new NextHop("relay.example.net", 587));
        assertThat(new NextHop("192.0.2.1", 25).isIpLiteral()).isTrue();
        assertThat(new NextHop("10.0.0.1.example", 25).isIpLiteral()).isFalse();
        assertThat(new NextHop("relay.example.net", 25).isIpLiteral()).isFalse();
        assertThatThrownBy(() -> NextHop.parse("[2001:db8::1", 25)).hasMessageContaining("missing ']'");
        // a route line's IPv6 hop without brackets: its last colon was read as part of the address, never as the port
        assertThatThrownBy(() -> StaticRouter.parse("example.org:::1:2526\n"))
                .hasMessage("smtproutes line 1: 'example.org': write an IPv6 next hop in brackets: [::1]:2526 for port"
                        + " 2526, [::1:2526] for port 25");
        // review, session 46: where the port's colon ended a '::', the reading with a port was no address ([:]:1)
        assertThatThrownBy(() -> StaticRouter.parse("example.org:::1\n"))
                .hasMessage("smtproutes line 1: 'example.org': write an IPv6 next hop in brackets: [::]:1 for port"
                        + " 1, [::1] for port 25");
        assertThatThrownBy(() -> StaticRouter.parse(":2001:db8::25\n"))
                .hasMessage("smtproutes line 1: the default route: write an IPv6 next hop in brackets: [2001:db8::]:25"
                        + " for port 25, [2001:db8::25] for port 25");
        // review, session 46: a closing bracket without its opening one was told to write [::1]]:2526 or [::1]:2526]
        assertThatThrownBy(() -> StaticRouter.parse("example.org:::1]:2526\n"))
                .hasMessage("smtproutes line 1: 'example.org': invalid character ']' in host ::1]:2526");
        assertThatThrownBy(() -> NextHop.parse("[2001:db8::1]25", 25)).hasMessageContaining("':port'");
        assertThatThrownBy(() -> NextHop.parse("host:x", 25)).hasMessageContaining("invalid port 'x'");
        assertThatThrownBy(() -> NextHop.parse("host:0", 25)).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> NextHop.parse("ho st", 25)).hasMessageContaining("invalid character");
    }

    /**
     * RFC 1123 section 2.1: a host name is never all numeric, so a dotted number is an address or a typo. The library
     * took {@code 127.0.0.300} for a host name (only the relay's configuration check refused it), and a delivery
     * looked it up in DNS at every attempt until its mail bounced.
     */
    @Test
    void aDottedNumberThatIsNoAddressIsNoNextHop() {
        for (String bad : new String[] {"256.0.2.1", "127.0.0.300", "10.1.2", "1.2.3.4.5", "10..0.1", "12"}) {
            assertThatThrownBy(() -> new NextHop(bad, 25))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(bad + " is no IPv4 address (four numbers 0 to 255) and no host name");
        }
        assertThatThrownBy(() -> StaticRouter.parse("dept-a.example:10.0.0.1,127.0.0.300:2525"))
                .hasMessage(
                        "smtproutes line 1: 'dept-a.example': 127.0.0.300 is no IPv4 address (four numbers 0 to 255)"
                                + " and no host name");
        assertThatThrownBy(() -> StaticRouter.parse("\n:10.0.1"))
                .hasMessage("smtproutes line 2: the default route: 10.0.1 is no IPv4 address (four numbers 0 to 255)"
                        + " and no host name");
        assertThat(new NextHop("3com.example", 25).host()).isEqualTo("3com.example");
    }

    /**
     * An internationalised domain is one domain in both spellings: a client without SMTPUTF8 can only write the
     * A-labels, and an administrator may write either in smtproutes.
     */
    @Test
    void internationalisedDomainsRouteAlikeInBothSpellings() {
        StaticRouter r = StaticRouter.parse("""
                bücher.example:10.0.0.1
                .Café.example:10.0.0.2
                xn--strae-oqa.example:10.0.0.3
                """);
        Route books = Route.Relay.to(new NextHop("10.0.0.1", 25));
        assertThat(r.route("jörg@bücher.example")).isEqualTo(books);
        assertThat(r.route("joerg@xn--bcher-kva.example")).isEqualTo(books);
        assertThat(r.route("joerg@XN--BCHER-KVA.EXAMPLE.")).isEqualTo(books);
        assertThat(r.route("a@mail.café.example")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.2", 25)));
        assertThat(r.route("a@mail.xn--caf-dma.example")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.2", 25)));
        assertThat(r.route("a@straße.example")).isEqualTo(Route.Relay.to(new NextHop("10.0.0.3", 25)));
        assertThat(r.route("a@strasse.example")).isEqualTo(Route.mx()); // another domain (IDNA 2003 mapped ß to ss)
        assertThat(r.entries().keySet())
                .containsExactlyInAnyOrder("xn--bcher-kva.example", ".xn--caf-dma.example", "xn--strae-oqa.example");
        assertThatThrownBy(() -> StaticRouter.parse("bücher.example:10.0.0.1\nxn--bcher-kva.example:10.0.0.9"))
                .hasMessageContaining("duplicate route for 'xn--bcher-kva.example'");
        assertThat(new NextHop("MX.Bücher.example", 25).host()).isEqualTo("mx.xn--bcher-kva.example");
        assertThat(Router.domainOf("jörg@Bücher.example.")).isEqualTo("xn--bcher-kva.example");
    }

    @Test
    void toStringOfANextHopParsesBackToIt() {
        qt().forAll(
                        integers().between(0, 255),
                        integers().between(0, 255),
                        integers().between(1, 65535))
                .checkAssert((a, b, port) -> {
                    for (NextHop h : List.of(
                            new NextHop("10." + a + ".0." + b, port),
                            new NextHop("2001:db8::" + Integer.toHexString(a), port),
                            new NextHop("relay-" + a + ".example", port))) {
                        assertThat(NextHop.parse(h.toString(), 25)).isEqualTo(h);
                    }
                });
    }

    @Test
    void parseErrorsNameTheLine() {
        assertThatThrownBy(() -> StaticRouter.parse("# ok\nexample.org:relay\nno-colon-here\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("smtproutes line 3: ");
        assertThatThrownBy(() -> StaticRouter.parse("a.org:relay\r\na.org:other\r\n"))
                .hasMessage("smtproutes line 2: duplicate route for 'a.org'");
        assertThatThrownBy(() -> StaticRouter.parse("\n\nb.org:relay:99999"))
                .hasMessageStartingWith("smtproutes line 3: ")
                .hasMessageContaining("port");
        assertThatThrownBy(() -> StaticRouter.parse("bad..domain:relay")).hasMessageStartingWith("smtproutes line 1: ");
        // a stray comma was a hop dropped in silence: "d:127.0.0.1:25," routed as if the second hop were not meant
        for (String stray : List.of("d.org:relay,", "d.org:a,,b", "d.org:,relay", "d.org:a, ")) {
            assertThatThrownBy(() -> StaticRouter.parse(stray))
                    .as(stray)
                    .hasMessageStartingWith("smtproutes line 1: empty next hop");
        }
        qt().forAll(integers().between(0, 20)).checkAssert(blank -> {
            String text = "\n".repeat(blank) + "x.org relay";
            assertThatThrownBy(() -> StaticRouter.parse(text))
                    .hasMessageStartingWith("smtproutes line " + (blank + 1) + ": ");
        });
    }

    @Test
    void builderRejectsMalformedPatternsAndDuplicates() {
        StaticRouter.Builder b = StaticRouter.builder().defaultRoute(Route.mx());
        assertThatThrownBy(() -> b.defaultRoute(Route.mx())).hasMessageContaining("duplicate");
        for (String bad : List.of(".", "a..b", "user@a.org", "a b.org", "a.org.")) {
            assertThatThrownBy(() -> StaticRouter.builder().route(bad, Route.mx()))
                    .as(bad)
                    .hasMessageContaining("malformed domain pattern");
        }
        assertThatThrownBy(() -> new Route.Relay(List.of())).hasMessageContaining("at least one");
    }
}
