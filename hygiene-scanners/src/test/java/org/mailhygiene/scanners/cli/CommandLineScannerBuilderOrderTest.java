package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CommandLineScanner.Builder}: the outcome depends on the settings, never on the order of the calls. */
class CommandLineScannerBuilderOrderTest {
    @TempDir
    Path tmp;

    private final Semaphore shared = new Semaphore(2, true);

    private String outcome(List<Consumer<CommandLineScanner.Builder>> setters) {
        CommandLineScanner.Builder b = CommandLineScanner.builder(Profiles.vascan());
        setters.forEach(s -> s.accept(b)); // a setter that throws fails the test: conflicts are build()'s to find
        try {
            CommandLineScanner s = b.build();
            return "built " + s.cacheIdentity();
        } catch (IllegalStateException e) {
            return "refused: " + e.getMessage();
        }
    }

    private Map<String, Consumer<CommandLineScanner.Builder>> setters() {
        Map<String, Consumer<CommandLineScanner.Builder>> all = new TreeMap<>();
        all.put("maxConcurrentProcesses", b -> b.maxConcurrentProcesses(3));
        all.put("processLimit", b -> b.processLimit(shared));
        all.put("timeout", b -> b.timeout(Duration.ofSeconds(7)));
        all.put("queueTimeout", b -> b.queueTimeout(Duration.ofSeconds(90)));
        all.put("maxOutputBytes", b -> b.maxOutputBytes(4096));
        all.put("temporaryDirectory", b -> b.temporaryDirectory(tmp));
        all.put("environment", b -> b.environment("LANG", "C"));
        all.put("cacheVerdicts", b -> b.cacheVerdicts(true));
        return all;
    }

    @Test
    void everyOrderOfEverySubsetOfSettingsHasOneOutcome() {
        List<Consumer<CommandLineScanner.Builder>> all =
                new ArrayList<>(setters().values());
        List<String> names = new ArrayList<>(setters().keySet());
        int refused = 0;
        for (int mask = 0; mask < 1 << all.size(); mask++) {
            List<Consumer<CommandLineScanner.Builder>> chosen = new ArrayList<>();
            List<String> chosenNames = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if ((mask & 1 << i) != 0) {
                    chosen.add(all.get(i));
                    chosenNames.add(names.get(i));
                }
            }
            String forwards = outcome(chosen);
            List<Consumer<CommandLineScanner.Builder>> backwards = new ArrayList<>(chosen);
            java.util.Collections.reverse(backwards);
            List<Consumer<CommandLineScanner.Builder>> rotated = new ArrayList<>(chosen);
            java.util.Collections.rotate(rotated, 1);
            assertThat(outcome(backwards)).as("%s reversed", chosenNames).isEqualTo(forwards);
            assertThat(outcome(rotated)).as("%s rotated", chosenNames).isEqualTo(forwards);
            boolean conflict = chosenNames.contains("maxConcurrentProcesses") && chosenNames.contains("processLimit");
            assertThat(forwards.startsWith("refused: ")).as("%s", chosenNames).isEqualTo(conflict);
            refused += conflict ? 1 : 0;
        }
        assertThat(refused).isEqualTo(1 << (all.size() - 2));
    }

    @Test
    void bothProcessBoundsAreRefusedByBuildInEitherOrderNamingBoth() {
        String a = outcome(List.of(b -> b.maxConcurrentProcesses(2), b -> b.processLimit(shared)));
        String b = outcome(List.of(b2 -> b2.processLimit(shared), b2 -> b2.maxConcurrentProcesses(2)));
        assertThat(a).isEqualTo(b).contains("maxConcurrentProcesses (2)").contains("processLimit");
    }
}
