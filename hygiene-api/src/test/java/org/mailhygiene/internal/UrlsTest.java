package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UrlsTest {

    @Test
    void passwordsAndSecretQueryValuesAreHidden() {
        assertThat(Urls.withoutPasswords("redis://:secret@127.0.0.1:1")).isEqualTo("redis://:***@127.0.0.1:1");
        assertThat(Urls.withoutPasswords("redis://secret@h")).isEqualTo("redis://:***@h");
        assertThat(Urls.withoutPasswords("rediss://app:s/e?c@r@[::1]:6379/2?prefix=a:"))
                .isEqualTo("rediss://app:***@[::1]:6379/2?prefix=a:");
        assertThat(Urls.withoutPasswords("redis-sentinel://h1,h2/m?sentinel-user=w&sentinel_password=x"))
                .isEqualTo("redis-sentinel://h1,h2/m?sentinel-user=w&sentinel_password=***");
        assertThat(Urls.withoutPasswords("redis://127.0.0.1:6379/0")).isEqualTo("redis://127.0.0.1:6379/0");
        assertThat(Urls.withoutPasswords("notaurl")).isEqualTo("notaurl");
    }
}
