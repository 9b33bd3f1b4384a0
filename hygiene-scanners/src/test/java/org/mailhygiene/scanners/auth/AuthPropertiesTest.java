package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Property tests: the parsers never throw and canonicalization does not depend on how the body arrives. */
class AuthPropertiesTest {
    /** Strings over the characters that matter to the parsers. */
    static Gen<String> tricky(int max) {
        String alphabet = "v=spf1 ip4:a/mx%{}-~+?;=:. \t\r\nDKIM1bhp0123456789\\\"";
        return lists().of(integers().between(0, alphabet.length() - 1))
                .ofSizeBetween(0, max)
                .map(l -> {
                    StringBuilder sb = new StringBuilder();
                    l.forEach(i -> sb.append(alphabet.charAt(i)));
                    return sb.toString();
                });
    }

    @Test
    void tagListParsingNeverThrowsAndRoundTrips() {
        qt().forAll(tricky(60)).checkAssert(s -> {
            TagList.Parsed p = TagList.parse(s);
            assertThat(p.valid() || !p.error().isEmpty()).isTrue();
            p.list().ifPresent(t -> {
                StringBuilder sb = new StringBuilder();
                t.asMap().forEach((k, v) -> sb.append(k).append('=').append(v).append("; "));
                assertThat(TagList.parse(sb.toString()).list().orElseThrow().asMap())
                        .isEqualTo(t.asMap());
            });
        });
        qt().forAll(strings().allPossible().ofLengthBetween(0, 80))
                .checkAssert(s -> assertThat(TagList.parse(s)).isNotNull());
    }

    @Test
    void spfRecordParsingNeverThrows() {
        qt().forAll(tricky(60)).checkAssert(s -> {
            SpfRecord.Parsed p = SpfRecord.parse("v=spf1 " + s);
            assertThat(p.record().isPresent() || !p.error().isEmpty()).isTrue();
        });
        qt().forAll(strings().allPossible().ofLengthBetween(0, 80))
                .checkAssert(s -> assertThat(SpfRecord.parse("v=spf1 " + s)).isNotNull());
    }

    @Test
    void bodyHashDoesNotDependOnChunking() {
        Gen<String> bodies = lists().of(integers().between(0, 6))
                .ofSizeBetween(0, 80)
                .map(l -> {
                    String[] pieces = {"a", " ", "\t", "\r\n", "\n", "\r", "xyz"};
                    StringBuilder sb = new StringBuilder();
                    l.forEach(i -> sb.append(pieces[i]));
                    return sb.toString();
                });
        qt().forAll(bodies, integers().between(1, 7)).checkAssert((body, chunk) -> {
            byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
            for (Canonicalization c : Canonicalization.values()) {
                BodyHasher whole = new BodyHasher(c, "SHA-256", -1);
                whole.update(b, 0, b.length);
                BodyHasher parts = new BodyHasher(c, "SHA-256", -1);
                for (int i = 0; i < b.length; i += chunk) {
                    parts.update(b, i, Math.min(chunk, b.length - i));
                }
                assertThat(parts.finish()).isEqualTo(whole.finish());
                assertThat(parts.canonicalLength()).isEqualTo(whole.canonicalLength());
            }
        });
    }

    @Test
    void relaxedBodyCanonicalizationMatchesTheRfcDefinition() {
        Gen<String> bodies = lists().of(integers().between(0, 4))
                .ofSizeBetween(0, 60)
                .map(l -> {
                    String[] pieces = {"a", " ", "\t", "\r\n", "b"};
                    StringBuilder sb = new StringBuilder();
                    l.forEach(i -> sb.append(pieces[i]));
                    return sb.toString();
                });
        qt().forAll(bodies).checkAssert(body -> {
            BodyHasher h = new BodyHasher(Canonicalization.RELAXED, "SHA-256", -1);
            byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
            h.update(b, 0, b.length);
            assertThat(h.finish()).isEqualTo(sha256(relaxedByDefinition(body)));
        });
    }

    /** RFC 6376 3.4.4 written the slow, obvious way. */
    static String relaxedByDefinition(String body) {
        List<String> lines = new java.util.ArrayList<>(Arrays.asList(body.split("\r\n", -1)));
        boolean endsWithCrlf = body.endsWith("\r\n");
        if (endsWithCrlf || body.isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            out.append(l.replaceAll("[ \t]+", " ").replaceAll(" $", "")).append("\r\n");
        }
        String s = out.toString();
        while (s.endsWith("\r\n\r\n")) {
            s = s.substring(0, s.length() - 2);
        }
        if (s.equals("\r\n")) {
            s = "";
        }
        return s;
    }

    static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.ISO_8859_1));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void relaxedHeaderCanonicalizationIsIdempotent() {
        qt().forAll(tricky(40)).checkAssert(s -> {
            String field = "Subject:" + s.replace("\r", "").replace("\n", "\r\n ");
            String once = Canonicalization.RELAXED.header(field);
            assertThat(Canonicalization.RELAXED.header(once)).isEqualTo(once);
        });
    }
}
