package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.auth.dns.StubResolver;

/**
 * The builders of the auth package check settings against each other in {@code build()}, so every order of the same
 * calls gives the same outcome: each conflicting pair fails in both orders (naming the conflict), each fitting pair
 * builds in both orders.
 */
class BuilderOrderTest {
    /** Applies the steps in every order (all permutations) and returns one outcome per order. */
    static <B> List<String> everyOrder(
            java.util.function.Supplier<B> start,
            List<Consumer<B>> steps,
            java.util.function.Function<B, Object> build) {
        List<String> outcomes = new ArrayList<>();
        for (List<Consumer<B>> order : permutations(steps)) {
            B b = start.get();
            try {
                order.forEach(s -> s.accept(b));
                build.apply(b);
                outcomes.add("built");
            } catch (IllegalArgumentException e) {
                outcomes.add(e.getMessage());
            }
        }
        return outcomes;
    }

    static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T first = rest.remove(i);
            for (List<T> p : permutations(rest)) {
                List<T> l = new ArrayList<>();
                l.add(first);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }

    static List<String> resolver(List<Consumer<StubResolver.Builder>> steps) {
        return everyOrder(StubResolver::builder, steps, StubResolver.Builder::build);
    }

    @Test
    void stubResolverConflictsFailInEveryOrder() {
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", 5353);
        InetSocketAddress b = new InetSocketAddress("127.0.0.2", 5353);
        List<String> twice =
                resolver(List.of(x -> x.server(a), x -> x.server(a), x -> x.timeout(Duration.ofSeconds(1))));
        assertThat(twice).hasSize(6).allSatisfy(m -> assertThat(m).contains("given twice"));
        List<String> ttl = resolver(List.of(
                x -> x.server(a), x -> x.maxTtl(Duration.ofSeconds(30)), x -> x.negativeTtl(Duration.ofMinutes(1))));
        assertThat(ttl).hasSize(6).allSatisfy(m -> assertThat(m).contains("negativeTtl PT1M exceeds maxTtl PT30S"));
        List<String> noCache =
                resolver(List.of(x -> x.server(a), x -> x.cacheSize(0), x -> x.maxTtl(Duration.ofMinutes(10))));
        assertThat(noCache).hasSize(6).allSatisfy(m -> assertThat(m).contains("cacheSize 0 disables the cache"));
        // the fitting versions build in every order
        assertThat(resolver(List.of(x -> x.server(a), x -> x.server(b), x -> x.attempts(1))))
                .containsOnly("built");
        assertThat(resolver(List.of(
                        x -> x.server(a),
                        x -> x.maxTtl(Duration.ofMinutes(1)),
                        x -> x.negativeTtl(Duration.ofSeconds(30)))))
                .containsOnly("built");
        assertThat(resolver(List.of(x -> x.server(a), x -> x.cacheSize(0), x -> x.maxTtl(Duration.ZERO))))
                .containsOnly("built");
        // a lower maxTtl alone caps the default negativeTtl instead of failing
        assertThatCode(() -> StubResolver.builder()
                        .server(a)
                        .maxTtl(Duration.ofSeconds(10))
                        .build())
                .doesNotThrowAnyException();
        // setters still reject their own bad values at once
        assertThatThrownBy(() -> StubResolver.builder().attempts(0)).hasMessageContaining("attempts");
    }

    @Test
    void dkimSignerAndArcSealerConflictsFailInEveryOrder() throws Exception {
        KeyPair kp = DkimKeys.generate("ed25519", 0);
        List<Consumer<DkimSigner.Builder>> bad = List.of(
                x -> x.headers(List.of("from", "to")),
                x -> x.oversigned(List.of("subject")),
                x -> x.canonicalization(Canonicalization.SIMPLE, Canonicalization.RELAXED));
        assertThat(everyOrder(
                        () -> DkimSigner.builder("example.com", "s", kp.getPrivate()), bad, DkimSigner.Builder::build))
                .hasSize(6)
                .allSatisfy(m -> assertThat(m).contains("oversigned field subject is not among the signed fields"));
        List<Consumer<DkimSigner.Builder>> good = List.of(
                x -> x.headers(List.of("from", "to", "subject")),
                x -> x.oversigned(List.of("subject")),
                x -> x.canonicalization(Canonicalization.SIMPLE, Canonicalization.RELAXED));
        assertThat(everyOrder(
                        () -> DkimSigner.builder("example.com", "s", kp.getPrivate()), good, DkimSigner.Builder::build))
                .containsOnly("built");
        List<Consumer<ArcSealer.Builder>> arcBad = List.of(
                x -> x.headers(List.of("from", "to")),
                x -> x.oversigned(List.of("date")),
                x -> x.clock(java.time.Clock.systemUTC()));
        assertThat(everyOrder(
                        () -> ArcSealer.builder("example.com", "s", kp.getPrivate()), arcBad, ArcSealer.Builder::build))
                .hasSize(6)
                .allSatisfy(m -> assertThat(m).contains("oversigned field date"));
        // the signer with only headers narrowed still oversigns what remains of the defaults
        DkimSigner narrowed = DkimSigner.builder("example.com", "s", kp.getPrivate())
                .headers(List.of("from", "subject"))
                .build();
        HeaderField f = narrowed.sign("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(f.value().replaceAll("\\s", "")).contains("h=from:from:subject:subject;");
    }
}
