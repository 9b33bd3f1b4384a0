package org.mailhygiene.smtp.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedStateException;

/**
 * A token bucket per client address: {@code count} events per {@code window}, refilled continuously, bursts up to
 * {@code count}. Buckets live in a Caffeine cache and are dropped after two idle windows (a full bucket again), so
 * memory stays bounded under many addresses (at most 100,000 buckets). Time comes from the injected clock, read as
 * {@link NanoClock#of} does: a system clock stands for the monotonic one, so a step of the wall clock (NTP, a resumed
 * virtual machine) neither refuses an address until the clock catches up nor refills its bucket at once; a reading
 * earlier than a bucket's last one (a test clock set back) refills nothing and becomes the bucket's new start.
 *
 * <p>With a shared limiter (a cluster's Redis), the bucket {@code PREFIX + address} there decides, so the limit holds
 * across all nodes; when the shared limiter fails, the local bucket decides. Package-private; thread-safe.
 */
final class PerIpLimiter {
    private final Cache<InetAddress, Bucket> buckets;
    private final int count;
    private final double nanosPerToken;
    private final Ticker ticker;
    private final RateLimiter shared;
    private final String sharedPrefix;
    private final Duration window;

    PerIpLimiter(int count, Duration window, Clock clock) {
        this(count, window, clock, null, "");
    }

    PerIpLimiter(int count, Duration window, Clock clock, RateLimiter shared, String sharedPrefix) {
        this.shared = shared;
        this.sharedPrefix = sharedPrefix;
        this.window = window;
        this.count = count;
        this.nanosPerToken = (double) window.toNanos() / count;
        NanoClock nanos = NanoClock.of(clock);
        this.ticker = nanos::nanoTime;
        this.buckets = Caffeine.newBuilder()
                .ticker(ticker)
                .expireAfterAccess(window.multipliedBy(2))
                .maximumSize(100_000)
                .build();
    }

    /**
     * Takes one token for {@code address}.
     *
     * @param address the client
     * @return {@code true} if the event is within the rate
     */
    boolean tryAcquire(InetAddress address) {
        if (shared != null) {
            try {
                return shared.tryAcquire(sharedPrefix + address.getHostAddress(), count, window);
            } catch (SharedStateException e) {
                // The cluster's limiter is unreachable: this node's own bucket decides.
            }
        }
        long now = ticker.read();
        Bucket b = buckets.get(address, k -> new Bucket(count, now));
        synchronized (b) {
            double refill = (now - b.last) / nanosPerToken;
            if (now < b.last) {
                b.last = now;
            } else if (refill > 0) {
                b.tokens = Math.min(count, b.tokens + refill);
                b.last = now;
            }
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return true;
            }
            return false;
        }
    }

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }
}
