package org.mailhygiene.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * {@code hygiene learn --spam|--ham --model MODEL FILE...}: the administrator's correction. Learns message files
 * (each one message, or {@code -} for standard input) as spam or ham into a model file, incrementally, and replaces
 * the file atomically; relays and scans that use the file ({@code scanner = bayes:MODEL}, {@code --bayes MODEL})
 * pick the new version up within seconds, without a restart. A missing MODEL starts from the shipped default model.
 * Concurrent learners are serialised by a lock on {@code MODEL.lock}. Exit status 0 on success, 2 on any error (the
 * model file is then unchanged).
 */
public final class LearnCommand implements Command {

    /** Creates the command. */
    public LearnCommand() {}

    @Override
    public String name() {
        return "learn";
    }

    @Override
    public String summary() {
        return "teach the spam classifier: learn message files as spam or ham into a model, in place";
    }

    @Override
    public String usage() {
        return "usage: hygiene learn --spam|--ham --model MODEL FILE...\n"
                + "       hygiene learn --spam|--ham --redis URL [--redis-model NAME] FILE...\n\n"
                + "Learns each FILE (one message; - for standard input) as spam or ham into MODEL and replaces it\n"
                + "atomically. Nodes and scans using MODEL pick the new version up without a restart. A missing\n"
                + "MODEL starts from the shipped default model. For whole directories, Maildirs or mbox files use\n"
                + "'hygiene train --update'.\n\n"
                + "With --redis URL (a cluster's shared state, the nodes' 'redis' key) the messages are learned for the\n"
                + "whole cluster instead: every node using that Redis adds them to its own model within its\n"
                + "'redis-model-refresh' (default 10 s). NAME is the nodes' 'redis-model' (default bayes).\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        Boolean spam = null;
        Path model = null;
        String redis = null;
        String redisModel = "bayes";
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--spam", "--ham" -> {
                    boolean s = a.equals("--spam");
                    if (spam != null && spam != s) {
                        throw new UsageException("--spam and --ham exclude each other");
                    }
                    spam = s;
                }
                case "--model" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isEmpty()) {
                        throw new UsageException("--model needs a FILE");
                    }
                    if (model != null) {
                        throw new UsageException("--model given twice");
                    }
                    try {
                        model = Path.of(args.get(++i));
                    } catch (InvalidPathException e) {
                        throw new UsageException("--model: not a path: " + args.get(i));
                    }
                }
                case "--redis", "--redis-model" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isEmpty()) {
                        throw new UsageException(a + " needs a value");
                    }
                    if (a.equals("--redis")) {
                        redis = args.get(++i);
                    } else {
                        redisModel = args.get(++i);
                    }
                }
                default -> {
                    if (a.startsWith("--") || (a.startsWith("-") && !a.equals("-"))) {
                        throw new UsageException("unknown option " + a);
                    }
                    files.add(a);
                }
            }
        }
        if (spam == null) {
            throw new UsageException("say --spam or --ham");
        }
        if ((model == null) == (redis == null)) {
            throw new UsageException("give exactly one of --model MODEL and --redis URL");
        }
        if (files.isEmpty()) {
            throw new UsageException("give at least one message FILE");
        }
        List<MessageContent> messages = new ArrayList<>();
        try {
            for (String f : files) {
                if (f.equals("-")) {
                    messages.add(MessageContent.ofBytes(io.in().readAllBytes()));
                } else {
                    messages.add(MessageContent.ofBytes(Files.readAllBytes(Path.of(f))));
                }
            }
            if (redis != null) {
                return learnShared(redis, redisModel, spam, messages, io);
            }
            boolean existed = Files.exists(model);
            BayesModel saved = BayesModels.learnInto(model, spam, messages, Tokenizer.create());
            io.out()
                    .printf(
                            "%s: learned %d message(s) as %s%s; now %d spam, %d ham, %d tokens%n",
                            model,
                            messages.size(),
                            spam ? "spam" : "ham",
                            existed ? "" : " (new model, started from the default model)",
                            saved.spamMessages(),
                            saved.hamMessages(),
                            saved.tokenCount());
            return EXIT_OK;
        } catch (IOException | InvalidPathException e) {
            io.err().println("hygiene learn: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    private static int learnShared(String url, String name, boolean spam, List<MessageContent> messages, Io io)
            throws UsageException, IOException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("--redis wants a URL such as redis://127.0.0.1:6379, got '" + url + "'");
        }
        Tokenizer tokenizer = Tokenizer.create();
        try (SharedState state = SharedStates.open(uri, Duration.ofSeconds(5))) {
            int n = 0;
            for (MessageContent m : messages) {
                state.tokens().learn(name, tokenizer.tokenize(m), spam);
                n++;
            }
            io.out()
                    .printf(
                            "%s model '%s': learned %d message(s) as %s for every node using it%n",
                            state.description(), name, n, spam ? "spam" : "ham");
            return EXIT_OK;
        } catch (SharedStateException | IllegalArgumentException e) {
            io.err().println("hygiene learn: " + e.getMessage());
            return EXIT_ERROR;
        }
    }
}
