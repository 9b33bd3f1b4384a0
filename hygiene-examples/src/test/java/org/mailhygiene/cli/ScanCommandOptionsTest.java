package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.ScriptedScanner;
import org.mailhygiene.testkit.ScriptedScanner.Reply;

/** {@code hygiene scan} with scanner options plugged in from outside, answering from a script. */
class ScanCommandOptionsTest {
    @TempDir
    Path dir;

    /** A scanner option that hands out one scripted scanner; the argument {@code bad} is rejected. */
    private static final class ScriptedOption implements ScannerOption {
        final String flag;
        final Optional<String> argumentName;
        final ScriptedScanner scanner;

        ScriptedOption(String flag, Optional<String> argumentName, ScriptedScanner scanner) {
            this.flag = flag;
            this.argumentName = argumentName;
            this.scanner = scanner;
        }

        @Override
        public String flag() {
            return flag;
        }

        @Override
        public Optional<String> argumentName() {
            return argumentName;
        }

        @Override
        public String description() {
            return "a scripted scanner";
        }

        @Override
        public Scanner create(Optional<String> argument) throws UsageException {
            if (argument.isPresent() && argument.get().equals("bad")) {
                throw new UsageException(flag + ": bad is not an address");
            }
            return scanner;
        }
    }

    private Run scan(List<ScannerOption> options, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "scan";
        System.arraycopy(args, 0, all, 1, args.length);
        return Run.with(List.of(new ScanCommand(options)), new byte[0], all);
    }

    private Path cleanFile() throws IOException {
        return Files.write(dir.resolve("m.eml"), SampleMessages.clean());
    }

