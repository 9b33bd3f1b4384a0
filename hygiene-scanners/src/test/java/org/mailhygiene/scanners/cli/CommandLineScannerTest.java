package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.internal.ThreatNames;
import org.mailhygiene.testkit.cli.FakeVascan;

/** The adapter's machinery, against real processes: timeouts, output caps, process limits, file names, cleanup. */
class CommandLineScannerTest {

    @TempDir
    Path root;

    Path tmp;
    Path pids;
    Path rec;
    Path fake;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createDirectory(root.resolve("tmp"));
        pids = Files.createDirectory(root.resolve("pids"));
        rec = Files.createDirectory(root.resolve("rec"));
        fake = FakeVascan.builder()
                .pidsIn(pids)
                .recordArgumentsIn(rec)
                .install(Files.createDirectory(root.resolve("bin")));
    }

    private CommandLineScanner.Builder vascan() {
        return CommandLineScanner.builder(Profiles.vascan()).executable(fake).temporaryDirectory(tmp);
    }

    private void assertNothingLeft() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).as("private directories removed").isEmpty();
        }
    }

    /** The hanging fake and its child were killed (gone or zombies: see {@link KilledProcesses}). */
    private void assertAllDead(List<Long> list) throws IOException, InterruptedException {
        assertThat(list).as("pids recorded by the hanging fake and its child").hasSize(2);
        for (long pid : list) {
            KilledProcesses.assertKilled(pid);
        }
    }

    /** Waits (bounded) until the hanging fake has recorded its pids: an event, not a guess at how long that takes. */
    private void awaitHangingFake() throws IOException, InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (FakeVascan.recordedPids(pids).size() < 2 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(FakeVascan.recordedPids(pids))
                .as("the hanging fake started its child")
                .hasSize(2);
    }

    /**
     * The fake is a JVM: on a busy machine it may take longer than a short time limit to start its child. A run whose
     * limit came before the fake had recorded its pids proves nothing about the child and is repeated with twice the
     * limit (2, 4, 8, ... seconds).
     */
    @Test
    void aHangingScannerIsKilledWithItsChildAtTheTimeout() throws Exception {
        for (Duration limit = Duration.ofSeconds(2);
                FakeVascan.recordedPids(pids).size() < 2;
                limit = limit.multipliedBy(2)) {
            assertThat(limit).as("the fake started its child in time").isLessThan(Duration.ofMinutes(2));
            Duration l = limit;
            CommandLineScanner s = vascan().timeout(l).build();
            assertThatThrownBy(() -> s.scan(TestMessages.text("FAKE-VASCAN:hang")))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                        // the limit as a config file writes it (2s), not ISO-8601 (PT2S)
                        assertThat(e.failure().detail())
                                .contains("no exit within " + Durations.format(l))
                                .contains("killed");
                        assertThat(e.failure().elapsed()).isGreaterThanOrEqualTo(l);
                    });
            assertNothingLeft();
        }
        assertAllDead(FakeVascan.recordedPids(pids));
    }

    @Test
    void anInterruptedScanKillsTheProcessTreeAndRethrows() throws Exception {
        CommandLineScanner s = vascan().timeout(Duration.ofSeconds(60)).build();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                s.scan(TestMessages.text("FAKE-VASCAN:hang"));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        awaitHangingFake();
        t.interrupt();
        t.join(Duration.ofSeconds(20).toMillis());
        assertThat(t.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertAllDead(FakeVascan.recordedPids(pids));
        assertNothingLeft();
    }

    @Test
    void megabytesOfOutputAreCappedAndACleanStatusCannotBeTrusted() throws Exception {
        CommandLineScanner s = vascan().maxOutputBytes(64 * 1024).build();
        assertThatThrownBy(() -> s.scan(TestMessages.text("FAKE-VASCAN:spew 8000000")))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
                    assertThat(e.failure().detail()).contains("8000000 bytes").contains("65536-byte cap");
                });
        assertNothingLeft();
    }

    @Test
    void aMissingBinaryIsUnavailableNeverClean() throws Exception {
        CommandLineScanner s = CommandLineScanner.builder(Profiles.vascan())
                .executable(root.resolve("no-such-vascan"))
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> s.scan(TestMessages.text("hello"))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
            assertThat(e.failure().detail()).contains("no-such-vascan");
        });
        assertThat(s.health().status()).isEqualTo(Health.Status.DOWN);
        assertThat(vascan().build().health().status()).isEqualTo(Health.Status.UNKNOWN);
        assertNothingLeft();
    }

    /**
     * A "clamscan" that exits 0 and says nothing (a stub on the PATH, a wrapper that swallows its error) scanned
     * nothing: with the profile's confirming line missing, the scan fails; with it, it is clean.
     */
    @Test
    void aCleanExitWithoutTheConfirmingLineIsAProtocolErrorNeverClean() throws Exception {
        Path silent = Files.writeString(root.resolve("silent-clamscan"), "#!/bin/sh\nexit 0\n");
        Path saysOk = Files.writeString(
                root.resolve("ok-clamscan"),
                "#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *) echo \"$f: OK\";; esac; done\nexit 0\n");
        for (Path p : List.of(silent, saysOk)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        CommandLineScanner quiet = CommandLineScanner.builder(Profiles.clamscan())
                .executable(silent)
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> quiet.scan(TestMessages.text("hello")))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
                    assertThat(e.failure().detail()).contains("exit status 0", "no output line says");
                });
        CommandLineScanner talking = CommandLineScanner.builder(Profiles.clamscan())
                .executable(saysOk)
                .temporaryDirectory(tmp)
                .build();
        assertThat(talking.scan(TestMessages.text("hello")).outcome()).isEqualTo(Outcome.CLEAN);
        // a profile without confirming lines believes the exit status, as before
        CommandLineScanner believing = CommandLineScanner.builder(
                        Profiles.clamscan().withCleanPatterns(List.of()))
                .executable(silent)
                .temporaryDirectory(tmp)
                .build();
        assertThat(believing.scan(TestMessages.text("hello")).outcome()).isEqualTo(Outcome.CLEAN);
        assertNothingLeft();
    }

    /**
     * clamdscan (or clamscan) reporting a scan limit as {@code Heuristics.Limits.Exceeded.*} FOUND with exit 1 is an
     * UNSCANNABLE failure, not a virus; beside a real threat the limit is left out of the verdict.
     */
    @Test
    void aScanLimitReportedAsAHeuristicIsUnscannableNotAThreat() throws Exception {
        Path limit = Files.writeString(
                root.resolve("limit-clamdscan"),
                "#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *)"
                        + " echo \"$f: Heuristics.Limits.Exceeded.MaxFileSize FOUND\";; esac; done\nexit 1\n");
        Path both = Files.writeString(
                root.resolve("both-clamdscan"),
                "#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *)"
                        + " echo \"$f: Heuristics.Limits.Exceeded.MaxFileSize FOUND\"; echo \"$f: Win.Test.EICAR_HDB-1"
                        + " FOUND\";; esac; done\nexit 1\n");
        for (Path p : List.of(limit, both)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        CommandLineScanner limited = CommandLineScanner.builder(Profiles.clamdscan())
                .executable(limit)
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> limited.scan(TestMessages.text("hello")))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail())
                            .contains("exit status 1", "scan limit", "Heuristics.Limits.Exceeded.MaxFileSize");
                });
        Verdict v = CommandLineScanner.builder(Profiles.clamdscan())
                .executable(both)
                .temporaryDirectory(tmp)
                .build()
                .scan(TestMessages.text("hello"));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("Win.Test.EICAR_HDB-1");
        assertNothingLeft();
    }

    /** A clamdscan-profile scanner running {@code script}, which is made executable for its owner. */
    private CommandLineScanner clamdscanScript(Path script) throws IOException {
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return CommandLineScanner.builder(Profiles.clamdscan())
                .executable(script)
                .temporaryDirectory(tmp)
                .build();
    }

    /**
     * A threat name of 300,000 characters (within the 1 MiB output cap) went whole into the verdict, its rules and so
     * every header and log line: it is cut at 256 characters and says its length; a real name stays whole.
     */
    @Test
    void aThreatNameLongerThanAnySignaturesIsCutAndSaysItsLength() throws Exception {
        Path huge = Files.writeString(
                root.resolve("huge-clamdscan"),
                "#!/bin/sh\nn=$(head -c 300000 /dev/zero | tr '\\0' A)\nfor f in \"$@\"; do case \"$f\" in -*) ;; *)"
                        + " echo \"$f: Win.Test.$n FOUND\"; echo \"$f: Win.Test.EICAR_HDB-1 FOUND\";; esac; done\nexit 1\n");
        Verdict v = clamdscanScript(huge).scan(TestMessages.text("hello"));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).hasSize(2);
        assertThat(v.threats().get(0))
                .startsWith("Win.Test.AAAA")
                .endsWith("A... (300009 characters)")
                .hasSize(256 + "... (300009 characters)".length());
        assertThat(v.threats().get(1)).isEqualTo("Win.Test.EICAR_HDB-1");
        assertThat(v.rules()).allSatisfy(r -> assertThat(r.name().length()).isLessThan(300));
        assertNothingLeft();
    }

    /**
     * A scanner that names 5,000 threats (about 550 KB, within the 1 MiB output cap) put every one of them into the
     * verdict, and as many rules: it keeps the first 100 names in their order, at most 100 attributions, and one rule
     * says how many more there were. Still infected. Failed before session 51: 5,000 names.
     */
    @Test
    void tensOfThousandsOfThreatNamesAreBoundedAndTheRestCounted() throws Exception {
        Path many = Files.writeString(
                root.resolve("many-clamdscan"),
                "#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *) i=0; while [ $i -lt 5000 ]; do"
                        + " echo \"$f: Win.Test.N$i FOUND\"; i=$((i+1)); done;; esac; done\nexit 1\n");
        Verdict v = clamdscanScript(many).scan(TestMessages.text("hello"));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).hasSize(ThreatNames.MAX_COUNT).startsWith("Win.Test.N0", "Win.Test.N1");
        assertThat(v.threats().get(99)).isEqualTo("Win.Test.N99");
        assertThat(v.rules()).hasSizeLessThanOrEqualTo(ThreatNames.MAX_COUNT + 2);
        assertThat(v.rules())
                .filteredOn(r -> r.name().equals(ThreatNames.OMITTED_RULE))
                .singleElement()
                .satisfies(r -> assertThat(r.description())
                        .isEqualTo("4900 more threat names not kept (5000 in all; a verdict keeps the first 100);"
                                + " 4900 more findings not listed by file (5000 in all)"));
        assertNothingLeft();
    }

    /**
     * A scanner running in a Latin-1 locale names its threat in ISO-8859-1 bytes: the name keeps its letters (read as
     * UTF-8 it became "W32/\uFFFDbel.A"), and a UTF-8 line beside it stays UTF-8.
     */
    @Test
    void threatNamesInLatin1OrUtf8OutputKeepTheirLetters() throws Exception {
        Path latin = root.resolve("latin-clamdscan");
        Files.write(
                latin,
                ("#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *)"
                                + " printf '%s: W32/\\374bel.A FOUND\\n' \"$f\";"
                                + " printf '%s: Trojan.\\303\\234berweisung FOUND\\n' \"$f\";; esac; done\nexit 1\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Verdict v = clamdscanScript(latin).scan(TestMessages.text("hello"));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("W32/\u00fcbel.A", "Trojan.\u00dcberweisung");
        assertNothingLeft();
    }

    /**
     * Found from outside in session 40: a scanner that prints UTF-16 (Windows-origin tools, PowerShell wrappers), with
     * or without a byte order mark, was read as 8-bit text with a NUL in every other place: its {@code FILE: OK} line
     * and its threat names were never found, so every scan failed ({@code hygiene scan --command clamscan:PATH}:
     * "no output line says message was scanned; output: /?t?m?p?...").
     */
    @Test
    void utf16OutputWithOrWithoutAByteOrderMarkIsReadAsUtf16() throws Exception {
        String[][] encodings = {
            {"", "UTF-16"}, {"\\376\\377", "UTF-16BE"}, {"", "UTF-16LE"}, {"", "UTF-16BE"}, {"\\357\\273\\277", "UTF-8"}
        };
        for (String[] enc : encodings) {
            String convert = "{ printf '" + enc[0] + "'; printf \"$out\" | iconv -f UTF-8 -t " + enc[1] + "; }";
            Path ok = Files.writeString(
                    root.resolve("ok-" + enc[1] + enc[0].length()),
                    "#!/bin/sh\nout=''\nfor f in \"$@\"; do case \"$f\" in -*) ;; *) out=\"$out$f: OK\\r\\n\";; esac;"
                            + " done\n" + convert + "\nexit 0\n");
            Path found = Files.writeString(
                    root.resolve("found-" + enc[1] + enc[0].length()),
                    "#!/bin/sh\nout=''\nfor f in \"$@\"; do case \"$f\" in -*) ;; *)"
                            + " out=\"$out$f: Win.Test.EICAR_HDB-1 FOUND\\r\\n\";; esac; done\n" + convert
                            + "\nexit 1\n");
            for (Path p : List.of(ok, found)) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            }
            Verdict clean = CommandLineScanner.builder(Profiles.clamdscan())
                    .executable(ok)
                    .temporaryDirectory(tmp)
                    .build()
                    .scan(TestMessages.text("hello"));
            assertThat(clean.outcome()).as(enc[1] + " " + enc[0]).isEqualTo(Outcome.CLEAN);
            Verdict v = CommandLineScanner.builder(Profiles.clamdscan())
                    .executable(found)
                    .temporaryDirectory(tmp)
                    .build()
                    .scan(TestMessages.text("hello"));
            assertThat(v.outcome()).as(enc[1] + " " + enc[0]).isEqualTo(Outcome.INFECTED);
            assertThat(v.threats()).as(enc[1] + " " + enc[0]).containsExactly("Win.Test.EICAR_HDB-1");
        }
        assertNothingLeft();
    }

    /**
     * A byte order mark alone does not make output UTF-16: 8-bit output whose first line begins with "ÿþ" (an archive
     * entry's name, say) is read as 8-bit text, so a threat name after it is still found.
     */
    @Test
    void aByteOrderMarkBeforeEightBitTextIsNotTakenForUtf16() {
        byte[] bytes = ("\u00ff\u00fejunk: OK\nfile: Win.Test.EICAR_HDB-1 FOUND\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(ScannerOutput.decode(bytes)).isEqualTo("\u00ff\u00fejunk: OK\nfile: Win.Test.EICAR_HDB-1 FOUND\n");
        assertThat(ScannerOutput.decode("a: OK\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_16LE)))
                .isEqualTo("a: OK\r\n");
        assertThat(ScannerOutput.decode(new byte[0])).isEmpty();
    }

    @Test
    void aNonExecutableFileIsUnavailable() throws Exception {
        Path notExec = Files.writeString(root.resolve("vascan.txt"), "#!/bin/sh\nexit 0\n");
        CommandLineScanner s = CommandLineScanner.builder(Profiles.vascan())
                .executable(notExec)
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> s.scan(TestMessages.text("hello")))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE));
    }

    @Test
    void aScannerKilledByASignalIsAScannerErrorAndItsFilesAreRemoved() throws Exception {
        // the "scanner" is a script that writes into its quarantine and scratch directories, then kills itself
        Path crash = Files.writeString(
                root.resolve("crashing-vascan"),
                "#!/bin/sh\nfor a; do case $a in --temp=*) touch \"${a#--temp=}/left-over\";; esac; done\n"
                        + "kill -SEGV $$\n");
        Files.setPosixFilePermissions(crash, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        CommandLineScanner s = CommandLineScanner.builder(Profiles.vascan())
                .executable(crash)
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> s.scan(TestMessages.text("hello"))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            // session 43: "exit status 139 (unknown exit status)" did not say the scanner had crashed
            assertThat(e.failure().detail())
                    .contains("exit status 139 (unknown exit status; 128 + 11, as when killed by signal 11, SIGSEGV)");
        });
        assertNothingLeft();
    }

    /** Only 129 to 192 (128 plus a signal number) read as a signal; other uncovered statuses say nothing more. */
    @Test
    void onlyStatusesOfKilledProgramsNameASignal() {
        assertThat(CommandLineScanner.signalHint(137)).isEqualTo("; 128 + 9, as when killed by signal 9, SIGKILL");
        assertThat(CommandLineScanner.signalHint(143)).endsWith("signal 15, SIGTERM");
        assertThat(CommandLineScanner.signalHint(162)).isEqualTo("; 128 + 34, as when killed by signal 34");
        for (int status : new int[] {0, 2, 10, 127, 128, 193, 206, 255}) {
            assertThat(CommandLineScanner.signalHint(status))
                    .as("status %d", status)
                    .isEmpty();
        }
    }

    @Test
    void concurrentScansGetTheirOwnResults() throws Exception {
        CommandLineScanner s = vascan().maxConcurrentProcesses(3).build();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Verdict>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Message m = i % 2 == 0 ? TestMessages.eicar() : TestMessages.text("clean " + i);
                futures.add(pool.submit(() -> s.scan(m)));
            }
            for (int i = 0; i < 8; i++) {
                Verdict v = futures.get(i).get();
                assertThat(v.outcome()).as("scan %d", i).isEqualTo(i % 2 == 0 ? Outcome.INFECTED : Outcome.CLEAN);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(FakeVascan.recordedArguments(rec)).hasSize(8);
        assertNothingLeft();
    }

    @Test
    void noFreeProcessSlotWithinTheQueueTimeoutIsATimeout() throws Exception {
        Semaphore shared = new Semaphore(1);
        CommandLineScanner hanging =
                vascan().processLimit(shared).timeout(Duration.ofSeconds(20)).build();
        CommandLineScanner other = vascan().processLimit(shared)
                .queueTimeout(Duration.ofMillis(300))
                .build();
        Thread t = new Thread(() -> {
            try {
                hanging.scan(TestMessages.text("FAKE-VASCAN:hang"));
            } catch (Exception e) {
                // expected: interrupted below
            }
        });
        t.start();
        try {
            awaitHangingFake();
            assertThat(shared.availablePermits()).isZero();
            assertThatThrownBy(() -> other.scan(TestMessages.text("hello")))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                        assertThat(e.failure().detail()).contains("no free scanner process slot within 300ms");
                    });
        } finally {
            t.interrupt();
            t.join(20_000);
        }
        assertThat(shared.availablePermits()).isEqualTo(1);
        assertAllDead(FakeVascan.recordedPids(pids));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void hostileAttachmentNamesNeverReachTheArgumentList() throws Exception {
        List<String> names = List.of(
                "-rf",
                "--remove-macro",
                "a b.exe",
                "new\nline.com",
                "日本語の添付.zip",
                "$(touch pwned).sh",
                "; rm -rf ~",
                "../../etc/passwd",
                "-",
                "x.--help");
        CommandLineScanner s = vascan().build();
        for (String name : names) {
            Verdict v = s.scan(TestMessages.attachment(name, FakeVascan.eicar().getBytes(StandardCharsets.US_ASCII)));
            assertThat(v.outcome()).as(name).isEqualTo(Outcome.INFECTED);
            assertThat(v.rules()).as(name).anySatisfy(r -> {
                assertThat(r.name()).isEqualTo("EICAR_test_file");
                assertThat(r.description()).startsWith("in attachment \"").doesNotContain("\n");
            });
        }
        List<List<String>> runs = FakeVascan.recordedArguments(rec);
        assertThat(runs).hasSize(names.size());
        for (List<String> args : runs) {
            List<String> files = args.subList(9, args.size());
            assertThat(files).hasSizeGreaterThanOrEqualTo(3);
            assertThat(files)
                    .allMatch(
                            f -> f.matches("/[^\n]*/in/(message\\.eml|part-[0-9]+\\.[A-Za-z0-9]{1,10})"),
                            "generated absolute path");
        }
        assertThat(root.resolve("pwned")).doesNotExist();
        assertNothingLeft();
    }

    /**
     * A process killed during a scan (kill -9, the OOM killer) left its private directory with the message's copy in
     * it for good; the directories hold a lock now, and building a scanner deletes those whose lock is free.
     */
    @Test
    void directoriesOfKilledScansAreDeletedWhenAScannerIsBuilt() throws Exception {
        Path dead = Files.createDirectories(tmp.resolve("mailhygiene-cli-dead/in"));
        Files.writeString(dead.resolve("message.eml"), "Subject: private\r\n\r\nx\r\n");
        Path deadLock = tmp.resolve("mailhygiene-cli-dead").resolve(LockedDirectory.LOCK_FILE);
        Files.writeString(deadLock, "");
        Files.setLastModifiedTime(deadLock, FileTime.from(Instant.now().minusSeconds(120)));
        Path young = Files.createDirectories(tmp.resolve("mailhygiene-cli-young"));
        Files.writeString(young.resolve(LockedDirectory.LOCK_FILE), "");
        Path unlockedByOlderVersion = Files.createDirectories(tmp.resolve("mailhygiene-cli-old"));
        try (LockedDirectory live = LockedDirectory.create(tmp, "mailhygiene-cli-")) {
            Files.setLastModifiedTime(
                    live.path().resolve(LockedDirectory.LOCK_FILE),
                    FileTime.from(Instant.now().minusSeconds(120)));
            vascan().build();
            assertThat(tmp.resolve("mailhygiene-cli-dead")).doesNotExist();
            assertThat(young).as("its lock may be about to be taken").isDirectory();
            assertThat(unlockedByOlderVersion)
                    .as("no lock file: not known to be abandoned")
                    .isDirectory();
            assertThat(live.path()).as("locked").isDirectory();
        }
    }

    /** A temporary directory that cannot be used is said in words: the exception's bare path told nothing. */
    @Test
    void aPrivateDirectoryThatCannotBeMadeSaysWhy() throws Exception {
        CommandLineScanner s = vascan().build();
        Files.delete(tmp);
        assertThatThrownBy(() -> s.scan(TestMessages.text("hello"))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(e.getMessage())
                    .contains("cannot create a private directory in " + tmp)
                    .contains("no such file");
        });
    }

    @Test
    void thePrivateDirectoryAndFilesAreOwnerOnly() throws Exception {
        // a real program as the "scanner": stat prints the mode of every directory and file it is given
        CommandProfile stat = new CommandProfile(
                "stat",
                "stat",
                List.of(
                        "-c",
                        "%a:%n",
                        CommandProfile.DIR + "/..",
                        CommandProfile.DIR,
                        CommandProfile.QUARANTINE,
                        CommandProfile.SCRATCH,
                        CommandProfile.FILES),
                InputMode.PARTS,
                List.of(ExitStatusRule.of(0, ExitClass.CLEAN, "ok")),
                List.of(java.util.regex.Pattern.compile("^([0-7]{3,4}):")),
                List.of());
        Verdict v = CommandLineScanner.builder(stat)
                .temporaryDirectory(tmp)
                .build()
                .scan(TestMessages.attachment("a.txt", "x".getBytes(StandardCharsets.US_ASCII)));
        // 4 directories at 700, then message.eml and two parts at 600; a printed name turns a clean status infected
        assertThat(v.threats()).containsExactly("700", "600");
        assertThat(v.rules().stream().filter(r -> r.name().equals("600")).count())
                .isEqualTo(3);
        assertNothingLeft();
    }

    @Test
    void builderRejectsBadSettingsAndConflicts() {
        CommandLineScanner.Builder b = CommandLineScanner.builder(Profiles.vascan());
        assertThatThrownBy(() -> b.timeout(Duration.ZERO)).hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> b.queueTimeout(Duration.ofSeconds(-1))).hasMessageContaining("queueTimeout");
        assertThatThrownBy(() -> b.maxOutputBytes(10)).hasMessageContaining("maxOutputBytes must be >= 1024");
        assertThatThrownBy(() -> b.maxConcurrentProcesses(0)).hasMessageContaining("maxConcurrentProcesses");
        assertThatThrownBy(() -> b.temporaryDirectory(root.resolve("nope"))).hasMessageContaining("not an existing");
        assertThatThrownBy(() -> b.environment("A=B", "x")).hasMessageContaining("not valid");
        b.maxConcurrentProcesses(2).processLimit(new Semaphore(1)); // conflicting, but build() is where that is found
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("both set");
        assertThatThrownBy(() -> CommandLineScanner.builder(Profiles.vascan())
                        .processLimit(new Semaphore(1))
                        .maxConcurrentProcesses(1)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("both set");
    }

    @Test
    void documentedDefaultsEqualTheCode() {
        assertThat(CommandLineScanner.DEFAULT_TIMEOUT).isEqualTo(Duration.ofSeconds(120));
        assertThat(CommandLineScanner.DEFAULT_QUEUE_TIMEOUT).isEqualTo(Duration.ofSeconds(30));
        assertThat(CommandLineScanner.DEFAULT_MAX_OUTPUT_BYTES).isEqualTo(1024 * 1024);
    }
}
