package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code redis-cli} against the host and port of a {@code redis://} URL, for what a benchmark reports. */
final class RedisCli {
    private RedisCli() {}

    /**
     * Runs one command on the URL's server (its database, if the URL names one).
     *
     * @param redis the server
     * @param command the command and its arguments
     * @return what redis-cli printed, trimmed
     * @throws IOException if redis-cli cannot be run
     * @throws InterruptedException if interrupted while it runs
     */
    static String run(URI redis, String... command) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of("redis-cli", "-h", redis.getHost(), "-p", Integer.toString(redis.getPort())));
        String db = redis.getPath() == null ? "" : redis.getPath().replace("/", "");
        if (!db.isEmpty()) {
            cmd.addAll(List.of("-n", db));
        }
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.trim();
    }

    /**
     * The server's {@code used_memory} ({@code INFO memory}).
     *
     * @param redis the server
     * @return bytes
     * @throws IOException if redis-cli cannot be run or printed no such line
     * @throws InterruptedException if interrupted while it runs
     */
    static long usedMemory(URI redis) throws IOException, InterruptedException {
        String out = run(redis, "info", "memory");
        for (String line : out.split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IOException("redis-cli info memory printed no used_memory: " + out);
    }
}
