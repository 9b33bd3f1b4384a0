package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.NodeConfig;

/** The node config's redis keys: accepted without a reachable Redis, every mistake named with file and line. */
class NodeConfigRedisKeysTest {
    private static final String VALID = """
            role = edge
            name = edge-r
            listen = 127.0.0.1:0
            data = data
            accept-domain = example.org
            route = :127.0.0.1:2525
            scanner = builtin
            """;

    @TempDir
    Path dir;

    private Node.Builder parse(String text) throws Exception {
        return NodeConfig.parse(ConfigFile.parse("node.conf", text), dir);
    }

    private void fails(String text, String message) {
        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void aNodeWithRedisBuildsAndStartsWhileRedisIsDown() throws Exception {
        String text = VALID + "redis = redis://127.0.0.1:1/2?prefix=site:\nredis-timeout = 100ms\n"
                + "redis-model = site\nredis-model-refresh = 5s\n";
        try (Node node = parse(text).build()) {
            node.start();
            assertThat(node.sharedState()).isPresent();
            assertThat(node.sharedState().get().description()).isEqualTo("redis://127.0.0.1:1/2?prefix=site:");
        }
    }

    @Test
    void mistakesNameTheLine() {
        fails(
                VALID + "redis = http://127.0.0.1\n",
                "node.conf line 8: redis: no shared-state provider for 'http:' URLs"
                        + " (the schemes known here are redis, redis-cluster, redis-sentinel, rediss,"
                        + " rediss-cluster, rediss-sentinel)");
        // A misspelt scheme said the module was missing while it was on the class path.
        fails(
                VALID + "redis = rdis://127.0.0.1\n",
                "node.conf line 8: redis: no shared-state provider for 'rdis:' URLs"
                        + " (the schemes known here are redis, redis-cluster, redis-sentinel, rediss,"
                        + " rediss-cluster, rediss-sentinel)");
        fails(
                VALID + "redis = redis://a,b\n",
                "node.conf line 8: redis: several hosts need redis-sentinel:// or"
                        + " redis-cluster:// (a failover list is not a cluster): redis://a,b");
        fails(VALID + "redis-model = site\n", "node.conf line 8: redis-model: needs redis");
        fails(
                VALID + "redis = redis://127.0.0.1\nredis-timeout = 0ms\n",
                "node.conf line 9: redis-timeout: must be between 1ms and 10s, was 0ms");
    }

    /**
     * Found from outside (session 39): a relative {@code ?cacert=} file was read from the working directory, not the
     * configuration file's, as every other path in the file is: {@code --check} beside the file found it, a node
     * started from another directory (systemd starts in {@code /}) did not.
     */
    @Test
    void aRelativeCacertIsResolvedAgainstTheFilesDirectory() throws Exception {
        Path ca = dir.resolve("ca dir/redis+ca.pem");
        fails(
                VALID + "redis = rediss://127.0.0.1:1/0?prefix=x:&cacert=ca%20dir/redis%2Bca.pem\n",
                "node.conf line 8: redis: cannot read CA certificates " + ca + ": no such file");
        fails(
                VALID + "redis = rediss://127.0.0.1:1?cacert=/nowhere/ca.pem\n",
                "node.conf line 8: redis: cannot read CA certificates /nowhere/ca.pem: no such file");
        fails(
                VALID + "redis = rediss://127.0.0.1:1?cacert=\n",
                "node.conf line 8: redis: cacert= names no file: rediss://127.0.0.1:1?cacert=");
    }

    /** {@code redis-verdict-key}: resolved against the file's directory, read at parse, a bad file named at its line. */
    @Test
    void theVerdictKeyIsReadAtParseAndABadFileIsNamedAtItsLine() throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("keys"));
        Path key = dir.resolve("keys/verdict.key");
        java.nio.file.Files.writeString(key, "0123456789abcdef0123456789abcdef\n");
        java.nio.file.Files.setPosixFilePermissions(
                key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        String redis = VALID + "redis = redis://127.0.0.1:1/2\n";
        try (Node node = parse(redis + "redis-verdict-key = keys/verdict.key\n").build()) {
            assertThat(node.sharedState().get().description()).endsWith("verdict-key=" + key);
        }
        Path prev = dir.resolve("keys/old.key");
        fails(
                redis + "redis-verdict-key = keys/verdict.key\nredis-verdict-key-previous = keys/old.key\n",
                "node.conf line 10: redis-verdict-key-previous: cannot read verdict-key-previous file " + prev
                        + ": no such file");
        java.nio.file.Files.writeString(prev, "short\n");
        fails(
                redis + "redis-verdict-key = keys/old.key\n",
                "node.conf line 9: redis-verdict-key: cannot read verdict-key file " + prev
                        + ": other users may read or change the secret (mode rw-r--r--): chmod 600 it, or 640 with"
                        + " the node's group");
        java.nio.file.Files.setPosixFilePermissions(
                prev, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        fails(
                redis + "redis-verdict-key = keys/old.key\n",
                "node.conf line 9: redis-verdict-key: cannot read verdict-key file " + prev
                        + ": line 1: the secret is 5 characters, at least 32 are needed (make one with: openssl rand"
                        + " -base64 32)");
        fails(
                redis + "redis-verdict-key-previous = keys/verdict.key\n",
                "node.conf line 9: redis-verdict-key-previous: needs redis-verdict-key (the secret that signs; or"
                        + " verdict-key= in the redis URL)");
        // the same file as both keys (or a copy of the secret) passed --check and started: no change of secret was
        // under way, whatever the administrator meant
        Path copy = dir.resolve("keys/copy.key");
        java.nio.file.Files.copy(key, copy);
        for (String same : java.util.List.of("keys/verdict.key", "keys/copy.key")) {
            fails(
                    redis + "redis-verdict-key = keys/verdict.key\nredis-verdict-key-previous = " + same + "\n",
                    "node.conf line 10: redis-verdict-key-previous: cannot read verdict-key-previous file "
                            + dir.resolve(same) + ": holds the same secret as verdict-key (" + key + "): during a"
                            + " change of secret verdict-key names the new secret and verdict-key-previous the old"
                            + " one; with no change under way, remove verdict-key-previous");
        }
        fails(VALID + "redis-verdict-key = keys/verdict.key\n", "node.conf line 8: redis-verdict-key: needs redis");
        fails(
                VALID + "redis = redis://127.0.0.1:1/2?verdict-key=/k\nredis-verdict-key = keys/verdict.key\n",
                "node.conf line 9: redis-verdict-key: given twice: here and as verdict-key= in the redis URL");
    }

    /**
     * Found from outside with {@code hygiene relay --check} (session 52): the URL's {@code verdict-key=} beside a
     * {@code redis-verdict-key-previous} line was refused ("needs redis-verdict-key"); the line {@code
     * redis-verdict-key} beside the URL's {@code verdict-key-previous=} was refused as "given twice"; and a relative
     * file in the URL was read from the working directory, not the file's.
     */
    @Test
    void theUrlsVerdictKeyCountsAndItsRelativeFilesAreTheFilesDirectorys() throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("keys"));
        Path key = dir.resolve("keys/verdict.key");
        Path old = dir.resolve("keys/old.key");
        for (Path f : java.util.List.of(key, old)) {
            java.nio.file.Files.writeString(f, "0123456789abcdef0123456789abcdef-" + f.getFileName() + "\n");
            java.nio.file.Files.setPosixFilePermissions(
                    f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        String redis = VALID + "redis = redis://127.0.0.1:1/2";
        try (Node node = parse(redis + "?verdict-key=keys/verdict.key\nredis-verdict-key-previous = keys/old.key\n")
                .build()) {
            assertThat(node.sharedState().get().description())
                    .endsWith("verdict-key=" + key + "&verdict-key-previous=" + old);
        }
        try (Node node = parse(redis + "?verdict-key-previous=keys/old.key\nredis-verdict-key = keys/verdict.key\n")
                .build()) {
            assertThat(node.sharedState().get().description())
                    .endsWith("verdict-key=" + key + "&verdict-key-previous=" + old);
        }
        fails(
                redis + "?verdict-key=keys/verdict.key&verdict-key-previous=keys/old.key\n"
                        + "redis-verdict-key-previous = keys/old.key\n",
                "node.conf line 9: redis-verdict-key-previous: given twice: here and as verdict-key-previous= in the"
                        + " redis URL");
        fails(
                redis + "?verdict-key=keys/missing.key\n",
                "node.conf line 8: redis: cannot read verdict-key file " + dir.resolve("keys/missing.key")
                        + ": no such file");
    }

    /** Before, {@code java.net.URI} refused these: "not a URL ... Illegal character in port number". */
    @Test
    void severalBracketedIpv6HostsAreTaken() throws Exception {
        String sentinels = "redis-sentinel://[::1]:26379,[::1]:26380/mymaster/2";
        try (Node node = parse(VALID + "redis = " + sentinels + "\n").build()) {
            assertThat(node.sharedState()).isPresent();
            assertThat(node.sharedState().get().description()).contains("[::1]:26379,[::1]:26380");
        }
        try (Node node =
                parse(VALID + "redis = redis-cluster://[::1]:7000,[::1]:7001\n").build()) {
            assertThat(node.sharedState().get().description()).contains("[::1]:7000,[::1]:7001");
        }
        fails(
                VALID + "redis = redis-sentinel://[::1:26379,[::1]:26380/m\n",
                "node.conf line 8: redis: unclosed '[' in host '[::1:26379': redis-sentinel://[::1:26379,[::1]:26380/m");
        fails(
                VALID + "redis = 127.0.0.1:6379\n",
                "node.conf line 8: redis: not a URL: '127.0.0.1:6379' (a shared state is named by a URL such as"
                        + " redis://127.0.0.1:6379/0)");
    }

    /** A reload that changes the redis URL (a rotated password) logged both URLs, passwords and all. */
    @Test
    void aReloadChangingTheRedisUrlDoesNotLogItsPasswords() throws Exception {
        Path file = dir.resolve("node.conf");
        java.nio.file.Files.writeString(
                file, VALID + "redis = redis://:oldsecret@127.0.0.1:1/0?prefix=site:\nredis-timeout = 100ms\n");
        try (Node node = NodeConfig.read(file).build()) {
            node.start();
            org.mailhygiene.smtp.topology.NodeReloader reloader =
                    org.mailhygiene.smtp.topology.NodeReloader.of(node, file);
            java.nio.file.Files.writeString(
                    file,
                    VALID + "redis = redis-sentinel://:newsecret@127.0.0.1:1/m?sentinel-password=sentsecret\n"
                            + "redis-timeout = 100ms\n");
            org.mailhygiene.smtp.topology.NodeReloader.Result r = reloader.reload();
            assertThat(r.restartNeeded()).hasSize(1);
            assertThat(r.restartNeeded().get(0))
                    .doesNotContain("secret")
                    .contains("redis://:***@127.0.0.1:1/0?prefix=site:")
                    .contains("redis-sentinel://:***@127.0.0.1:1/m?sentinel-password=***");
            java.nio.file.Files.writeString(
                    file, VALID + "redis = redis://:othersecret@127.0.0.1:1/0?prefix=site:\nredis-timeout = 100ms\n");
            r = reloader.reload();
            assertThat(r.restartNeeded()).hasSize(1);
            assertThat(r.restartNeeded().get(0)).doesNotContain("secret").contains("redis");
        }
    }
}
