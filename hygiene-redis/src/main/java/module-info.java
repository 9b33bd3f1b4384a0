/**
 * Shared state in Redis (or Valkey) for Mail Hygiene clusters: verdicts of identical content, rate-limit buckets,
 * statistics counters and classifier token counts, found through {@link org.mailhygiene.api.shared.SharedStateProvider}.
 */
module org.mailhygiene.redis {
    requires transitive org.mailhygiene.api;
    requires redis.clients.jedis;
    requires org.apache.commons.pool2;
    requires org.slf4j;

    exports org.mailhygiene.redis;

    provides org.mailhygiene.api.shared.SharedStateProvider with
            org.mailhygiene.redis.RedisSharedStateProvider;
}
