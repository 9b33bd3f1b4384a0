/**
 * The Redis implementation of the shared-state SPI. Open it with {@link org.mailhygiene.redis.RedisSharedState#open}
 * or, by URL, through {@link org.mailhygiene.api.shared.SharedStates#open}; see {@link org.mailhygiene.redis.RedisUrl}
 * for the URL forms (standalone, TLS, Sentinel, Cluster).
 */
package org.mailhygiene.redis;
