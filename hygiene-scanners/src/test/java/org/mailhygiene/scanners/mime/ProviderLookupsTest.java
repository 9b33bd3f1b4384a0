package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.util.StreamProvider;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/**
 * Jakarta Mail looks its stream provider up for every entity it builds; a walk must not make the thread's class loader
 * search its class path once per part (counted here, not timed: 1,000 tiny parts cost about 50 ms per scanner so).
 */
class ProviderLookupsTest {
    /** Counts the searches for the stream provider's service file, delegating everything. */
    private static final class Counting extends ClassLoader {
        final AtomicInteger searches = new AtomicInteger();

        Counting(ClassLoader parent) {
            super(parent);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            if (name.equals(ProviderLookups.SERVICE)) {
                searches.incrementAndGet();
            }
            return super.getResources(name);
        }
    }

    private static byte[] parts(int n) {
        StringBuilder sb = new StringBuilder(
                "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
        for (int i = 0; i < n; i++) {
            sb.append("--b\r\nContent-Type: text/plain\r\n\r\nx").append(i).append("\r\n");
        }
        return sb.append("--b--\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aWalkSearchesForTheStreamProviderOnceNotOncePerPart() throws IOException {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        Counting counting = new Counting(before);
        t.setContextClassLoader(counting);
        try {
            String expected = StreamProvider.provider().getClass().getName();
            assertThat(counting.searches).hasValue(1); // the lookup above, as Jakarta Mail makes it
            counting.searches.set(0);
            List<String> seen = new ArrayList<>();
            for (int walk = 0; walk < 2; walk++) {
                MimeWalkResult r = MimeWalker.defaults().walk(MessageContent.ofBytes(parts(200)), (part, decoded) -> {
                    // what a lookup finds during the walk is what it finds outside
                    seen.add(StreamProvider.provider().getClass().getName());
                    return true;
                });
                assertThat(r.parts()).isEqualTo(201);
                assertThat(t.getContextClassLoader()).isSameAs(counting);
            }
            assertThat(seen).hasSize(400).containsOnly(expected);
            // before: one search per body part and multipart (402); now one per copy (a GC may drop it in between)
            assertThat(counting.searches.get()).isBetween(1, 2);
        } finally {
            t.setContextClassLoader(before);
        }
    }

    @Test
    void theContextLoaderIsRestoredWhenTheVisitorThrows() {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        assertThatThrownBy(() -> MimeWalker.defaults().walk(MessageContent.ofBytes(parts(3)), (part, decoded) -> {
                    throw new IOException("visitor failed");
                }))
                .isInstanceOf(IOException.class)
                .hasMessage("visitor failed");
        assertThat(t.getContextClassLoader()).isSameAs(before);
    }

    @Test
    void withoutAContextLoaderNothingIsInstalled() throws IOException {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(null);
        try {
            List<ClassLoader> during = new ArrayList<>();
            MimeWalker.defaults().walk(MessageContent.ofBytes(parts(2)), (part, decoded) -> {
                during.add(t.getContextClassLoader());
                return true;
            });
            assertThat(during).hasSize(2).containsOnlyNulls();
            assertThat(t.getContextClassLoader()).isNull();
        } finally {
            t.setContextClassLoader(before);
        }
    }
}
