package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/**
 * The OpenSPF RFC 7208 test suite (release 2014.04, from pyspf; BSD licence, see
 * {@code spf/rfc7208-tests.LICENSE}), converted by {@code spf/convert.py}, run against {@link SpfVerifier} with the
 * zones served by a {@link FakeDnsServer}. Each case names the acceptable results, and the 22 with an
 * {@code explanation} the text {@code exp=} must give ({@code DEFAULT}: none from DNS).
 */
class SpfTestSuiteTest {
    private static FakeDnsServer dns;

    /** One test; {@code explanation} is the expected exp= text, {@code DEFAULT} for none, empty when unchecked. */
    record Case(String id, String helo, String host, String mailFrom, List<String> results, String explanation) {}

    record Scenario(String description, List<String[]> zone, List<Case> cases) {}

    @BeforeAll
    static void start() throws IOException {
        dns = FakeDnsServer.start();
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    static List<Scenario> load() throws IOException {
        List<Scenario> out = new ArrayList<>();
        try (InputStream in = SpfTestSuiteTest.class.getResourceAsStream("spf/rfc7208-tests.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            Scenario current = null;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isEmpty()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                for (int i = 0; i < f.length; i++) {
                    f[i] = unescape(f[i]);
                }
                switch (f[0]) {
                    case "scenario" -> {
                        current = new Scenario(f[1], new ArrayList<>(), new ArrayList<>());
                        out.add(current);
                    }
                    case "zone", "timeout" -> current.zone().add(f);
                    case "test" ->
                        current.cases().add(new Case(f[1], f[2], f[3], f[4], Arrays.asList(f[5].split(",")), f[6]));
                    default -> throw new IllegalStateException("bad line " + line);
                }
            }
        }
        return out;
    }

    static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }

    @TestFactory
    Stream<DynamicNode> rfc7208Suite() throws IOException {
        List<DynamicNode> nodes = new ArrayList<>();
        for (Scenario s : load()) {
            List<DynamicNode> tests = new ArrayList<>();
            for (Case c : s.cases()) {
                tests.add(DynamicTest.dynamicTest(c.id(), () -> run(s, c)));
            }
            nodes.add(DynamicContainer.dynamicContainer(s.description(), tests));
        }
        return nodes.stream();
    }

    private static void run(Scenario s, Case c) throws IOException {
        dns.clear();
        for (String[] z : s.zone()) {
            if (z[0].equals("timeout")) {
                if (z.length == 2) {
                    dns.fault(z[1], FakeDnsServer.Fault.TIMEOUT);
                } else {
                    dns.fault(z[1], z[2], FakeDnsServer.Fault.TIMEOUT);
                }
                continue;
            }
            switch (z[2]) {
                case "TXT" -> dns.txt(z[1], z[3]);
                case "A" -> dns.a(z[1], z[3]);
                case "AAAA" -> dns.aaaa(z[1], z[3]);
                case "PTR" -> dns.ptr(z[1], z[3]);
                case "CNAME" -> dns.cname(z[1], z[3]);
                case "MX" -> {
                    String[] m = z[3].split(" ", -1);
                    dns.mx(z[1], Integer.parseInt(m[0]), m[1]);
                }
                default -> throw new IllegalStateException(z[2]);
            }
        }
        // The fake answers at once or never: a short timeout only where the scenario scripts a timeout, a generous one
        // elsewhere, so a busy machine cannot turn an answer into a TEMPERROR.
        boolean scriptedTimeouts = s.zone().stream().anyMatch(z -> z[0].equals("timeout"));
        StubResolver resolver = StubResolver.builder()
                .server(dns.address())
                .timeout(scriptedTimeouts ? Duration.ofSeconds(1) : Duration.ofSeconds(10))
                .attempts(1)
                .build();
        SpfResult r = new SpfVerifier(resolver).check(InetAddress.getByName(c.host()), c.mailFrom(), c.helo());
        assertThat(r.status().token())
                .as("%s (%s): %s", c.id(), s.description(), r.reason())
                .isIn(c.results().stream().map(x -> x.toLowerCase(Locale.ROOT)).toList());
        if (c.explanation().equals("DEFAULT")) {
            assertThat(r.explanation())
                    .as("%s: no explanation from DNS", c.id())
                    .isEmpty();
        } else if (!c.explanation().isEmpty()) {
            // case-insensitive: the suite writes the IPv6 nibbles of %{ir} in upper case, DNS names are caseless
            assertThat(r.explanation())
                    .as("%s: explanation", c.id())
                    .hasValueSatisfying(e -> assertThat(e).isEqualToIgnoringCase(c.explanation()));
        }
    }
}
