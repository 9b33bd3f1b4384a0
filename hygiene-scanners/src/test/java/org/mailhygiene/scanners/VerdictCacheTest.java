package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;

class VerdictCacheTest {

    @Test
    void documentedDefaultsEqualTheCode() {
        VerdictCache c = VerdictCache.create();
        assertThat(c.maximumSize()).isEqualTo(VerdictCache.DEFAULT_MAXIMUM_SIZE).isEqualTo(10_000);
        assertThat(c.expireAfterWrite())
                .isEqualTo(VerdictCache.DEFAULT_EXPIRE_AFTER_WRITE)
                .isEqualTo(Duration.ofHours(1));
        assertThat(c.estimatedSize()).isZero();
        assertThat(c.stats()).isEqualTo(new VerdictCache.Stats(0, 0));
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> VerdictCache.builder().maximumSize(0)).hasMessageContaining("maximumSize");
        assertThatThrownBy(() -> VerdictCache.builder().expireAfterWrite(Duration.ZERO))
                .hasMessageContaining("expireAfterWrite");
        assertThatThrownBy(() -> VerdictCache.builder().nanoClock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void digestIsTheSha256OfTheStreamedContent() throws Exception {
        byte[] bytes = "some message\r\n".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        String expected =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(VerdictCache.sha256(MessageContent.ofBytes(bytes))).isEqualTo(expected);
    }

    @Test
    void verdictsAreKeptFailuresAreDropped() {
        VerdictCache c = VerdictCache.create();
        VerdictCache.Key key = new VerdictCache.Key("s/1", "ab");
        VerdictCache.Lookup first = c.lookup(key);
        assertThat(first.loader()).isTrue();
        VerdictCache.Lookup waiter = c.lookup(key);
        assertThat(waiter.loader()).isFalse();
        assertThat(waiter.future()).isSameAs(first.future()).isNotDone();
        first.complete(new ScanFailure("s", ScanFailure.Kind.UNAVAILABLE, "down", Duration.ZERO));
        assertThat(waiter.future().join()).isInstanceOf(ScanFailure.class);
        VerdictCache.Lookup again = c.lookup(key);
        assertThat(again.loader()).isTrue();
        again.complete(Verdict.clean("s", Duration.ZERO));
        assertThat(c.lookup(key).future().join()).isInstanceOf(Verdict.class);
        assertThat(c.stats()).isEqualTo(new VerdictCache.Stats(2, 2));
    }

    @Test
    void maximumSizeIsABound() {
        AtomicLong nanos = new AtomicLong();
        VerdictCache c =
                VerdictCache.builder().maximumSize(5).nanoClock(nanos::get).build();
        for (int i = 0; i < 50; i++) {
            c.lookup(new VerdictCache.Key("s", Integer.toString(i))).complete(Verdict.clean("s", Duration.ZERO));
        }
        assertThat(c.estimatedSize()).isLessThanOrEqualTo(5);
        c.invalidateAll();
        assertThat(c.estimatedSize()).isZero();
    }
}