    /**
     * An audit (session 53): {@code --redis-model NAME} without {@code --redis} beside {@code --builtin} was refused
     * as "--redis goes with --bayes", naming a flag the user had not given; the missing {@code --redis} is named now.
     */
    @Test
    void redisModelWithoutRedisNamesTheMissingRedis() throws IOException {
        Path f = cleanFile();
        Run r = Run.main("scan", "--builtin", "--redis-model", "x", f.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--redis-model goes with --redis").doesNotContain("--redis goes with --bayes");
    }

    @Test
    void scannerFailureIsAnErrorLineAndExitTwo() throws IOException {
        ScriptedScanner s = ScriptedScanner.builder().name("clamd").build();
        s.enqueue(Reply.failure(ScanFailure.Kind.TIMED_OUT, "read timed out after 30s"));
        Path f = cleanFile();
        Run r = scan(List.of(new ScriptedOption("--clamd", Optional.empty(), s)), "--clamd", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": ERROR clamd: TIMED_OUT: read timed out after 30s");
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void runtimeExceptionInAScannerIsAnErrorNeverOk() throws IOException {
        ScriptedScanner s = ScriptedScanner.builder().name("buggy").build();
        s.enqueue(Reply.exception(new IllegalStateException("adapter bug")));
        Path f = cleanFile();
        Run r = scan(List.of(new ScriptedOption("--buggy", Optional.empty(), s)), "--buggy", f.toString());
        assertThat(r.outLines()).singleElement().asString().startsWith(f + ": ERROR buggy: SCANNER_ERROR");
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void everyFindingOfEveryScannerGetsALine() throws IOException {
        ScriptedScanner av = ScriptedScanner.builder().name("av").build();
        av.enqueue(Reply.infected("Worm.Mydoom.A", "Trojan.Agent"));
        ScriptedScanner spam = ScriptedScanner.builder().name("spam").build();
        spam.enqueue(Reply.spam(6.83, 5, Rule.of("BAYES_99", 3.5), Rule.of("HTML_MESSAGE", 0.001)));
        ScriptedScanner broken = ScriptedScanner.builder().name("broken").build();
        broken.enqueue(Reply.failure(ScanFailure.Kind.UNAVAILABLE, "connection refused"));
        Path f = cleanFile();
        Run r = scan(
                List.of(
                        new ScriptedOption("--av", Optional.empty(), av),
                        new ScriptedOption("--spam", Optional.empty(), spam),
                        new ScriptedOption("--broken", Optional.empty(), broken)),
                "--av",
                "--spam",
                "--broken",
                f.toString());
        assertThat(r.outLines())
                .containsExactly(
                        f + ": Worm.Mydoom.A FOUND",
                        f + ": Trojan.Agent FOUND",
                        f + ": SPAM 6.83/5.0 [BAYES_99,HTML_MESSAGE]",
                        f + ": ERROR broken: UNAVAILABLE: connection refused");
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void suspiciousIsAFinding() throws IOException {
        ScriptedScanner s = ScriptedScanner.always(Reply.suspicious("ENCRYPTED_ZIP"));
        Path f = cleanFile();
        Run r = scan(List.of(new ScriptedOption("--policy", Optional.empty(), s)), "--policy", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": SUSPICIOUS [ENCRYPTED_ZIP]");
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void jsonOfAMixedResultNamesTheFailingScannerAndKeepsTheFindings() throws IOException {
        ScriptedScanner av = ScriptedScanner.always(Reply.infected("Eicar-Signature"));
        ScriptedScanner broken = ScriptedScanner.builder().name("spamd").build();
        broken.enqueue(Reply.failure(ScanFailure.Kind.PROTOCOL_ERROR, "bad \"reply\""));
        Path f = Files.write(dir.resolve("say \"hi\".eml"), SampleMessages.clean());
        Run r = scan(
                List.of(
                        new ScriptedOption("--av", Optional.empty(), av),
                        new ScriptedOption("--spamd", Optional.empty(), broken)),
                "--json",
                "--av",
                "--spamd",
                f.toString());
        String line = r.outLines().get(0);
        assertThat(line).startsWith("{\"file\":" + Json.string(f.toString()) + ",\"outcome\":\"ERROR\"");
        assertThat(line).contains("say \\\"hi\\\".eml");
        assertThat(line)
                .contains("\"scanner\":\"spamd\",\"threats\":[\"Eicar-Signature\"]")
                .contains("\"error\":\"spamd: PROTOCOL_ERROR: bad \\\"reply\\\"\"")
                .contains("\"action\":\"REJECT\"")
                .contains("{\"scanner\":\"scripted\",\"outcome\":\"INFECTED\"")
                .contains("{\"scanner\":\"spamd\",\"outcome\":\"ERROR\"");
        assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void optionArgumentsInBothFormsAndRepeated() throws IOException {
        List<Optional<String>> arguments = new ArrayList<>();
        ScannerOption clamd = new ScannerOption() {
            @Override
            public String flag() {
                return "--clamd";
            }

            @Override
            public Optional<String> argumentName() {
                return Optional.of("ADDR");
            }

            @Override
            public String description() {
                return "one scanner per address";
            }

            @Override
            public Scanner create(Optional<String> argument) {
                arguments.add(argument);
                return ScriptedScanner.builder()
                        .name("clamd-" + arguments.size())
                        .dispatcher(m -> Reply.clean())
                        .build();
            }
        };
        Path f = cleanFile();
        Run r = scan(List.of(clamd), "--clamd", "127.0.0.1:3310", "--clamd=/run/clamd.sock", f.toString());
        assertThat(r.status()).isZero();
        assertThat(arguments).containsExactly(Optional.of("127.0.0.1:3310"), Optional.of("/run/clamd.sock"));
        assertThat(r.outLines()).containsExactly(f + ": OK");
    }

    @Test
    void twoScannersWithTheSameNameAreAUsageError() throws IOException {
        ScriptedOption a = new ScriptedOption("--a", Optional.empty(), ScriptedScanner.always(Reply.clean()));
        ScriptedOption b = new ScriptedOption("--b", Optional.empty(), ScriptedScanner.always(Reply.clean()));
        Run r = scan(List.of(a, b), "--a", "--b", cleanFile().toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("hygiene scan: ").contains("scripted");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void optionArgumentErrors() {
        ScriptedOption clamd =
                new ScriptedOption("--clamd", Optional.of("ADDR"), ScriptedScanner.always(Reply.clean()));
        Run missing = scan(List.of(clamd), "x.eml", "--clamd");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("--clamd needs an argument ADDR").contains("--clamd ADDR");
        Run empty = scan(List.of(clamd), "--clamd=", "x.eml");
        assertThat(empty.err()).contains("--clamd needs a non-empty ADDR");
        Run bad = scan(List.of(clamd), "--clamd", "bad", "x.eml");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--clamd: bad is not an address");
        assertThat(bad.out()).isEmpty();
    }

    @Test
    void closeableScannersAreClosedAfterTheScan() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        class ClosingScanner implements Scanner, AutoCloseable {
            @Override
            public String name() {
                return "closing";
            }

            @Override
            public Verdict scan(Message message) throws ScanException {
                assertThat(closed).isFalse();
                return Verdict.clean("closing", java.time.Duration.ZERO);
            }

            @Override
            public void close() {
                closed.set(true);
            }
        }
        ScannerOption option = new ScannerOption() {
            @Override
            public String flag() {
                return "--closing";
            }

            @Override
            public Optional<String> argumentName() {
                return Optional.empty();
            }

            @Override
            public String description() {
                return "closes";
            }

            @Override
            public Scanner create(Optional<String> argument) {
                return new ClosingScanner();
            }
        };
        Path f = cleanFile();
        Run r = scan(List.of(option), "--closing", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": OK");
        assertThat(closed).isTrue();
    }

    @Test
    void badOptionListsAreRejected() {
        ScriptedScanner s = ScriptedScanner.always(Reply.clean());
        assertThatThrownBy(() -> new ScanCommand(List.of(new ScriptedOption("-x", Optional.empty(), s))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--name");
        assertThatThrownBy(() -> new ScanCommand(List.of(new ScriptedOption("--json", Optional.empty(), s))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already taken");
        assertThatThrownBy(() -> new ScanCommand(List.of(
                        new ScriptedOption("--a", Optional.empty(), s),
                        new ScriptedOption("--a", Optional.empty(), s))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already taken");
    }

    @Test
    void helpListsEveryScannerOption() {
        ScriptedOption clamd =
                new ScriptedOption("--clamd", Optional.of("ADDR"), ScriptedScanner.always(Reply.clean()));
        Run r = scan(List.of(new BuiltinScannerOption(), clamd), "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("  --builtin ").contains("  --clamd ADDR ").contains("a scripted scanner");
    }
}
