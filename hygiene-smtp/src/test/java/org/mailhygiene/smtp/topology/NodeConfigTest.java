package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;

/** The node configuration format: a valid file builds a working node; every error names the line and the problem. */
class NodeConfigTest {
    private static final String VALID = """
            # an edge
            role = edge
            name = edge-x
            listen = 127.0.0.1:0
            data = data/edge-x
            accept-domain = dept-a.example, dept-b.example
            relay-client = 127.0.0.13
            route = dept-a.example:127.0.0.13:2525
            route = dept-b.example:127.0.0.13:2525
            scanner = builtin
            stats-flush = 2s
            """;

    @TempDir
    Path dir;

    private Node.Builder parse(String text) throws Exception {
        return NodeConfig.parse(ConfigFile.parse("node.conf", text), dir);
    }

    @Test
    void aValidFileBuildsANodeThatStarts() throws Exception {
        try (Node node = parse(VALID).build()) {
            node.start();
            assertThat(node.name()).isEqualTo("edge-x");
            assertThat(node.role()).isEqualTo(Role.EDGE);
            assertThat(node.address().getPort()).isPositive();
        }
        assertThat(Files.isDirectory(dir.resolve("data/edge-x/spool"))).isTrue();
        assertThat(Files.isDirectory(dir.resolve("data/edge-x/stats"))).isTrue();
    }

    /**
     * The admin endpoint has no authentication, and the documentation says to bind it to loopback or a management
     * network: the wildcard address or a public one is a warning naming the key, its line and the exposure (printed by
     * {@code --check} and at start). Until session 51 {@code admin-listen = 0.0.0.0:9025} said nothing.
     */
    @Test
    void anAdminEndpointOnEveryInterfaceOrAPublicAddressIsAWarning() throws Exception {
        assertThat(parse(VALID + "admin-listen = 0.0.0.0:9025\n").configurationWarnings())
                .containsExactly("admin-listen (node.conf line 12): 0.0.0.0:9025: /metrics and /health are served"
                        + " without authentication on every interface of this host, public ones included, to anyone"
                        + " who can reach the port (bind it to loopback, 127.0.0.1:9025, or a management network's"
                        + " address, or firewall the port)");
        assertThat(parse(VALID + "admin-listen = [::]:9025\n").configurationWarnings())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("admin-listen (node.conf line 12): [::]:9025: ")
                .contains("on every interface of this host");
        assertThat(parse(VALID + "admin-listen = 192.0.2.7:9025\n").configurationWarnings())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("192.0.2.7:9025: /metrics and /health are served without authentication on a public address");
        for (String quiet : List.of(
                "127.0.0.1:9025",
                "[::1]:9025",
                "10.1.2.3:9025",
                "192.168.1.5:9025",
                "172.16.0.1:9025",
                "[fd00::5]:9025",
                "[fe80::1]:9025")) {
            assertThat(parse(VALID + "admin-listen = " + quiet + "\n").configurationWarnings())
                    .as(quiet)
                    .isEmpty();
        }
    }

    @Test
    void spamStatusSaysWhetherCleanMailGetsTheSpamHeaders() throws Exception {
        List<ScanResult> scored = List.of(Verdict.builder("bayes", Outcome.CLEAN)
                .score(0.25)
                .threshold(0.8)
                .rule(Rule.of("BAYES_20", 0.25))
                .build());
        for (String setting : new String[] {"", "spam-status = all\n", "spam-status = ALL\n"}) {
            Path file = dir.resolve("all.conf");
            Files.writeString(file, "name = m\nscanner = builtin\n" + setting);
            assertThat(NodeConfig.readScanning(file).policy().decide(scored).headers())
                    .as(setting)
                    .contains(new Header("X-Spam-Flag", "NO"))
                    .contains(new Header("X-Spam-Status", "No, score=0.25 required=0.8 tests=BAYES_20 scanner=bayes"));
        }
        Path file = dir.resolve("spam.conf");
        Files.writeString(file, "name = m\nscanner = builtin\nspam-status = spam\n");
        assertThat(NodeConfig.readScanning(file).policy().decide(scored).headers())
                .isEmpty();
    }

