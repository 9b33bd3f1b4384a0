package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MailSourcesTest {

    private static List<String> read(Path p) throws Exception {
        List<String> out = new ArrayList<>();
        MailSources.forEach(p, (id, m) -> out.add(new String(m, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void directoryOfFilesIsReadRecursivelyInNameOrderSkippingHiddenFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.eml"), "Subject: b\r\n\r\nB\r\n");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/00001.abc"), "Subject: c\r\n\r\nC\r\n");
        Files.writeString(dir.resolve("a.eml"), "Subject: a\r\n\r\nA\r\n");
        Files.writeString(dir.resolve(".hidden"), "Subject: h\r\n\r\nH\r\n");
        assertThat(read(dir))
                .containsExactly("Subject: a\r\n\r\nA\r\n", "Subject: b\r\n\r\nB\r\n", "Subject: c\r\n\r\nC\r\n");
        assertThat(MailSources.count(dir)).isEqualTo(3);
    }

    @Test
    void anEmptyFileIsSkippedAndReportedNotReadAsAMessage(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.eml"), "Subject: a\r\n\r\nA\r\n");
        Files.writeString(dir.resolve("b.eml"), "");
        List<String> skipped = new ArrayList<>();
        long n = MailSources.forEach(dir, new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) {}

            @Override
            public void skipped(String id, String reason) {
                skipped.add(id + ": " + reason);
            }
        });
        // was 2: train counted the empty file as one more spam or ham message
        assertThat(n).isEqualTo(1);
        assertThat(read(dir)).containsExactly("Subject: a\r\n\r\nA\r\n");
        assertThat(skipped).containsExactly(dir.resolve("b.eml") + ": an empty file, not a message");
    }

    @Test
    void maildirSkipsTmp(@TempDir Path dir) throws Exception {
        for (String d : List.of("cur", "new", "tmp")) {
            Files.createDirectories(dir.resolve(d));
            Files.writeString(dir.resolve(d).resolve("1." + d), "Subject: " + d + "\r\n\r\nx\r\n");
        }
        assertThat(read(dir)).containsExactly("Subject: cur\r\n\r\nx\r\n", "Subject: new\r\n\r\nx\r\n");
    }

    @Test
    void mboxIsSplitAndUnescaped(@TempDir Path dir) throws Exception {
        Path mbox = dir.resolve("inbox");
        Files.writeString(
                mbox,
                "From a@example.org Mon Dec  1 10:00:00 2003\n"
                        + "Subject: one\n\n>From the start\nbody From here\n\n"
                        + "From b@example.org Mon Dec  1 11:00:00 2003\n"
                        + "Subject: two\n\n>>From quoted\n");
        List<String> ids = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        long n = MailSources.forEach(mbox, (id, m) -> {
            ids.add(id);
            messages.add(new String(m, StandardCharsets.UTF_8));
        });
        assertThat(n).isEqualTo(2);
        assertThat(messages)
                .containsExactly("Subject: one\n\nFrom the start\nbody From here\n", "Subject: two\n\n>From quoted\n");
        assertThat(ids).containsExactly(mbox + "#1", mbox + "#2");
    }

    /**
     * A message saved with its envelope line but without mboxrd's escaping, whose body has a paragraph opening "From
     * ", was split there into several messages (and refused by learn as an mbox): a separator holds a time of day.
     */
    @Test
    void aBodyParagraphOpeningWithFromIsNoSeparator(@TempDir Path dir) throws Exception {
        String saved = "From cfo@example.org Tue Dec  1 10:00:00 2026\nSubject: memo\n\nHello,\n\n"
                + "From the desk of the CFO: the budget is approved.\n\nFrom now on, file receipts weekly.\n"
                // a time of day alone made a separator: this paragraph was a message of its own
                + "\nFrom 9:00 to 17:00 on Friday the office is closed.\n\nFrom 10:30 in May we move.\n";
        Path file = dir.resolve("memo.eml");
        Files.writeString(file, saved);
        List<String> messages = new ArrayList<>();
        assertThat(MailSources.forEach(file, (id, m) -> messages.add(new String(m, StandardCharsets.UTF_8))))
                .isEqualTo(1);
        assertThat(messages.get(0))
                .contains("From the desk")
                .contains("From now on")
                .contains("From 9:00 to 17:00")
                .contains("From 10:30 in May");
        assertThat(MailSources.messagesIn(saved.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(1);
        // envelope lines as mbox writers write them still separate: with or without seconds, Thunderbird's "From - "
        String mbox = saved + "\nFrom - Wed Aug 22 10:27:26 2012\nSubject: b\n\nx\n"
                + "\nFrom MAILER-DAEMON Fri Jul  8 9:08 2011\nSubject: c\n\ny\n"
                + "\nFrom jane@example.org Tue, 1 Dec 2026 10:00:00 +0000\nSubject: d\n\nz\n"
                + "\nFrom bob@example.org Tue Dec  1 10:00:00 +0100 2026\nSubject: e\n\nw\n";
        assertThat(MailSources.messagesIn(mbox.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(5);
    }

    /**
     * Netscape and old Mozilla wrote the next envelope line straight after the last line of a message, with no empty
     * line between (MimeKit's test mailbox {@code content-length.mbox.txt}, mail of 1996-97): the next message was
     * read as the first one's epilogue, so an {@code .exe} it carried was never inspected ({@code hygiene scan} said
     * OK). An envelope line of the exact form mbox writers give it separates there too; a body line that merely opens
     * with "From " and holds a date does not.
     */
    @Test
    void anEnvelopeLineRightAfterAMessageStillSeparates(@TempDir Path dir) throws Exception {
        String first = "Subject: one\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\n\nhello\n--b1--";
        String second = "Subject: two\n\nsee attached\n"
                + "From Dec 3 at 10:00 until Dec 5 2026 the office is closed.\n"
                + "From jane@example.org Tue Dec  1 10:00:00 2026 wrote:\n> hi";
        String third = "Subject: three\n\nx";
        String mbox = "From - Mon Jun  3 12:50:27 1996\n" + first + "\n"
                + "From - Mon Aug 18 21:13:21 1997\n" + second + "\n"
                + "From mallory@example.net Tue Dec  1 10:05:00 +0100 2026\n" + third + "\n";
        Path file = Files.writeString(dir.resolve("netscape.mbox"), mbox);
        assertThat(read(file)).containsExactly(first + "\n", second + "\n", third + "\n");
        assertThat(MailSources.messagesIn(mbox.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(3);
        for (String line : List.of(
                "From - Mon Jun  3 12:50:27 1996\n",
                "From MAILER-DAEMON Fri Jul  8 9:08 2011\r\n",
                "From bob@example.org Tue Dec  1 10:00:00 PST 2026\n",
                "From uucp Tue Dec  1 10:00:00 2026 remote from host\n")) {
            assertThat(MailSources.isEnvelopeLine(line.getBytes(StandardCharsets.US_ASCII)))
                    .as(line)
                    .isTrue();
        }
        for (String line : List.of(
                "From Dec 3 at 10:00 until Dec 5 2026 the office is closed.\n",
                "From jane@example.org Tue Dec  1 10:00:00 2026 wrote:\n",
                "From - \n",
                "From the desk of the CFO\n")) {
            assertThat(MailSources.isEnvelopeLine(line.getBytes(StandardCharsets.US_ASCII)))
                    .as(line)
                    .isFalse();
        }
    }

    /**
     * Lines are read in pieces of {@link MailSources#LINE_PIECE} bytes (a file of one line of 200 MB was held whole
     * and ran the scan out of memory): a piece that starts inside a long line is neither a separator nor unescaped,
     * and the message keeps every byte.
     */
    @Test
    void aLineLongerThanAPieceIsKeptWholeAndSplitsNothing(@TempDir Path dir) throws Exception {
        String pad = "a".repeat(MailSources.LINE_PIECE);
        String first = "Subject: one\n\n" + pad + ">From here\n\n" + pad + "From b@example.org Tue Dec  1 10:00:00"
                + " 2026\n\n" + pad.repeat(3) + "\nend\n";
        String mbox = "From a@example.org Mon Dec  1 10:00:00 2003\n" + first
                + "\nFrom b@example.org Mon Dec  1 11:00:00 2003\nSubject: two\n\n>From quoted\n";
        Path file = dir.resolve("long.mbox");
        Files.writeString(file, mbox);
        assertThat(read(file)).containsExactly(first, "Subject: two\n\nFrom quoted\n");
        assertThat(MailSources.messagesIn(mbox.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(2);
    }

    /** A message past {@link MailSources#MAX_MESSAGE_BYTES} on one line is skipped, and the next one still read. */
    @Test
    void aMessageOfOneHugeLineIsSkippedAndTheNextRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("huge.mbox");
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            out.write("From a@example.org Mon Dec  1 10:00:00 2003\nSubject: huge\n\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] piece = new byte[1 << 20];
            java.util.Arrays.fill(piece, (byte) 'a');
            for (long n = 0; n <= MailSources.MAX_MESSAGE_BYTES; n += piece.length) {
                out.write(piece);
            }
            out.write("\n\nFrom b@example.org Mon Dec  1 11:00:00 2003\nSubject: two\n\nx\n"
                    .getBytes(StandardCharsets.US_ASCII));
        }
        List<String> seen = new ArrayList<>();
        long n = MailSources.forEach(file, new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) {
                seen.add(id + " " + new String(message, StandardCharsets.UTF_8));
            }

            @Override
            public void skipped(String id, String reason) {
                seen.add(id + " skipped: " + reason);
            }
        });
        assertThat(n).isEqualTo(1);
        assertThat(seen)
                .containsExactly(
                        file + "#1 skipped: larger than " + MailSources.MAX_MESSAGE_BYTES + " bytes",
                        file + "#2 Subject: two\n\nx\n");
    }

    /**
     * An mbox message of nothing but line breaks (an envelope line and nothing after it, as a cut mailbox ends) was
     * visited as a message: train learned it as one more message of its label. It is skipped, and later messages keep
     * their numbers.
     */
    @Test
    void anEmptyMboxMessageIsSkippedNotVisited(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cut.mbox");
        Files.writeString(
                file,
                "From a@example.org Mon Dec  1 10:00:00 2003\n\n\nFrom b@example.org Mon Dec  1 11:00:00 2003\n"
                        + "Subject: two\n\nx\n\nFrom c@example.org Mon Dec  1 12:00:00 2003\r\n");
        List<String> seen = new ArrayList<>();
        long n = MailSources.forEach(file, new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) {
                seen.add(id + " " + new String(message, StandardCharsets.UTF_8));
            }

            @Override
            public void skipped(String id, String reason) {
                seen.add(id + " skipped: " + reason);
            }
        });
        assertThat(n).isEqualTo(1);
        assertThat(seen)
                .containsExactly(
                        file + "#1 skipped: empty, not a message",
                        file + "#2 Subject: two\n\nx\n",
                        file + "#3 skipped: empty, not a message");
        assertThat(MailSources.isMboxWithoutMessage(
                        "From a@example.org Mon Dec  1 10:00:00 2003\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isTrue();
        assertThat(MailSources.isMboxWithoutMessage(Files.readAllBytes(file))).isFalse();
        assertThat(MailSources.isMboxWithoutMessage("Subject: x\n\n".getBytes(StandardCharsets.US_ASCII)))
                .isFalse();
        assertThat(MailSources.isMboxWithoutMessage(new byte[0])).isFalse(); // empty: refused as such already
    }

    /**
     * A file that does not open like mail was read as a message: train learned a Maildir's {@code dovecot-uidlist}
     * and {@code subscriptions} as ham, and a gzip-compressed mbox as one message of binary bytes (eval counted it as
     * spam missed). Each is skipped and said, as hygiene learn refuses such a file.
     */
    @Test
    void aFileThatDoesNotOpenLikeMailIsSkippedAndSaidNotLearnedAsAMessage(@TempDir Path dir) throws Exception {
        for (String d : List.of("cur", "new", "tmp")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("cur/1.host:2,S"), "Subject: a\n\nA\n");
        Files.writeString(dir.resolve("dovecot-uidlist"), "3 V1700000000 N2 G0123456789abcdef\n1 :1.host\n");
        Files.writeString(dir.resolve("subscriptions"), "V\t2\n\nJunk\n");
        Files.write(dir.resolve("dovecot.index.log"), new byte[] {1, 2, 0, 0, 40, 0, 0, 0, 0, 0});
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write("From a@example.org Mon Dec  1 10:00:00 2003\nSubject: z\n\nZ\n"
                    .getBytes(StandardCharsets.US_ASCII));
        }
        Files.write(dir.resolve("new/archive.mbox.gz"), gz.toByteArray());
        Files.write(dir.resolve("new/inbox.bz2"), "BZh91AY&SY\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1));
        Recording seen = new Recording(dir);
        long n = MailSources.forEach(dir, seen);
        List<String> skipped = seen.skipped;
        List<String> read = seen.read;
        assertThat(read).containsExactly("Subject: a\n\nA\n");
        assertThat(n).isEqualTo(1);
        assertThat(MailSources.count(dir)).isEqualTo(1);
        assertThat(skipped)
                .containsExactly(
                        "dovecot-uidlist: " + MailSources.NOT_MAIL,
                        "dovecot.index.log: " + MailSources.NOT_MAIL,
                        "new/archive.mbox.gz: gzip-compressed, not a message (decompress it first)",
                        "new/inbox.bz2: bzip2-compressed, not a message (decompress it first)",
                        "subscriptions: " + MailSources.NOT_MAIL);
        // what a scan names for such a file
        assertThat(MailSources.compression(gz.toByteArray())).contains("gzip");
        assertThat(MailSources.compression("Subject: x\n".getBytes(StandardCharsets.US_ASCII)))
                .isEmpty();
        assertThat(MailSources.compression(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}))
                .contains("xz");
        assertThat(MailSources.compression(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}))
                .contains("zstd");
    }

    /**
     * A subdirectory that may not be listed ended train and eval as "internal error ... (a bug)" with a stack trace:
     * the walk's unchecked exception escaped. It is the I/O error it is. Root lists every directory, so this runs
     * as another user only.
     */
    @Test
    void aSubdirectoryThatMayNotBeListedIsAnIoError(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                "root".equals(System.getProperty("user.name")), "root may list any directory");
        Files.writeString(dir.resolve("a.eml"), "Subject: a\n\nA\n");
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        try {
            assertThatThrownBy(() -> MailSources.forEach(dir, (id, m) -> {}))
                    .isInstanceOf(java.nio.file.AccessDeniedException.class);
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    /**
     * An mboxcl2 file (Solaris mail: a Content-Length field, body lines starting with "From " left unescaped): an
     * envelope line a sender wrote into his body cut his message in two, and each part was scanned apart (a MIME
     * header in one, the part it announces in the next). The length is followed when it holds, and ignored when not.
     */
    @Test
    void aContentLengthThatHoldsKeepsAnUnescapedEnvelopeLineInTheBody(@TempDir Path dir) throws Exception {
        String body = "Hello\n\nFrom evil@example.com Mon Jan  5 09:00:00 2026\nSubject: injected\n\nsecond part\n";
        String first = "Subject: one\nContent-Length: " + body.length() + "\n\n" + body;
        String second = "Subject: two\n\nB\n";
        for (String eol : List.of("\n", "\r\n")) {
            for (String between : List.of("\n", "")) { // writers put an empty line between messages, or not
                String mbox = ("From a@example.org Mon Jan  5 09:00:00 2026\n" + first + between
                                + "From b@example.org Mon Jan  5 09:01:00 2026\n" + second)
                        .replace("\n", eol);
                if (eol.equals("\r\n")) {
                    mbox = mbox.replace(
                            "Content-Length: " + body.length(),
                            "Content-Length: " + body.replace("\n", eol).length());
                }
                Path file = Files.writeString(dir.resolve("cl2"), mbox, StandardCharsets.US_ASCII);
                assertThat(read(file))
                        .as(eol + between)
                        .containsExactly(
                                first.replace("\n", eol)
                                        .replace(
                                                "Content-Length: " + body.length(),
                                                "Content-Length: "
                                                        + body.replace("\n", eol)
                                                                .length()),
                                second.replace("\n", eol));
            }
        }
        // the last message of the file, its length up to the end
        Path last = Files.writeString(dir.resolve("last"), "From a@example.org Mon Jan  5 09:00:00 2026\n" + first);
        assertThat(read(last)).containsExactly(first);
        // a length that does not hold is ignored: too short, too long, ending inside a line, followed by other text
        for (long wrong : List.of(5L, body.length() + 100L, body.length() - 3L, body.length() - 12L)) {
            String mbox = "From a@example.org Mon Jan  5 09:00:00 2026\n"
                    + first.replace("Content-Length: " + body.length(), "Content-Length: " + wrong)
                    + "\nFrom b@example.org Mon Jan  5 09:01:00 2026\n" + second;
            Path file = Files.writeString(dir.resolve("wrong"), mbox);
            List<String> messages = read(file);
            assertThat(messages).as("Content-Length " + wrong).hasSize(3);
            assertThat(messages.get(1)).isEqualTo("Subject: injected\n\nsecond part\n");
            assertThat(messages.get(2)).isEqualTo(second);
        }
        // two different lengths: neither is followed
        String twice = "From a@example.org Mon Jan  5 09:00:00 2026\n"
                + first.replace("Subject: one\n", "Subject: one\nContent-Length: 3\n");
        assertThat(read(Files.writeString(dir.resolve("twice"), twice))).hasSize(2);
    }

    /**
     * train and eval passed over a symbolic link to a directory and a loop of links in silence (scan names them): the
     * mail behind them was not learned and nothing said so. Each is reported to {@link MailSources.Visitor#skipped}.
     */
    @Test
    void aLinkToADirectoryAndALinkLoopAreSkippedAndSaid(@TempDir Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("a.eml"), "Subject: a\n\nA\n");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("b.eml"), "Subject: b\n\nB\n");
        Files.createSymbolicLink(tree.resolve("linked"), elsewhere);
        Files.createSymbolicLink(tree.resolve("loop1"), tree.resolve("loop2"));
        Files.createSymbolicLink(tree.resolve("loop2"), tree.resolve("loop1"));
        Recording seen = new Recording(tree);
        MailSources.forEach(tree, seen);
        List<String> skipped = seen.skipped;
        List<String> read = seen.read;
        assertThat(read).containsExactly("Subject: a\n\nA\n");
        assertThat(skipped)
                .containsExactly(
                        "linked: a symbolic link to a directory, not followed (name it to read what it holds)",
                        "loop1: a broken symbolic link or a loop of them",
                        "loop2: a broken symbolic link or a loop of them");
        // named, the link is the directory it leads to (it gave no message at all), its files named through it
        List<String> ids = new ArrayList<>();
        MailSources.forEach(tree.resolve("linked"), new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) {
                ids.add(id);
            }

            @Override
            public void skipped(String id, String reason) {
                ids.add(id + ": " + reason);
            }
        });
        assertThat(ids).containsExactly(tree.resolve("linked").resolve("b.eml").toString());
    }

    @Test
    void missingSourceIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> MailSources.forEach(dir.resolve("nope"), (id, m) -> {}))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope");
    }

    /** Keeps the messages read (as UTF-8 text) and the skipped ones ("PATH: reason", relative to a root). */
    static final class Recording implements MailSources.Visitor {
        final Path root;
        final List<String> read = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();

        Recording(Path root) {
            this.root = root;
        }

        @Override
        public void message(String id, byte[] message) {
            read.add(new String(message, StandardCharsets.UTF_8));
        }

        @Override
        public void skipped(String id, String reason) {
            skipped.add(root.relativize(Path.of(id)) + ": " + reason);
        }
    }
}
