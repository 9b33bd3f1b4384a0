package org.mailhygiene.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedDataException;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.TokenStore.Learned;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.internal.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Shared state in Redis (or Valkey) through Jedis: the implementation behind {@code redis = URL} in the node config.
 *
 * <p><b>Keys</b> (all under the URL's prefix, default {@code mh:}, and all with an expiry, so Redis memory stays
 * bounded without any maintenance job):
 *
 * <ul>
 *   <li>{@code v:SHA256:IDHASH}, a verdict (text form), for the verdict cache's TTL; {@code l:SHA256:IDHASH}, a scan
 *       lease (the holder's token), for the lease time. {@code IDHASH} is the first 32 hex digits of the SHA-256 of the
 *       scanner's cache identity, so a changed identity (new signatures, new settings) never reads an old verdict.
 *       With {@code ?verdict-key=} the value starts with {@code mhs2 } and the HMAC-SHA256 of the key, the verdict's
 *       expiry (the writer's clock plus the TTL) and the verdict text, then the expiry and the text
 *       ({@link VerdictSigner}); a verdict read whose tag does not verify (unsigned, another secret, another key's, or
 *       signed by a version before the expiry was signed: {@code mhs1 }), or read more than {@link #EXPIRY_SKEW} after
 *       its signed expiry (kept by {@code PERSIST}, stored again), is a miss, counted ({@link #refusedVerdicts()}) and
 *       logged at WARN once a minute; one read less late than that is a miss not counted (clocks that disagree).
 *   <li>{@code rl:KEY}, a token bucket (hash {@code tokens}, {@code last}), expiring one window after its last use;
 *       refill is computed with the server's clock ({@code TIME}), so nodes need no clock agreement.
 *   <li>{@code stats:{DAY}:NODE} (hash of the node's published totals), {@code stats:{DAY}:nodes} (set of node names)
 *       and {@code stats-by:{DAY}:NODE} (a token of the process that published last: a second process publishing under
 *       the same node name is logged at WARN, hourly), 400 days.
 *   <li>{@code bayes:{MODEL}:s}, {@code bayes:{MODEL}:h} (token to message count), {@code bayes:{MODEL}:m} (message
 *       counts and version; the version starts at the server's time in microseconds, so a store that lost its data never
 *       repeats a version a node already applied): 400 days after the last learned message.
 *   <li>{@code bayes:{MODEL}:j} (the learn journal: message key to {@code s:TIMES} or {@code h:TIMES}) and
 *       {@code bayes:{MODEL}:jo} (its keys ordered by the version of their last change): the
 *       {@value #JOURNAL_LIMIT} messages learned or changed most recently, expiring with the counts; a journal
 *       whose counts were lost ({@code bayes:{MODEL}:m} gone: deleted, or evicted under a {@code volatile-*} maxmemory
 *       policy) is ignored and dropped at the next learning or unlearning, as its records no longer describe the
 *       counts.
 *   <li>{@code bayes:{MODEL}:c} (the change log, format 1: a list with one element per version step, the tokens that
 *       step changed, {@code BEFORE:COUNT:} and a MessagePack array, {@code BEFORE} the tokens logged before it) and
 *       the fields {@code logfrom} (the version before its first element), {@code logtokens} (tokens in it), {@code
 *       logtotal} (tokens ever logged in it) and {@code logformat} of {@code bayes:{MODEL}:m}: the last {@value
 *       #CHANGE_LOG_LIMIT} token changes, written by the script that changes the counts, so a node reads only what
 *       changed since the version it holds ({@link TokenStore#changesSince}); expiring with the counts. A model
 *       written by a version without the log (or changed by one since) gets a log from its next change on.
 * </ul>
 *
 * <p>Multi-key operations run as Lua scripts on keys that share a hash tag (the braces), so they work unchanged on a
 * Redis Cluster. Every call is bounded by the call timeout (connect, read, and waiting for a pooled connection).
 *
 * <p>Thread-safe: Jedis pools connections (at most 64 per server); blocking calls park a virtual thread without
 * pinning its carrier on the JDKs that have them. Errors surface as {@link SharedStateException}; this class does not
 * retry or fall back by itself (the caller's guard does, see {@code GuardedSharedState} in hygiene-scanners). The one
 * exception is a verdict key holding something unreadable (another version's format, a hand edit, another type): that
 * is a miss (logged), not an error, since the store answered; the verdict of the scan that follows replaces it.
 */
public final class RedisSharedState implements SharedState {
    /** How long statistics and learned token counts are kept after their last write: 400 days. */
    public static final Duration RETENTION = Duration.ofDays(400);

    /**
     * Messages a model's learn journal keeps: the ones learned or changed most recently, 200,000 (some 245 bytes of
     * Redis memory each: a hash field and a sorted-set member, ~50 MB when full).
     */
    public static final int JOURNAL_LIMIT = 200_000;

    /**
     * Token changes a model's change log keeps ({@link TokenStore#changesSince}): 500,000 (a learning of a message of
     * 300 tokens is 300 of them; some 13 bytes of Redis memory each for tokens of 10 characters, ~6.5 MB when full).
     * A node whose version is older than the log reaches reads the whole model.
     */
    public static final int CHANGE_LOG_LIMIT = 500_000;

    /**
     * The most token changes a node reads as changes, 10,000: further behind, it reads the whole model, in pages. The
     * script that reads the changes holds the server while it runs (measured on a loaded 2-core machine: 0.5 s for
     * 100,000 changes, 0.9 s for 200,000, enough to time out every other node's calls); 10,000 take some 50 ms.
     */
    static final int CHANGES_READ_LIMIT = 10_000;

    /** The change log's format, in the field {@code logformat}: a log of another format is not read, but replaced. */
    private static final String CHANGE_LOG_FORMAT = "1";

    private static final Logger LOG = LoggerFactory.getLogger(RedisSharedState.class);

    /**
     * How a call answered as no Redis answers it ends: another service on the URL's port (a TCP echo returns each
     * command as an array, an SMTP or HTTP server's first byte is no reply type).
     */
    private static final String NOT_REDIS = "it does not speak Redis's protocol: is the URL's address a Redis server?";

    /** Errors of a server that is no (serving) master: after them a Sentinel client asks where the master is. */
    private static final Pattern MASTER_GONE = Pattern.compile("READONLY|MASTERDOWN|LOADING");

    private static final String RATE_SCRIPT = "local t = redis.call('TIME')\n"
            + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
            + "local cap = tonumber(ARGV[1])\n"
            + "local win = tonumber(ARGV[2])\n"
            // a key of another type (a hand edit) is replaced, not an error that would mark the store down
            + "local ty = redis.call('TYPE', KEYS[1])['ok']\n"
            + "if ty ~= 'hash' and ty ~= 'none' then redis.call('DEL', KEYS[1]) end\n"
            + "local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')\n"
            + "local tokens = tonumber(b[1])\n"
            + "local last = tonumber(b[2])\n"
            // tonumber accepts 'nan' (and 'inf'): a NaN compares false with everything, so 'last' would never move
            // on and the bucket never refill while each refusal renews the key
            + "if tokens == nil or last == nil or tokens ~= tokens or last ~= last then tokens = cap; last = now end\n"
            // a last use in the future (a hand edit, a server clock stepped back) would stop the refill until then
            + "if last > now then last = now end\n"
            + "tokens = math.max(0, math.min(cap, tokens))\n"
            + "if now > last then tokens = math.min(cap, tokens + (now - last) * cap / win); last = now end\n"
            + "local ok = 0\n"
            + "if tokens >= 1 then tokens = tokens - 1; ok = 1 end\n"
            + "redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(last))\n"
            + "redis.call('PEXPIRE', KEYS[1], win)\n"
            + "return ok\n";

    private static final String RELEASE_SCRIPT =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end\n";

    /** Extends a lease (KEYS[1]) to ARGV[2] ms if ARGV[1] still holds it: 1 if extended, else 0. */
    private static final String RENEW_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then"
            + " return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end\n";

    /** Moves the version of the model's counts (KEYS[3]) on; it starts at the server's time in microseconds. */
    private static final String BUMP_VERSION = "if redis.call('HEXISTS', KEYS[3], 'version') == 0 then\n"
            + "  local t = redis.call('TIME')\n"
            + "  redis.call('HSET', KEYS[3], 'version', string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])))\n"
            + "end\n"
            + "local v = redis.call('HINCRBY', KEYS[3], 'version', 1)\n";

    /**
     * Drops a learn journal (KEYS[4], KEYS[5]) whose counts were lost (no KEYS[3], which every learning writes): its
     * records no longer describe the counts, and undoing one would take other messages' learnings out.
     */
    private static final String DROP_ORPHANED_JOURNAL =
            "if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[4], KEYS[5]) end\n";

    /** Keys: m, j. ARGV: the message's key. Its record, or nil if none or if the counts were lost. */
    private static final String LEARNED_SCRIPT = "if redis.call('EXISTS', KEYS[1]) == 0 then return false end\n"
            + "return redis.call('HGET', KEYS[2], ARGV[1])\n";

    /**
     * Records in the change log (KEYS[6]) the tokens {@code ARGV[firstToken]} on as the step to version {@code v} (set
     * by {@link #BUMP_VERSION}), then drops its oldest steps while it holds more than {@code ARGV[limitArg]} tokens. A
     * log that does not end at the version before {@code v} (none yet: a model written by a version without it, or
     * lost; another format; a writer without it changed the counts since) is started afresh at that version.
     */
    private static String logChange(int limitArg, int firstToken) {
        // Runs after the counts changed, so nothing here may fail (a script is not rolled back: an error would report
        // a learning that counted as failed, and a retry would count it twice): a log key of another type, a field or
        // an element not of this format make the log start afresh, as a lost log does.
        return "local ct = redis.call('TYPE', KEYS[6])['ok']\n"
                + "if ct ~= 'list' and ct ~= 'none' then redis.call('DEL', KEYS[6]) end\n"
                + "local lm = redis.call('HMGET', KEYS[3], 'logfrom', 'logformat', 'logtokens', 'logtotal')\n"
                + "local lf = tonumber(lm[1])\n"
                + "local logged = tonumber(lm[3])\n"
                + "local total = tonumber(lm[4]) or 0\n"
                + "if lf == nil or logged == nil or lm[2] ~= '" + CHANGE_LOG_FORMAT + "'"
                + " or lf + redis.call('LLEN', KEYS[6]) ~= v - 1 then\n"
                + "  redis.call('DEL', KEYS[6])\n"
                + "  lf = v - 1\n"
                + "  logged = 0\n"
                + "end\n"
                + "local toks = {}\n"
                + "for i = " + firstToken + ", #ARGV do toks[#toks + 1] = ARGV[i] end\n"
                + "redis.call('RPUSH', KEYS[6], string.format('%.0f:%d:', total, #toks) .. cmsgpack.pack(toks))\n"
                + "total = total + #toks\n"
                + "logged = logged + #toks\n"
                + "local limit = tonumber(ARGV[" + limitArg + "])\n"
                + "while logged > limit do\n"
                + "  local e = redis.call('LPOP', KEYS[6])\n"
                + "  local n = e and tonumber(string.match(e, '^%d+:(%d+):'))\n"
                + "  if not n then\n"
                + "    redis.call('DEL', KEYS[6]); lf = v; logged = 0\n"
                + "  else\n"
                + "    logged = logged - n; lf = lf + 1\n"
                + "  end\n"
                + "end\n"
                + "redis.call('HSET', KEYS[3], 'logfrom', string.format('%.0f', lf), 'logtokens',"
                + " string.format('%.0f', logged), 'logtotal', string.format('%.0f', total), 'logformat', '"
                + CHANGE_LOG_FORMAT + "')\n";
    }

    /** Keys: s, h, m, j, jo, c. ARGV: 1 (spam) or 0, retention seconds, the change log limit, tokens. */
    private static final String LEARN_SCRIPT = DROP_ORPHANED_JOURNAL
            + countMessage(4)
            + logChange(3, 4)
            + "for i = 1, 6 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end\n"
            + "return 1\n";

    /**
     * Counts one message: the tokens from {@code ARGV[firstToken]} on in KEYS[1] (spam, {@code ARGV[1] == '1'}) or
     * KEYS[2] (ham), the message in KEYS[3]; moves the version on (sets {@code v}).
     */
    private static String countMessage(int firstToken) {
        return "local h = KEYS[1]\n"
                + "if ARGV[1] == '0' then h = KEYS[2] end\n"
                + "for i = " + firstToken + ", #ARGV do redis.call('HINCRBY', h, ARGV[i], 1) end\n"
                + "if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[3], 'spam', 1)"
                + " else redis.call('HINCRBY', KEYS[3], 'ham', 1) end\n"
                + BUMP_VERSION;
    }

    /**
     * Reads the journal record (KEYS[4]) of the message key {@code ARGV[keyArg]} into {@code rec}, its label into
     * {@code l} ({@code s} or {@code h}) and its count into {@code n}; all nil when there is none. A malformed record
     * ends the script with an error, before anything is written.
     */
    private static String readRecord(int keyArg) {
        return "local rec = redis.call('HGET', KEYS[4], ARGV[" + keyArg + "])\n"
                + "local l, n\n"
                + "if rec then\n"
                + "  l, n = string.match(rec, '^([sh]):(%d+)$')\n"
                + "  if not l then return redis.error_reply('malformed learn journal record ' .. rec) end\n"
                + "end\n";
    }

    /**
     * Keys: s, h, m, j, jo, c. ARGV: 1 (spam) or 0, retention seconds, the message's key, the journal limit, the
     * change log limit, tokens. Returns 0 (nothing changed) if the journal records the key with the other label.
     */
    private static final String LEARN_KEYED_SCRIPT = DROP_ORPHANED_JOURNAL
            + "local label = 'h'\n"
            + "if ARGV[1] == '1' then label = 's' end\n"
            + readRecord(3)
            + "if rec and l ~= label then return 0 end\n"
            + "local times = 0\n"
            + "if rec then times = tonumber(n) end\n"
            + countMessage(6)
            + logChange(5, 6)
            // the order lost (an evicted or deleted :jo) while the records survive: rebuild it, every record oldest,
            // or the records would never be dropped again and the journal would grow past its bound
            + "if redis.call('EXISTS', KEYS[5]) == 0 then\n"
            + "  local ks = redis.call('HKEYS', KEYS[4])\n"
            + "  for i = 1, #ks do redis.call('ZADD', KEYS[5], 0, ks[i]) end\n"
            + "end\n"
            + "redis.call('HSET', KEYS[4], ARGV[3], label .. ':' .. string.format('%d', times + 1))\n"
            + "redis.call('ZADD', KEYS[5], v, ARGV[3])\n"
            + "local over = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[4])\n"
            + "if over > 0 then\n"
            + "  local old = redis.call('ZPOPMIN', KEYS[5], over)\n"
            + "  for i = 1, #old, 2 do redis.call('HDEL', KEYS[4], old[i]) end\n"
            + "end\n"
            + "for i = 1, 6 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end\n"
            + "return 1\n";

    /**
     * Keys: s, h, m, j, jo, c. ARGV: retention seconds, the message's key, the change log limit, tokens. Returns the
     * record forgotten, or nil if the journal has none (nothing changed).
     */
    private static final String UNLEARN_SCRIPT = DROP_ORPHANED_JOURNAL
            + readRecord(2)
            + "if not rec then return nil end\n"
            + "local times = tonumber(n)\n"
            + "local h = KEYS[1]\n"
            + "local field = 'spam'\n"
            + "if l == 'h' then h = KEYS[2]; field = 'ham' end\n"
            + "for i = 4, #ARGV do\n"
            + "  if redis.call('HINCRBY', h, ARGV[i], -times) <= 0 then redis.call('HDEL', h, ARGV[i]) end\n"
            + "end\n"
            + "if redis.call('HINCRBY', KEYS[3], field, -times) < 0 then redis.call('HSET', KEYS[3], field, 0) end\n"
            + BUMP_VERSION
            + logChange(3, 4)
            + "redis.call('HDEL', KEYS[4], ARGV[2])\n"
            + "redis.call('ZREM', KEYS[5], ARGV[2])\n"
            + "for i = 1, 6 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end\n"
            + "return rec\n";

    /**
     * Keys: s, h, m, c. ARGV: the version the caller holds, the most token changes to read. Returns {@code {'delta',
     * version, spam, ham, token, spam count, ham count, ...}} with the counts now of every token the log records as
     * changed after that version, or {@code {'full', reason}} when the log cannot say or holds more changes since than
     * that (a whole read pages through the model, where this script would hold the server for all of them at once).
     * Reads only: its cost is that of the changes, not the model's.
     */
    private static final String CHANGES_SCRIPT = "local BAD = 'the change log holds what is not of its format (a hand"
            + " edit?)'\n"
            + "local m = redis.call('HMGET', KEYS[3], 'version', 'spam', 'ham',"
            + " 'logfrom', 'logformat', 'logtotal')\n"
            + "local cur = tonumber(m[1]) or 0\n"
            + "local since = tonumber(ARGV[1])\n"
            + "if since > cur then return {'full', 'the store is at version ' .. (m[1] or '0') .. ', before '"
            + " .. ARGV[1] .. ': it lost learned data'} end\n"
            + "local out = {'delta', m[1] or '0', m[2] or '0', m[3] or '0'}\n"
            + "if since == cur then return out end\n"
            + "if not m[4] or not m[6] then return {'full', 'the model has no change log yet (written by a version without one)'}"
            + " end\n"
            + "if m[5] ~= '" + CHANGE_LOG_FORMAT + "' then return {'full', 'the change log has another format ('"
            + " .. tostring(m[5]) .. ')'} end\n"
            + "local lf = tonumber(m[4])\n"
            + "local ct = redis.call('TYPE', KEYS[4])['ok']\n"
            + "if not lf or (ct ~= 'list' and ct ~= 'none') then return {'full', BAD} end\n"
            + "if lf + redis.call('LLEN', KEYS[4]) ~= cur then return {'full', 'the change log ends before version '"
            + " .. m[1] .. ' (lost, or a writer without one changed the model)'} end\n"
            + "if since < lf then return {'full', 'the change log starts after version ' .. m[4] .. ', after '"
            + " .. ARGV[1]} end\n"
            + "local first = redis.call('LINDEX', KEYS[4], since - lf)\n"
            + "local before = first and tonumber(string.match(first, '^(%d+):%d+:'))\n"
            + "if not before or not tonumber(m[6]) then return {'full', BAD} end\n"
            + "local changed = tonumber(m[6]) - before\n"
            + "if changed > tonumber(ARGV[2]) then return {'full', string.format('%d', changed) .. ' token changes since"
            + " version ' .. ARGV[1] .. ', more than ' .. ARGV[2] .. ' read at once'} end\n"
            + "local seen = {}\n"
            + "local list = {}\n"
            + "for _, e in ipairs(redis.call('LRANGE', KEYS[4], since - lf, -1)) do\n"
            + "  local at = select(2, string.find(e, '^%d+:%d+:'))\n"
            + "  if not at then return {'full', BAD} end\n"
            + "  local ok, toks = pcall(cmsgpack.unpack, string.sub(e, at + 1))\n"
            + "  if not ok or type(toks) ~= 'table' then return {'full', BAD} end\n"
            + "  for _, t in ipairs(toks) do\n"
            + "    if type(t) ~= 'string' then return {'full', BAD} end\n"
            + "    if not seen[t] then seen[t] = true; list[#list + 1] = t end\n"
            + "  end\n"
            + "end\n"
            + "for i = 1, #list, 500 do\n"
            + "  local j = math.min(i + 499, #list)\n"
            + "  local s = redis.call('HMGET', KEYS[1], unpack(list, i, j))\n"
            + "  local h = redis.call('HMGET', KEYS[2], unpack(list, i, j))\n"
            + "  for k = 1, j - i + 1 do\n"
            + "    out[#out + 1] = list[i + k - 1]; out[#out + 1] = s[k] or '0'; out[#out + 1] = h[k] or '0'\n"
            + "  end\n"
            + "end\n"
            + "return out\n";

    /**
     * Keys: the node's hash, the day's set of nodes, the node's publisher key. ARGV: the node, retention seconds, this
     * store's token, then counter name and value pairs. Returns the token that published the hash before, or 1.
     */
    private static final String COUNTERS_SCRIPT = "local before = redis.call('GET', KEYS[3])\n"
            + "redis.call('DEL', KEYS[1])\n"
            + "redis.call('SADD', KEYS[2], ARGV[1])\n"
            + "for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end\n"
            + "redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[2])\n"
            + "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
            + "redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
            + "if before then return before end\n"
            + "return 1\n";

    /** How often verdicts refused for their signature are logged again: every minute while they come. */
    static final long REFUSED_WARNING_NANOS = Duration.ofMinutes(1).toNanos();

    /** Why a verdict whose tag does not verify is refused, in its WARN line. */
    private static final String UNVERIFIED =
            "is unsigned or its signature does not verify with verdict-key (or verdict-key-previous)";

    /**
     * How far past its signed expiry a verdict may be read without being counted as refused: 5 s, for nodes whose
     * clocks disagree a little (it is a miss all the same). Later than that, it was kept or stored again on purpose.
     */
    static final Duration EXPIRY_SKEW = Duration.ofSeconds(5);

    /** How often a node name published by two processes is logged again: every hour while it lasts. */
    private static final long SHARED_NAME_WARNING_NANOS = Duration.ofHours(1).toNanos();

    private final RedisUrl url;
    private final Duration callTimeout;
    private final Supplier<UnifiedJedis> connect;
    private final SentinelMasterProvider sentinel;
    private final Object connectLock = new Object();
    private volatile UnifiedJedis client;
    private final String prefix;
    private volatile int journalLimit = JOURNAL_LIMIT;
    private volatile int changeLogLimit = CHANGE_LOG_LIMIT;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Whether a call was ever answered (a server that answered in plain text wants no TLS). */
    private volatile boolean answered;

    /** Signs and checks verdicts, when the URL names a secret ({@code verdict-key=}). */
    private final Optional<VerdictSigner> signer;
    /** The wall clock a signed verdict's expiry is set and checked with. */
    private final Clock clock;
    /** Verdicts read that were unsigned or wrongly signed, since this state was opened. */
    private final AtomicLong refusedVerdicts = new AtomicLong();
    /**
     * The value last refused at each of the {@link #SEEN_KEYS} keys refused most recently: the node reads a key again
     * after it took the scan lease, and the same value read again is not counted again, also when other keys (the
     * message's other scanners', other messages') were refused in between; forgotten when this node stores its own
     * verdict there.
     */
    private final SeenValues lastRefused = new SeenValues();
    /** When verdicts refused were last logged, and how many had been refused then. */
    private final WarningGate refusedWarning = new WarningGate(Duration.ofNanos(REFUSED_WARNING_NANOS));
    /**
     * Verdicts read that could not be read (a bad expiry on a node without a secret, a text no version writes, another
     * type), since this state was opened; logged as refused ones are, at most once a minute.
     */
    private final AtomicLong unreadableVerdicts = new AtomicLong();
    /**
     * The value (or reason, for a key of another type) last found unreadable at each key: as for {@link #lastRefused},
     * the same value read again after the scan lease is one unreadable verdict, not two.
     */
    private final SeenValues lastUnreadable = new SeenValues();

    private final WarningGate unreadableWarning = new WarningGate(Duration.ofNanos(REFUSED_WARNING_NANOS));

    private final VerdictStore verdicts = new Verdicts();
    private final RateLimiter limiter = new Limiter();
    private final CounterStore counters = new Counters();
    private final TokenStore tokens = new Tokens();

    private RedisSharedState(
            RedisUrl url,
            Duration callTimeout,
            Supplier<UnifiedJedis> connect,
            SentinelMasterProvider sentinel,
            Optional<VerdictSigner> signer,
            Clock clock) {
        this.url = url;
        this.signer = signer;
        this.clock = clock;
        this.callTimeout = callTimeout;
        this.connect = connect;
        this.sentinel = sentinel;
        this.prefix = url.prefix();
    }

    /**
     * Opens a client for the URL. No connection is made yet, for any form: a node starts while Redis, its Sentinels or
     * its cluster are down. A Sentinel client locates the master at its first call, again after a failed call, and
     * every second once it knows one; a cluster client reads the slot map at its first call.
     *
     * @param url the parsed URL
     * @param callTimeout the bound on connecting, on each reply and on waiting for a pooled connection; positive
     * @return the state
     * @throws IllegalArgumentException if the timeout is not positive, or the CA file or a verdict key file cannot be
     *     read or is not of its form (the message names the parameter and the file)
     */
    public static RedisSharedState open(RedisUrl url, Duration callTimeout) {
        return open(url, callTimeout, Clock.systemUTC());
    }

    /** {@link #open(RedisUrl, Duration)} with the clock signed verdicts' expiries are set and checked with. */
    static RedisSharedState open(RedisUrl url, Duration callTimeout, Clock clock) {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(clock, "clock");
        Checks.requirePositive(callTimeout, "callTimeout");
        // read here, as the CA file is: a bad key file is an error of open() (and so of --check), not of every call
        Optional<VerdictSigner> signer = url.verdictKey().map(k -> VerdictSigner.read(k, url.previousVerdictKey()));
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, callTimeout.toMillis()));
        DefaultJedisClientConfig.Builder cfg = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(ms)
                .socketTimeoutMillis(ms)
                .clientName("mail-hygiene");
        url.user().ifPresent(cfg::user);
        url.password().ifPresent(cfg::password);
        if (!url.cluster()) {
            cfg.database(url.database());
        }
        // One socket factory for every connection: the CA file is read once, here, so an unreadable one is an error of
        // open(), not of every call.
        SSLSocketFactory tlsFactory = !url.tls()
                ? null
                : new TlsSockets(
                        url.caCertificates().isPresent()
                                ? trusting(url)
                                : (SSLSocketFactory) SSLSocketFactory.getDefault());
        withTls(cfg, url, tlsFactory);
        JedisClientConfig config = cfg.build();
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(64);
        pool.setMaxIdle(64);
        pool.setMinIdle(0);
        pool.setMaxWait(callTimeout);
        pool.setBlockWhenExhausted(true);
        pool.setJmxEnabled(false);
        DefaultJedisClientConfig.Builder sentinelCfg = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(ms)
                .socketTimeoutMillis(ms)
                .clientName("mail-hygiene");
        url.sentinelUser().ifPresent(sentinelCfg::user);
        url.sentinelPassword().ifPresent(sentinelCfg::password);
        // rediss-sentinel: the Sentinels are asked over TLS too (a Sentinel with tls-port and port 0, as the master
        // has). One scheme for both hops: a site encrypts its Redis traffic or not (docs/cluster.md, TLS).
        withTls(sentinelCfg, url, tlsFactory);
        JedisClientConfig sentinelConfig = sentinelCfg.build();
        // No client here connects before its first call: a node starts (and --check passes) while Redis, its
        // Sentinels or its cluster are down, and the guard probes them later like any other outage.
        Supplier<UnifiedJedis> client;
        SentinelMasterProvider sentinel = null;
        switch (url.viaSentinel() ? "sentinel" : url.cluster() ? "cluster" : "standalone") {
            case "sentinel" -> {
                List<HostAndPort> sentinels = new ArrayList<>();
                url.hosts().forEach(h -> sentinels.add(new HostAndPort(h.host(), h.port())));
                SentinelMasterProvider p =
                        new SentinelMasterProvider(url.master().orElseThrow(), sentinels, config, sentinelConfig, pool);
                sentinel = p;
                UnifiedJedis j = new UnifiedJedis(p, RedisProtocol.RESP2) {};
                client = () -> j;
            }
            case "cluster" -> {
                Set<HostAndPort> nodes = new LinkedHashSet<>();
                url.hosts().forEach(h -> nodes.add(new HostAndPort(h.host(), h.port())));
                // JedisCluster reads the slot map from a seed in its constructor: made at the first call instead
                client = () -> new JedisCluster(nodes, config, 2, callTimeout.multipliedBy(2), pool);
            }
            default -> {
                RedisUrl.Endpoint e = url.hosts().get(0);
                UnifiedJedis j = new JedisPooled(pool, new HostAndPort(e.host(), e.port()), config);
                client = () -> j;
            }
        }
        return new RedisSharedState(url, callTimeout, client, sentinel, signer, clock);
    }

    /**
     * Turns TLS on in {@code cfg} for a TLS URL: the server's certificate must be trusted (by {@code factory}: the
     * CAs of {@code ?cacert=}, or the JVM's store) and must name the host the connection was made to.
     */
    private static void withTls(DefaultJedisClientConfig.Builder cfg, RedisUrl url, SSLSocketFactory factory) {
        if (!url.tls()) {
            return;
        }
        cfg.ssl(true);
        // Jedis checks no host name by itself: without this any certificate a trusted CA signed, for any name,
        // was accepted, so a man in the middle could read the password and serve verdicts of its own.
        SSLParameters params = new SSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        cfg.sslParameters(params);
        cfg.sslSocketFactory(factory);
    }

    /**
     * The largest {@code cacert=} file read: a CA bundle is some hundred kilobytes (Debian's whole store is 220 KB); a
     * larger file is a wrong path (a log, a disk image), not read into memory.
     */
    static final long MAX_CA_FILE_SIZE = 8L << 20;

    private static SSLSocketFactory trusting(RedisUrl url) {
        java.nio.file.Path file = url.caCertificates().orElseThrow();
        String what = "CA certificates";
        byte[] pem = SmallFiles.read(what, file, MAX_CA_FILE_SIZE);
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int n = 0;
            Collection<? extends Certificate> all;
            try {
                all = CertificateFactory.getInstance("X.509")
                        .generateCertificates(new java.io.ByteArrayInputStream(pem));
            } catch (java.security.cert.CertificateException e) {
                throw SmallFiles.unreadable(what, file, "not a PEM file of certificates (" + e.getMessage() + ")", e);
            }
            for (Certificate c : all) {
                ks.setCertificateEntry("ca-" + n++, c);
            }
            if (n == 0) {
                throw new IllegalArgumentException("no certificate in " + file);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw SmallFiles.unreadable(what, file, e.getMessage(), e);
        }
    }

    /**
     * Opens a client for a URL string.
     *
     * @param url the URL (see {@link RedisUrl})
     * @param callTimeout the bound on every call
     * @return the state
     * @throws IllegalArgumentException if the URL is malformed
     */
    public static RedisSharedState open(String url, Duration callTimeout) {
        return open(RedisUrl.parse(url), callTimeout);
    }

    /**
     * The parsed URL.
     *
     * @return the URL
     */
    public RedisUrl url() {
        return url;
    }

    /**
     * The bound on every call.
     *
     * @return the timeout
     */
    public Duration callTimeout() {
        return callTimeout;
    }

    @Override
    public String description() {
        return url.redacted();
    }

    @Override
    public VerdictStore verdicts() {
        return verdicts;
    }

    @Override
    public RateLimiter limiter() {
        return limiter;
    }

    @Override
    public CounterStore counters() {
        return counters;
    }

    @Override
    public TokenStore tokens() {
        return tokens;
    }

    @Override
    public void ping() throws SharedStateException {
        call("PING", () -> jedis().ping());
    }

    /** How long a check key written by {@link #writeRefusal()} lives if its DEL never arrives: 10 s. */
    static final long CHECK_KEY_TTL_MS = 10_000;

    /** Deletes the check key from a script: a user who may write but not run scripts fails here, as the node would. */
    private static final String CHECK_SCRIPT = "return redis.call('DEL', KEYS[1])\n";

    /**
     * The server's refusals that a configuration (or the server's) must change, as opposed to an outage: the error
     * codes of a read-only replica, a full store under {@code noeviction}, a store that cannot persist, an ACL denial,
     * authentication failures (Redis 6 and later say {@code NOAUTH}/{@code WRONGPASS}, older ones {@code ERR}), and a
     * database number the server does not have (the URL's {@code /16} on a server with the default 16 databases).
     */
    private static final Pattern REFUSAL = Pattern.compile("\\b(READONLY|OOM|MISCONF|NOPERM|NOAUTH|WRONGPASS)\\b"
            + "|ERR (?:AUTH|invalid password|invalid username|Client sent AUTH)|ERR (DB) index is out of range");

    /**
     * {@inheritDoc}
     *
     * <p>Writes {@code PREFIXcheck:...} with {@code SET ... PX 10000} and deletes it with a one-line Lua script, on
     * the server the node writes to: the address of a {@code redis://} URL, the master the Sentinels name, and for a
     * cluster every master of the slot map (one key in a slot of each). So the probe needs what the node needs: the
     * write and script commands, on keys under the URL's prefix. A refusal says which of read-only replica, full store
     * ({@code maxmemory} under {@code noeviction}), ACL denial or wrong credentials it is, with the server's words; a
     * server that answers as no Redis does (another service on that port: a TCP echo, an SMTP or HTTP server) is a
     * refusal too, saying so; a master name no Sentinel knows or an unreachable server is an exception, as for
     * {@link #ping()}.
     */
    @Override
    public Optional<String> writeRefusal() throws SharedStateException {
        Map<String, String> targets;
        try {
            targets = checkKeys();
        } catch (NotRedisException e) {
            return Optional.of(e.getMessage()); // a cluster seed that is another service
        }
        for (Map.Entry<String, String> target : targets.entrySet()) {
            String key = target.getKey();
            String on = target.getValue();
            try {
                call(
                        "SET" + on,
                        List.of(key),
                        () -> jedis().set(key, "check", SetParams.setParams().px(CHECK_KEY_TTL_MS)));
                integerReply(
                        "EVAL" + on,
                        call("EVAL" + on, List.of(key), () -> jedis().eval(CHECK_SCRIPT, List.of(key), List.of())));
            } catch (NotRedisException e) {
                // answered, but not as Redis: another service on that port, which no wait will make a store
                return Optional.of(e.getMessage());
            } catch (SharedStateException e) {
                Matcher m = REFUSAL.matcher(e.getMessage());
                if (!m.find()) {
                    throw e;
                }
                String code = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : "AUTH";
                return Optional.of(e.getMessage() + " (" + refusalHint(code) + ")");
            }
        }
        return Optional.empty();
    }

    private String refusalHint(String code) {
        return switch (code) {
            case "READONLY" ->
                "the server is a read-only replica: name its master, or the Sentinels with" + " redis-sentinel://";
            case "OOM" ->
                "the server is at its maxmemory and its maxmemory-policy (noeviction) refuses writes: raise"
                        + " maxmemory or free memory; redis-cli info memory shows used_memory";
            case "MISCONF" -> "the server refuses writes since it cannot save its data: see its log";
            case "DB" ->
                "the server has no database of the URL's number (/" + url.database() + "): name one below its"
                        + " databases setting (16 by default: 0 to 15), or raise that setting";
            case "NOPERM" ->
                "the URL's ACL user lacks a permission the node needs: allow it the write and script"
                        + " commands (+@write +@read +@scripting) on the keys ~" + prefix + "*";
            default ->
                "the URL's user name or password is wrong or missing: redis://USER:PASSWORD@HOST, the password"
                        + " percent-encoded";
        };
    }

    /**
     * The keys {@link #writeRefusal()} writes, each with the server it goes to for the error message: one key for a
     * single server or a Sentinel's master; for a cluster one key in a slot of each master of the slot map.
     */
    private Map<String, String> checkKeys() throws SharedStateException {
        String base = prefix + "check:" + UUID.randomUUID();
        Map<String, String> keys = new LinkedHashMap<>();
        if (!url.cluster()) {
            keys.put(base, " (check key " + base + ")");
            return keys;
        }
        Object slots = call("CLUSTER SLOTS", () -> jedis().sendCommand(base, Protocol.Command.CLUSTER, "SLOTS"));
        Map<String, int[]> masters = new LinkedHashMap<>();
        if (slots instanceof List<?> ranges) {
            for (Object r : ranges) {
                if (r instanceof List<?> range
                        && range.size() >= 3
                        && range.get(0) instanceof Long from
                        && range.get(1) instanceof Long to
                        && range.get(2) instanceof List<?> master
                        && master.size() >= 2) {
                    String host = master.get(0) instanceof byte[] b
                            ? new String(b, StandardCharsets.UTF_8)
                            : String.valueOf(master.get(0));
                    masters.putIfAbsent(
                            HostAndPort.from(host + ":" + master.get(1)).toString(),
                            new int[] {from.intValue(), to.intValue()});
                }
            }
        }
        if (masters.isEmpty()) {
            throw new SharedStateException(url.redacted() + ": CLUSTER SLOTS named no master: " + slots);
        }
        for (Map.Entry<String, int[]> m : masters.entrySet()) {
            int from = m.getValue()[0];
            int to = m.getValue()[1];
            // a hash tag whose slot is the master's: found by trying tags (16,384 slots, so some thousands of tries at
            // most for a master with a single slot; CRC16 of a short key takes well under a microsecond)
            for (int i = 0; i < 10_000_000; i++) {
                String key = base + ":{" + i + "}";
                int slot = JedisClusterCRC16.getSlot(key);
                if (slot >= from && slot <= to) {
                    keys.put(key, " (check key " + key + ") on the master " + m.getKey());
                    break;
                }
            }
        }
        return keys;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            synchronized (connectLock) {
                if (client != null) {
                    client.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "RedisSharedState[" + url.redacted() + "]";
    }

    /**
     * Sets how many messages each model's learn journal keeps (tests use a small number); default
     * {@value #JOURNAL_LIMIT}.
     *
     * @param limit at least 1
     * @return this state
     */
    RedisSharedState journalLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        this.journalLimit = limit;
        return this;
    }

    /**
     * Sets how many token changes each model's change log keeps (tests use a small number); default {@value
     * #CHANGE_LOG_LIMIT}.
     *
     * @param limit at least 0
     * @return this state
     */
    RedisSharedState changeLogLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, was " + limit);
        }
        this.changeLogLimit = limit;
        return this;
    }

    /**
     * The client, made at the first call (a cluster client reads the slot map then); a failure to make it is that
     * call's failure, and the next call tries again.
     */
    private UnifiedJedis jedis() {
        UnifiedJedis c = client;
        if (c != null) {
            return c;
        }
        synchronized (connectLock) {
            if (client == null) {
                if (closed.get()) {
                    throw new IllegalStateException("closed");
                }
                client = connect.get();
            }
            return client;
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run();
    }

    /**
     * Runs an idempotent command: a connection found broken (a pooled connection to a server that restarted since)
     * is replaced and the command sent once more.
     */
    private <T> T call(String what, Call<T> c) throws SharedStateException {
        return call(what, List.of(), c);
    }

    /**
     * {@link #call(String, Call)} for a command on {@code keys}: a key of another type is named in the error, so that
     * it can be repaired or deleted.
     */
    private <T> T call(String what, List<String> keys, Call<T> c) throws SharedStateException {
        try {
            return once(what, keys, c);
        } catch (SharedStateException e) {
            if (e.getCause() instanceof JedisConnectionException && !closed.get()) {
                // once() has closed the other idle connections: this is sent on a new one
                return once(what, keys, c);
            }
            throw e;
        }
    }

    /**
     * Closes the pool's idle connections after one was found broken. They were opened to the same server process:
     * after a restart (or a failover that moved the address) every one of them is as dead, and a pool of 64 left
     * as it was made the calls after the restart find them one at a time. The guard's probe, one call a second and
     * then every 30 s, each failing on the next stale connection, kept a node off a restarted Redis for many
     * minutes under load (seen with two relay nodes and a {@code kill -9}). Connections in use are left to their
     * callers: a broken one is dropped when it fails.
     */
    private void discardIdleConnections() {
        UnifiedJedis c = client;
        try {
            if (c instanceof JedisPooled p) {
                p.getPool().clear();
            } else if (c instanceof JedisCluster cluster) {
                cluster.getClusterNodes().values().forEach(ConnectionPool::clear);
            } else if (sentinel != null) {
                sentinel.discardIdle();
            }
        } catch (RuntimeException e) {
            // closing sockets that are dead already: nothing to report beyond the call's own failure
            LOG.debug("{}: discarding idle connections failed: {}", url.redacted(), e.toString());
        }
    }

    /** Runs a command that must not be repeated (it may have taken effect before its reply was lost). */
    private <T> T once(String what, Call<T> c) throws SharedStateException {
        return once(what, List.of(), c);
    }

    /** {@link #once(String, Call)} for a command on {@code keys}, named when one of them holds another type. */
    private <T> T once(String what, List<String> keys, Call<T> c) throws SharedStateException {
        if (closed.get()) {
            throw new SharedStateException(url.redacted() + ": closed");
        }
        try {
            T r = c.run();
            if (!answered) {
                answered = true;
            }
            return r;
        } catch (JedisDataException e) {
            if (sentinel != null
                    && e.getMessage() != null
                    && MASTER_GONE.matcher(e.getMessage()).lookingAt()) {
                // the master we use was demoted (a failover we did not see fail) or is not serving: ask again
                sentinel.invalidate();
            }
            if (e.getMessage() != null && e.getMessage().startsWith("WRONGTYPE")) {
                // the server answered: one of our keys holds another type (a hand edit, another program), no outage
                throw new SharedDataException(
                        url.redacted() + ": " + what + " failed: " + e.getMessage()
                                + (keys.isEmpty()
                                        ? " (one of our keys holds another type; repair or delete it)"
                                        : keys.size() == 1
                                                ? " (" + keys.get(0)
                                                        + " holds another type; repair or delete it: redis-cli del "
                                                        + keys.get(0) + ")"
                                                : " (one of " + String.join(", ", keys)
                                                        + " holds another type; repair or delete it: redis-cli type KEY,"
                                                        + " redis-cli del KEY)"),
                        e);
            }
            throw new SharedStateException(url.redacted() + ": " + what + " failed: " + describe(e), e);
        } catch (RuntimeException e) {
            // JedisException and its subclasses, pool exhaustion (NoSuchElementException), decoding errors.
            if (e instanceof JedisConnectionException) {
                if (sentinel != null) {
                    sentinel.invalidate();
                }
                discardIdleConnections();
            }
            if (notRedis(e, 0)) {
                throw new NotRedisException(
                        url.redacted() + ": " + what + " failed: "
                                + (e instanceof ClassCastException
                                        ? "the server's reply is of a type Redis does not give to it"
                                        : describe(e))
                                + " (" + NOT_REDIS + ")",
                        e);
            }
            throw new SharedStateException(url.redacted() + ": " + what + " failed: " + describe(e), e);
        }
    }

    /**
     * Whether a failure, or one that caused it, is a reply no Redis gives: a reply of another type than the command's
     * (the client's decoder fails on an echo's array for {@code SET}) or a first byte that is no reply type (an SMTP
     * greeting's {@code 2}, an HTTP status line's {@code H}; a cluster client hides it in its own failure).
     */
    private static boolean notRedis(Throwable t, int depth) {
        if (t == null || depth > 4) {
            return false;
        }
        if (t instanceof ClassCastException
                || (t instanceof JedisConnectionException
                        && t.getMessage() != null
                        && t.getMessage().startsWith("Unknown reply"))) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (notRedis(s, depth + 1)) {
                return true;
            }
        }
        return notRedis(t.getCause(), depth + 1);
    }

    /**
     * One line for a failed call. The hint that a port closing the connection may want TLS is for a store that never
     * answered over this URL: one that did speaks plain text, and its closed connections are a restart or a kill
     * (the hint, on every node's outage line after a {@code kill -9}, sent administrators looking at TLS).
     */
    private String describe(RuntimeException e) {
        String text = Failures.describe(e, url.tls() || answered);
        // "Read timed out" alone did not say after how long (a store that accepts and never answers: session 41)
        if (text.contains("timed out")) {
            text += " (the call timeout is " + callTimeout.toMillis() + " ms)";
        }
        return text;
    }

    /**
     * A call answered, but not as Redis answers it: an outage for the node (its own state is used), and for
     * {@link #writeRefusal()} a refusal, since no wait makes another service on that port a store.
     */
    private static final class NotRedisException extends SharedStateException {
        private static final long serialVersionUID = 1L;

        NotRedisException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A script's integer reply. Anything else fails the call: a TCP echo's array read as "no token" refused every
     * client with 421, and read as success made the echo "reachable" again at each statistics flush.
     */
    private long integerReply(String what, Object reply) throws NotRedisException {
        if (reply instanceof Long n) {
            return n;
        }
        throw notRedis(what, reply, "an integer");
    }

    /** A script's reply that is a string or nil (Lua's {@code false}); anything else fails the call. */
    private String stringReply(String what, Object reply) throws NotRedisException {
        if (reply == null || reply instanceof String) {
            return (String) reply;
        }
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        throw notRedis(what, reply, "a string or nil");
    }

    private NotRedisException notRedis(String what, Object reply, String expected) {
        String got = reply == null
                ? "nil"
                : reply instanceof List<?> ? "an array" : reply instanceof Long ? "an integer" : "a string";
        return new NotRedisException(
                url.redacted() + ": " + what + " failed: the server answered with " + got + " where Redis answers "
                        + expected + " (" + NOT_REDIS + ")",
                null);
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }

    private String verdictKey(String kind, String identity, String sha256) {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(sha256, "sha256");
        return prefix + kind + ":" + sha256 + ":" + sha256Hex(identity).substring(0, 32);
    }

    private static long positiveMillis(Duration d, String what) {
        Checks.requirePositive(d, what);
        return Math.max(1, d.toMillis());
    }

    private final class Verdicts implements VerdictStore {
        @Override
        public Optional<Verdict> get(String identity, String sha256) throws SharedStateException {
            return find(identity, sha256).map(Found::verdict);
        }

        /**
         * The verdict and the time left to its expiry: for a value that carries one ({@code mhs2}, signed or read
         * unchecked by a node without a secret), by this state's clock; for a value without one (written by a node
         * without a secret), the key's own time to live ({@code PTTL}, one more round trip on such a hit), none if
         * it has none, and a miss if the key is gone by then. A {@code PTTL} the server refuses after it answered the
         * {@code GET} (an ACL user without it) is a {@link SharedDataException}, unusable data and no outage; a lost
         * connection is a {@link SharedStateException} as for any call.
         */
        @Override
        public Optional<Found> find(String identity, String sha256) throws SharedStateException {
            String key = verdictKey("v", identity, sha256);
            String s;
            try {
                s = call("GET", List.of(key), () -> jedis().get(key));
            } catch (SharedDataException e) {
                // Not a string (written by hand or by something else; once() tells the server's WRONGTYPE): a miss;
                // the next verdict stored replaces it.
                unreadable(key, null, "it is not a string (wrong type)");
                return Optional.empty();
            }
            if (s == null) {
                return Optional.empty();
            }
            Optional<VerdictSigner.Signed> read;
            if (signer.isPresent()) {
                read = signer.get().verify(key, s);
                if (read.isEmpty()) {
                    refused(
                            key,
                            s,
                            VerdictSigner.oldFormat(s)
                                    ? "is signed in the format of a version before expiries were signed ("
                                            + VerdictSigner.OLD_TAG.strip() + ", written by a node not yet upgraded)"
                                    : UNVERIFIED);
                    return Optional.empty();
                }
            } else {
                read = VerdictSigner.withoutTag(s);
                if (read.isEmpty()) {
                    unreadable(key, s, "bad signed expiry");
                    return Optional.empty();
                }
            }
            long expiresAt = read.get().expiresAtMillis();
            long late = clock.millis() - expiresAt;
            if (late >= 0) {
                // Redis should have dropped it: kept by PERSIST, stored again after it expired, or the writer's clock
                // is behind this node's. A miss either way; counted when it is later than clocks disagree by.
                if (signer.isPresent() && late > EXPIRY_SKEW.toMillis()) {
                    refused(
                            key,
                            s,
                            "is past the expiry it was signed with by "
                                    + Duration.ofMillis(late).toSeconds()
                                    + " s (kept with PERSIST or stored again after it expired, or a node's clock is wrong)");
                }
                return Optional.empty();
            }
            String text = read.get().verdict();
            Verdict verdict;
            try {
                verdict = VerdictCodec.decode(text);
            } catch (RuntimeException e) {
                // The store answered, so this is no outage: an unreadable verdict (another version's format, a hand
                // edit) is a miss, never a clean result, and the verdict of the scan that follows replaces it.
                unreadable(key, s, e.getMessage());
                return Optional.empty();
            }
            if (expiresAt != Long.MAX_VALUE) {
                return Optional.of(new Found(verdict, Optional.of(Duration.ofMillis(-late))));
            }
            // no expiry in the value: the key's own, so that the local cache does not keep it longer than Redis does
            long pttl;
            try {
                pttl = call("PTTL", List.of(key), () -> jedis().pttl(key));
            } catch (SharedStateException e) {
                if (e instanceof SharedDataException
                        || e instanceof NotRedisException
                        || !(e.getCause() instanceof JedisDataException)) {
                    throw e; // a connection lost or timed out, a server that is no Redis: an outage as before
                }
                // The server answered the GET and refused the PTTL (an ACL without it, a command renamed away): no
                // outage, and until session 54 the guard took it for one at every such hit. A miss: the message is
                // scanned, as for any verdict it cannot use, and the guard logs it as unusable data.
                throw new SharedDataException(
                        e.getMessage() + " (the verdict at " + key + " was read but not its time to live: taken as a"
                                + " miss, the message is scanned; the node needs PTTL on keys under the prefix)",
                        e);
            }
            if (pttl == -2) {
                // the key expired (or was deleted) between the GET and now: the store no longer holds the verdict, and
                // taken as "no time known" it was kept locally for a whole verdict-cache expiry more
                return Optional.empty();
            }
            return Optional.of(new Found(verdict, pttl > 0 ? Optional.of(Duration.ofMillis(pttl)) : Optional.empty()));
        }

        @Override
        public void put(String identity, String sha256, Verdict verdict, Duration ttl) throws SharedStateException {
            String key = verdictKey("v", identity, sha256);
            String text = VerdictCodec.encode(Objects.requireNonNull(verdict, "verdict"));
            long ms = positiveMillis(ttl, "ttl");
            String value = signer.map(v -> v.sign(key, text, Math.addExact(clock.millis(), ms)))
                    .orElse(text);
            // the value refused there is replaced: the same forgery written again is counted again
            lastRefused.forget(key);
            lastUnreadable.forget(key);
            call(
                    "SET",
                    List.of(key),
                    () -> jedis().set(key, value, SetParams.setParams().px(ms)));
        }

        @Override
        public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                throws SharedStateException {
            String key = verdictKey("l", identity, sha256);
            Objects.requireNonNull(owner, "owner");
            long ms = positiveMillis(lease, "lease");
            return "OK"
                    .equals(call(
                            "SET NX",
                            () -> jedis().set(
                                            key,
                                            owner,
                                            SetParams.setParams().nx().px(ms))));
        }

        @Override
        public boolean leaseHeld(String identity, String sha256) throws SharedStateException {
            String key = verdictKey("l", identity, sha256);
            return call("EXISTS", List.of(key), () -> jedis().exists(key));
        }

        @Override
        public void release(String identity, String sha256, String owner) throws SharedStateException {
            String key = verdictKey("l", identity, sha256);
            Objects.requireNonNull(owner, "owner");
            integerReply(
                    "release",
                    call("release", List.of(key), () -> jedis().eval(RELEASE_SCRIPT, List.of(key), List.of(owner))));
        }

        @Override
        public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                throws SharedStateException {
            String key = verdictKey("l", identity, sha256);
            Objects.requireNonNull(owner, "owner");
            long ms = positiveMillis(lease, "lease");
            Object r = call(
                    "renew",
                    List.of(key),
                    () -> jedis().eval(RENEW_SCRIPT, List.of(key), List.of(owner, Long.toString(ms))));
            return integerReply("renew", r) == 1L;
        }
    }

    /**
     * Counts a verdict refused for its signature (unsigned, signed with another secret, or moved from another key: a
     * miss, so the node scans) and logs it at WARN, at most once a {@link #REFUSED_WARNING_NANOS minute}, with how
     * many came since the last WARN. The value just refused at the same key, read again, is not counted again.
     */
    private void refused(String key, String stored, String why) {
        if (lastRefused.seenAgain(key, stored)) {
            return; // the same value read again (after taking the scan lease): one refused verdict, counted once
        }
        long total = refusedVerdicts.incrementAndGet();
        long since = refusedWarning.pass(total);
        if (since > 0) {
            LOG.warn(
                    "{}: verdict at {} {}: taken as a miss, the message is scanned; {} such since the last"
                            + " warning, {} in all (a node with another secret or none writes there, or a client"
                            + " that can write under the prefix does; logged again in a minute if it lasts)",
                    url.redacted(),
                    key,
                    why,
                    since,
                    total);
        }
    }

    /**
     * Logs a verdict that could not be read (a miss: the node scans, and its verdict replaces the value) at WARN, at
     * most once a {@link #REFUSED_WARNING_NANOS minute}, with how many came since the last WARN: a node reads the key
     * of every message of that content, and logged each one until session 53. The value just found unreadable at the
     * same key, read again after the scan lease, is not counted again (until session 54 each message counted twice).
     *
     * @param stored the value read, or {@code null} for a key of another type (then the reason tells it apart)
     */
    private void unreadable(String key, String stored, String why) {
        if (lastUnreadable.seenAgain(key, stored == null ? "\0" + why : stored)) {
            return;
        }
        long total = unreadableVerdicts.incrementAndGet();
        long since = unreadableWarning.pass(total);
        if (since > 0) {
            LOG.warn(
                    "{}: unreadable verdict at {} taken as a miss, the message is scanned: {}; {} such since the last"
                            + " warning, {} in all (logged again in a minute if it lasts)",
                    url.redacted(),
                    key,
                    why,
                    since,
                    total);
        }
    }

    /** How many keys {@link SeenValues} remembers: the most recently refused (or unreadable) ones. */
    static final int SEEN_KEYS = 1024;

    /**
     * The value last seen at each of the {@link #SEEN_KEYS} keys seen most recently (the eldest forgotten first), so
     * that one value read again is counted once. Until session 55 only the last key was kept: a message whose two
     * scanners' verdicts were both refused counted 3 or 4, as the scanners read their keys in turn. A value is
     * remembered by its SHA-256, not as read: whoever can write to Redis chooses the values' size, and 1,024 of them
     * kept as read held as many times that size for as long as the node ran. Thread-safe.
     */
    private static final class SeenValues {
        private final Map<String, String> values = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > SEEN_KEYS;
            }
        };

        /** Whether {@code stored} is the value last seen at {@code key}, remembering it if not. */
        boolean seenAgain(String key, String stored) {
            String digest = sha256Hex(stored); // outside the lock: a value may be large
            synchronized (this) {
                return digest.equals(values.put(key, digest));
            }
        }

        /** Forgets the value seen at {@code key} (this node stored its own there). */
        synchronized void forget(String key) {
            values.remove(key);
        }
    }

    /**
     * How many verdicts read from Redis could not be read (see {@link #unreadable}), counted as {@link
     * #refusedVerdicts()} are: once per value however often it is read. For tests; the count shows in the WARN lines.
     *
     * @return the count
     */
    long unreadableVerdicts() {
        return unreadableVerdicts.get();
    }

    /**
     * How many verdicts read from Redis were refused because they were unsigned, their signature did not verify, they
     * were signed in the format before expiries were signed ({@code mhs1}), or they were read more than {@link
     * #EXPIRY_SKEW} past their signed expiry (each a miss: the node scanned), since this state was opened; a value is
     * counted once however often it is read (a node reads the key again after taking the scan lease) until this node
     * stores its own verdict there. Always 0 without {@code verdict-key=}.
     *
     * @return the count
     */
    @Override
    public long refusedVerdicts() {
        return refusedVerdicts.get();
    }

    private final class Limiter implements RateLimiter {
        @Override
        public boolean tryAcquire(String key, int capacity, Duration window) throws SharedStateException {
            Objects.requireNonNull(key, "key");
            Checks.requireAtLeast(capacity, 1, "capacity");
            long ms = positiveMillis(window, "window");
            String k = prefix + "rl:" + key;
            Object r = once(
                    "rate limit",
                    () -> jedis().eval(
                                    RATE_SCRIPT, List.of(k), List.of(Integer.toString(capacity), Long.toString(ms))));
            return integerReply("rate limit", r) == 1L;
        }
    }

    private final class Counters implements CounterStore {
        /** This store's token in the publisher keys: another one there means another process uses the node's name. */
        private final String token = UUID.randomUUID().toString();
        /** The hashes this store has published (two a day at most are published at once; cleared when it grows). */
        private final Set<String> published = ConcurrentHashMap.newKeySet();

        private final WarningGate sharedNameWarning = new WarningGate(Duration.ofNanos(SHARED_NAME_WARNING_NANOS));

        private String hash(String node, LocalDate day) {
            return prefix + "stats:{" + day + "}:" + node;
        }

        /** Who published a node's hash last, outside the {@code stats:} keys that old readers list and parse. */
        private String publisher(String node, LocalDate day) {
            return prefix + "stats-by:{" + day + "}:" + node;
        }

        private String nodes(LocalDate day) {
            return prefix + "stats:{" + day + "}:nodes";
        }

        @Override
        public void publish(String node, LocalDate day, Map<String, Long> totals) throws SharedStateException {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(day, "day");
            List<String> args = new ArrayList<>();
            args.add(node);
            args.add(Long.toString(RETENTION.toSeconds()));
            args.add(token);
            totals.forEach((name, total) -> {
                if (total != 0) {
                    args.add(name);
                    args.add(Long.toString(total));
                }
            });
            List<String> keys = List.of(hash(node, day), nodes(day), publisher(node, day));
            Object before = call("counters", keys, () -> jedis().eval(COUNTERS_SCRIPT, keys, args));
            if (!(before instanceof Long)) {
                String other = stringReply("counters", before);
                // A restarted node finds its predecessor's token once; a token of another process after this store
                // published the hash itself is a second process publishing under the same name.
                if (published.contains(keys.get(0)) && !token.equals(other)) {
                    if (sharedNameWarning.pass(0) >= 0) {
                        LOG.warn(
                                "{}: another process publishes statistics as node '{}' ({}): two nodes of one name"
                                        + " replace each other's totals at every flush, and hygiene report --redis"
                                        + " shows one of them; give each node its own name (logged again in an hour"
                                        + " if it lasts)",
                                url.redacted(),
                                node,
                                keys.get(0));
                    }
                }
            }
            if (published.size() > 16) {
                published.clear();
            }
            published.add(keys.get(0));
        }

        @Override
        public Map<String, Map<String, Long>> read(LocalDate day) throws SharedStateException {
            Set<String> names = call("SMEMBERS", List.of(nodes(day)), () -> jedis().smembers(nodes(day)));
            Map<String, Map<String, Long>> out = new TreeMap<>();
            for (String node : names) {
                Map<String, String> raw =
                        call("HGETALL", List.of(hash(node, day)), () -> jedis().hgetAll(hash(node, day)));
                Map<String, Long> c = new TreeMap<>();
                for (Map.Entry<String, String> e : raw.entrySet()) {
                    try {
                        c.put(e.getKey(), Long.parseLong(e.getValue()));
                    } catch (NumberFormatException ex) {
                        throw new SharedDataException(
                                url.redacted() + ": counter " + e.getKey() + " of " + node + " in " + hash(node, day)
                                        + " is not a number: '" + e.getValue() + "' (repair or delete it)",
                                ex);
                    }
                }
                out.put(node, c);
            }
            return out;
        }
    }

    private final class Tokens implements TokenStore {
        private List<String> keys(String model) {
            Objects.requireNonNull(model, "model");
            String base = prefix + "bayes:{" + model + "}:";
            return List.of(base + "s", base + "h", base + "m", base + "j", base + "jo", base + "c");
        }

        private static void addTokens(List<String> args, Collection<String> tokens) {
            for (String t : new LinkedHashSet<>(tokens)) {
                args.add(Objects.requireNonNull(t, "token"));
            }
        }

        @Override
        public void learn(String model, Collection<String> tokens, boolean spam) throws SharedStateException {
            List<String> keys = keys(model);
            List<String> args = new ArrayList<>(tokens.size() + 2);
            args.add(spam ? "1" : "0");
            args.add(Long.toString(RETENTION.toSeconds()));
            args.add(Integer.toString(changeLogLimit));
            addTokens(args, tokens);
            integerReply("learn", once("learn", keys, () -> jedis().eval(LEARN_SCRIPT, keys, args)));
        }

        @Override
        public boolean learn(String model, String key, Collection<String> tokens, boolean spam)
                throws SharedStateException {
            List<String> keys = keys(model);
            List<String> args = new ArrayList<>(tokens.size() + 4);
            args.add(spam ? "1" : "0");
            args.add(Long.toString(RETENTION.toSeconds()));
            args.add(TokenStore.checkKey(key));
            args.add(Integer.toString(journalLimit));
            args.add(Integer.toString(changeLogLimit));
            addTokens(args, tokens);
            Object r = once("learn", keys, () -> jedis().eval(LEARN_KEYED_SCRIPT, keys, args));
            return integerReply("learn", r) == 1L;
        }

        @Override
        public Optional<Learned> learned(String model, String key) throws SharedStateException {
            String field = TokenStore.checkKey(key);
            List<String> keys = keys(model);
            List<String> read = List.of(keys.get(2), keys.get(3));
            String rec = stringReply(
                    "learned", call("learned", read, () -> jedis().eval(LEARNED_SCRIPT, read, List.of(field))));
            return rec == null ? Optional.empty() : Optional.of(record(rec));
        }

        @Override
        public Optional<Learned> unlearn(String model, String key, Collection<String> tokens)
                throws SharedStateException {
            List<String> keys = keys(model);
            List<String> args = new ArrayList<>(tokens.size() + 2);
            args.add(Long.toString(RETENTION.toSeconds()));
            args.add(TokenStore.checkKey(key));
            args.add(Integer.toString(changeLogLimit));
            addTokens(args, tokens);
            String r = stringReply("unlearn", once("unlearn", keys, () -> jedis().eval(UNLEARN_SCRIPT, keys, args)));
            return r == null ? Optional.empty() : Optional.of(record(r));
        }

        private Learned record(String rec) throws SharedStateException {
            if (rec.length() > 2 && (rec.startsWith("s:") || rec.startsWith("h:"))) {
                try {
                    int times = Integer.parseInt(rec.substring(2));
                    if (times >= 1) {
                        return new Learned(rec.charAt(0) == 's', times);
                    }
                } catch (NumberFormatException e) {
                    // below
                }
            }
            throw new SharedDataException(url.redacted() + ": malformed learn journal record: " + rec);
        }

        @Override
        public long version(String model) throws SharedStateException {
            String v = call(
                    "HGET",
                    List.of(keys(model).get(2)),
                    () -> jedis().hget(keys(model).get(2), "version"));
            return parse(v, "field version of " + keys(model).get(2));
        }

        private long parse(String v, String what) throws SharedStateException {
            if (v == null) {
                return 0;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new SharedDataException(
                        url.redacted() + ": " + what + " is not a number: '" + v
                                + "' (nothing was changed; repair or delete it)",
                        e);
            }
        }

        @Override
        public Snapshot snapshot(String model) throws SharedStateException {
            List<String> keys = keys(model);
            Map<String, String> meta = call("HGETALL", List.of(keys.get(2)), () -> jedis().hgetAll(keys.get(2)));
            Map<String, long[]> counts = new HashMap<>();
            scan(keys.get(0), counts, 0);
            scan(keys.get(1), counts, 1);
            return new Snapshot(
                    parse(meta.get("version"), "field version of " + keys.get(2)),
                    parse(meta.get("spam"), "field spam of " + keys.get(2)),
                    parse(meta.get("ham"), "field ham of " + keys.get(2)),
                    counts);
        }

        @Override
        public Changes changesSince(String model, long version) throws SharedStateException {
            List<String> keys = keys(model);
            List<String> read = List.of(keys.get(0), keys.get(1), keys.get(2), keys.get(5));
            Object r = call(
                    "changes",
                    read,
                    () -> jedis().eval(
                                    CHANGES_SCRIPT,
                                    read,
                                    List.of(Long.toString(version), Integer.toString(CHANGES_READ_LIMIT))));
            if (!(r instanceof List<?> reply) || reply.isEmpty()) {
                throw notRedis("changes", r, "an array");
            }
            List<String> parts = new ArrayList<>(reply.size());
            for (Object o : reply) {
                parts.add(stringReply("changes", o));
            }
            if (parts.get(0).equals("full") && parts.size() == 2) {
                return new Changes.FullReadNeeded(parts.get(1));
            }
            if (!parts.get(0).equals("delta") || parts.size() % 3 != 1) {
                throw notRedis("changes", r, "the change script's reply");
            }
            Map<String, long[]> counts = new HashMap<>();
            for (int i = 4; i < parts.size(); i += 3) {
                String t = parts.get(i);
                counts.put(t, new long[] {
                    parse(parts.get(i + 1), "the count of token '" + t + "' in " + keys.get(0)),
                    parse(parts.get(i + 2), "the count of token '" + t + "' in " + keys.get(1))
                });
            }
            return new Changes.Delta(
                    parse(parts.get(1), "field version of " + keys.get(2)),
                    parse(parts.get(2), "field spam of " + keys.get(2)),
                    parse(parts.get(3), "field ham of " + keys.get(2)),
                    counts);
        }

        private void scan(String key, Map<String, long[]> counts, int index) throws SharedStateException {
            String cursor = ScanParams.SCAN_POINTER_START;
            ScanParams params = new ScanParams().count(1000);
            do {
                String c = cursor;
                ScanResult<Map.Entry<String, String>> page =
                        call("HSCAN", List.of(key), () -> jedis().hscan(key, c, params));
                for (Map.Entry<String, String> e : page.getResult()) {
                    counts.computeIfAbsent(e.getKey(), k -> new long[2])[index] =
                            parse(e.getValue(), "the count of token '" + e.getKey() + "' in " + key);
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
    }
}