    /**
     * {@code not-read-action} (session 55): what a message becomes when the built-in signature scanner names what it
     * could not search; until then nothing could be configured and such a message was delivered unmarked.
     */
    @Test
    void notReadActionDecidesAMessageNotAllSearched() throws Exception {
        List<ScanResult> notRead = List.of(Verdict.builder("builtin", Outcome.CLEAN)
                .rule(new Rule(
                        org.mailhygiene.api.policy.DefaultPolicy.NOT_READ_RULE,
                        java.util.OptionalDouble.empty(),
                        "not searched: MIME part '2' (application/octet-stream, a.rar): RAR file \"a.txt\""))
                .build());
        Path file = dir.resolve("not-read.conf");
        java.util.Map<String, org.mailhygiene.api.policy.Action> expected = java.util.Map.of(
                "", org.mailhygiene.api.policy.Action.ACCEPT,
                "not-read-action = ignore\n", org.mailhygiene.api.policy.Action.ACCEPT,
                "not-read-action = accept\n", org.mailhygiene.api.policy.Action.ACCEPT,
                "not-read-action = Quarantine\n", org.mailhygiene.api.policy.Action.QUARANTINE,
                "not-read-action = reject\n", org.mailhygiene.api.policy.Action.REJECT,
                "not-read-action = tempfail\n", org.mailhygiene.api.policy.Action.TEMPFAIL);
        for (var e : expected.entrySet()) {
            Files.writeString(file, "name = m\nscanner = builtin\n" + e.getKey());
            var d = NodeConfig.readScanning(file).policy().decide(notRead);
            assertThat(d.action()).as(e.getKey()).isEqualTo(e.getValue());
            boolean marked = !e.getKey().isEmpty()
                    && !e.getKey().contains("ignore")
                    && !e.getKey().contains("reject")
                    && !e.getKey().contains("tempfail");
            assertThat(d.headers())
                    .as(e.getKey())
                    .extracting(Header::name)
                    .isEqualTo(marked ? List.of(org.mailhygiene.api.policy.DefaultPolicy.NOT_READ_HEADER) : List.of());
        }
        fails(
                VALID + "not-read-action = tag\n",
                "node.conf line 12: not-read-action: must be 'ignore', 'accept', 'quarantine', 'reject' or 'tempfail',"
                        + " was 'tag'");
        fails(
                VALID.replace("scanner = builtin", "scanner = clamd:127.0.0.1:1") + "not-read-action = quarantine\n",
                "node.conf line 12: not-read-action: no builtin scanner is configured (only scanner = builtin says what"
                        + " it could not search, which this decides)");
        Files.writeString(file, "name = m\nscanner = attachments\nnot-read-action = reject\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + " line 3: not-read-action: no builtin scanner is configured");
    }

    /**
     * An audit (session 31): a milter file's {@code listen = localhost} or a port out of range passed
     * {@code hygiene milter --check} and failed only at start, naming the command-line option; it is checked with the
     * file and line now, as {@code admin-listen} was.
     */
    @Test
    void aMilterFilesListenAddressIsCheckedWithItsLine() throws Exception {
        Path file = dir.resolve("listen.conf");
        for (String bad : List.of("localhost", "127.0.0.1:99999", "mx.example:25", "127.0.0.1:port")) {
            Files.writeString(file, "name = m\nscanner = builtin\nlisten = " + bad + "\n");
            assertThatThrownBy(() -> NodeConfig.readScanning(file))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(file + " line 3: listen: ");
        }
        Files.writeString(file, "name = m\nscanner = builtin\nlisten = 127.0.0.1:8891\n");
        assertThat(NodeConfig.readScanning(file).listen()).contains("127.0.0.1:8891");
    }

    @Test
    void eachScoringScannerHasItsOwnRejectScoreOnItsOwnScale() throws Exception {
        Path file = dir.resolve("reject-each.conf");
        Files.writeString(
                file,
                "name = m\nscanner = builtin\nscanner = spamd:127.0.0.1:1\nbayes.reject-score = 0.99\n"
                        + "spamd.reject-score = 12\n");
        org.mailhygiene.api.policy.Policy policy = NodeConfig.readScanning(file).policy();
        java.util.function.BiFunction<String, Double, List<ScanResult>> spam =
                (scanner, score) -> List.of(Verdict.builder(scanner, Outcome.SPAM)
                        .score(score)
                        .threshold(scanner.equals("bayes") ? 0.8 : 5)
                        .rule(Rule.of("R", score))
                        .build());
        org.mailhygiene.api.policy.Action reject = org.mailhygiene.api.policy.Action.REJECT;
        org.mailhygiene.api.policy.Action tag = org.mailhygiene.api.policy.Action.TAG;
        assertThat(policy.decide(spam.apply("bayes", 0.995)).action()).isEqualTo(reject);
        assertThat(policy.decide(spam.apply("bayes", 0.95)).action()).isEqualTo(tag);
        assertThat(policy.decide(spam.apply("spamd", 7.1)).action()).isEqualTo(tag);
        assertThat(policy.decide(spam.apply("spamd", 12.0)).action()).isEqualTo(reject);
        // with one general score instead, spamd's 7.1 points are over 0.99: it cannot mean the classifier alone
        Files.writeString(file, "name = m\nscanner = builtin\nscanner = spamd:127.0.0.1:1\nspam-reject-score = 0.99\n");
        assertThat(NodeConfig.readScanning(file)
                        .policy()
                        .decide(spam.apply("spamd", 7.1))
                        .action())
                .isEqualTo(reject);
        Files.writeString(
                file,
                "name = m\nscanner = builtin\nscanner = spamd:127.0.0.1:1\nspam-reject-score = 0.99\n"
                        + "spamd.reject-score = 12\n");
        assertThat(NodeConfig.readScanning(file)
                        .policy()
                        .decide(spam.apply("spamd", 7.1))
                        .action())
                .isEqualTo(tag);
        assertThat(NodeConfig.readScanning(file)
                        .policy()
                        .decide(spam.apply("bayes", 0.995))
                        .action())
                .isEqualTo(reject);
    }

    @Test
    void spamRejectScoreRefusesTheSureSpamAndTagsTheRest() throws Exception {
        Path file = dir.resolve("reject.conf");
        Files.writeString(file, "name = m\nscanner = builtin\nspam-reject-score = 0.99\n");
        org.mailhygiene.api.policy.Policy policy = NodeConfig.readScanning(file).policy();
        java.util.function.DoubleFunction<List<ScanResult>> bayes =
                score -> List.of(Verdict.builder("bayes", Outcome.SPAM)
                        .score(score)
                        .threshold(0.8)
                        .rule(Rule.of("BAYES_95", score))
                        .build());
        assertThat(policy.decide(bayes.apply(0.995)).action()).isEqualTo(org.mailhygiene.api.policy.Action.REJECT);
        assertThat(policy.decide(bayes.apply(0.995)).reply().code()).isEqualTo(554);
        assertThat(policy.decide(bayes.apply(0.95)).action()).isEqualTo(org.mailhygiene.api.policy.Action.TAG);
        Files.writeString(file, "name = m\nscanner = builtin\n");
        assertThat(NodeConfig.readScanning(file)
                        .policy()
                        .decide(bayes.apply(0.995))
                        .action())
                .as("never rejected by default")
                .isEqualTo(org.mailhygiene.api.policy.Action.TAG);
    }

    @Test
    void qmailFilesAreRead() throws Exception {
        Files.writeString(dir.resolve("rcpthosts"), "dept-a.example\n");
        Files.writeString(dir.resolve("tcp"), "127.0.0.11:allow,RELAYCLIENT=\"\"\n:deny\n");
        Files.writeString(dir.resolve("smtproutes"), "dept-a.example:127.0.0.21:2525\n:127.0.0.11,127.0.0.12\n");
        String text = """
                role = gateway
                name = gw
                listen = 127.0.0.1:0
                data = gw
                rcpthosts = rcpthosts
                tcprules = tcp
                smtproutes = smtproutes
                scanner = builtin
                """;
        try (Node node = parse(text).build()) {
            node.start();
            assertThat(node.role()).isEqualTo(Role.GATEWAY);
        }
    }

    /** An smtproutes file saved as Latin-1 is an error naming its line, not "Input length = 1". */
    @Test
    void anSmtproutesFileThatIsNotUtf8NamesItsLine() throws Exception {
        Files.write(
                dir.resolve("smtproutes"),
                "dept-a.example:127.0.0.21:2525\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        fails(
                VALID + "smtproutes = smtproutes\n",
                "node.conf line 12: smtproutes: " + dir.resolve("smtproutes")
                        + " line 2: not UTF-8 text (byte 0xE9); save the file as UTF-8");
    }

    @Test
    void thePostmasterDefaultsToTheFirstAcceptedDomainAndCanBeSet() throws Exception {
        assertThat(parse(VALID).postmaster()).isEqualTo("postmaster@dept-a.example");
        assertThat(parse(VALID.replace(
                                "accept-domain = dept-a.example, dept-b.example", "accept-domain = .sub.example"))
                        .postmaster())
                .isEqualTo("postmaster@edge-x");
        assertThat(parse(VALID + "postmaster = abuse@ops.example\n").postmaster())
                .isEqualTo("abuse@ops.example");
        // an internationalised accepted domain makes an ASCII mailbox by its A-labels
        assertThat(parse(VALID.replace("dept-a.example, dept-b.example", "b\u00fccher.example, dept-b.example"))
                        .postmaster())
                .isEqualTo("postmaster@xn--bcher-kva.example");
        assertThat(parse(VALID.replace("accept-domain = dept-a.example, dept-b.example", "")
                                .replace("name = edge-x", "name = edge_x"))
                        .postmaster())
                .isEqualTo("postmaster");
        fails(
                VALID + "postmaster = nobody\n",
                "node.conf line 12: postmaster: postmaster must be LOCAL@DOMAIN (ASCII, a dot-atom local part, a domain"
                        + " name or an address literal), was 'nobody'");
    }

    @Test
    void delayWarningIsADurationOffByDefaultOrWithZeroAndShorterThanTheQueueLifetime() throws Exception {
        parse(VALID + "delay-warning = 4h\n").build().close();
        parse(VALID + "delay-warning = 0\n").build().close();
        parse(VALID + "queue-lifetime = 2d\ndelay-warning = 1d\n").build().close();
        fails(
                VALID + "delay-warning = 7d\n",
                "node.conf line 12: delay-warning: must be shorter than queue-lifetime (7d); a message that waited"
                        + " that long bounces");
        fails(
                VALID + "queue-lifetime = 1h\ndelay-warning = 4h\n",
                "node.conf line 13: delay-warning: must be shorter than queue-lifetime (1h); a message that waited"
                        + " that long bounces");
        assertThatThrownBy(() -> parse(VALID + "delay-warning = soon\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 12: delay-warning: ");
    }

    @Test
    void incompleteRetentionIsAPositiveDuration() throws Exception {
        parse(VALID + "incomplete-retention = 30d\n").build().close();
        fails(VALID + "incomplete-retention = 0s\n", "node.conf line 12: incomplete-retention: must be positive");
        assertThatThrownBy(() -> parse(VALID + "incomplete-retention = forever\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 12: incomplete-retention: ");
    }

    @Test
    void stopGraceIsAPositiveDurationOfAtMostTenMinutes() throws Exception {
        parse(VALID + "stop-grace = 90s\n").build().close();
        fails(VALID + "stop-grace = 11m\n", "node.conf line 12: stop-grace: must be at most 10m, was 11m");
        fails(VALID + "stop-grace = 601s\n", "node.conf line 12: stop-grace: must be at most 10m, was 601s");
        parse(VALID + "stop-grace = 10m\n").build().close();
        fails(VALID + "stop-grace = 0s\n", "node.conf line 12: stop-grace: must be positive");
    }

    /**
     * An internationalised host name was refused as "not a domain", and so were the postmaster's and the report's
     * mailboxes in such a domain; the names are used as A-labels (session 38).
     */
    @Test
    void anInternationalisedHostnameIsUsedAsItsALabels() throws Exception {
        assertThat(parse(VALID + "hostname = Mail.B\u00fccher.example\n").hostname())
                .isEqualTo("mail.xn--bcher-kva.example");
        assertThat(parse(VALID + "hostname = mx1.example.org\n").hostname()).isEqualTo("mx1.example.org");
        assertThat(parse(VALID + "postmaster = admin@B\u00fccher.example\n").postmaster())
                .isEqualTo("admin@xn--bcher-kva.example");
        // the report's mailbox in an accepted domain written as U-labels: the check that it can be delivered agrees
        parse(VALID
                        + "accept-domain = b\u00fccher.example\nreport-to = ops@xn--bcher-kva.example\n"
                        + "report-from = hygiene@b\u00fccher.example\n")
                .build()
                .close();
        fails(
                VALID + "postmaster = j\u00f6rg@b\u00fccher.example\n",
                "node.conf line 12: postmaster: postmaster must be LOCAL@DOMAIN (ASCII, a dot-atom local part, a domain"
                        + " name or an address literal), was 'j\u00f6rg@xn--bcher-kva.example'");
    }

    private void fails(String text, String message) {
        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    /**
     * A qmail file the configuration names that cannot be read was not a configuration error: {@code hygiene relay}
     * said {@code cannot read /path} with neither the file and line that name it nor the reason.
     */
    @Test
    void anUnreadableQmailFileIsAnErrorNamingItsLineAndTheReason() {
        for (String key : List.of("rcpthosts", "tcprules", "smtproutes")) {
            Path missing = dir.resolve("missing-" + key);
            fails(
                    VALID + key + " = missing-" + key + "\n",
                    "node.conf line 12: " + key + ": " + missing + ": no such file");
        }
        // a directory fails with a bare "Is a directory": the file is named all the same
        for (String key : List.of("rcpthosts", "tcprules", "smtproutes")) {
            Path d = dir.resolve("dir-" + key);
            assertThatThrownBy(() -> {
                        Files.createDirectories(d);
                        parse(VALID + key + " = dir-" + key + "\n");
                    })
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("node.conf line 12: " + key + ": " + d + ": ");
        }
    }

    /**
     * A route to the node's own listen address (a copied file whose route was not changed, a port typed as the
     * node's own) passed {@code --check}: the mail came back and went round, scanned at every turn, until the limit of
     * 50 Received fields refused it and a bounce went out (audit, session 37). Now it is an error naming the line.
     */
    @Test
    void aRouteToTheNodesOwnListenAddressIsAnError() throws Exception {
        String own = VALID.replace("listen = 127.0.0.1:0", "listen = 127.0.0.11:2525");
        fails(
                own.replace("route = dept-a.example:127.0.0.13:2525", "route = dept-a.example:127.0.0.11:2525"),
                "node.conf line 8: route: 'dept-a.example' goes to 127.0.0.11:2525, this node's own listen address:"
                        + " its mail would come back and loop");
        fails(
                own + "route = :127.0.0.12:2525,127.0.0.11:2525\n",
                "node.conf line 12: route: the default route goes to 127.0.0.11:2525, this node's own listen"
                        + " address: its mail would come back and loop");
        Path routes = dir.resolve("smtproutes");
        Files.writeString(routes, "# routes\nother.example:127.0.0.11:2525\n");
        fails(
                own + "smtproutes = smtproutes\n",
                "node.conf line 12: smtproutes: " + routes + " line 2: 'other.example' goes to 127.0.0.11:2525, this"
                        + " node's own listen address: its mail would come back and loop");
        // listening on every address: a loopback hop on the same port is this node too
        fails(
                VALID.replace("listen = 127.0.0.1:0", "listen = 0.0.0.0:2525")
                        .replace("127.0.0.13:2525", "127.0.0.1:2525"),
                "node.conf line 8: route: 'dept-a.example' goes to 127.0.0.1:2525, this node's own listen address:"
                        + " its mail would come back and loop");
        // another port of the same address is another node
        parse(own.replace("route = dept-a.example:127.0.0.13:2525", "route = dept-a.example:127.0.0.11:2526"));
    }

    /**
     * A typo'd address, {@code 127.0.0.300}, passed as a host name: the node looked it up in DNS at every attempt
     * and bounced the domain's mail when the queue lifetime ended (audit, session 37). RFC 1123 2.1: a dotted number
     * is no host name.
     */
    @Test
    void aDottedNumberThatIsNoAddressIsAnError() throws Exception {
        fails(
                VALID.replace("route = dept-a.example:127.0.0.13:2525", "route = dept-a.example:127.0.0.300:2525"),
                "node.conf line 8: route: 'dept-a.example': 127.0.0.300 is no IPv4 address (four numbers 0 to 255)"
                        + " and no host name");
        fails(
                VALID + "route = :10.0.0.1,127.0.1\n",
                "node.conf line 12: route: the default route: 127.0.1 is no IPv4 address (four numbers 0 to 255)"
                        + " and no host name");
    }

    /**
     * A domain routed twice was reported at the line of the joined routes text ("routes: smtproutes line 3"), a line
     * of no file: now both places that give the domain are named, in the file or in the smtproutes file.
     */
    @Test
    void aDomainRoutedTwiceNamesBothLines() throws Exception {
        fails(
                VALID + "route = DEPT-A.example:127.0.0.14\n",
                "node.conf line 12: route: duplicate route for 'dept-a.example' (the first at node.conf line 8)");
        fails(
                VALID + "route = :127.0.0.14\nroute = :127.0.0.15\n",
                "node.conf line 13: route: a second default route (the first at node.conf line 12)");
        Path routes = dir.resolve("smtproutes");
        Files.writeString(routes, "# routes\n\nother.example:127.0.0.21\n");
        fails(
                VALID + "smtproutes = smtproutes\nroute = other.example:127.0.0.22\n",
                "node.conf line 13: route: duplicate route for 'other.example' (the first at " + routes + " line 3)");
        Files.writeString(routes, "other.example:127.0.0.21\nOther.example:127.0.0.22\n");
        fails(
                VALID + "smtproutes = smtproutes\n",
                "node.conf line 12: smtproutes: " + routes
                        + ": smtproutes line 2: duplicate route for 'other.example'");
    }

    @Test
    void errorsNameTheLineAndTheProblem() throws Exception {
        fails(VALID + "colour = blue\n", "node.conf line 12: unknown key 'colour'");
        fails(
                VALID.replace("role = edge", "role = hub"),
                "node.conf line 2: role: must be 'edge' or 'gateway', was 'hub'");
        fails(
                VALID.replace("127.0.0.1:0", "localhost:0"),
                "node.conf line 4: listen: expected an IP address, was 'localhost'");
        fails(
                VALID.replace("127.0.0.1:0", "127.0.0.1:99999"),
                "node.conf line 4: listen: bad port in '127.0.0.1:99999'");
        fails(
                VALID.replace("route = dept-b.example:127.0.0.13:2525", "route = dept-b.example"),
                "node.conf line 9: route: expected domain:relay[:port]");
        fails(
                VALID.replace("scanner = builtin", "scanner = virusscan"),
                "node.conf line 10: scanner: expected builtin, clamd:ADDRESS[,ADDRESS...], spamd:HOST:PORT[,HOST:PORT...],"
                        + " vexira:PATH, command:PROFILE[:PATH], bayes:MODEL|default, attachments[:POLICY-FILE] or auth, was"
                        + " 'virusscan'");
        fails(
                VALID.replace("scanner = builtin", "scanner = vexira"),
                "node.conf line 10: scanner: vexira needs an argument: vexira:PATH");
        fails(VALID.replace("scanner = builtin\n", ""), "node.conf: required key 'scanner' is missing");
        fails(VALID.replace("name = edge-x\n", ""), "node.conf: required key 'name' is missing");
        fails(VALID + "spam-reject-score = sure\n", "node.conf line 12: spam-reject-score: not a number: 'sure'");
        fails(
                VALID + "spamd.reject-score = 12\n",
                "node.conf line 12: spamd.reject-score: no spamd scanner is configured");
        fails(
                VALID + "bayes.reject-score = 7\n",
                "node.conf line 12: bayes.reject-score: must be in (0, 1] (the classifier scores 0 to 1), was 7.0");
        fails(
                VALID.replace("scanner = builtin", "scanner = clamd:127.0.0.1:1") + "bayes.reject-score = 0.99\n",
                "node.conf line 12: bayes.reject-score: no bayes scanner is configured");
        // clamd has no score; the keys it has are listed (session 40)
        assertThatThrownBy(() -> parse(VALID + "clamd.reject-score = 1\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 12: unknown key 'clamd.reject-score' (known: clamd.backoff,")
                .hasMessageContaining(" clamd.size-limit,");
        fails(VALID + "spam-status = clean\n", "node.conf line 12: spam-status: must be 'all' or 'spam', was 'clean'");
        fails(
                VALID + "virus-action = bounce\n",
                "node.conf line 12: virus-action: must be 'reject' or 'quarantine', was 'bounce'");
        fails(
                VALID + "report-to = a@dept-a.example\nreport-time = 6am\n",
                "node.conf line 13: report-time: expected HH:MM (00:00 to 23:59, no seconds), was '6am'");
        fails(VALID + "report-time = 06:00\n", "node.conf line 12: report-time: needs report-to");
        fails(VALID + "name = again\n", "node.conf line 12: name: given more than once (first on line 3)");
        fails(VALID + "dns = 127.0.0.1\n", "node.conf line 12: dns: expected IP:PORT, was '127.0.0.1'");
        fails(VALID + "dns = resolver:53\n", "node.conf line 12: dns: expected an IP address, was 'resolver'");
        // an unbracketed IPv6 address was read as ::1 port 53 (itself an IPv6 address: the port was a guess), a
        // bracket left open or no port said "expected an IP address, was '[:'"
        fails(
                VALID + "admin-listen = ::1:9025\n",
                "node.conf line 12: admin-listen: write an IPv6 address in brackets: [::1]:9025");
        fails(VALID + "admin-listen = [::1\n", "node.conf line 12: admin-listen: expected [IPV6]:PORT, was '[::1'");
        fails(VALID + "admin-listen = [::1]\n", "node.conf line 12: admin-listen: expected [IPV6]:PORT, was '[::1]'");
        fails(
                VALID + "admin-listen = [::1]x:9025\n",
                "node.conf line 12: admin-listen: expected [IPV6]:PORT, was '[::1]x:9025'");
        fails(
                VALID.replace("listen = 127.0.0.1:0", "listen = ::1:2525"),
                "node.conf line 4: listen: write an IPv6 address in brackets: [::1]:2525");
        parse(VALID + "admin-listen = [::1]:0\n");
        // the dns key had its own reading, which still guessed (::1:53 was ::1 port 53) and said "expected an IP
        // address, was '[:'" for '[::1' (review, session 46)
        fails(
                VALID + "scanner = auth\ndns = ::1:53\n",
                "node.conf line 13: dns: write an IPv6 address in brackets: [::1]:53");
        fails(VALID + "scanner = auth\ndns = [::1\n", "node.conf line 13: dns: expected [IPV6]:PORT, was '[::1'");
        assertThat(parse(VALID + "scanner = auth\ndns = [::1]:53\n")).isNotNull();
        // and '::1]:2525' was told to write '[::1]]:2525', itself no IP:PORT
        fails(
                VALID + "admin-listen = ::1]:9025\n",
                "node.conf line 12: admin-listen: expected [IPV6]:PORT, was '::1]:9025'");
        fails(
                VALID + "dmarc-reject = bounce\n",
                "node.conf line 12: dmarc-reject: must be 'reject' or 'quarantine', was 'bounce'");
        fails(
                VALID + "dkim-sign = example.com:sel\n",
                "node.conf line 12: dkim-sign: expected DOMAIN:SELECTOR:KEY-FILE, was 'example.com:sel'");
        assertThatThrownBy(() -> parse(VALID + "dkim-sign = example.com:sel:missing.key\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 12: dkim-sign: cannot read key file");
        fails(VALID + "spf-helo = on\n", "node.conf line 12: spf-helo: no auth scanner is configured");
        fails(VALID + "dmarc-exempt = 10.0.0.0/8\n", "node.conf line 12: dmarc-exempt: no auth scanner is configured");
        assertThatThrownBy(
                        () -> parse(VALID + "scanner = auth\ndmarc-exempt = 10.0.0.0/8\ndmarc-exempt = 10.1.2.300\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 14: dmarc-exempt: ");
        assertThat(parse(VALID + "scanner = auth\ndmarc-exempt = 10.0.0.0/8, 192.0.2.\n"))
                .isNotNull();
        assertThatThrownBy(() -> parse(VALID + "scanner = auth\nspf-helo = sometimes\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 13")
                .hasMessageContaining("spf-helo")
                .hasMessageContaining("'sometimes'");
        fails(
                VALID + "arc-seal = example.com:sel:k.pem\n",
                "node.conf line 12: arc-seal: needs 'scanner = auth' (the seal carries its results)");
        fails(
                VALID + "scanner = auth\narc-seal = example.com:sel\n",
                "node.conf line 13: arc-seal: expected DOMAIN:SELECTOR:KEY-FILE, was 'example.com:sel'");
        assertThatThrownBy(() -> parse(VALID + "scanner = auth\narc-seal = example.com:sel:missing.key\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 13: arc-seal: cannot read key file");
        assertThatThrownBy(() -> parse(VALID + "scanner = auth\narc-seal = a.example:s:k\narc-seal = b.example:s:k\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("node.conf line 14: arc-seal: given more than once (first on line 13)");
    }

    @Test
    void authScannerDnsAndDkimSigningAreAccepted() throws Exception {
        java.security.KeyPair kp = org.mailhygiene.scanners.auth.DkimKeys.generate("ed25519", 0);
        Files.writeString(dir.resolve("k.pem"), org.mailhygiene.scanners.auth.DkimKeys.toPem(kp.getPrivate()));
        String text = VALID + "scanner = auth\ndns = 127.0.0.1:5353\ndmarc-reject = quarantine\n"
                + "dkim-sign = dept-a.example:s1:k.pem\narc-seal = gw.dept-a.example:arc:k.pem\nspf-helo = on\n";
        try (Node node = parse(text).build()) {
            node.start();
            assertThat(node.name()).isEqualTo("edge-x");
        }
    }

    /**
     * Found from outside (session 39): the keys where zero means off took only a bare {@code 0}; {@code 0h} (Postfix's
     * {@code delay_warning_time = 0h}), {@code 0s} and {@code 0k} were refused as "must be positive".
     */
    @Test
    void zeroInAnyUnitSwitchesOffWhatZeroSwitchesOff() throws Exception {
        for (String line : List.of(
                "delay-warning = 0h",
                "greet-delay = 0s",
                "greet-delay = PT0S",
                "min-free-space = 0k",
                "min-free-space = 0")) {
            parse(VALID + line + "\n").build().close();
        }
        fails(VALID + "greet-delay = PT-1S\n", "node.conf line 12: greet-delay: must be positive");
    }

    /**
     * {@code stress-min-data-rate} (session 44): the least rate of a message's data under stress. Read into the
     * limits, 500 octets per second by default; a bad value is an error naming the file and line.
     */
    @Test
    void stressMinDataRateIsReadAndABadValueNamesItsLine() throws Exception {
        assertThat(limits(VALID).stressMinDataRate()).isEqualTo(500);
        assertThat(limits(VALID + "stress-min-data-rate = 2000\n").stressMinDataRate())
                .isEqualTo(2000);
        parse(VALID + "stress-min-data-rate = 1\n").build().close();
        fails(
                VALID + "stress-min-data-rate = 0\n",
                "node.conf line 12: stress-min-data-rate: must be between 1 and 100000000, was 0");
        fails(
                VALID + "stress-min-data-rate = 500/s\n",
                "node.conf line 12: stress-min-data-rate: not a whole number: '500/s'");
    }

    /** {@code stress-max-errors} (session 45): the error replies a session may get under stress, 1 by default. */
    @Test
    void stressMaxErrorsIsReadAndABadValueNamesItsLine() throws Exception {
        assertThat(limits(VALID).stressMaxErrors()).isEqualTo(1);
        assertThat(limits(VALID + "stress-max-errors = 5\n").stressMaxErrors()).isEqualTo(5);
        fails(
                VALID + "stress-max-errors = 0\n",
                "node.conf line 12: stress-max-errors: must be between 1 and 10000, was 0");
    }

    private org.mailhygiene.smtp.server.SmtpLimits limits(String text) throws Exception {
        return LimitsConfig.read(
                ConfigFile.parse("node.conf", text),
                Node.builder(Role.EDGE, "edge-x"),
                dir,
                new java.util.ArrayList<>());
    }

    /** A qmail skip past an int said "For input string: ..." (session 39). */
    @Test
    void aRetrySkipPastTheRangeSaysTheRange() {
        fails(
                VALID + "retry-schedule = qmail:99999999999\n",
                "node.conf line 12: retry-schedule: skip must be 1..1000, was 99999999999 (expected qmail, qmail:SKIP or"
                        + " exponential:MIN,MAX)");
    }

    /**
     * A host name the SMTP server refuses was reported by {@code --check} and at start as "node.conf: hostname is not
     * a domain or address literal", without its line, and a name that is no host name (the host name's default) the
     * same way (session 39).
     */
    @Test
    void aHostnameTheServerWouldRefuseIsAnErrorNamingItsLine() throws Exception {
        fails(
                VALID + "hostname = \"mx.example.org\"\n",
                "node.conf line 12: hostname: hostname is not a domain or address literal: \"mx.example.org\"");
        fails(
                VALID + "hostname = mx..example.org\n",
                "node.conf line 12: hostname: hostname is not a domain or address literal: mx..example.org");
        fails(
                VALID.replace("name = edge-x", "name = edge/x"),
                "node.conf line 3: name: 'edge/x' is no host name, which the name is when 'hostname' is not given: give"
                        + " a hostname");
        parse(VALID.replace("name = edge-x", "name = edge/x") + "hostname = edge-x.example\n")
                .build()
                .close();
        parse(VALID + "hostname = [127.0.0.1]\n").build().close();
    }

    /**
     * {@code listen}, {@code outgoing-address}, {@code admin-listen} and {@code dns} took the short IPv4 forms
     * {@code InetAddress} reads ({@code 127.1} is 127.0.0.1, {@code 1.2.3} is 1.2.0.3), which routes refuse as "no IPv4
     * address (four numbers 0 to 255)" (session 39).
     */
    @Test
    void anIpv4AddressIsFourNumbersInEveryKey() throws Exception {
        fails(
                VALID.replace("listen = 127.0.0.1:0", "listen = 127.1:0"),
                "node.conf line 4: listen: expected an IP address, was '127.1'");
        fails(
                VALID + "outgoing-address = 1.2.3\n",
                "node.conf line 12: outgoing-address: expected an IP address, was" + " '1.2.3'");
        fails(
                VALID + "admin-listen = 127.1:0\n",
                "node.conf line 12: admin-listen: expected an IP address, was" + " '127.1'");
        fails(VALID + "dns = 10.53:53\n", "node.conf line 12: dns: expected an IP address, was '10.53'");
        parse(VALID + "outgoing-address = 127.0.0.1\n").build().close();
        parse(VALID + "outgoing-address = ::1\n");
    }

    /** {@code verdict-cache = yes} was refused ("must be 'on' or 'off'") while {@code dsn = on} was taken (session 39). */
    @Test
    void everySwitchTakesTheSameWords() throws Exception {
        for (String key : List.of("verdict-cache", "dsn", "mime-output-conversion")) {
            for (String word : List.of("on", "off", "yes", "no", "true", "false", "ON")) {
                parse(VALID + key + " = " + word + "\n");
            }
            fails(
                    VALID + key + " = maybe\n",
                    "node.conf line 12: " + key + ": expected on or off (or true, false, yes, no), got 'maybe'");
        }
    }

    /** {@code mime-output-conversion} reaches the delivery client; it is on unless the file says otherwise. */
    @Test
    void mimeOutputConversionIsOnByDefaultAndCanBeSwitchedOff() throws Exception {
        assertThat(parse(VALID).client().mimeOutputConversion()).isTrue();
        assertThat(parse(VALID + "mime-output-conversion = no\n").client().mimeOutputConversion())
                .isFalse();
        assertThat(parse(VALID + "mime-output-conversion = yes\n").client().mimeOutputConversion())
                .isTrue();
    }

    /**
     * A relay key in a milter's file was "unknown key 'route'", as if it were a typo (session 39); a typo is still an
     * unknown key, with its suggestion.
     */
    @Test
    void aRelayKeyInAMilterFileIsNamedAsSuch() throws Exception {
        String milter = "name = m\nlisten = 127.0.0.1:0\nscanner = builtin\n";
        for (String line : List.of(
                "route = example.org:127.0.0.1:2525",
                "accept-domain = example.org",
                "max-recipients = 5",
                "stop-grace = 5s",
                "tls-certificate = cert.pem",
                "role = edge")) {
            Path f = dir.resolve("milter.conf");
            Files.writeString(f, milter + line + "\n");
            String key = line.substring(0, line.indexOf(' '));
            assertThatThrownBy(() -> NodeConfig.readScanning(f))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(f + " line 4: " + key + ": a relay node's key, which a milter does not take (it has no"
                            + " routes, access rules, spool or limits of its own: the MTA has them)");
        }
        Path f = dir.resolve("milter.conf");
        Files.writeString(f, milter + "scaner = clamd:127.0.0.1:1\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(f))
                .hasMessage(f + " line 4: unknown key 'scaner' (did you mean 'scanner'?)");
        Files.writeString(f, milter + "spam-tag = [SPAM]\n");
        assertThat(NodeConfig.readScanning(f).scanners()).isNotEmpty();
    }

    /**
     * An audit (session 40): {@code dns} without {@code scanner = auth} was accepted and did nothing (only that scanner
     * asks it); it is an error, as {@code spf-helo} and {@code arc-seal} without the scanner are. In a milter's file
     * too.
     */
    @Test
    void dnsWithoutTheAuthScannerIsAnError() throws Exception {
        fails(
                VALID + "dns = 127.0.0.1:53\n",
                "node.conf line 12: dns: no auth scanner is configured (only scanner = auth asks this server;"
                        + " a relay's deliveries use the system's resolver)");
        assertThat(parse(VALID + "scanner = auth\ndns = 127.0.0.1:53\n")).isNotNull();
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "name = m\nscanner = builtin\ndns = 127.0.0.1:53\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessageStartingWith(milter + " line 3: dns: no auth scanner is configured");
    }

    /** An audit (session 40): a 10 KB value was repeated whole in its error (10330 characters for a hostname). */
    @Test
    void aVeryLongValueIsQuotedShortInItsError() throws Exception {
        String longName = "a".repeat(10_240) + "!";
        assertThatThrownBy(() -> parse(VALID + "hostname = " + longName + "\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("node.conf line 12: hostname: hostname is not a domain or address literal: "
                        + "a".repeat(120) + "... (10241 characters)");
        assertThatThrownBy(() -> parse(VALID + "virus-action = " + longName + "\n"))
                .hasMessage("node.conf line 12: virus-action: must be 'reject' or 'quarantine', was '" + "a".repeat(120)
                        + "...' (10241 characters)");
        assertThatThrownBy(() -> parse(VALID.replace("role = edge", "role = " + longName)))
                .hasMessage("node.conf line 2: role: must be 'edge' or 'gateway', was '" + "a".repeat(120)
                        + "...' (10241 characters)");
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "name = m\nscanner = builtin\nspam-status = " + longName + "\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessage(milter + " line 3: spam-status: must be 'all' or 'spam', was '" + "a".repeat(120)
                        + "...' (10241 characters)");
    }

    /**
     * An audit (session 40): {@code redis-timeout}, {@code stats-flush}, {@code quarantine-retention} and
     * {@code queue-lifetime} took anything up to 100 years; each has documented bounds now, as the
     * {@code delivery.*-timeout} keys have.
     */
    @Test
    void durationKeysHaveDocumentedBounds() throws Exception {
        fails(
                VALID + "queue-lifetime = 101d\n",
                "node.conf line 12: queue-lifetime: must be between 1m and 100d, was 101d");
        fails(
                VALID + "queue-lifetime = 30s\n",
                "node.conf line 12: queue-lifetime: must be between 1m and 100d, was 30s");
        fails(
                VALID + "quarantine-retention = 3651d\n",
                "node.conf line 12: quarantine-retention: must be between 1h and 3650d, was 3651d");
        fails(
                VALID + "quarantine-retention = 59m\n",
                "node.conf line 12: quarantine-retention: must be between 1h and 3650d, was 59m");
        fails(
                VALID.replace("stats-flush = 2s", "stats-flush = 2h"),
                "node.conf line 11: stats-flush: must be between 1s and 1h, was 2h");
        fails(
                VALID.replace("stats-flush = 2s", "stats-flush = 500ms"),
                "node.conf line 11: stats-flush: must be between 1s and 1h, was 500ms");
        // zero is out of the range too, and said so (until session 54 "must be positive", without the range)
        fails(
                VALID.replace("stats-flush = 2s", "stats-flush = 0s"),
                "node.conf line 11: stats-flush: must be between 1s and 1h, was 0s");
        fails(
                VALID + "queue-lifetime = 0d\n",
                "node.conf line 12: queue-lifetime: must be between 1m and 100d, was 0d");
        fails(
                VALID + "redis = redis://127.0.0.1:1\nredis-timeout = 11s\n",
                "node.conf line 13: redis-timeout: must be between 1ms and 10s, was 11s");
        fails(
                VALID + "redis = redis://127.0.0.1:1\nredis-timeout = PT0.0001S\n",
                "node.conf line 13: redis-timeout: must be between 1ms and 10s, was PT0.0001S");
        assertThat(parse(VALID + "queue-lifetime = 100d\nquarantine-retention = 1h\n"))
                .isNotNull();
        assertThat(parse(VALID + "queue-lifetime = 1m\nquarantine-retention = 3650d\n"))
                .isNotNull();
        assertThat(parse(VALID.replace("stats-flush = 2s", "stats-flush = 1h"))).isNotNull();
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "name = m\nscanner = builtin\nstats-flush = 1d\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessage(milter + " line 3: stats-flush: must be between 1s and 1h, was 1d");
    }

    /**
     * An audit (session 40): a negative {@code spam-reject-score} was accepted. Every spam verdict scores at least its
     * scanner's positive threshold, so a negative one meant what 0 means (reject every spam) while reading otherwise.
     */
    @Test
    void aNegativeSpamRejectScoreIsRefused() throws Exception {
        fails(
                VALID + "spam-reject-score = -5\n",
                "node.conf line 12: spam-reject-score: must be 0 or more (spam scores are at least their positive"
                        + " threshold: 0 already rejects every spam), was -5");
        assertThat(parse(VALID + "spam-reject-score = 0\n")).isNotNull();
        fails(
                VALID + "scanner = spamd:127.0.0.1:1\nspamd.reject-score = -1\n",
                "node.conf line 13: spamd.reject-score: must be 0 or more (spamd's spam scores at least its positive"
                        + " threshold: 0 already rejects every spam), was -1");
    }

    /** An audit (session 40): {@code report-time = 07:30:15} (and {@code 07:30:15.5}) passed, documented HH:MM. */
    @Test
    void reportTimeIsHoursAndMinutesOnly() throws Exception {
        for (String t : List.of("07:30:15", "07:30:15.5", "7:30", "24:00", "07:60")) {
            fails(
                    VALID + "report-to = a@dept-a.example\nreport-time = " + t + "\n",
                    "node.conf line 13: report-time: expected HH:MM (00:00 to 23:59, no seconds), was '" + t + "'");
        }
        assertThat(parse(VALID + "report-to = a@dept-a.example\nreport-time = 23:59\n"))
                .isNotNull();
    }

    /**
     * An audit (session 40): {@code 127.0.0.01} was taken as 127.0.0.1 in {@code listen}, {@code admin-listen},
     * {@code outgoing-address} and {@code dns}, where some programs read a leading zero as octal.
     */
    @Test
    void anIpv4AddressWithLeadingZerosIsRefused() throws Exception {
        String problem = "'127.0.0.010' has a number with a leading zero, which some programs read as octal (010 as"
                + " 8): write it without leading zeros (127.0.0.10 if the numbers are decimal)";
        fails(VALID.replace("listen = 127.0.0.1:0", "listen = 127.0.0.010:0"), "node.conf line 4: listen: " + problem);
        fails(VALID + "admin-listen = 127.0.0.010:0\n", "node.conf line 12: admin-listen: " + problem);
        fails(VALID + "outgoing-address = 127.0.0.010\n", "node.conf line 12: outgoing-address: " + problem);
        fails(VALID + "scanner = auth\ndns = 127.0.0.010:53\n", "node.conf line 13: dns: " + problem);
        fails(
                VALID + "outgoing-address = 010.0.0.1\n",
                "node.conf line 12: outgoing-address: '010.0.0.1' has a number with a leading zero, which some"
                        + " programs read as octal (010 as 8): write it without leading zeros (10.0.0.1 if the numbers"
                        + " are decimal)");
        assertThat(parse(VALID + "outgoing-address = 10.0.0.1\nadmin-listen = 127.0.0.100:0\n"))
                .isNotNull();
        // and where the relay reads other addresses: a route's hop, a relay-client, a scanner daemon's host
        fails(
                VALID + "route = x.example:127.0.0.013:2525\n",
                "node.conf line 12: route: 'x.example': '127.0.0.013' has a number with a leading zero, which some programs read as"
                        + " octal (010 as 8): write it without leading zeros (127.0.0.13 if the numbers are decimal)");
        fails(
                VALID + "relay-client = 127.0.0.013\n",
                "node.conf line 12: relay-client: octet '013' in 127.0.0.013 has a leading zero, which some programs"
                        + " read as octal (010 as 8): write 13 if it is decimal");
        fails(
                VALID + "relay-client = 10.0.0.010/8\n",
                "node.conf line 12: relay-client: '10.0.0.010' has a number with a leading zero, which some programs"
                        + " read as octal (010 as 8): write it without leading zeros (10.0.0.10 if the numbers are"
                        + " decimal)");
        assertThatThrownBy(() -> parse(VALID + "scanner = clamd:127.0.0.01:3310\n"))
                .hasMessageStartingWith(
                        "node.conf line 12: scanner: clamd address '127.0.0.01' has a number with a" + " leading zero");
        assertThatThrownBy(() -> parse(VALID + "scanner = spamd:127.0.0.01:783\n"))
                .hasMessageStartingWith(
                        "node.conf line 12: scanner: spamd host '127.0.0.01' has a number with a" + " leading zero");
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "name = m\nscanner = builtin\nlisten = 127.0.0.010:8891\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter)).hasMessage(milter + " line 3: listen: " + problem);
    }

    /**
     * {@code accept-domain = bad..example} was accepted (an empty label: no address has that domain, so the line
     * silently accepted nothing). Entries with an empty label are refused naming the line, in the file and in an
     * rcpthosts file; qmail's leading-dot form ({@code .sub.example}: every subdomain) stays.
     */
    @Test
    void aDomainWithAnEmptyLabelIsRefusedWithItsLine() throws Exception {
        fails(
                VALID + "accept-domain = bad..example\n",
                "node.conf line 12: accept-domain: empty label in domain entry 'bad..example'");
        fails(
                VALID + "accept-domain = ..example\n",
                "node.conf line 12: accept-domain: empty label in domain entry '..example'");
        fails(
                VALID + "accept-domain = ok.example, .bad..example\n",
                "node.conf line 12: accept-domain: empty label in domain entry '.bad..example'");
        assertThat(parse(VALID + "accept-domain = .sub.example\n")).isNotNull();
        assertThatThrownBy(() -> org.mailhygiene.smtp.access.AcceptedDomains.parse("ok.example\nx..example\n"))
                .hasMessage("line 2: empty label in domain entry 'x..example'");
    }

    /**
     * An audit (session 40): a bad value on a repeated {@code relay-client} or {@code accept-domain} line was reported
     * on the key's first line, a line with nothing wrong.
     */
    @Test
    void aBadValueOnARepeatedLineNamesThatLine() {
        fails(
                VALID + "relay-client = 10.0.0.0/99\n",
                "node.conf line 12: relay-client: prefix length 99 outside 0..32 in 10.0.0.0/99");
        assertThatThrownBy(() -> parse(VALID + "accept-domain = ok.example, user@bad.example\n"))
                .hasMessageStartingWith("node.conf line 12: accept-domain: ");
    }

    /**
     * An audit of the milter's file (session 40): {@code dmarc-reject} without {@code scanner = auth} was accepted and
     * did nothing (relay too); {@code name =} and {@code name = a b} were accepted (a node refuses them);
     * {@code data =} was the file's own directory; {@code hostname} without auth was called "a relay node's key",
     * though the milter takes it with auth.
     */
    @Test
    void aMilterFileRefusesWhatWouldDoNothingOrBeMisread() throws Exception {
        fails(
                VALID + "dmarc-reject = reject\n",
                "node.conf line 12: dmarc-reject: no auth scanner is configured (only scanner = auth checks DMARC, whose"
                        + " failures this decides)");
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "scanner = builtin\ndmarc-reject = quarantine\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessageStartingWith(milter + " line 2: dmarc-reject: no auth scanner is configured");
        for (String name : List.of("", "a b")) {
            Files.writeString(milter, "scanner = builtin\nname = " + name + "\n");
            assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                    .hasMessage(milter + " line 2: name: must be non-blank without white space, was '" + name + "'");
        }
        Files.writeString(milter, "scanner = builtin\ndata =\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessage(milter + " line 2: data: needs a value (the line is empty after '=')");
        Files.writeString(milter, "scanner = builtin\nhostname = mx.example\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessage(milter + " line 2: hostname: no auth scanner is configured (a milter uses hostname only as"
                        + " the auth scanner's authserv-id; the MTA names itself)");
        Files.writeString(milter, "scanner = auth\nhostname = mx.example\ndmarc-reject = quarantine\nname = m-1\n");
        assertThat(NodeConfig.readScanning(milter).name()).contains("m-1");
    }

    /**
     * An audit (session 40): {@code data} naming a file passed {@code --check} (relay and milter) and the start failed
     * with a Java exception's name, without the file and line.
     */
    @Test
    void aDataDirectoryThatIsAFileIsAnErrorNamingTheLine() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        fails(
                VALID.replace("data = data/edge-x", "data = plain"),
                "node.conf line 5: data: " + file + " is not a directory");
        fails(
                VALID.replace("data = data/edge-x", "data = plain/edge-x"),
                "node.conf line 5: data: " + file + " is not a directory (the data directory " + file.resolve("edge-x")
                        + " would be under it)");
        Path milter = dir.resolve("milter.conf");
        Files.writeString(milter, "scanner = builtin\ndata = plain\n");
        assertThatThrownBy(() -> NodeConfig.readScanning(milter))
                .hasMessage(milter + " line 2: data: " + file + " is not a directory");
    }

    /**
     * Audit of {@code --check} (session 42): a file where the node keeps its spool queue or quarantine (a restore gone
     * wrong, a stray {@code touch}) passed {@code --check}; the start then failed with "cannot start:
     * java.nio.file.FileSystemException: DIR/spool/queue: Not a directory", naming no line. Now an error of the
     * {@code data} line, at {@code --check} and at the start.
     */
    @Test
    void aFileWhereTheNodeKeepsItsSpoolOrQuarantineIsAnErrorNamingTheLine() throws Exception {
        for (String sub : List.of("spool", "spool/queue", "quarantine", "quarantine/held", "stats", "tmp")) {
            Path data = dir.resolve("data-" + sub.replace('/', '-'));
            Path file = data.resolve(sub);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "x");
            fails(
                    VALID.replace("data = data/edge-x", "data = " + data.getFileName()),
                    "node.conf line 5: data: " + file + " is not a directory (the node keeps its " + sub
                            + " there: move the file away, or give another data directory)");
        }
        // a node's own data directory, as a start leaves it, passes
        Path used = dir.resolve("used");
        for (String sub :
                List.of("spool/queue", "quarantine/held", "quarantine/released", "quarantine/tmp", "stats", "tmp")) {
            Files.createDirectories(used.resolve(sub));
        }
        Files.writeString(used.resolve("spool/lock"), "");
        NodeConfig.parse(ConfigFile.parse("node.conf", VALID.replace("data = data/edge-x", "data = used")), dir);
    }

    /**
     * A data directory (or the directory it would be created in) the node's user cannot write passed {@code --check};
     * the start failed with "cannot start: java.nio.file.AccessDeniedException". Root writes anywhere, so this needs
     * another user.
     */
    @Test
    void anUnwritableDataDirectoryIsAnErrorNamingTheLine() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                "root".equals(System.getProperty("user.name")), "root may write in any directory");
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Files.createDirectories(ro.resolve("edge-x"));
        try {
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
            fails(
                    VALID.replace("data = data/edge-x", "data = ro/new"),
                    "node.conf line 5: data: " + ro + " is not writable for the user "
                            + System.getProperty("user.name") + " (the node would create the data directory "
                            + ro.resolve("new") + " under it): give the node's user write permission (chown or"
                            + " chmod), or check the mount; run --check as the node's user");
            Files.setPosixFilePermissions(
                    ro.resolve("edge-x"), java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
            fails(
                    VALID.replace("data = data/edge-x", "data = ro/edge-x"),
                    "node.conf line 5: data: " + ro.resolve("edge-x") + " is not writable for the user "
                            + System.getProperty("user.name") + " (the node writes its spool, quarantine and"
                            + " statistics there): give the node's user write permission (chown or chmod), or check"
                            + " the mount; run --check as the node's user");
        } finally {
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(
                    ro.resolve("edge-x"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
