package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void helpGoesToStdoutAndExitsZero() {
        for (String word : new String[] {"help", "--help", "-h"}) {
            Run r = Run.main(word);
            assertThat(r.status()).as(word).isZero();
            assertThat(r.out())
                    .startsWith("usage: hygiene <command>")
                    .contains("  scan ")
                    .contains("  samples ");
            assertThat(r.out()).contains("--version");
            assertThat(r.err()).isEmpty();
            // every command's name stands apart from its summary (was "quarantinelist, show, ...")
            for (Command c : Main.commands()) {
                assertThat(r.out()).as(c.name()).contains("  " + c.name() + " ");
            }
        }
    }

    @Test
    void helpForOneCommandShowsItsOptions() {
        Run r = Run.main("help", "scan");
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .startsWith("usage: hygiene scan")
                .contains("--builtin")
                .contains("--json");
        Run s = Run.main("scan", "--help");
        assertThat(s.status()).isZero();
        assertThat(s.out()).isEqualTo(r.out());
    }

    @Test
    void everyCommandAnswersHelpAnywhereWithItsUsage() {
        for (Command c : Main.commands()) {
            Run help = Run.main("help", c.name());
            assertThat(help.status()).as(c.name()).isZero();
            for (String[] args :
                    new String[][] {{c.name(), "--help"}, {c.name(), "-h"}, {c.name(), "--model", "m.model", "--help"}
                    }) {
                Run r = Run.main(args);
                assertThat(r.status()).as(String.join(" ", args)).isZero();
                assertThat(r.out())
                        .as(String.join(" ", args))
                        .isEqualTo(help.out())
                        .startsWith("usage: hygiene ");
                assertThat(r.err()).as(String.join(" ", args)).isEmpty();
            }
        }
    }

    @Test
    void aFileOrValueNamedDashHIsNotAHelpRequest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        // after --, every argument is a file: scanning a missing file "-h" is an error, not a help text with status 0
        Run scan = Run.main("scan", "--builtin", "--", "-h");
        assertThat(scan.status()).isEqualTo(2);
        assertThat(scan.out()).doesNotContain("usage:").contains("-h: ERROR");
        // an option's value: a training source "-h" that does not exist fails the training
        String model = dir.resolve("m.model").toString();
        Run train = Run.main("train", "--quiet", "--model", model, "--spam", "-h");
        assertThat(train.status()).isEqualTo(2);
        assertThat(train.out()).doesNotContain("usage:");
        assertThat(train.err()).contains("-h").doesNotContain("usage:");
        assertThat(dir.resolve("m.model")).doesNotExist();
    }

    @Test
    void helpForAnUnknownCommandIsAnError() {
        Run r = Run.main("help", "frobnicate");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frobnicate'").contains("usage: hygiene");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void noCommandPrintsUsageOnStderrAndExitsTwo() {
        Run r = Run.main();
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("usage: hygiene <command>");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void unknownCommandPrintsUsageOnStderrAndExitsTwo() {
        Run r = Run.main("scna", "--builtin", "x");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("hygiene: unknown command 'scna'").contains("usage: hygiene <command>");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void versionIsTheProjectVersion() {
        Run r = Run.main("--version");
        assertThat(r.status()).isZero();
        assertThat(r.out()).matches("hygiene \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n");
        assertThat(r.out()).doesNotContain("${");
    }

    @Test
    void commandUsageErrorNamesTheCommandAndShowsItsUsage() {
        Run r = Run.main("samples");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("hygiene samples: no directory given").contains("usage: hygiene samples");
    }

    /**
     * The command refuses client-initiated TLS renegotiation unless the operator said otherwise (checked against
     * {@code openssl s_client -tls1_2} and its {@code R} command: "alert handshake failure" now, a second handshake
     * before).
     */
    @Test
    void theCommandRefusesClientRenegotiationUnlessToldOtherwise() {
        String was = System.getProperty(Main.REJECT_RENEGOTIATION);
        try {
            System.clearProperty(Main.REJECT_RENEGOTIATION);
            Main.rejectClientRenegotiation();
            assertThat(System.getProperty(Main.REJECT_RENEGOTIATION)).isEqualTo("true");
            System.setProperty(Main.REJECT_RENEGOTIATION, "false");
            Main.rejectClientRenegotiation();
            assertThat(System.getProperty(Main.REJECT_RENEGOTIATION)).isEqualTo("false");
        } finally {
            if (was == null) {
                System.clearProperty(Main.REJECT_RENEGOTIATION);
            } else {
                System.setProperty(Main.REJECT_RENEGOTIATION, was);
            }
        }
    }
    /** The command ignores the client's server name (SNI) unless the operator set the JDK's property himself. */
    @Test
    void theCommandIgnoresTheClientsServerNameUnlessToldOtherwise() {
        String was = System.getProperty(Main.SERVER_DISABLED_EXTENSIONS);
        try {
            System.clearProperty(Main.SERVER_DISABLED_EXTENSIONS);
            Main.ignoreClientServerName();
            assertThat(System.getProperty(Main.SERVER_DISABLED_EXTENSIONS)).isEqualTo("server_name");
            System.setProperty(Main.SERVER_DISABLED_EXTENSIONS, "");
            Main.ignoreClientServerName();
            assertThat(System.getProperty(Main.SERVER_DISABLED_EXTENSIONS)).isEmpty();
        } finally {
            if (was == null) {
                System.clearProperty(Main.SERVER_DISABLED_EXTENSIONS);
            } else {
                System.setProperty(Main.SERVER_DISABLED_EXTENSIONS, was);
            }
        }
    }

    /** A command that fails as no command should: with the given throwable. */
    private static Command failing(RuntimeException runtime, Error error) {
        return new Command() {
            @Override
            public String name() {
                return "boom";
            }

            @Override
            public String summary() {
                return "fails";
            }

            @Override
            public String usage() {
                return "usage: hygiene boom\n";
            }

            @Override
            public int run(java.util.List<String> args, Io io) {
                if (error != null) {
                    throw error;
                }
                throw runtime;
            }
        };
    }

    /**
     * An exception or error no command caught left through {@code main}: the JVM printed its stack trace and exited 1,
     * which for {@code hygiene scan} means "something found" (a 200 MB mbox line ran the scan out of memory so). It is
     * status 2 now; out of memory is one line that says what to do, anything else a line and the trace.
     */
    @Test
    void anUnforeseenFailureExitsTwoNeverOne() {
        Run oom = Run.with(
                java.util.List.of(failing(null, new OutOfMemoryError("Java heap space"))), new byte[0], "boom");
        assertThat(oom.status()).isEqualTo(2);
        assertThat(oom.err())
                .isEqualTo("hygiene boom: out of memory (Java heap space); give the JVM more with JAVA_OPTS=-Xmx..."
                        + " (README, \"The hygiene command\")\n");
        assertThat(oom.out()).isEmpty();
        Run bug = Run.with(
                java.util.List.of(failing(new IllegalStateException("cannot happen"), null)), new byte[0], "boom");
        assertThat(bug.status()).isEqualTo(2);
        assertThat(bug.err())
                .startsWith("hygiene boom: internal error: java.lang.IllegalStateException: cannot happen (a bug; the"
                        + " stack trace follows)\n")
                .contains("\tat org.mailhygiene.cli.MainTest");
    }
    /** {@code help} is listed among the commands, so it answers for itself as every command does. */
    @Test
    void helpAnswersForItself() {
        for (String arg : java.util.List.of("help", "--help", "-h")) {
            Run r = Run.main("help", arg);
            assertThat(r.status()).as(arg).isZero();
            assertThat(r.out()).as(arg).startsWith("usage: hygiene <command> [options]");
            assertThat(r.err()).as(arg).isEmpty();
        }
    }

    /** Under systemd's journal (which dates every line), or when the operator chose, log lines get no time of ours. */
    @Test
    void logLinesAreDatedUnlessTheJournalOrTheOperatorDatesThem() {
        String before = System.getProperty(Main.SHOW_DATE_TIME);
        String format = System.getProperty(Main.DATE_TIME_FORMAT);
        try {
            System.clearProperty(Main.SHOW_DATE_TIME);
            Main.logTimes(
                    java.util.List.of("relay", "--config", "x"),
                    java.util.Map.of("JOURNAL_STREAM", "8:1"),
                    () -> java.util.Optional.of("8:1"));
            assertThat(System.getProperty(Main.SHOW_DATE_TIME)).isNull();
            Main.logTimes(java.util.List.of("scan", "x.eml"), java.util.Map.of());
            assertThat(System.getProperty(Main.SHOW_DATE_TIME)).isNull();
            Main.logTimes(java.util.List.of("milter", "--builtin"), java.util.Map.of());
            assertThat(System.getProperty(Main.SHOW_DATE_TIME)).isEqualTo("true");
            System.setProperty(Main.SHOW_DATE_TIME, "false");
            Main.logTimes(java.util.List.of("relay"), java.util.Map.of());
            assertThat(System.getProperty(Main.SHOW_DATE_TIME)).isEqualTo("false");
        } finally {
            restore(Main.SHOW_DATE_TIME, before);
            restore(Main.DATE_TIME_FORMAT, format);
        }
    }

    /**
     * {@code JOURNAL_STREAM} is inherited: a unit that runs {@code hygiene relay ... 2>>file} from a script (or a shell
     * started from a unit) had it set while the log went to a file, and its lines were undated (measured:
     * {@code JOURNAL_STREAM=8:123456 hygiene milter ... 2>log} wrote {@code [main] INFO ...}). The journal is taken to
     * date the lines only when the variable names the log's stream, as systemd.exec(5) asks; the demo's own log file
     * never is the journal.
     */
    @Test
    void theJournalsVariableCountsOnlyWhenItNamesTheLogsStream(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String before = System.getProperty(Main.SHOW_DATE_TIME);
        String format = System.getProperty(Main.DATE_TIME_FORMAT);
        java.util.Map<String, String> env = java.util.Map.of("JOURNAL_STREAM", "8:1");
        try {
            System.clearProperty(Main.SHOW_DATE_TIME);
            Main.logTimes(java.util.List.of("relay"), env, () -> java.util.Optional.of("8:1"));
            assertThat(System.getProperty(Main.SHOW_DATE_TIME))
                    .as("the journal's stream")
                    .isNull();
            Main.logTimes(java.util.List.of("relay"), env, java.util.Optional::empty);
            assertThat(System.getProperty(Main.SHOW_DATE_TIME))
                    .as("cannot tell: the variable decides")
                    .isNull();
            Main.logTimes(java.util.List.of("relay"), env, () -> java.util.Optional.of("8:2"));
            assertThat(System.getProperty(Main.SHOW_DATE_TIME))
                    .as("another stream")
                    .isEqualTo("true");
            System.clearProperty(Main.SHOW_DATE_TIME);
            Main.logTimes(java.util.List.of("milter"), env, () -> java.util.Optional.of(""));
            assertThat(System.getProperty(Main.SHOW_DATE_TIME)).as("a log file").isEqualTo("true");
            System.clearProperty(Main.SHOW_DATE_TIME);
            Main.logTimes(java.util.List.of("demo"), env, () -> java.util.Optional.of("8:1"));
            assertThat(System.getProperty(Main.SHOW_DATE_TIME))
                    .as("the demo's log file")
                    .isEqualTo("true");
        } finally {
            restore(Main.SHOW_DATE_TIME, before);
            restore(Main.DATE_TIME_FORMAT, format);
        }
        java.nio.file.Path a = java.nio.file.Files.writeString(dir.resolve("a"), "a");
        java.nio.file.Path b = java.nio.file.Files.writeString(dir.resolve("b"), "b");
        assertThat(Main.deviceAndInode(a)).isPresent().get().asString().matches("[0-9]+:[0-9]+");
        assertThat(Main.deviceAndInode(a)).isNotEqualTo(Main.deviceAndInode(b));
        assertThat(Main.deviceAndInode(dir.resolve("missing"))).isEmpty();
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
