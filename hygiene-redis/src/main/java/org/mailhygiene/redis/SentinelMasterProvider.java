package org.mailhygiene.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ConnectionProvider;

/**
 * Connections to the master that a set of Sentinels names, located when first needed and again after {@link
 * #invalidate()} (a call failed: the master may have moved).
 *
 * <p>Why not Jedis's {@code JedisSentineled}: it asks the Sentinels in its constructor, so a node could not start (nor
 * {@code --check} pass) while they were unreachable or did not know the master, although Redis is never a dependency of
 * mail flow; and it keeps one subscriber thread per Sentinel that logs an ERROR with a stack trace every 5 seconds for
 * as long as one Sentinel is down, a normal state of a Sentinel deployment. Here nothing is contacted before the first
 * call, and every failure reaches the caller (and so its guard, which logs it once). Once a master is known, one
 * daemon thread asks the Sentinels every {@link #RECHECK} whether it moved, quietly.
 *
 * <p>Thread-safe. Only one caller asks the Sentinels at a time; while it does, the others use the master they know, or,
 * before the first master is known, wait for that search and share its outcome.
 */
final class SentinelMasterProvider implements ConnectionProvider {
    private static final Logger LOG = LoggerFactory.getLogger(SentinelMasterProvider.class);

    /** How often the Sentinels are asked whether the master moved, once one is known. */
    static final Duration RECHECK = Duration.ofSeconds(1);

    private final String masterName;
    private final List<HostAndPort> sentinels;
    private final JedisClientConfig masterConfig;
    private final JedisClientConfig sentinelConfig;
    private final GenericObjectPoolConfig<Connection> poolConfig;
    private final ReentrantLock locating = new ReentrantLock();
    private volatile ConnectionPool pool;
    private volatile HostAndPort master;
    private volatile boolean stale = true;
    private volatile boolean closed;
    /** Searches ended. */
    private final AtomicLong searches = new AtomicLong();
    /** Why the last search failed, or {@code null}. */
    private volatile RuntimeException lastFailure;
    /** The Sentinel that named the master last, asked first next time. */
    private volatile HostAndPort lastAnswered;
    /** Rechecks the master once one is known; {@code null} before. */
    private volatile ScheduledExecutorService watcher;

    SentinelMasterProvider(
            String masterName,
            List<HostAndPort> sentinels,
            JedisClientConfig masterConfig,
            JedisClientConfig sentinelConfig,
            GenericObjectPoolConfig<Connection> poolConfig) {
        this.masterName = Objects.requireNonNull(masterName, "masterName");
        this.sentinels = List.copyOf(sentinels);
        this.masterConfig = Objects.requireNonNull(masterConfig, "masterConfig");
        this.sentinelConfig = Objects.requireNonNull(sentinelConfig, "sentinelConfig");
        this.poolConfig = Objects.requireNonNull(poolConfig, "poolConfig");
        if (this.sentinels.isEmpty()) {
            throw new IllegalArgumentException("no Sentinel");
        }
    }

    /** Makes the next call ask the Sentinels where the master is (a call to the master failed). */
    void invalidate() {
        stale = true;
    }

    /**
     * Closes the idle connections to the master in use (one of them was found broken: the master restarted or went
     * away, and the others were opened to the same process). Connections in use are left to their callers.
     */
    void discardIdle() {
        ConnectionPool p = pool;
        if (p != null) {
            p.clear();
        }
    }

    /**
     * The master in use, if located.
     *
     * @return its address, or {@code null} before the first successful search
     */
    HostAndPort master() {
        return master;
    }

    @Override
    public Connection getConnection() {
        return pool().getResource();
    }

    @Override
    public Connection getConnection(CommandArguments args) {
        return pool().getResource();
    }

    @Override
    public Map<?, ?> getConnectionMap() {
        ConnectionPool p = pool();
        return Map.of(String.valueOf(master), p);
    }

    @Override
    public Map<?, ?> getPrimaryNodesConnectionMap() {
        return getConnectionMap();
    }

    private ConnectionPool pool() {
        if (closed) {
            throw new JedisException("closed");
        }
        ConnectionPool p = pool;
        if (p != null && !stale) {
            return p;
        }
        long seen = searches.get();
        if (p != null) {
            if (!locating.tryLock()) {
                return p; // another call is asking the Sentinels: do not wait for it, use the master we know
            }
        } else {
            locating.lock(); // nothing to use meanwhile: wait for the search under way, at most its timeouts
        }
        try {
            if (searches.get() != seen) {
                // a search ended while we waited: take its outcome rather than asking the Sentinels again
                if (pool != null && !stale) {
                    return pool;
                }
                if (lastFailure != null) {
                    throw new JedisException(lastFailure.getMessage());
                }
            }
            HostAndPort at;
            try {
                at = locate();
                lastFailure = null;
            } catch (RuntimeException e) {
                lastFailure = e;
                throw e;
            } finally {
                searches.incrementAndGet();
            }
            stale = false;
            use(at);
            startWatching();
            return pool;
        } finally {
            locating.unlock();
        }
    }

    /** Makes {@code at} the master calls go to (the caller holds {@link #locating}). */
    private void use(HostAndPort at) {
        if (at.equals(master) && pool != null) {
            return;
        }
        ConnectionPool old = pool;
        pool = new ConnectionPool(at, masterConfig, poolConfig);
        HostAndPort was = master;
        master = at;
        if (old != null) {
            old.close();
        }
        if (was == null) {
            LOG.info("Sentinels name {} as master '{}'", show(at), masterName);
        } else {
            LOG.warn("master '{}' moved from {} to {} (Sentinel failover)", masterName, show(was), show(at));
        }
    }

