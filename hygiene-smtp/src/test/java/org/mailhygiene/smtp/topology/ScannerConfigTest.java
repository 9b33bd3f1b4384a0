package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.scanners.cli.CommandLineScanner;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;

/** Every scanner of {@code hygiene scan} from a node's configuration file, with its settings and failure policy. */
class ScannerConfigTest {
    private static final String HEAD = """
            role = edge
            name = e
            listen = 127.0.0.1:0
            data = d
            route = :127.0.0.1:25
            """; // 5 lines: scanner lines start at line 6

    @TempDir
    Path dir;

    private ScannerConfig.Result read(String scannerLines) throws Exception {
        ConfigFile c = ConfigFile.parse("node.conf", HEAD + scannerLines);
        return ScannerConfig.read(c, dir, "e");
    }

    private Node.Builder node(String scannerLines) throws Exception {
        return NodeConfig.parse(ConfigFile.parse("node.conf", HEAD + scannerLines), dir);
    }

    private void fails(String scannerLines, String message) {
        assertThatThrownBy(() -> node(scannerLines).check())
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void clampdAddressesOnOneLineAreOneFailoverGroupInOrderInEveryForm() throws Exception {
        ScannerConfig.Result r =
                read("scanner = clamd:/run/clamav/clamd.ctl, unix:/tmp/c.sock,127.0.0.1:3310,[::1]:3310\n");

        assertThat(r.scanners()).hasSize(1);
        ClamdScanner s = (ClamdScanner) r.scanners().get(0);
        assertThat(s.group().members().stream().map(FailoverGroup.MemberState::name))
                .containsExactly("unix:/run/clamav/clamd.ctl", "unix:/tmp/c.sock", "127.0.0.1:3310", "[::1]:3310");
        assertThat(r.services().stream().map(NodeService::name)).containsExactly("clamd-probe");
    }

    @Test
    void aSecondClamdLineIsAClearErrorAtCheck() {
        fails(
                "scanner = clamd:127.0.0.1:3310\nscanner = clamd:127.0.0.1:3311\n",
                "node.conf line 7: scanner: a second clamd scanner (the first is on line 6): list every clamd in one"
                        + " line, clamd:A,B, which makes them one failover group, tried in that order");
        fails(
                "scanner = clamd:127.0.0.1:3310,127.0.0.1:3310\n",
                "node.conf line 6: scanner: clamd address 127.0.0.1:3310 is given twice");
        fails("scanner = clamd:\n", "node.conf line 6: scanner: clamd needs an argument: clamd:ADDRESS[,ADDRESS...]");
        fails(
                "scanner = clamd:::1:3310\n",
                "node.conf line 6: scanner: clamd address '::1:3310': write IPv6 literals in brackets, e.g."
                        + " [::1]:3310");
    }

    /**
     * Audit of {@code --check} (session 42): a clamd socket path naming the directory clamd's socket is in, or a
     * regular file, passed {@code --check} with "warning: ... connect failed: Connection refused", as if clamd were
     * only stopped; no clamd can ever listen there. Now an error naming the line. A path that does not exist yet (clamd
     * not started) is still fine.
     */
    @Test
    void aClamdSocketPathThatIsADirectoryOrAFileIsAnError() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run/clamav"));
        Path conf = Files.writeString(dir.resolve("clamd.conf"), "LocalSocket /run/clamav/clamd.ctl\n");
        fails(
                "scanner = clamd:" + run + "\n",
                "node.conf line 6: scanner: clamd address unix:" + run + ": is a directory, not a socket: name the"
                        + " socket in it, clamd's LocalSocket setting (Debian: /run/clamav/clamd.ctl)");
        fails(
                "scanner = clamd:127.0.0.1:3310,unix:" + conf + "\n",
                "node.conf line 6: scanner: clamd address unix:" + conf + ": is a regular file, not a socket (no"
                        + " clamd can listen there): name clamd's LocalSocket (Debian: /run/clamav/clamd.ctl)");
        node("scanner = clamd:" + run.resolve("clamd.ctl") + "\n").check(); // not there yet: clamd makes it
    }

