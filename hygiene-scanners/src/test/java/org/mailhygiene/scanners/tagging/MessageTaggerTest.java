package org.mailhygiene.scanners.tagging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.api.policy.SmtpReply;
import org.quicktheories.core.Gen;

class MessageTaggerTest {
    private static final Charset JIS = Charset.forName("ISO-2022-JP");

    private static Disposition tag(List<Header> headers) {
        return new Disposition(Action.TAG, SmtpReply.OK, "spam", Optional.of("[SPAM]"), headers, List.of());
    }

    private static Disposition accept() {
        return accept(List.of());
    }

    private static Disposition accept(List<Header> headers) {
        return new Disposition(Action.ACCEPT, SmtpReply.OK, "clean", Optional.empty(), headers, List.of());
    }

    private static byte[] apply(Disposition d, byte[] in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageTagger.apply(d, new ByteArrayInputStream(in), out);
        return out.toByteArray();
    }

    private static String apply(Disposition d, String in) throws IOException {
        return new String(apply(d, in.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1);
    }

    private static String headerSection(String message) {
        int end = message.indexOf("\r\n\r\n");
        return end < 0 ? message : message.substring(0, end + 2);
    }

    private static String subjectLine(String message) {
        String unfolded = headerSection(message).replaceAll("\r?\n[ \t]", " ");
        for (String line : unfolded.split("\r?\n")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                return line.substring(8).strip();
            }
        }
        throw new AssertionError("no Subject in " + message);
    }

    @Test
    void asciiSubjectIsTaggedAndHeadersAddedAtTheEndOfTheHeaderSection() throws IOException {
        String in = "From: a@example.org\r\nSubject: Hello there\r\nTo: b@example.net\r\n\r\nBody line\r\n";
        String out = apply(tag(List.of(new Header("X-Spam-Flag", "YES"), new Header("X-Spam-Score", "7.1"))), in);
        assertThat(out)
                .isEqualTo("From: a@example.org\r\nSubject: [SPAM] Hello there\r\nTo: b@example.net\r\n"
                        + "X-Spam-Flag: YES\r\nX-Spam-Score: 7.1\r\n\r\nBody line\r\n");
    }