    /**
     * Once a master is known, asks the Sentinels every {@link #RECHECK} whether it is still the one: a failover the
     * client's calls do not see fail (an administrator's {@code SENTINEL FAILOVER}, or a master cut off from the
     * Sentinels but not from us) leaves the old master accepting writes, which are lost when the Sentinels turn it
     * into a replica some 10 seconds later. The check runs on a thread of its own, so no call waits for it, and logs
     * nothing when the Sentinels do not answer (calls that fail say so).
     */
    private void startWatching() {
        if (watcher != null || closed) {
            return;
        }
        ScheduledExecutorService w = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-sentinel-watch-" + masterName);
            t.setDaemon(true);
            return t;
        });
        watcher = w;
        w.scheduleWithFixedDelay(this::recheck, RECHECK.toMillis(), RECHECK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void recheck() {
        if (closed || !locating.tryLock()) {
            return; // a call is asking the Sentinels already
        }
        try {
            if (closed || pool == null) {
                return;
            }
            HostAndPort at;
            try {
                at = locate();
            } catch (RuntimeException e) {
                LOG.debug("Sentinels not asked about '{}': {}", masterName, e.getMessage());
                return;
            }
            use(at);
        } catch (RuntimeException e) {
            LOG.debug("master '{}' not rechecked: {}", masterName, e.toString());
        } finally {
            locating.unlock();
        }
    }

    /** Asks the Sentinels in order; the first that names the master wins. */
    private HostAndPort locate() {
        List<String> problems = new ArrayList<>();
        boolean answered = false;
        List<HostAndPort> order = new ArrayList<>(sentinels);
        HostAndPort first = lastAnswered;
        if (first != null && order.remove(first)) {
            order.add(0, first); // a Sentinel that is down costs its timeout at every check: ask a live one first
        }
        for (HostAndPort s : order) {
            try (Jedis j = new Jedis(s, sentinelConfig)) {
                List<String> addr = j.sentinelGetMasterAddrByName(masterName);
                answered = true;
                if (addr != null && addr.size() == 2) {
                    HostAndPort at;
                    try {
                        at = new HostAndPort(addr.get(0), Integer.parseInt(addr.get(1)));
                    } catch (RuntimeException e) {
                        problems.add(show(s) + " named '" + addr + "'");
                        continue;
                    }
                    // A new master is believed only once it says so itself (ROLE), as Redis's guidelines for
                    // Sentinel clients ask: a Sentinel cut off from the others may still name the old master, which
                    // is down or, back, a replica; switching to it would lose the writes until the next check.
                    String role = at.equals(master) ? "master" : role(at);
                    if (!role.equals("master")) {
                        problems.add(show(s) + " named " + show(at) + ", which " + role);
                        continue;
                    }
                    lastAnswered = s;
                    return at;
                } else if (addr == null || addr.isEmpty()) {
                    problems.add(show(s) + " monitors no master named '" + masterName + "'");
                } else {
                    // a Sentinel names a host and a port; a TCP echo sends the command back, three words
                    String said = String.valueOf(addr);
                    problems.add(show(s) + " is not a Sentinel? (it answered "
                            + (said.length() > 120 ? said.substring(0, 120) + "..." : said)
                            + " where a Sentinel names a host and a port)");
                }
            } catch (JedisDataException e) {
                answered = true;
                String said = String.valueOf(e.getMessage()).strip();
                if (said.startsWith("NOAUTH")) {
                    problems.add(show(s) + " wants a password: give the Sentinels' in the URL, ?sentinel-password=..."
                            + " (" + said + ")");
                } else if (said.startsWith("WRONGPASS") || said.contains("AUTH")) {
                    problems.add(show(s) + " refused the Sentinel credentials, sentinel-user= and sentinel-password="
                            + " (" + said + ")");
                } else {
                    problems.add(show(s) + " is not a Sentinel? (" + said + ")");
                }
            } catch (JedisException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("Unknown reply")) {
                    // a first byte that is no reply type: another service (an SMTP greeting's '2') answered
                    answered = true;
                    problems.add(show(s) + " is not a Sentinel? (" + e.getMessage() + ": no Redis reply)");
                } else {
                    problems.add(show(s) + ": " + Failures.describe(e, sentinelConfig.isSsl()));
                }
            }
        }
        String list = String.join("; ", problems);
        if (answered) {
            throw new JedisException("no Sentinel names master '" + masterName + "': " + list);
        }
        throw new JedisException("no Sentinel reachable: " + list);
    }

    /** What the server at {@code at} says it is ({@code master}, {@code is a slave}, or why it could not be asked). */
    private String role(HostAndPort at) {
        try (Jedis j = new Jedis(at, masterConfig)) {
            List<Object> r = j.role();
            String kind = r.isEmpty() ? "?" : String.valueOf(r.get(0));
            return kind.equals("master") ? "master" : "is a " + kind;
        } catch (JedisException e) {
            return "does not answer ROLE: " + Failures.describe(e, masterConfig.isSsl());
        }
    }

    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService w = watcher;
        if (w != null) {
            w.shutdownNow();
        }
        locating.lock();
        try {
            ScheduledExecutorService started = watcher; // one started while we took the lock
            if (started != null) {
                started.shutdownNow();
            }
            ConnectionPool p = pool;
            pool = null;
            if (p != null) {
                p.close();
            }
        } finally {
            locating.unlock();
        }
    }

    /** An address as the URL writes it: an IPv6 host in brackets ({@code [::1]:26379}, not {@code ::1:26379}). */
    static String show(HostAndPort a) {
        return a == null ? "none" : org.mailhygiene.internal.HostPorts.of(a.getHost(), a.getPort());
    }
}
