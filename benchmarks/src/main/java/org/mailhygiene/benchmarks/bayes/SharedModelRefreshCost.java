package org.mailhygiene.benchmarks.bayes;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.testkit.ForwardingTokenStore;

/**
 * What a node's refresh of the shared Bayes model costs after one change, reading the changes since its version
 * against reading the whole model (what every refresh after a change did before the change log), and the Redis memory
 * the change log takes.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.SharedModelRefreshCost \
 *     --redis redis://127.0.0.1:6379/0 [--model refresh-cost] [--tokens 200000] [--rounds 8] [--external]
 * </pre>
 *
 * <p>If the model holds fewer than {@code tokens} tokens it is filled first: learnings of 500 new tokens each, spam
 * and ham by turns. Two local models then take in the store: one through {@link SharedModelSync} as a node does, one
 * through a store that keeps no change log (so each refresh reads the whole model). Each round makes one change (a
 * learning of a 150-token message, a third of its tokens new; with {@code --external} the round waits instead for a
 * change made from outside, such as {@code hygiene learn --redis URL --redis-model MODEL FILE}) and times the refresh
 * of each, in alternating order; then both models are compared. Last, {@code MEMORY USAGE} of the model's keys and the
 * change log's fields. Wall time on whatever else the machine runs.
 */
public final class SharedModelRefreshCost {
    private SharedModelRefreshCost() {}

    /**
     * Runs the measurement.
     *
     * @param args see the class description
     * @throws Exception if Redis fails
     */
    public static void main(String[] args) throws Exception {
        String redis = null;
        String model = "refresh-cost";
        int tokens = 200_000;
        int rounds = 8;
        boolean external = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--redis" -> redis = args[++i];
                case "--model" -> model = args[++i];
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--external" -> external = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (redis == null) {
            throw new IllegalArgumentException("--redis URL is required");
        }
        URI uri = new URI(redis);
        try (SharedState state = SharedStates.open(uri, Duration.ofSeconds(30))) {
            TokenStore store = state.tokens();
            int have = store.snapshot(model).tokens().size();
            long t0 = System.nanoTime();
            for (int m = 0; have < tokens; m++) {
                List<String> msg = new ArrayList<>();
                for (int k = 0; k < 500 && have < tokens; k++, have++) {
                    msg.add(String.format(Locale.ROOT, "fill%07d", have));
                }
                store.learn(model, msg, m % 2 == 0);
            }
            System.out.printf(
                    Locale.ROOT,
                    "model '%s': %,d tokens (filled in %.1f s)%n",
                    model,
                    have,
                    (System.nanoTime() - t0) / 1e9);
            BayesModel byChanges = BayesModel.empty();
            BayesModel whole = BayesModel.empty();
            try (SharedModelSync a = new SharedModelSync(byChanges, model, store);
                    SharedModelSync b = new SharedModelSync(whole, model, ForwardingTokenStore.plain(store))) {
                long s0 = System.nanoTime();
                a.refresh();
                System.out.printf(
                        Locale.ROOT, "first (whole) read of a node: %.0f ms%n", (System.nanoTime() - s0) / 1e6);
                b.refresh();
                for (int r = 0; r < rounds; r++) {
                    long before = store.version(model);
                    if (external) {
                        System.out.printf(
                                Locale.ROOT,
                                "round %d: waiting for a change of model '%s' (version %d)...%n",
                                r,
                                model,
                                before);
                        while (store.version(model) == before) {
                            Thread.sleep(20);
                        }
                    } else {
                        List<String> msg = new ArrayList<>();
                        for (int k = 0; k < 150; k++) {
                            msg.add(
                                    k % 3 == 0
                                            ? String.format(Locale.ROOT, "new%03d-%06d", r, k)
                                            : String.format(Locale.ROOT, "fill%07d", (r * 7919 + k * 1013) % tokens));
                        }
                        store.learn(model, msg, r % 2 == 0);
                    }
                    double changesMs;
                    double wholeMs;
                    if (r % 2 == 0) {
                        changesMs = timed(a);
                        wholeMs = timed(b);
                    } else {
                        wholeMs = timed(b);
                        changesMs = timed(a);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "round %d: version %d -> %d: refresh by changes %8.1f ms, by a whole read %8.1f ms%n",
                            r,
                            before,
                            store.version(model),
                            changesMs,
                            wholeMs);
                }
                boolean same = byChanges.spamMessages() == whole.spamMessages()
                        && byChanges.hamMessages() == whole.hamMessages()
                        && byChanges.tokenCount() == whole.tokenCount();
                System.out.printf(
                        Locale.ROOT,
                        "models agree: %s (%d spam, %d ham, %,d tokens)%n",
                        same,
                        byChanges.spamMessages(),
                        byChanges.hamMessages(),
                        byChanges.tokenCount());
            }
            String prefix = uri.getQuery() != null && uri.getQuery().startsWith("prefix=")
                    ? uri.getQuery().substring("prefix=".length())
                    : "mh:";
            String base = prefix + "bayes:{" + model + "}:";
            for (String k : List.of("s", "h", "m", "c")) {
                System.out.printf(
                        Locale.ROOT,
                        "MEMORY USAGE %s: %s bytes%n",
                        base + k,
                        RedisCli.run(uri, "memory", "usage", base + k, "samples", "0"));
            }
            System.out.printf(
                    Locale.ROOT,
                    "change log: %s steps, fields of %s: %s; used_memory %,d bytes%n",
                    RedisCli.run(uri, "llen", base + "c"),
                    base + "m",
                    RedisCli.run(uri, "hmget", base + "m", "logfrom", "logtokens", "version")
                            .replace('\n', ' '),
                    RedisCli.usedMemory(uri));
        }
    }

    private static double timed(SharedModelSync sync) throws SharedStateException {
        long t = System.nanoTime();
        if (!sync.refresh()) {
            throw new IllegalStateException("the refresh found no change");
        }
        return (System.nanoTime() - t) / 1e6;
    }
}
