package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.SampleMessages.Sample;

/** {@code hygiene scan --builtin} (the embedded set: signatures, attachment policy, classifier with the default model), run in-process against files written from the sample messages. */
class ScanCommandTest {
    private static final String LOOP = "a loop of symbolic links (or a chain of them too long to follow)";

    @TempDir
    Path dir;

    private Path write(Sample s) throws IOException {
        return Files.write(dir.resolve(s.fileName()), s.bytes());
    }

    /**
     * A gzip-compressed mbox holding GTUBE was {@code OK}, exit 0: the embedded scanners read it as one message of
     * binary bytes. A compressed file is an error line (exit 2) that says what it is, from a file or standard input.
     */
    @Test
    void aCompressedMailboxIsAnErrorNotClean() throws IOException {
        byte[] gtube = SampleMessages.gtube();
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write("From a@example.org Mon Dec  1 10:00:00 2003\n".getBytes(StandardCharsets.US_ASCII));
            out.write(gtube);
        }
        Path file = Files.write(dir.resolve("inbox.gz"), gz.toByteArray());
        Run r = Run.main("scan", "--builtin", file.toString());
        assertThat(r.status()).as(r.out()).isEqualTo(2);
        assertThat(r.outLines())
                .containsExactly(file + ": ERROR gzip-compressed, not a message (decompress it first: zcat, bzcat,"
                        + " xzcat or zstdcat into a file, then scan that)");
        Run stdin = Run.mainWithStdin(gz.toByteArray(), "scan", "--builtin", "--json", "-");
        assertThat(stdin.status()).isEqualTo(2);
        assertThat(stdin.out()).contains("\"outcome\":\"ERROR\"").contains("gzip-compressed");
        // the same message uncompressed is found
        Path plain = Files.write(dir.resolve("gtube.eml"), gtube);
        assertThat(Run.main("scan", "--builtin", plain.toString()).status()).isEqualTo(1);
    }

    @Test
    void localDomainsTellBackscatterFromOurOwnBounces() throws IOException {
        Path ours =
                Files.writeString(dir.resolve("ours.eml"), dsn("alice@dept-a.example"), StandardCharsets.ISO_8859_1);
        Path theirs =
                Files.writeString(dir.resolve("theirs.eml"), dsn("x@forged.example"), StandardCharsets.ISO_8859_1);
        Run r = Run.main(
                "scan", "--bayes", "default", "--local-domains", "dept-a.example", ours.toString(), theirs.toString());
        assertThat(r.outLines()).hasSize(2);
        assertThat(r.outLines().get(0)).isEqualTo(ours + ": OK");
        assertThat(r.outLines().get(1))
                .startsWith(theirs + ": SUSPICIOUS Backscatter")
                .contains("BAYES_BACKSCATTER");
        // the help shows that form too (it gave FILE: SUSPICIOUS [rules] only)
        assertThat(Run.main("scan", "--help").out()).contains("FILE: SUSPICIOUS THREAT [rules]");
        // without local domains a bounce is just a bounce
        assertThat(Run.main("scan", "--bayes", "default", theirs.toString()).outLines())
                .containsExactly(theirs + ": OK");
        Run alone = Run.main("scan", "--builtin", "--local-domains", "dept-a.example", ours.toString());
        assertThat(alone.status()).isEqualTo(2);
        assertThat(alone.err()).contains("--local-domains goes with --bayes");
        assertThat(Run.main("scan", "--bayes", "default", "--local-domains", "a@b.example", ours.toString())
                        .err())
                .contains("--local-domains: not a domain: 'a@b.example'");
    }

    /**
     * {@code --no-brand-check} leaves a brand's name over a stranger's address to the classifier's score, for {@code
     * --bayes} and for the classifier of {@code --builtin}, as {@code bayes.brand-check = off} does in a node file.
     */
    @Test
    void noBrandCheckLeavesASpoofToTheScore() throws IOException {
        Path spoof = Files.writeString(
                dir.resolve("spoof.eml"),
                "From: \"Costco Member Services\" <lee@example.org>\r\nTo: pat@example.org\r\n"
                        + "Subject: Your membership renewal\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                        + "Message-ID: <r1@example.org>\r\n\r\nHi Pat,\r\n\r\nthanks for the notes from Tuesday's"
                        + " meeting. I moved the review to Thursday afternoon.\r\n\r\nBest,\r\nLee\r\n",
                StandardCharsets.US_ASCII);
        for (String scanner : List.of("--bayes=default", "--builtin")) {
            Run with = Run.main("scan", scanner, spoof.toString());
            assertThat(with.status()).as(with.err()).isEqualTo(1);
            assertThat(with.out()).contains(": SPAM ").contains("BAYES_BRAND_SPOOF");
            Run without = Run.main("scan", scanner, "--no-brand-check", spoof.toString());
            assertThat(without.status()).as(without.err()).isZero();
            assertThat(without.outLines()).containsExactly(spoof + ": OK");
        }
        Run alone = Run.main("scan", "--attachments", "--no-brand-check", spoof.toString());
        assertThat(alone.status()).isEqualTo(2);
        assertThat(alone.err()).contains("--no-brand-check goes with --bayes or --builtin");
        assertThat(Run.main("scan", "--help").out()).contains("--no-brand-check");
    }

    private static String dsn(String originalFrom) {
        return "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\r\n"
                + "To: alice@dept-a.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
                + "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example\r\n\r\n"
                + "Final-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                + "--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: " + originalFrom + "\r\nTo: bob@remote.example\r\n"
                + "Subject: hello\r\nMessage-ID: <1@" + originalFrom.substring(originalFrom.indexOf('@') + 1)
                + ">\r\n\r\nhello\r\n--b1--\r\n";
    }

    @Test
    void cleanFileIsOkAndExitsZero() throws IOException {
        Path f = write(Sample.CLEAN);
        Run r = Run.main("scan", "--builtin", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": OK");
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void eicarAttachmentIsFoundAndExitsOne() throws IOException {
        Path f = write(Sample.EICAR_ATTACHMENT);
        Run r = Run.main("scan", "--builtin", f.toString());
        // the signature scanner finds the virus, the attachment policy the executable it travels as
        assertThat(r.outLines())
                .containsExactly(f + ": Eicar-Test-Signature FOUND", f + ": SUSPICIOUS [EXECUTABLE_ATTACHMENT]");
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void gtubeIsSpamWithScoreThresholdAndRuleAndExitsOne() throws IOException {
        Path f = write(Sample.GTUBE);
        Run r = Run.main("scan", "--builtin", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": SPAM 1000.0/5.0 [GTUBE]");
        assertThat(r.status()).isEqualTo(1);
    }

    private static String mboxEntry(Sample s) {
        String text = new String(s.bytes(), StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        return "From sender@example.org Tue Dec  1 10:00:00 2026\n" + text + (text.endsWith("\n") ? "" : "\n") + "\n";
    }

    @Test
    void anMboxOfSeveralMessagesIsScannedMessageByMessage() throws IOException {
        Path mbox = dir.resolve("archive.mbox");
        Files.writeString(
                mbox,
                mboxEntry(Sample.CLEAN) + mboxEntry(Sample.GTUBE) + mboxEntry(Sample.NO_SUBJECT),
                StandardCharsets.ISO_8859_1);
        Run r = Run.main("scan", "--builtin", mbox.toString());
        assertThat(r.outLines())
                .containsExactly(mbox + "#1: OK", mbox + "#2: SPAM 1000.0/5.0 [GTUBE]", mbox + "#3: OK");
        assertThat(r.status()).isEqualTo(1);

        Run j = Run.main("scan", "--builtin", "--json", mbox.toString());
        assertThat(j.outLines()).hasSize(3);
        assertThat(j.outLines().get(1)).contains("\"file\":\"" + mbox + "#2\"").contains("\"outcome\":\"SPAM\"");

        Path one = dir.resolve("one.mbox");
        Files.writeString(one, mboxEntry(Sample.CLEAN), StandardCharsets.ISO_8859_1);
        Run single = Run.main("scan", "--builtin", one.toString());
        assertThat(single.outLines()).containsExactly(one + ": OK");
        assertThat(single.status()).isZero();

        // the same mailbox on standard input is one message (a piped message's body may hold separator-like lines a
        // sender wrote to cut it in two), and the output says it reads as several
        byte[] all = Files.readAllBytes(mbox);
        Run stdin = Run.mainWithStdin(all, "scan", "--builtin", "-");
        assertThat(stdin.outLines()).containsExactly("stdin: SPAM 1000.0/5.0 [GTUBE]");
        assertThat(stdin.err()).contains("standard input reads as an mbox of 3 messages; scanned as one message");
        Run oneOnStdin = Run.mainWithStdin(Files.readAllBytes(one), "scan", "--builtin", "-");
        assertThat(oneOnStdin.outLines()).containsExactly("stdin: OK");
        assertThat(oneOnStdin.err()).isEmpty();
    }

    /** The text output reaches a terminal: a control character in a file name or token is shown as '?'. */
    @Test
    void controlCharactersNeverReachTheTerminal() throws IOException {
        Path evil = dir.resolve("evil\u001b[31m\u0007.eml");
        Files.write(evil, Sample.GTUBE.bytes());
        Run r = Run.main("scan", "--builtin", evil.toString());
        assertThat(r.outLines()).containsExactly(dir.resolve("evil?[31m?.eml") + ": SPAM 1000.0/5.0 [GTUBE]");
        assertThat(r.out()).doesNotContain("\u001b").doesNotContain("\u0007");
        // bidirectional overrides too (not through a file name: without a UTF-8 locale the JDK cannot make one)
        assertThat(FileReport.printable("invoice\u202efdp.exe: OK")).isEqualTo("invoice?fdp.exe: OK");
        assertThat(FileReport.printable("caf\u00e9 \u6771\u4eac: OK")).isEqualTo("caf\u00e9 \u6771\u4eac: OK");
        Run j = Run.main("scan", "--builtin", "--json", evil.toString());
        assertThat(j.out()).doesNotContain("\u001b").contains("\\u001b");
    }

    @Test
    void legitimateEdgeCasesAreClean() throws IOException {
        Path jp = write(Sample.JAPANESE_ISO_2022_JP);
        Path empty = write(Sample.EMPTY_SUBJECT);
        Path none = write(Sample.NO_SUBJECT);
        Run r = Run.main("scan", "--builtin", jp.toString(), empty.toString(), none.toString());
        assertThat(r.outLines()).containsExactly(jp + ": OK", empty + ": OK", none + ": OK");
        assertThat(r.status()).isZero();
    }

    @Test
    void missingFileIsAnErrorAndTheOthersAreStillScanned() throws IOException {
        Path clean = write(Sample.CLEAN);
        Path eicar = write(Sample.EICAR_ATTACHMENT);
        Path missing = dir.resolve("missing.eml");
        Run r = Run.main("scan", "--builtin", clean.toString(), missing.toString(), eicar.toString());
        assertThat(r.outLines())
                .containsExactly(
                        clean + ": OK",
                        missing + ": ERROR no such file",
                        eicar + ": Eicar-Test-Signature FOUND",
                        eicar + ": SUSPICIOUS [EXECUTABLE_ATTACHMENT]");
        assertThat(r.status()).as("an error wins over a finding").isEqualTo(2);
    }

    @Test
    void specialFileIsAnError() {
        Run r = Run.main("scan", "--builtin", "/dev/null");
        assertThat(r.outLines()).containsExactly("/dev/null: ERROR not a regular file");
        assertThat(r.status()).isEqualTo(2);
    }

    /**
     * Started with standard input closed, the JVM opens its module image at descriptor 0 and {@code scan -} read that
     * as a message: {@code stdin: OK}, exit 0 (clamdscan says "fstat failed ... Bad file descriptor", exit 2).
     */
    @Test
    void aClosedStandardInputIsAnErrorNotAMessage() throws Exception {
        List<String> command = MainProcess.of("scan", "--attachments", "-").command();
        StringBuilder line = new StringBuilder("exec");
        for (String word : command) {
            line.append(" '").append(word.replace("'", "'\\''")).append('\'');
        }
        line.append(" <&-");
        Process p = new ProcessBuilder("/bin/sh", "-c", line.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isEqualTo(2);
        assertThat(out).startsWith("stdin: ERROR standard input is closed");
        Path home = Path.of(System.getProperty("java.home"));
        assertThat(ScanCommand.closedStandardInput(home.resolve("lib/modules"), home))
                .isPresent();
        assertThat(ScanCommand.closedStandardInput(dir.resolve("message.eml"), home))
                .isEmpty();
        assertThat(ScanCommand.closedStandardInput(Path.of("pipe:[4938487]"), home))
                .isEmpty();
    }

    /**
     * An mbox file of one line longer than the heap (no line break in 160 MiB) was read line by line into memory: out
     * of memory, a stack trace and exit status 1, "something found". Lines are read in pieces now, so the file costs
     * what a message at the mbox limit (32 MiB) does: run with a 128 MiB heap, it is scanned.
     */
    @Test
    void anMboxOfOneHugeLineIsScannedWithinABoundedHeap() throws Exception {
        Path huge = dir.resolve("one-line.mbox");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                huge, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("From sender@example.org Tue Dec  1 10:00:00 2026\nSubject: long\n\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            byte[] piece = new byte[1 << 20];
            java.util.Arrays.fill(piece, (byte) 'a');
            for (int i = 0; i < 160; i++) {
                ch.write(java.nio.ByteBuffer.wrap(piece));
            }
        }
        List<String> command = new java.util.ArrayList<>(
                MainProcess.of("scan", "--attachments", huge.toString()).command());
        command.add(1, "-Xmx128m");
        Process p = new ProcessBuilder(command).start();
        // read standard error while waiting, or a full pipe would stall the child
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        String errText = new String(err.get(), StandardCharsets.UTF_8);
        assertThat(errText).doesNotContain("OutOfMemoryError").doesNotContain("out of memory");
        // the policy's limit on a line it cannot split: a finding, exit 1 (the scanner read it to its end)
        assertThat(out).as(errText).isEqualTo(huge + ": SUSPICIOUS [MIME_LIMIT]\n");
        assertThat(p.exitValue()).isEqualTo(1);
        Files.delete(huge);
    }

    /**
     * A message piped in spills to a temporary file past 8 MiB; a scan stopped meanwhile (SIGTERM, as Ctrl-C or a
     * timeout stops it) left that file in the temporary directory, 200 MB for a 200 MB message. It is removed now.
     */
    @Test
    void aScanOfStandardInputStoppedBySigtermLeavesNoTemporaryFile() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process p = scanWithTmp(tmp, "scan", "--attachments", "-");
        try (java.io.OutputStream stdin = p.getOutputStream()) {
            stdin.write("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] line = ("x".repeat(78) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            for (long n = 0; n <= ScanCommand.STDIN_MEMORY_THRESHOLD + (1 << 20); n += line.length) {
                stdin.write(line);
            }
            stdin.flush();
            // standard input stays open: the scan is still reading it when it is stopped
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
            while (spilled(tmp).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(spilled(tmp)).as("the message spilled to a file").isNotEmpty();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        } catch (IOException e) {
            // the stopped process closed its end of the pipe
        } finally {
            p.destroyForcibly();
        }
        assertThat(spilled(tmp)).isEmpty();
    }

    /**
     * A command-line scanner gets a copy of the message in a private directory; a scan stopped by SIGTERM while the
     * program ran left the copy in the temporary directory, and the program running on (for vascan's own 60 s limit).
     * Both are gone now.
     */
    @Test
    void aCommandLineScanStoppedBySigtermLeavesNoCopyAndNoProgram() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path pidFile = dir.resolve("scanner.pid");
        Path clean = write(Sample.CLEAN);
        Process p = scanWithTmp(tmp, "scan", "--vexira", slowVascan(pidFile).toString(), clean.toString());
        long pid = -1;
        boolean stopped = false;
        try {
            pid = awaitPid(pidFile);
            assertThat(spilled(tmp)).as("the scanner's copy of the message").isNotEmpty();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            stopped = true;
        } finally {
            p.destroyForcibly();
            if (!stopped && pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // a failed test leaves nothing running
            }
        }
        java.util.Optional<ProcessHandle> scanner = ProcessHandle.of(pid);
        try {
            assertThat(spilled(tmp)).isEmpty();
            if (scanner.isPresent()) {
                scanner.get().onExit().get(2, java.util.concurrent.TimeUnit.MINUTES);
            }
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
        } finally {
            scanner.ifPresent(ProcessHandle::destroyForcibly); // never left running, even when this test fails
        }
    }

    /**
     * A scan killed outright cannot run its shutdown hook: its directory and the copy of the message in it stayed in
     * the temporary directory for good. The directory is locked while the scan runs, and the next scan deletes one
     * whose lock is free.
     */
    @Test
    void aScanKilledOutrightLeavesItsCopyOnlyUntilTheNextScan() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path pidFile = dir.resolve("scanner.pid");
        Path clean = write(Sample.CLEAN);
        Process p = scanWithTmp(tmp, "scan", "--vexira", slowVascan(pidFile).toString(), clean.toString());
        long pid = -1;
        try {
            pid = awaitPid(pidFile);
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        } finally {
            p.destroyForcibly();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        assertThat(spilled(tmp)).as("the killed scan's copy of the message").isNotEmpty();
        // The next scan leaves a lock younger than a minute alone (it may be one being taken): age the dead one.
        try (java.util.stream.Stream<Path> all = Files.walk(tmp)) {
            for (Path lock : all.filter(f -> f.getFileName().toString().equals(LockedDirectory.LOCK_FILE))
                    .toList()) {
                Files.setLastModifiedTime(
                        lock,
                        java.nio.file.attribute.FileTime.from(
                                java.time.Instant.now().minusSeconds(120)));
            }
        }
        Process second = scanWithTmp(tmp, "scan", "--builtin", clean.toString());
        try {
            assertThat(second.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        } finally {
            second.destroyForcibly();
        }
        assertThat(second.exitValue()).isZero();
        try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
            assertThat(left)
                    .as("the dead scan's directory, and the next scan's own")
                    .isEmpty();
        }
    }

    /** A vascan stand-in that writes its pid to {@code pidFile} and then sleeps ten minutes. */
    private Path slowVascan(Path pidFile) throws IOException {
        Path program = dir.resolve("slow-vascan");
        Files.writeString(program, "#!/bin/sh\necho $$ > '" + pidFile + "'\nexec sleep 600\n");
        Files.setPosixFilePermissions(program, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return program;
    }

    /** Starts {@code hygiene ARGS} in a JVM of its own whose temporary directory is {@code tmp}, output discarded. */
    private static Process scanWithTmp(Path tmp, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(MainProcess.of(args).command());
        command.add(1, "-Djava.io.tmpdir=" + tmp);
        return new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** The pid {@link #slowVascan} wrote, once it has written it (two minutes at most). */
    private static long awaitPid(Path pidFile) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        while (!(Files.exists(pidFile) && Files.readString(pidFile).endsWith("\n")) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return Long.parseLong(Files.readString(pidFile).trim());
    }

    /** The files under a directory, at any depth, but the locks of private directories. */
    private static List<Path> spilled(Path root) throws IOException {
        try (java.util.stream.Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().equals(LockedDirectory.LOCK_FILE))
                    .toList();
        }
    }

    @Test
    void anEmptyMessageIsAnErrorNotClean() throws IOException {
        Path empty = Files.write(dir.resolve("empty.eml"), new byte[0]);
        Run r = Run.main("scan", "--builtin", empty.toString());
        assertThat(r.outLines()).containsExactly(empty + ": ERROR empty, not a message");
        assertThat(r.status()).isEqualTo(2);
        Run stdin = Run.mainWithStdin(new byte[0], "scan", "--bayes", "default", "-");
        assertThat(stdin.outLines()).containsExactly("stdin: ERROR empty, not a message");
        assertThat(stdin.status()).isEqualTo(2);
    }

    /**
     * An mbox file holding an envelope line and nothing else (or empty lines) was scanned whole as one message, and
     * every scanner called that line clean: exit 0 for a file with no message in it.
     */
    @Test
    void anMboxWithoutAMessageIsAnErrorNotClean() throws IOException {
        Path envelopeOnly = dir.resolve("envelope-only.mbox");
        Files.writeString(envelopeOnly, "From sender@example.org Tue Dec  1 10:00:00 2026\n");
        Path blankLines = dir.resolve("blank-lines.mbox");
        Files.writeString(blankLines, "From sender@example.org Tue Dec  1 10:00:00 2026\r\n\r\n\r\n");
        Path secondEmpty = dir.resolve("second-empty.mbox");
        Files.writeString(
                secondEmpty,
                mboxEntry(Sample.CLEAN) + "From sender@example.org Tue Dec  1 10:00:00 2026\n\n",
                StandardCharsets.ISO_8859_1);
        Run r = Run.main("scan", "--builtin", envelopeOnly.toString(), blankLines.toString(), secondEmpty.toString());
        assertThat(r.outLines())
                .containsExactly(
                        envelopeOnly + ": ERROR empty, not a message",
                        blankLines + ": ERROR empty, not a message",
                        secondEmpty + "#1: OK",
                        secondEmpty + "#2: ERROR empty, not a message");
        assertThat(r.status()).isEqualTo(2);
    }

    /**
     * A loop of symbolic links was called a broken link ("its target does not exist"), and a name whose bytes are not
     * valid in the locale's encoding (the JDK hands it over with U+FFFD, so no file has that name) plain "no such
     * file": each now says what is wrong.
     */
    @Test
    void aLinkLoopAndAnUndecodableNameSayWhatIsWrong() throws Exception {
        Path a = dir.resolve("loop-a.eml");
        Path b = dir.resolve("loop-b.eml");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        Run r = Run.main("scan", "--builtin", a.toString());
        assertThat(r.outLines()).containsExactly(a + ": ERROR " + LOOP);
        assertThat(r.status()).isEqualTo(2);
        if ("UTF-8".equals(System.getProperty("sun.jnu.encoding"))) { // else the JDK cannot make such a path at all
            String garbled = dir.getParent().resolve("bad\uFFFD\uFFFDname.eml").toString();
            Run g = Run.main("scan", "--builtin", garbled);
            assertThat(g.outLines())
                    .containsExactly(garbled + ": ERROR no such file (the name as given holds bytes that are not valid"
                            + " UTF-8, which Java cannot pass on; name the directory that holds the file to scan it)");
            assertThat(g.status()).isEqualTo(2);
        }
        // inside a directory the loop is listed and reported the same way
        Run tree = Run.main("scan", "--builtin", dir.toString());
        assertThat(tree.outLines()).containsExactly(a + ": ERROR " + LOOP, b + ": ERROR " + LOOP);
    }

    /**
     * A file under a directory that may not be searched was "no such file" (the JDK's {@code exists} is false for
     * it); it is a permission problem. Root searches every directory, so this runs as another user only.
     */
    @Test
    void aFileUnderADirectoryThatMayNotBeSearchedIsPermissionDenied() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                "root".equals(System.getProperty("user.name")), "root may search any directory");
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Path inside = Files.write(locked.resolve("clean.eml"), Sample.CLEAN.bytes());
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        try {
            Run r = Run.main("scan", "--builtin", inside.toString());
            assertThat(r.outLines()).containsExactly(inside + ": ERROR permission denied");
            assertThat(r.status()).isEqualTo(2);
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    /**
     * A directory without files printed nothing and exited 0, as a scan that found everything clean would (a wrong
     * directory, a Maildir whose mail was moved away): said on standard error now; the status stays 0.
     */
    @Test
    void aDirectoryWithoutFilesIsSaidNotSilent() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty/cur"));
        Run r = Run.main("scan", "--builtin", dir.resolve("empty").toString());
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hygiene scan: " + dir.resolve("empty") + ": no files in it, nothing scanned\n");
        assertThat(r.status()).isZero();
        assertThat(empty).isDirectory();
    }

    @Test
    void aDirectorysBrokenLinksAndSpecialFilesAreReportedNotSkipped() throws Exception {
        Path clean = write(Sample.CLEAN);
        Path broken = Files.createSymbolicLink(dir.resolve("broken.eml"), dir.resolve("gone.eml"));
        Path fifo = dir.resolve("pipe.eml");
        new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        Files.createDirectories(dir.resolve("sub"));
        // a link to a directory is not followed, but reported: what it holds was not scanned
        Path linked = Files.createSymbolicLink(dir.resolve("sub/linked-dir"), dir.resolve("sub"));
        Run r = Run.main("scan", "--builtin", dir.toString());
        assertThat(r.outLines())
                .containsExactly(
                        broken + ": ERROR broken symbolic link (its target does not exist)",
                        clean + ": OK",
                        fifo + ": ERROR not a regular file",
                        linked + ": ERROR symbolic link to a directory, not followed (name it to scan what it holds)");
        assertThat(r.status()).isEqualTo(2);
    }

    /**
     * A directory named through a symbolic link is scanned (it was listed as the link alone and nothing was scanned:
     * no line, exit 0), and a link inside a directory to a directory elsewhere is an error, not a silent clean.
     */
    @Test
    void aDirectoryNamedThroughALinkIsScannedAndALinkInsideIsNotSkippedInSilence() throws Exception {
        Path infected = Files.createDirectories(dir.resolve("infected"));
        Path eicar = Files.write(infected.resolve("eicar.eml"), SampleMessages.eicarAttachment());
        Path link = Files.createSymbolicLink(dir.resolve("link"), infected);
        Run named = Run.main("scan", "--builtin", link.toString());
        assertThat(named.outLines()).contains(link.resolve("eicar.eml") + ": Eicar-Test-Signature FOUND");
        assertThat(named.status()).isEqualTo(1);
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Path clean = write(Sample.CLEAN);
        Files.move(clean, tree.resolve("clean.eml"));
        Path inner = Files.createSymbolicLink(tree.resolve("elsewhere"), infected);
        Run r = Run.main("scan", "--builtin", tree.toString());
        assertThat(r.outLines())
                .containsExactly(
                        tree.resolve("clean.eml") + ": OK",
                        inner + ": ERROR symbolic link to a directory, not followed (name it to scan what it holds)");
        assertThat(r.status()).isEqualTo(2);
        assertThat(eicar).exists();
    }

    @Test
    void directoryIsScannedRecursivelyInNameOrder() throws IOException {
        for (Sample s : Sample.values()) {
            write(s);
        }
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub/again.eml"), SampleMessages.eicarAttachment());
        Run r = Run.main("scan", "--builtin", dir.toString());
        assertThat(r.outLines())
                .containsExactly(
                        dir.resolve("clean.eml") + ": OK",
                        dir.resolve("eicar-attachment.eml") + ": Eicar-Test-Signature FOUND",
                        dir.resolve("eicar-attachment.eml") + ": SUSPICIOUS [EXECUTABLE_ATTACHMENT]",
                        // the signature scanner opens the zip; the attachment policy looks inside it too
                        dir.resolve("eicar-zip.eml") + ": Eicar-Test-Signature FOUND",
                        dir.resolve("eicar-zip.eml") + ": SUSPICIOUS [EXECUTABLE_ATTACHMENT]",
                        dir.resolve("empty-subject.eml") + ": OK",
                        dir.resolve("gtube.eml") + ": SPAM 1000.0/5.0 [GTUBE]",
                        dir.resolve("japanese.eml") + ": OK",
                        dir.resolve("no-subject.eml") + ": OK",
                        dir.resolve("sub/again.eml") + ": Eicar-Test-Signature FOUND",
                        dir.resolve("sub/again.eml") + ": SUSPICIOUS [EXECUTABLE_ATTACHMENT]");
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void dashReadsStandardInput() {
        Run r = Run.mainWithStdin(SampleMessages.eicarAttachment(), "scan", "--builtin", "-");
        assertThat(r.outLines())
                .containsExactly("stdin: Eicar-Test-Signature FOUND", "stdin: SUSPICIOUS [EXECUTABLE_ATTACHMENT]");
        assertThat(r.status()).isEqualTo(1);
        Run clean = Run.mainWithStdin(SampleMessages.clean(), "scan", "--builtin", "-");
        assertThat(clean.outLines()).containsExactly("stdin: OK");
        assertThat(clean.status()).isZero();
    }

    @Test
    void afterDoubleDashEverythingIsAFile() throws IOException {
        Path f = Files.write(dir.resolve("--json"), SampleMessages.clean());
        Run r = Run.main("scan", "--builtin", "--", f.toString());
        assertThat(r.outLines()).containsExactly(f + ": OK");
        assertThat(r.status()).isZero();
    }

    @Test
    void jsonGivesOneObjectPerFile() throws IOException {
        Path clean = write(Sample.CLEAN);
        Path eicar = write(Sample.EICAR_ATTACHMENT);
        Path gtube = write(Sample.GTUBE);
        Path missing = dir.resolve("missing.eml");
        Run r = Run.main(
                "scan",
                "--json",
                "--builtin",
                clean.toString(),
                eicar.toString(),
                gtube.toString(),
                missing.toString());
        List<String> lines = r.outLines();
        assertThat(lines).hasSize(4);
        // --builtin is the whole embedded set: signatures, attachment policy and the classifier (default model)
        assertThat(lines.get(0))
                .startsWith("{\"file\":" + Json.string(clean.toString())
                        + ",\"outcome\":\"CLEAN\",\"scanner\":\"builtin,attachments,bayes\",\"threats\":[]")
                .contains("\"action\":\"ACCEPT\",\"results\":["
                        + "{\"scanner\":\"builtin\",\"outcome\":\"CLEAN\",\"threats\":[],\"score\":null,"
                        + "\"threshold\":null,\"rules\":[],\"error\":null},"
                        + "{\"scanner\":\"attachments\",\"outcome\":\"CLEAN\",\"threats\":[],\"score\":null,"
                        + "\"threshold\":null,\"rules\":[],\"error\":null},"
                        + "{\"scanner\":\"bayes\",\"outcome\":\"CLEAN\"")
                .contains("{\"name\":\"BAYES_");
        assertThat(lines.get(1))
                .startsWith("{\"file\":" + Json.string(eicar.toString()) + ",\"outcome\":\"INFECTED\"")
                .contains("\"scanner\":\"builtin\",\"threats\":[\"Eicar-Test-Signature\"]")
                .contains("\"error\":null,\"action\":\"REJECT\"");
        assertThat(lines.get(2))
                .contains("\"outcome\":\"SPAM\"")
                .contains("\"score\":1000.0,\"threshold\":5.0,\"rules\":[{\"name\":\"GTUBE\",\"score\":")
                .contains("\"action\":\"TAG\"");
        assertThat(lines.get(3))
                .isEqualTo("{\"file\":" + Json.string(missing.toString())
                        + ",\"outcome\":\"ERROR\",\"scanner\":null,\"threats\":[],\"score\":null,"
                        + "\"threshold\":null,\"rules\":[],\"error\":\"no such file\",\"action\":null,\"results\":[]}");
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void jsonGivesEachClassifierTokenWithItsTrainingCounts() throws IOException {
        Path gtube = write(Sample.GTUBE);
        Run r = Run.main("scan", "--bayes", "default", "--json", gtube.toString());
        assertThat(r.err()).isEmpty();
        // the README: every verdict names the strongest tokens with their spam probability and training counts; the
        // JSON gave name and score only
        assertThat(r.out())
                .containsPattern("\\{\"name\":\"BAYES_[0-9]+\",\"score\":[0-9.]+,\"description\":\"classifier"
                        + " indicator [0-9.]+ from [0-9]+ significant of [0-9]+ tokens\"}")
                .containsPattern("\\{\"name\":\"[^\"]+\",\"score\":[0-9.]+,\"description\":\"seen in [0-9]+ spam and"
                        + " [0-9]+ ham\"}");
    }

    @Test
    void noScannerIsAUsageError() throws IOException {
        Path f = write(Sample.CLEAN);
        Run r = Run.main("scan", f.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("hygiene scan: choose at least one scanner: --builtin");
        assertThat(r.out()).isEmpty();
    }

    /**
     * {@code --builtin --attachment-policy FILE}: the file's policy replaces the embedded set's default one, as
     * {@code --bayes} replaces its classifier. Until session 51 it was "both add the scanner 'attachments'", and the
     * way out the message gave (only one of them) lost the EICAR scanner or the site's policy.
     */
    @Test
    void builtinWithAPolicyFileKeepsItsSignatureScannerAndUsesTheFilesPolicy() throws IOException {
        Path policy = Files.writeString(dir.resolve("policy.txt"), "defaults\nblock extension txt\n");
        write(Sample.EICAR_ZIP);
        Path notes = Files.writeString(
                dir.resolve("notes.eml"),
                "From: a@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                        + "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n"
                        + "some notes\r\n--b--\r\n");
        Run r = Run.main(
                "scan",
                "--builtin",
                "--attachment-policy",
                policy.toString(),
                dir.resolve("eicar-zip.eml").toString(),
                notes.toString());
        assertThat(r.outLines())
                .contains(dir.resolve("eicar-zip.eml") + ": Eicar-Test-Signature FOUND")
                .anySatisfy(l -> assertThat(l).startsWith(notes + ": SUSPICIOUS ["));
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void usageErrors() throws IOException {
        assertUsageError(Run.main("scan", "--builtin"), "no files given");
        assertUsageError(Run.main("scan", "--builtin", "--frob", "x"), "unknown option --frob");
        assertUsageError(Run.main("scan", "--builtin=yes", "x"), "--builtin takes no argument");
        assertUsageError(Run.main("scan", "--builtin", "--builtin", "x"), "--builtin is given twice");
        assertUsageError(Run.main("scan", "--builtin", "-", "-"), "can be given only once");
        assertUsageError(
                Run.main(
                        "scan",
                        "--attachments",
                        "--attachment-policy",
                        Files.writeString(dir.resolve("p.txt"), "defaults\n").toString(),
                        "x"),
                "--attachments and --attachment-policy both add the scanner 'attachments': give only one of them");
    }

    private static void assertUsageError(Run r, String message) {
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains(message).contains("usage: hygiene scan");
        assertThat(r.out()).isEmpty();
    }
}