    /**
     * {@code spamd.threshold = -2} (or its older name {@code spam-threshold}) was accepted: every message, ham
     * included, then scored "spam" and was tagged. A threshold must be more than 0; the error names the line.
     */
    @Test
    void aSpamdThresholdOfZeroOrLessIsRefusedWithItsLine() {
        String msg = ": must be more than 0 (spamd calls spam what scores at least this, and ham scores about 0;"
                + " SpamAssassin's default is 5.0), was ";
        fails(
                "scanner = spamd:127.0.0.1:783\nspamd.threshold = -2\n",
                "node.conf line 7: spamd.threshold" + msg + "-2");
        fails("scanner = spamd:127.0.0.1:783\nspamd.threshold = 0\n", "node.conf line 7: spamd.threshold" + msg + "0");
        fails(
                "scanner = spamd:127.0.0.1:783\nspam-threshold = -0.5\n",
                "node.conf line 7: spam-threshold" + msg + "-0.5");
    }

    @Test
    void spamdAddressesOnOneLineAreOneGroupWithTheirSettings() throws Exception {
        ScannerConfig.Result r = read("""
                scanner = spamd:127.0.0.1:783,127.0.0.2:783
                spamd.threshold = 6.8
                spamd.deadline = 20s
                spamd.size-limit = 1m
                spamd.probe-interval = 2s
                """);

        SpamdScanner s = (SpamdScanner) r.scanners().get(0);
        assertThat(s.group().members().stream().map(FailoverGroup.MemberState::name))
                .containsExactly("127.0.0.1:783", "127.0.0.2:783");
        assertThat(s.threshold().getAsDouble()).isEqualTo(6.8);
        assertThat(s.maxMessageSize()).isEqualTo(1024 * 1024);
        assertThat(r.services().stream().map(NodeService::name)).containsExactly("spamd-probe");
    }