    @Test
    void iso2022jpSubjectStaysSevenBitAndDecodesToTagPlusOriginal() throws Exception {
        String japanese = "今月のお知らせ：新製品のご案内";
        String encoded = "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString(japanese.getBytes(JIS)) + "?=";
        byte[] body = "本文です。\r\n".getBytes(JIS);
        byte[] in = concat(
                ("Subject: " + encoded + "\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII),
                body);
        byte[] outBytes = apply(tag(List.of()), in);
        String out = new String(outBytes, StandardCharsets.ISO_8859_1);
        String subject = subjectLine(out);
        assertThat(subject.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        assertThat(MimeUtility.decodeText(subject)).isEqualTo("[SPAM] " + japanese);
        assertThat(Arrays.copyOfRange(outBytes, outBytes.length - body.length, outBytes.length))
                .isEqualTo(body);
    }

    @Test
    void foldedUtf8SubjectOfSeveralEncodedWords() throws Exception {
        String in = "Subject:\r\n =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?=\r\n =?UTF-8?B?"
                + Base64.getEncoder().encodeToString("Zürich – 東京".getBytes(StandardCharsets.UTF_8))
                + "?=\r\n\r\nx\r\n";
        String out = apply(tag(List.of()), in);
        assertThat(MimeUtility.decodeText(subjectLine(out))).isEqualTo("[SPAM] Grüße ausZürich – 東京");
        assertThat(out).startsWith("Subject: [SPAM] =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?=\r\n =?UTF-8?B?");
    }

    @Test
    void emptyAndMissingSubjectsGetOne() throws IOException {
        assertThat(apply(tag(List.of()), "Subject:\r\nTo: b\r\n\r\nx")).isEqualTo("Subject: [SPAM]\r\nTo: b\r\n\r\nx");
        assertThat(apply(tag(List.of()), "Subject:   \r\n\r\nx")).isEqualTo("Subject: [SPAM]\r\n\r\nx");
        assertThat(apply(tag(List.of(new Header("X-Spam-Flag", "YES"))), "From: a\r\n\r\nx"))
                .isEqualTo("From: a\r\nSubject: [SPAM]\r\nX-Spam-Flag: YES\r\n\r\nx");
        assertThat(apply(tag(List.of()), "From: a\r\nTo: b")).isEqualTo("From: a\r\nTo: b\r\nSubject: [SPAM]\r\n");
        assertThat(apply(tag(List.of()), "")).isEqualTo("Subject: [SPAM]\r\n");
    }

    @Test
    void taggingTwiceDoesNotStackAndOnlyTheFirstSubjectIsTagged() throws IOException {
        String once = apply(tag(List.of()), "Subject: hi\r\nSubject: second\r\n\r\nx");
        assertThat(once).isEqualTo("Subject: [SPAM] hi\r\nSubject: second\r\n\r\nx");
        assertThat(apply(tag(List.of()), once)).isEqualTo(once);
    }

    @Test
    void lookAlikeHeadersFromOutsideAreRenamedWithTheirValuesKept() throws IOException {
        String in =
                "X-Spam-Flag: YES\r\nx-spam-status: Yes, score=99.0\r\n\tfolded=yes\r\nX-Spam-Original-Flag: kept\r\n"
                        + "X-Virus-Status: Clean\r\nX-Spamassassin: no\r\nSubject: s\r\n\r\nX-Spam-Flag: YES in the body\r\n";
        String out = apply(tag(List.of(new Header("X-Virus-Status", "Infected"))), in);
        assertThat(out)
                .isEqualTo("X-Spam-Original-Flag: YES\r\nx-spam-Original-status: Yes, score=99.0\r\n"
                        + "\tfolded=yes\r\nX-Spam-Original-Flag: kept\r\nX-Original-Virus-Status: Clean\r\nX-Spamassassin: no\r\n"
                        + "Subject: [SPAM] s\r\nX-Virus-Status: Infected\r\n\r\nX-Spam-Flag: YES in the body\r\n");
        assertThat(apply(accept(), "X-Spam-Flag: YES\r\n\r\nx")).isEqualTo("X-Spam-Original-Flag: YES\r\n\r\nx");
    }

    @Test
    void authenticationResultsGoesOnTopAsATraceField() throws IOException {
        Header ar = new Header("Authentication-Results", "gw.example; spf=pass smtp.mailfrom=a@example.org");
        String in = "Received: from a by gw\r\nAuthentication-Results: gw.example; dkim=pass\r\nSubject: s\r\n\r\nb";
        assertThat(apply(tag(List.of(new Header("X-Spam-Flag", "YES"), ar)), in))
                .isEqualTo("Authentication-Results: gw.example; spf=pass smtp.mailfrom=a@example.org\r\n"
                        + "Received: from a by gw\r\nX-Original-Authentication-Results: gw.example; dkim=pass\r\n"
                        + "Subject: [SPAM] s\r\nX-Spam-Flag: YES\r\n\r\nb");
        // below a leading mbox From line; LF kept; a message of no header field gets it all the same
        assertThat(apply(accept(List.of(ar)), "From MAILER-DAEMON Fri Nov 27 10:00:00 2026\nTo: b@x\n\nb"))
                .isEqualTo("From MAILER-DAEMON Fri Nov 27 10:00:00 2026\n"
                        + "Authentication-Results: gw.example; spf=pass smtp.mailfrom=a@example.org\nTo: b@x\n\nb");
        assertThat(apply(accept(List.of(ar)), "\r\nbody"))
                .isEqualTo("Authentication-Results: gw.example; spf=pass smtp.mailfrom=a@example.org\r\n\r\nbody");
        assertThat(apply(accept(List.of(ar)), "To: b@x"))
                .isEqualTo("Authentication-Results: gw.example; spf=pass smtp.mailfrom=a@example.org\r\nTo: b@x\r\n");
    }

    @Test
    void lfOnlyMessagesGetLfHeaders() throws IOException {
        assertThat(apply(tag(List.of(new Header("X-Spam-Flag", "YES"))), "Subject: a\n\nbody\r\nmixed\n"))
                .isEqualTo("Subject: [SPAM] a\nX-Spam-Flag: YES\n\nbody\r\nmixed\n");
    }

    @Test
    void nonFieldLinesAreCopiedUnchanged() throws IOException {
        String in = "From MAILER-DAEMON Fri Nov 27 10:00:00 2026\r\nSubject: x\r\nnot a header line\r\n\r\nb";
        assertThat(apply(tag(List.of()), in))
                .isEqualTo(
                        "From MAILER-DAEMON Fri Nov 27 10:00:00 2026\r\nSubject: [SPAM] x\r\nnot a header line\r\n\r\nb");
    }

    @Test
    void aValueEndingInBlanksAtTheFoldPointGivesNoLineOfBlanks() {
        // a suspicious-verdict reason cut to 400 characters right after a blank, or a file name with two blanks in a
        // row: the fold took the place of the one blank and left a line holding only the tab
        String value = "x".repeat(70) + " ";
        String folded = MessageTagger.fold("X-Hygiene-Suspicious", value);
        for (String line : folded.split("\n", -1)) {
            assertThat(line.isBlank()).as("line %s of %s", line, folded).isFalse();
        }
        assertThat(unfoldedLike(folded, "X-Hygiene-Suspicious: " + value, "\n")).isTrue();
    }

    @Test
    void foldingNeverGivesALineOfBlanksAndUnfoldsToTheValue() {
        qt().withExamples(2000)
                .forAll(
                        arbitrary().pick(List.of("X-Spam-Status", "X-Hygiene-Suspicious", "X-Virus-Found")),
                        lists().of(arbitrary().pick(List.of("a", "word", " ", "\t", ",", "x".repeat(40))))
                                .ofSizeBetween(0, 60)
                                .map(l -> String.join("", l)))
                .checkAssert((name, value) -> {
                    String folded = MessageTagger.fold(name, value);
                    String[] lines = folded.split("\n", -1);
                    for (int i = 1; i < lines.length; i++) {
                        assertThat(lines[i].isBlank())
                                .as("line %d of %s", i, folded)
                                .isFalse();
                    }
                    assertThat(unfoldedLike(folded, name + ": " + value, "\n"))
                            .as("%s unfolds to %s", folded, value)
                            .isTrue();
                });
    }

    @Test
    void policyHeadersWithLongRuleListsAreFoldedAndUnfoldBack() throws IOException {
        Verdict.Builder vb = Verdict.builder("spamd", Outcome.SPAM)
                .score(27.3)
                .threshold(6.8)
                .elapsed(Duration.ofMillis(5));
        for (int i = 0; i < 25; i++) {
            vb.rule(Rule.of(String.format(Locale.ROOT, "SOME_RULE_NAME_%02d", i), 1.0));
        }
        Disposition d = DefaultPolicy.defaults().decide(List.of(vb.build()));
        assertThat(d.action()).isEqualTo(Action.TAG);
        String out = apply(d, "Subject: offer\r\n\r\nbody\r\n");
        String head = headerSection(out);
        String[] lines = head.split("\r\n");
        for (int i = 0; i < lines.length; i++) {
            assertThat(lines[i].length()).as(lines[i]).isLessThanOrEqualTo(78);
            // as SpamAssassin folds its X-Spam-Status (and Postfix its Received): a tab starts every continuation
            // line, and a fold at a blank takes its place (a space started some lines, a tab others, before session 49)
            if (lines[i].startsWith(" ") || lines[i].startsWith("\t")) {
                assertThat(lines[i]).as("continuation line").startsWith("\t").doesNotStartWith("\t ");
                assertThat(lines[i - 1]).as("line before a fold").doesNotEndWith(" ");
            }
        }
        assertThat(head).as("the rule list and the scanner's name are folded").contains("\r\n\tscanner=spamd\r\n");
        String unfolded = head.replaceAll("\r\n[ \t]", " ").replace(", ", ",").replace(",\t", ",");
        for (Header h : d.headers()) {
            String want = h.name() + ": " + h.value();
            assertThat(unfolded.replace(",\t", ",")).contains(want.replace(", ", ","));
        }
        assertThat(subjectLine(out)).isEqualTo("[SPAM] offer");
    }

    @Test
    void overlongFirstSubjectLineFoldsAfterTheTag() throws IOException {
        String longWord = "x".repeat(990);
        String out = apply(tag(List.of()), "Subject: " + longWord + "\r\n\r\nb");
        assertThat(out).isEqualTo("Subject: [SPAM]\r\n " + longWord + "\r\n\r\nb");
    }

    @Test
    void hugeHeaderFieldIsRefused() {
        byte[] in = ("X-Long: " + "a".repeat(MessageTagger.MAX_FIELD_LENGTH + 10) + "\r\n\r\nb")
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> apply(accept(), in))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("longer");
    }

    @Test
    void bodyIsStreamedNotBuffered() throws IOException {
        long bodySize = 64L << 20; // 64 MiB of body through a small heap footprint
        InputStream in = new InputStream() {
            final byte[] head = "Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            long pos;

            @Override
            public int read() {
                if (pos < head.length) {
                    return head[(int) pos++];
                }
                return pos++ < head.length + bodySize ? 'z' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos < head.length) {
                    return super.read(b, off, Math.min(len, 1));
                }
                long left = head.length + bodySize - pos;
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) 'z');
                pos += n;
                return n;
            }
        };
        long[] count = new long[1];
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        MessageTagger.apply(tag(List.of()), in, out);
        assertThat(count[0]).isEqualTo("Subject: [SPAM] big\r\n\r\n".length() + bodySize);
    }

    // ---- property test ----

    private record Field(String name, String raw) {}

    private static final List<String> NAMES = List.of(
            "Subject",
            "From",
            "To",
            "Received",
            "X-Spam-Flag",
            "X-Spam-Status",
            "x-spam-level",
            "X-SPAM-Score",
            "X-Virus-Status",
            "X-Hygiene-Unscanned",
            "Content-Type",
            "X-Mailer",
            "DKIM-Signature",
            "Spam",
            "Authentication-Results",
            "X-Spamd-Result");

    private static Gen<String> value() {
        return strings()
                .betweenCodePoints(0x20, 0x7e)
                .ofLengthBetween(0, 50)
                .zip(integers().between(0, 3), (v, folds) -> {
                    StringBuilder sb = new StringBuilder(v);
                    for (int i = 0; i < folds; i++) {
                        int at = sb.indexOf(" ", 1 + i * 7);
                        if (at > 0 && at < sb.length() - 1) {
                            sb.insert(at, "\n"); // becomes the line end, folded before a space
                        }
                    }
                    return sb.toString();
                });
    }

    private static Gen<Field> field() {
        Gen<String> names = arbitrary()
                .pick(NAMES)
                .mix(strings().betweenCodePoints('A', 'Z').ofLengthBetween(1, 8).map(s -> "X-" + s), 30);
        return names.zip(value(), arbitrary().pick(": ", ":", " : ", ":\t"), (n, v, sep) -> new Field(n, n + sep + v));
    }

    private static Gen<byte[]> bytes(int max) {
        return lists().of(integers().between(0, 255)).ofSizeBetween(0, max).map(l -> {
            byte[] b = new byte[l.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (int) l.get(i);
            }
            return b;
        });
    }

    private static final List<Header> HEADER_POOL = List.of(
            new Header("X-Spam-Flag", "YES"),
            new Header("X-Spam-Score", "7.1"),
            new Header("X-Spam-Status", "Yes, score=7.1 required=6.8 tests=A,B,C scanner=spamd"),
            new Header("X-Virus-Status", "Infected"),
            new Header("X-Hygiene-Unscanned", "clamd (timed_out)"),
            new Header("Authentication-Results", "gw.example; spf=pass smtp.mailfrom=a@example.org; dkim=none"));

    @Test
    void everyByteOutsideTheTouchedFieldsIsUnchanged() {
        qt().withExamples(400)
                .forAll(
                        lists().of(field()).ofSizeBetween(0, 12),
                        bytes(300),
                        booleans().all(),
                        lists().of(integers().between(0, HEADER_POOL.size() - 1))
                                .ofSizeBetween(0, 4))
                .checkAssert((fields, body, crlf, picks) -> {
                    String eol = crlf ? "\r\n" : "\n";
                    boolean withTag = !picks.isEmpty() && picks.get(0) % 2 == 0;
                    List<Header> added = new ArrayList<>();
                    for (int p : picks) {
                        if (added.stream()
                                .noneMatch(
                                        h -> h.name().equals(HEADER_POOL.get(p).name()))) {
                            added.add(HEADER_POOL.get(p));
                        }
                    }
                    Disposition d = withTag
                            ? tag(added)
                            : new Disposition(Action.ACCEPT, SmtpReply.OK, "r", Optional.empty(), added, List.of());
                    ByteArrayOutputStream in = new ByteArrayOutputStream();
                    for (Field f : fields) {
                        in.writeBytes((f.raw().replace("\n", eol) + eol).getBytes(StandardCharsets.ISO_8859_1));
                    }
                    in.writeBytes(eol.getBytes(StandardCharsets.ISO_8859_1));
                    in.writeBytes(body);
                    byte[] input = in.toByteArray();
                    byte[] output;
                    try {
                        output = apply(d, input);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                    checkInvariants(d, input, output, eol);
                });
    }

    private static void checkInvariants(Disposition d, byte[] input, byte[] output, String eol) {
        String in = new String(input, StandardCharsets.ISO_8859_1);
        String out = new String(output, StandardCharsets.ISO_8859_1);
        int inEnd = headerEnd(in, eol);
        int outEnd = headerEnd(out, eol);
        // the body, with its separating blank line, is byte-identical
        assertThat(out.substring(outEnd)).isEqualTo(in.substring(inEnd));
        List<String> inFields = fields(in.substring(0, inEnd), eol);
        List<String> outFields = fields(out.substring(0, outEnd), eol);

        List<String> addedNames =
                d.headers().stream().map(h -> h.name().toLowerCase(Locale.ROOT)).toList();
        List<String> keptIn = new ArrayList<>();
        List<String> renamedIn = new ArrayList<>();
        String subjectIn = null;
        for (String f : inFields) {
            String n = name(f).toLowerCase(Locale.ROOT);
            if (n.equals("subject") && d.subjectTag().isPresent() && subjectIn == null) {
                subjectIn = f;
            } else if (n.startsWith("x-spam-") || addedNames.contains(n)) {
                renamedIn.add(f);
            } else {
                keptIn.add(f);
            }
        }
        List<String> keptOut = new ArrayList<>();
        List<String> renamedOut = new ArrayList<>();
        String subjectOut = null;
        // Authentication-Results on top (a trace field), every other addition at the end
        List<Header> top = d.headers().stream()
                .filter(h -> h.name().equals("Authentication-Results"))
                .toList();
        List<Header> bottom = d.headers().stream().filter(h -> !top.contains(h)).toList();
        int addedCount = bottom.size() + (d.subjectTag().isPresent() && subjectIn == null ? 1 : 0);
        List<String> head = outFields.subList(0, top.size());
        List<String> tail = outFields.subList(outFields.size() - addedCount, outFields.size());
        assertThat(head).hasSameSizeAs(top);
        for (int i = 0; i < head.size(); i++) {
            Header h = top.get(i);
            assertThat(unfoldedLike(head.get(i), h.name() + ": " + h.value(), eol))
                    .as("%s folds %s", head.get(i), h)
                    .isTrue();
        }
        for (String f : outFields.subList(top.size(), outFields.size() - addedCount)) {
            String n = name(f).toLowerCase(Locale.ROOT);
            if (n.equals("subject") && subjectIn != null && subjectOut == null) {
                subjectOut = f;
            } else if (n.startsWith("x-spam-original-") || n.startsWith("x-original-")) {
                renamedOut.add(f);
            } else {
                keptOut.add(f);
            }
        }
        assertThat(keptOut).isEqualTo(keptIn);
        assertThat(renamedOut).hasSameSizeAs(renamedIn);
        for (int i = 0; i < renamedIn.size(); i++) {
            String a = renamedIn.get(i);
            String b = renamedOut.get(i);
            assertThat(b.substring(name(b).length())).isEqualTo(a.substring(name(a).length()));
        }
        if (subjectIn != null) {
            String value =
                    subjectIn.substring(subjectIn.indexOf(':') + 1).replaceFirst("^(?:[ \t]|" + eol + "[ \t])+", "");
            String tagText = d.subjectTag().get();
            String expect = value.startsWith(tagText + " ") || value.equals(tagText + eol)
                    ? subjectIn
                    : subjectIn.substring(0, subjectIn.indexOf(':') + 1) + " " + tagText
                            + (value.equals(eol) || value.isEmpty() ? value : " " + value);
            assertThat(subjectOut).isEqualTo(expect);
        }
        List<String> expectTail = new ArrayList<>();
        if (d.subjectTag().isPresent() && subjectIn == null) {
            expectTail.add("Subject: " + d.subjectTag().get());
        }
        bottom.forEach(h -> expectTail.add(h.name() + ": " + h.value()));
        assertThat(tail).hasSameSizeAs(expectTail);
        for (int i = 0; i < tail.size(); i++) {
            assertThat(unfoldedLike(tail.get(i), expectTail.get(i), eol))
                    .as("%s folds %s", tail.get(i), expectTail.get(i))
                    .isTrue();
        }
    }

    /**
     * Whether {@code folded} (one field with its line end) is {@code text} folded as {@link MessageTagger#fold} folds:
     * each line break plus tab either replaces one space or tab of the text or follows a comma.
     */
    private static boolean unfoldedLike(String folded, String text, String eol) {
        String body = folded.endsWith(eol) ? folded.substring(0, folded.length() - eol.length()) : folded;
        String fold = eol + "\t";
        int j = 0;
        for (int i = 0; i < body.length(); ) {
            if (body.startsWith(fold, i)) {
                if (j < text.length() && (text.charAt(j) == ' ' || text.charAt(j) == '\t')) {
                    j++;
                } else if (j == 0 || text.charAt(j - 1) != ',') {
                    return false;
                }
                i += fold.length();
            } else if (j < text.length() && body.charAt(i) == text.charAt(j)) {
                i++;
                j++;
            } else {
                return false;
            }
        }
        return j == text.length();
    }

    private static int headerEnd(String message, String eol) {
        return message.startsWith(eol) ? 0 : message.indexOf(eol + eol) + eol.length();
    }

    private static String name(String field) {
        int c = field.indexOf(':');
        return field.substring(0, c).stripTrailing();
    }

    /** Splits a header section into fields (a field keeps its continuation lines and line ends). */
    private static List<String> fields(String section, String eol) {
        List<String> out = new ArrayList<>();
        for (String line : section.split("(?<=" + eol + ")")) {
            if (line.isEmpty()) {
                continue;
            }
            if ((line.startsWith(" ") || line.startsWith("\t")) && !out.isEmpty()) {
                out.set(out.size() - 1, out.get(out.size() - 1) + line);
            } else {
                out.add(line);
            }
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
