package org.mailhygiene.api.shared;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SharedStatesTest {

    @Test
    void aUrlWithoutSchemeIsNamedAsNoUrl() {
        // hygiene learn --redis notaurl, hygiene report --redis 10.0.0.5: was "no shared-state provider for 'null:'
        // URLs"
        assertThatThrownBy(() -> SharedStates.open(URI.create("notaurl"), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a URL: 'notaurl' (a shared state is named by a URL such as redis://127.0.0.1:6379/0)");
    }

    @Test
    void aSchemeNoProviderHandlesNamesTheScheme() {
        assertThatThrownBy(() -> SharedStates.open(URI.create("memcached://127.0.0.1:11211"), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .as("no provider on this module's class path: the module to add")
                .hasMessage("no shared-state provider for 'memcached:' URLs"
                        + " (redis URLs need the hygiene-redis module on the class path or module path)");
    }

    @Test
    void urlsGivenAsTextAreCheckedTheSameWay() {
        assertThatThrownBy(() -> SharedStates.open("notaurl", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a URL: 'notaurl' (a shared state is named by a URL such as redis://127.0.0.1:6379/0)");
        assertThatThrownBy(() -> SharedStates.open("10.0.0.5:6379", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a URL: '10.0.0.5:6379'");
        assertThatThrownBy(() -> SharedStates.open("memcached://127.0.0.1:11211", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no shared-state provider for 'memcached:' URLs");
        assertThatThrownBy(() -> SharedStates.open("memcached://[::1]:1,[::1]:2", Duration.ofSeconds(1)))
                .as("text no provider takes and no URI can hold says why")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a URL: Illegal character in port number");
        assertThatThrownBy(() -> SharedStates.open("redis://127.0.0.1", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aUrlNoProviderTakesIsQuotedWithoutItsPassword() {
        // A misspelt scheme: the text was quoted whole, or in URISyntaxException's message, password and all.
        for (String u : java.util.List.of(
                "redis_sentinel://:topsecret@h1/m",
                "redis-sentinal://:topsecret@[::1]:1,[::2]:2/m",
                "redis-sentinal://app:top/secret@[::1]:1,[::2]:2/m",
                "redis-sentinal://[::1]:1,[::2]:2/m?sentinel-password=topsecret")) {
            assertThatThrownBy(() -> SharedStates.open(u, Duration.ofSeconds(1)))
                    .as(u)
                    .isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage())
                            .doesNotContain("secret")
                            .contains("***"))
                    .hasNoCause();
        }
    }
}