    /**
     * A scanner given a longer bound than the pipeline's two minutes was still cut at two minutes (audit, session 50: a
     * {@code command.timeout = 3m} tool answered 451 "still running after the deadline of 2m" after 120 s): the scan
     * deadline covers the longest bound given, with a margin so the scanner's own timeout speaks first.
     */
    @Test
    void theScanDeadlineCoversTheLongestBoundGivenToAScanner() throws Exception {
        assertThat(read("scanner = clamd:127.0.0.1:3310\nclamd.deadline = 5m\n").scanDeadline())
                .isEqualTo(Duration.ofMinutes(5).plusSeconds(5));
        assertThat(read("scanner = clamd:127.0.0.1:3310\nscanner = spamd:127.0.0.1:783\nspamd.deadline = 20s\n")
                        .scanDeadline())
                .isEqualTo(ScanPipeline.DEFAULT_DEADLINE);
        assertThat(read("scanner = builtin\n").scanDeadline()).isEqualTo(ScanPipeline.DEFAULT_DEADLINE);
        Path tool = dir.resolve("slowscan");
        Files.writeString(tool, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(read("scanner = spamd:127.0.0.1:783\nspamd.deadline = 150s\nscanner = vexira:" + tool
                                + "\nvexira.timeout = 3m\n")
                        .scanDeadline())
                .isEqualTo(Duration.ofMinutes(3).plusSeconds(5));
    }

    @Test
    void clamdSettingsAreApplied() throws Exception {
        ScannerConfig.Result r = read("""
                scanner = clamd:127.0.0.1:3310
                clamd.connect-timeout = 2s
                clamd.read-timeout = 20s
                clamd.deadline = 45s
                clamd.size-limit = 10m
                clamd.backoff = 5s
                clamd.max-backoff = 60s
                clamd.version-check = 30s
                clamd.update = /usr/bin/freshclam --quiet
                clamd.update-interval = 1h
                clamd.update-jitter = 0
                """);

        ClamdScanner s = (ClamdScanner) r.scanners().get(0);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.readTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(s.scanDeadline()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.streamMaxLength()).isEqualTo(10L * 1024 * 1024);
        assertThat(s.initialBackoff()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxBackoff()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.versionCheckInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.services().stream().map(NodeService::name))
                .containsExactly("clamd-probe", "clamd-version-check", "clamd-update");
    }

    @Test
    void updateTimingAndSpamdBackoffOutOfRangeNameTheirOwnLineInTheFilesUnits() {
        // until session 54 these were the builders' words: "node.conf line 8: clamd: jitter PT2H is longer than the
        // interval PT1H (the default)", "node.conf line 6: scanner: initialBackoff must be at most 10 minutes, was
        // PT11M" (the scanner line, not the key's), "update interval must be at least 1 s, was PT0.5S"
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.update = /bin/true\nclamd.update-jitter = 2h\n",
                "node.conf line 8: clamd.update-jitter: must not be longer than clamd.update-interval (1h, the"
                        + " default), was 2h");
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.update = /bin/true\nclamd.update-interval = 10m\n"
                        + "clamd.update-jitter = 11m\n",
                "node.conf line 9: clamd.update-jitter: must not be longer than clamd.update-interval (10m), was 11m");
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.update = /bin/true\nclamd.update-interval = 500ms\n",
                "node.conf line 8: clamd.update-interval: must be between 1s and 36500d, was 500ms");
        fails(
                "scanner = spamd:127.0.0.1:783\nspamd.backoff = 11m\n",
                "node.conf line 7: spamd.backoff: must be between 1ms and 10m, was 11m");
        // until session 54 "node.conf line 8: clamd: initialBackoff PT20M exceeds maxBackoff PT5M"
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.max-backoff = 5m\nclamd.backoff = 20m\n",
                "node.conf line 8: clamd.backoff: must not be longer than clamd.max-backoff (5m), was 20m");
    }

    @Test
    void vexiraAndCommandScannersNeedAnExecutableAndMayUpdateOnASchedule() throws Exception {
        Path vascan = dir.resolve("vascan");
        Files.writeString(vascan, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(vascan, PosixFilePermissions.fromString("rwxr-xr-x"));

        ScannerConfig.Result r = read("""
                scanner = vexira:vascan
                vexira.timeout = 30s
                vexira.update = /bin/true
                vexira.update-interval = 1h
                """);

        CommandLineScanner s = (CommandLineScanner) r.scanners().get(0);
        assertThat(s.name()).isEqualTo("vascan");
        assertThat(r.services().stream().map(NodeService::name)).containsExactly("vexira-update");
        fails(
                "scanner = vexira:missing\n",
                "node.conf line 6: scanner: " + dir.resolve("missing") + " is not an executable file");
        fails(
                "scanner = command:nosuch\n",
                "node.conf line 6: scanner: command: 'nosuch' is neither a built-in profile (vascan, vexira,"
                        + " clamscan, clamdscan) nor a profile file");
        fails(
                "scanner = vexira:vascan\nvexira.update-interval = 1h\n",
                "node.conf line 7: vexira.update-interval: the profile vascan has no update command; give"
                        + " vexira.update = COMMAND");
        assertThat(((CommandLineScanner) read("scanner = command:clamscan:vascan\n")
                                .scanners()
                                .get(0))
                        .name())
                .isEqualTo("clamscan");
    }

    /**
     * Session 42 (hdocs' note): the WARN line of a failover member going down said "probed every few seconds
     * meanwhile" whatever {@code clamd.probe-interval} was; it names the group's interval.
     */
    @Test
    void aMemberDownLineNamesTheGroupsProbeInterval() {
        ScannerConfig.FailoverLog log = new ScannerConfig.FailoverLog("gateway");
        log.probedEvery("clamd", Duration.ofMillis(250));
        log.probedEvery("spamd", Duration.ofSeconds(1));
        assertThat(log.downLine("clamd", "127.0.0.1:3310", "connect failed", Duration.ofSeconds(30)))
                .isEqualTo("gateway: clamd member 127.0.0.1:3310 DOWN for 30s (probed every 250ms meanwhile):"
                        + " connect failed");
        assertThat(log.downLine("spamd", "127.0.0.1:783", "refused", Duration.ofSeconds(60)))
                .contains("DOWN for 60s (probed every 1s meanwhile)");
        assertThat(log.downLine("other", "x", "y", Duration.ofSeconds(30))).contains("(not probed meanwhile)");
    }

    /**
     * Session 42 (crash audit): a node's start named no scanner, so which model a node classified with after a restart
     * (the old one or the one a learner had just put in place) was only on {@code /health}. The start's log line
     * names each scanner and, for the classifier, the model it loaded.
     */
    @Test
    void theStartLineNamesTheScannersAndTheModelLoaded() throws Exception {
        BayesModel learned = BayesModel.empty();
        learned.learn(List.of("viagra", "cheap"), true);
        learned.learn(List.of("viagra", "offer"), true);
        learned.learn(List.of("meeting", "agenda"), false);
        learned.save(dir.resolve("site.model"));
        ScannerConfig.Result r = read("scanner = builtin\nscanner = bayes:site.model\n");
        String line = Node.describeScanners(r.scanners());
        assertThat(line)
                .startsWith(r.scanners().get(0).name() + ", ")
                .contains("bayes (in process: a model of 2 spam and 1 ham (")
                .contains("from " + dir.resolve("site.model"));
        assertThat(Node.describeScanners(List.of())).isEqualTo("none");
    }

    @Test
    void bayesLoadsTheModelAtCheckAndWatchesTheFile() throws Exception {
        Path model = dir.resolve("bayes.model");
        BayesModel.empty().save(model);

        ScannerConfig.Result r =
                read("scanner = bayes:bayes.model\nbayes.threshold = 0.9\nbayes.reload-check = 100ms\n");

        BayesScanner s = (BayesScanner) r.scanners().get(0);
        assertThat(s.threshold()).isEqualTo(0.9);
        assertThat(r.services().stream().map(NodeService::name)).containsExactly("bayes-reload");
        String before = s.cacheIdentity().orElseThrow();

        // A retrained model replaces the file: the service picks it up (scans never look at the file themselves).
        BayesModel retrained = BayesModel.empty();
        retrained.learn(List.of("viagra", "cheap"), true);
        retrained.learn(List.of("meeting", "agenda"), false);
        Path next = dir.resolve("next.model");
        retrained.save(next);
        Files.move(next, model, StandardCopyOption.REPLACE_EXISTING);
        assertThat(s.model().spamMessages()).isZero();
        NodeService service = r.services().get(0);
        service.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (s.model().spamMessages() == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // polls for the reload, up to the deadline
            }
        } finally {
            service.close();
        }
        assertThat(s.model().spamMessages()).isEqualTo(1);
        assertThat(s.cacheIdentity().orElseThrow()).isNotEqualTo(before);
        Files.writeString(dir.resolve("broken.model"), "not a model");
        assertThatThrownBy(() -> read("scanner = bayes:broken.model\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 6: scanner: ");
        fails(
                "scanner = bayes:bayes.model\nbayes.threshold = 2\n",
                "node.conf line 7: bayes.threshold: must be in" + " (0, 1], was 2.0");
    }

    @Test
    void bayesLocalDomainsEnableBackscatterDetectionForTheDefaultModelAndAModelFile() throws Exception {
        BayesModel.empty().save(dir.resolve("bayes.model"));
        BayesScanner file =
                (BayesScanner) read("scanner = bayes:bayes.model\nbayes.local-domains = example.org, .Example.NET\n")
                        .scanners()
                        .get(0);
        assertThat(file.detector().localDomains()).containsExactlyInAnyOrder("example.org", "example.net");
        BayesScanner def = (BayesScanner) read("scanner = bayes:default\nbayes.local-domains = example.org\n")
                .scanners()
                .get(0);
        assertThat(def.detector().localDomains()).containsExactly("example.org");
        assertThat(((BayesScanner) read("scanner = bayes:default\n").scanners().get(0))
                        .detector()
                        .localDomains())
                .isEmpty();
        fails(
                "scanner = bayes:default\nbayes.local-domains = user@example.org\n",
                "node.conf line 7: bayes.local-domains: not a domain: 'user@example.org' (in 'user@example.org';"
                        + " domains are separated by commas or blanks)");
        // the whole list is named: "not a domain!" reads as three entries (an audit, session 31)
        fails(
                "scanner = bayes:default\nbayes.local-domains = not a domain!, @@\n",
                "node.conf line 7: bayes.local-domains: not a domain: 'domain!' (in 'not a domain!, @@'; domains are"
                        + " separated by commas or blanks)");
        fails(
                "scanner = bayes:default\nbayes.local-domains = ,\n",
                "node.conf line 7: bayes.local-domains: give at least one domain, e.g. example.org");
    }

    @Test
    void bayesBrandCheckIsOnUnlessTurnedOffForTheDefaultModelAndAModelFile() throws Exception {
        BayesModel.empty().save(dir.resolve("bayes.model"));
        assertThat(((BayesScanner) read("scanner = bayes:default\n").scanners().get(0)).brandCheck())
                .isTrue();
        assertThat(((BayesScanner) read("scanner = bayes:default\nbayes.brand-check = off\n")
                                .scanners()
                                .get(0))
                        .brandCheck())
                .isFalse();
        assertThat(((BayesScanner) read("scanner = bayes:bayes.model\nbayes.brand-check = no\n")
                                .scanners()
                                .get(0))
                        .brandCheck())
                .isFalse();
        assertThat(((BayesScanner) read("scanner = bayes:bayes.model\nbayes.brand-check = on\n")
                                .scanners()
                                .get(0))
                        .brandCheck())
                .isTrue();
        fails(
                "scanner = bayes:default\nbayes.brand-check = maybe\n",
                "node.conf line 7: bayes.brand-check: expected on or off (or true, false, yes, no), got 'maybe'");
    }

    /**
     * The shipped model never changes, so nothing read {@code bayes.reload-check} next to {@code bayes:default}: any
     * value passed {@code --check}, {@code soon} included.
     */
    @Test
    void reloadCheckNextToTheDefaultModelIsAnErrorNamingItsLine() {
        fails(
                "scanner = bayes:default\nbayes.reload-check = soon\n",
                "node.conf line 7: bayes.reload-check: bayes:default is the shipped model, which never changes;"
                        + " the setting is for a model file (bayes:MODEL)");
        fails(
                "scanner = bayes:default\nbayes.reload-check = 10s\n",
                "node.conf line 7: bayes.reload-check: bayes:default is the shipped model, which never changes;"
                        + " the setting is for a model file (bayes:MODEL)");
    }

    /** The JDK's message of a missing or unreadable file is its bare path: the reason was lost. */
    @Test
    void anAttachmentPolicyThatCannotBeReadSaysWhy() {
        fails(
                "scanner = attachments:missing.txt\n",
                "node.conf line 6: scanner: attachment policy " + dir.resolve("missing.txt") + ": no such file");
    }

    /** A policy file that is not UTF-8 text was "attachment policy Input length = 1": no file, no reason. */
    @Test
    void anAttachmentPolicyThatIsNotTextNamesTheFileAndSaysSo() throws Exception {
        Files.write(dir.resolve("policy.bin"), new byte[] {'b', 'l', (byte) 0xff, (byte) 0xfe, '\n'});
        fails(
                "scanner = attachments:policy.bin\n",
                "node.conf line 6: scanner: attachment policy " + dir.resolve("policy.bin")
                        + ": not valid text in the encoding it is read in (UTF-8 for configuration and policy files)");
    }

    @Test
    void builtinIsTheEmbeddedSetAndAnAttachmentsLineReplacesItsPolicy() throws Exception {
        Files.writeString(dir.resolve("policy.txt"), "defaults\nblock extension txt\n");
        assertThat(read("scanner = builtin\n").scanners().stream().map(Scanner::name))
                .containsExactly("builtin", "attachments", "bayes");
        assertThat(read("scanner = attachments:policy.txt\n").scanners().stream()
                        .map(Scanner::name))
                .containsExactly("attachments");
        // was: "a second scanner named 'attachments' ...: give attachments:FILE without builtin", which left a node
        // on the embedded set no way to its own policy but giving up the EICAR scanner
        List<Scanner> both =
                read("scanner = builtin\nscanner = attachments:policy.txt\n").scanners();
        assertThat(both.stream().map(Scanner::name)).containsExactly("builtin", "bayes", "attachments");
        byte[] notes = ("From: a@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                        + "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n"
                        + "some notes\r\n--b--\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(both.get(2).scan(org.mailhygiene.api.Message.of(notes)).outcome())
                .as("the file's policy, not the default one")
                .isEqualTo(org.mailhygiene.api.Outcome.SUSPICIOUS);
        fails(
                "scanner = builtin\nscanner = attachments:policy.txt\nscanner = attachments\n",
                "node.conf line 8: scanner: a second scanner named 'attachments' (the scanner on line 7 has that name)");
    }

    @Test
    void aBayesLineReplacesTheClassifierOfBuiltinAsBayesDoesWithBuiltinInHygieneScan() throws Exception {
        Path model = dir.resolve("site.model");
        BayesModel.empty().save(model);
        // was: "a second scanner named 'bayes' (the scanner on line 6 has that name)", and no way to give a relay
        // the EICAR/GTUBE scanner together with its own model or the default one's local domains
        ScannerConfig.Result r = read("scanner = builtin\nscanner = bayes:site.model\n");
        assertThat(r.scanners().stream().map(Scanner::name)).containsExactly("builtin", "attachments", "bayes");
        assertThat(r.services().stream().map(NodeService::name)).containsExactly("bayes-reload");
        assertThat(((BayesScanner) r.scanners().get(2)).model().hamMessages()).isZero();
        assertThat(
                        read("scanner = bayes:default\nscanner = builtin\nbayes.local-domains = example.org\n")
                                .scanners()
                                .stream()
                                .map(Scanner::name))
                .containsExactly("bayes", "builtin", "attachments");
        node("scanner = builtin\nscanner = bayes:site.model\n").check();
        fails(
                "scanner = builtin\nbayes.local-domains = example.org\n",
                "node.conf line 7: bayes.local-domains: no bayes scanner is configured (builtin's classifier takes no"
                        + " settings: add scanner = bayes:default, or bayes:MODEL, which replaces it)");
    }

    @Test
    void settingsOfAnUnconfiguredScannerAndBadValuesAreErrorsWithTheLine() {
        fails(
                "scanner = builtin\nclamd.deadline = 30s\n",
                "node.conf line 7: clamd.deadline: no clamd scanner is" + " configured");
        fails(
                "scanner = builtin\nspam-threshold = 6.8\n",
                "node.conf line 7: spam-threshold: no spamd scanner is" + " configured");
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.size-limit = lots\n",
                "node.conf line 7: clamd.size-limit: expected a size in bytes, optionally with k, m or g (e.g. 25m),"
                        + " was 'lots'");
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.deadline = soon\n",
                "node.conf line 7: clamd.deadline: not a duration (e.g. 30s, 5m, 2h, 7d): 'soon'");
        fails(
                "scanner = clamd:127.0.0.1:3310\nclamd.update-interval = 1h\n",
                "node.conf line 7: clamd.update-interval: needs clamd.update = COMMAND");
        // the clamd keys there are are listed (session 40)
        assertThatThrownBy(() -> node("scanner = builtin\nclamd.colour = red\n").check())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 7: unknown key 'clamd.colour' (known: clamd.backoff,");
    }

    @Test
    void failurePolicyKeysAreValidated() throws Exception {
        node("""
                scanner = clamd:127.0.0.1:3310
                on-failure = tempfail
                on-failure.too-large = accept
                clamd.on-failure.unavailable = tempfail
                """).check();
        fails(
                "scanner = builtin\non-failure = shrug\n",
                "node.conf line 7: on-failure: must be 'tempfail' (451, the client retries) or 'accept' (delivered with"
                        + " an X-Hygiene-Unscanned header), was 'shrug'");
        fails(
                "scanner = builtin\nspamd.on-failure = accept\n",
                "node.conf line 7: spamd.on-failure: no spamd scanner is configured");
        fails(
                "scanner = builtin\non-failure.melted = accept\n",
                "node.conf line 7: unknown key 'on-failure.melted' (known: on-failure.protocol-error,"
                        + " on-failure.scanner-error, on-failure.timed-out, on-failure.too-large, on-failure.unavailable,"
                        + " on-failure.unscannable)");
    }

    /**
     * spamd's default size limit (512000, spamc's) is far below the default max-message-size (10240000): every message
     * in between failed with too-large and, by the default tempfail, got 451 at every attempt until its sender gave
     * up (seen from outside: a 700 KB message through a spamd edge, smtp-source, "451 4.3.0 Message too large to
     * scan" each time). The configuration now says so, and stays quiet once the administrator decided.
     */
    @Test
    void aSizeLimitBelowMaxMessageSizeThatWouldTempfailForEverIsWarnedOf() throws Exception {
        assertThat(node("scanner = spamd:127.0.0.1:783\n").configurationWarnings())
                .singleElement()
                .asString()
                .contains("spamd.size-limit 512000 is below max-message-size 10240000", "451 at every attempt")
                .contains("spamd.on-failure.too-large = accept");
        assertThat(node("scanner = spamd:127.0.0.1:783\nspamd.on-failure.too-large = accept\n")
                        .configurationWarnings())
                .isEmpty();
        assertThat(node("scanner = spamd:127.0.0.1:783\non-failure = accept\n").configurationWarnings())
                .isEmpty();
        assertThat(node("scanner = spamd:127.0.0.1:783\nspamd.size-limit = 20m\n")
                        .configurationWarnings())
                .isEmpty();
        assertThat(node("scanner = spamd:127.0.0.1:783\nmax-message-size = 500000\n")
                        .configurationWarnings())
                .isEmpty();
        // clamd's default 25m is above the default max-message-size; a larger one is warned of, with clamd's remedy
        assertThat(node("scanner = clamd:127.0.0.1:3310\n").configurationWarnings())
                .isEmpty();
        assertThat(node("scanner = clamd:127.0.0.1:3310\nmax-message-size = 50m\n")
                        .configurationWarnings())
                .singleElement()
                .asString()
                .contains("clamd.size-limit 26214400 is below max-message-size 52428800", "raise clamd.size-limit");
        // a family-wide accept that another key sets back to tempfail for too-large still warns
        assertThat(node("scanner = spamd:127.0.0.1:783\nspamd.on-failure = accept\n"
                                + "spamd.on-failure.too-large = tempfail\n")
                        .configurationWarnings())
                .hasSize(1);
        assertThat(node("scanner = builtin\n").configurationWarnings()).isEmpty();
    }

    @Test
    void sizesParse() {
        assertThat(ScannerConfig.parseSize("512000")).isEqualTo(512_000);
        assertThat(ScannerConfig.parseSize("25M")).isEqualTo(25L * 1024 * 1024);
        assertThat(ScannerConfig.parseSize("4k")).isEqualTo(4096);
        assertThatThrownBy(() -> ScannerConfig.parseSize("0")).hasMessageContaining("positive");
        assertThatThrownBy(() -> ScannerConfig.parseSize("-1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checkFindsWhatOnlyTheNodeWouldRefuse() throws Exception {
        // The daily report must be deliverable without making the node's own address a relay.
        ConfigFile c = ConfigFile.parse(
                "node.conf",
                HEAD.replace("role = edge", "role = gateway") + "scanner = builtin\nreport-to = a@b.example\n");
        Node.Builder b = NodeConfig.parse(c, dir);
        assertThatThrownBy(b::check)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the daily report to a@b.example could not be delivered");
    }
}
