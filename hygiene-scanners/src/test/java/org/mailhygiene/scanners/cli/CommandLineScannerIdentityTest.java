package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.mime.MimeWalker;

/** Everything that can change a command-line scanner's verdict changes its cache identity; nothing else does. */
class CommandLineScannerIdentityTest {

    private static String identity(CommandProfile profile, UnaryOperator<CommandLineScanner.Builder> configure) {
        return configure
                .apply(CommandLineScanner.builder(profile).cacheVerdicts(true))
                .build()
                .cacheIdentity()
                .orElseThrow();
    }

    private static String identity(UnaryOperator<CommandLineScanner.Builder> configure) {
        return identity(Profiles.vascan(), configure);
    }

    private static CommandProfile withExitStatuses(CommandProfile p, List<ExitStatusRule> rules) {
        return new CommandProfile(
                p.name(), p.command(), p.arguments(), p.input(), rules, p.namePatterns(), p.updateCommand());
    }

    @Test
    void sameConfigurationGivesTheSameIdentity() {
        String a = identity(b -> b.environment("LANG", "C").environment("TZ", "UTC"));
        String b = identity(x -> x.environment("TZ", "UTC").environment("LANG", "C"));
        assertThat(a)
                .as("stable, and independent of the order variables were set")
                .isEqualTo(b);
        assertThat(identity(x -> x.timeout(Duration.ofSeconds(7)).queueTimeout(Duration.ofSeconds(3))))
                .as("timeouts only make failures, which are never cached")
                .isEqualTo(identity(x -> x));
    }

    @Test
    void environmentChangesTheIdentity() {
        String none = identity(b -> b);
        String lang = identity(b -> b.environment("LANG", "C"));
        String other = identity(b -> b.environment("LANG", "de_DE.UTF-8"));
        assertThat(List.of(none, lang, other)).doesNotHaveDuplicates();
        assertThat(identity(b -> b.environment("A", "BC"))).isNotEqualTo(identity(b -> b.environment("AB", "C")));
    }

    @Test
    void mimeWalkerLimitsChangeTheIdentityWhenPartsAreExtracted() {
        String defaults = identity(b -> b);
        assertThat(identity(b -> b.mimeWalker(MimeWalker.builder().maxParts(10).build())))
                .isNotEqualTo(defaults);
        assertThat(identity(b -> b.mimeWalker(MimeWalker.builder().maxDepth(3).build())))
                .isNotEqualTo(defaults);
        assertThat(identity(b -> b.mimeWalker(
                        MimeWalker.builder().maxDecodedBytes(1024 * 1024).build())))
                .isNotEqualTo(defaults);
        assertThat(identity(
                        Profiles.clamdscan(),
                        b -> b.mimeWalker(MimeWalker.builder().maxParts(10).build())))
                .as("the whole message is passed: the walker is not used")
                .isEqualTo(identity(Profiles.clamdscan(), b -> b));
    }

    @Test
    void exitStatusMappingChangesTheIdentity() {
        CommandProfile base = Profiles.vascan();
        List<ExitStatusRule> rules = new ArrayList<>(base.exitStatuses());
        // status 9 "file type not supported": clean in the profile, unscannable here
        rules.replaceAll(r -> r.covers(9) ? ExitStatusRule.of(9, ExitClass.UNSCANNABLE, r.meaning()) : r);
        assertThat(identity(withExitStatuses(base, rules), b -> b)).isNotEqualTo(identity(b -> b));
        List<ExitStatusRule> fewer = new ArrayList<>(base.exitStatuses());
        fewer.removeIf(r -> r.covers(9));
        assertThat(identity(withExitStatuses(base, fewer), b -> b)).isNotEqualTo(identity(b -> b));
    }

    @Test
    void namePatternsArgumentsAndOutputCapChangeTheIdentity() {
        CommandProfile p = Profiles.vascan();
        CommandProfile other = new CommandProfile(
                p.name(),
                p.command(),
                p.arguments(),
                p.input(),
                p.exitStatuses(),
                List.of(Pattern.compile("FOUND: (\\S+)", Pattern.CASE_INSENSITIVE)),
                p.updateCommand());
        CommandProfile sameTextOtherFlags = new CommandProfile(
                p.name(),
                p.command(),
                p.arguments(),
                p.input(),
                p.exitStatuses(),
                List.of(Pattern.compile("FOUND: (\\S+)")),
                p.updateCommand());
        assertThat(List.of(
                        identity(b -> b),
                        identity(other, b -> b),
                        identity(sameTextOtherFlags, b -> b),
                        identity(p.withLeadingArguments(List.of("--heuristics")), b -> b),
                        identity(b -> b.maxOutputBytes(4096))))
                .doesNotHaveDuplicates();
    }
}
