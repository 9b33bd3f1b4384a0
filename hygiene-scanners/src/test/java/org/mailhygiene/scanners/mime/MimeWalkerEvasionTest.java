package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/**
 * Structure tricks found by fuzzing the walker with mutated real mail (benchmarks/README.md, session 25): header fields
 * given twice, a boundary far longer than any mailer writes, a multipart of CR-only lines.
 */
class MimeWalkerEvasionTest {

    private static MimeWalkResult walk(String message, List<String> leaves) throws IOException {
        return MimeWalker.defaults()
                .walk(
                        MessageContent.ofBytes(message.getBytes(StandardCharsets.ISO_8859_1)),
                        (PartInfo p, InputStream in) -> {
                            leaves.add(p.path() + "=" + p.mimeType());
                            in.transferTo(java.io.OutputStream.nullOutputStream());
                            return true;
                        });
    }

    private static String multipart(String secondPartHeader) {
        return "From: a@example.com\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
                + "--BB\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                + "--BB\r\n" + secondPartHeader + "\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--BB--\r\n";
    }

    private static List<MimeFinding.Kind> kinds(MimeWalkResult r) {
        return r.findings().stream().map(MimeFinding::kind).toList();
    }

    @Test
    void aTransferEncodingGivenTwiceWithDifferentValuesIsReported() throws IOException {
        MimeWalkResult r = walk(
                multipart("Content-Type: application/octet-stream\r\n"
                        + "Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n"),
                new ArrayList<>());
        assertThat(kinds(r)).containsExactly(MimeFinding.Kind.CONFLICTING_HEADER);
        assertThat(r.findings().get(0).path()).isEqualTo("2");
        assertThat(r.findings().get(0).detail()).contains("Content-Transfer-Encoding", "7bit", "base64");
    }

    @Test
    void aContentTypeOrDispositionGivenTwiceWithDifferentMeaningsIsReported() throws IOException {
        List<String> leaves = new ArrayList<>();
        MimeWalkResult top = walk(
                "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                        + "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n\r\nx\r\n--BB--\r\n",
                leaves);
        assertThat(kinds(top)).containsExactly(MimeFinding.Kind.CONFLICTING_HEADER);
        assertThat(top.findings().get(0).path()).isEmpty();
        // read as the first field says, as Jakarta Mail does; the finding tells the reader of the other copy
        assertThat(leaves).containsExactly("=text/plain");

        MimeWalkResult name = walk(
                multipart("Content-Type: text/plain\r\nContent-Disposition: inline; filename=\"notes.txt\"\r\n"
                        + "Content-Disposition: attachment; filename=\"invoice.js\"\r\n"),
                new ArrayList<>());
        assertThat(kinds(name)).containsExactly(MimeFinding.Kind.CONFLICTING_HEADER);
        MimeWalkResult typeName = walk(
                multipart("Content-Type: text/plain; name=\"notes.txt\"\r\n"
                        + "Content-Type: text/plain; name=\"invoice.js\"\r\n"),
                new ArrayList<>());
        assertThat(kinds(typeName)).containsExactly(MimeFinding.Kind.CONFLICTING_HEADER);
    }

    @Test
    void aTransferEncodingFollowedByACommentOrParametersIsReadAsItsFirstToken() throws IOException {
        // RFC 2045 allows a comment after the mechanism; Thunderbird reads the value up to a blank, ';' or ','. Until
        // session 48 such a body went undecoded (UNKNOWN_ENCODING), and EICAR in it was clean for the built-in scanner
        for (String cte : List.of("base64 (binary data)", "BASE64(x)", "base64; x=y", "base64 x", "base64,")) {
            List<String> sizes = new ArrayList<>();
            MimeWalkResult r = MimeWalker.defaults()
                    .walk(
                            MessageContent.ofBytes(multipart("Content-Type: application/octet-stream\r\n"
                                            + "Content-Transfer-Encoding: " + cte + "\r\n")
                                    .getBytes(StandardCharsets.ISO_8859_1)),
                            (PartInfo p, InputStream in) -> {
                                byte[] body = in.readAllBytes();
                                sizes.add(p.transferEncoding() + ":" + body.length + ":" + (char) body[0]);
                                return true;
                            });
            assertThat(kinds(r)).as(cte).isEmpty();
            assertThat(sizes).as(cte).containsExactly("7bit:2:h", "base64:33:M");
        }
        // a comment before it is read as no encoding Thunderbird knows either: undecoded, and reported
        MimeWalkResult r = walk(
                multipart("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: (c) base64\r\n"),
                new ArrayList<>());
        assertThat(kinds(r)).containsExactly(MimeFinding.Kind.UNKNOWN_ENCODING);
        // copies that differ in their comments only mean the same
        r = walk(
                multipart("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                        + "Content-Transfer-Encoding: base64 (again)\r\n"),
                new ArrayList<>());
        assertThat(kinds(r)).isEmpty();
    }

    @Test
    void aMessageNewsPartIsWalkedAsAMessage() throws IOException {
        // Thunderbird reads message/news as message/rfc822 and shows the attachments inside; until session 48 it was
        // a leaf here, and a program attached inside passed every scanner built on the walker
        String inner = "From: c@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=IN\r\n\r\n--IN\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                + "--IN\r\nContent-Type: application/octet-stream; name=run.exe\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--IN--\r\n";
        List<String> leaves = new ArrayList<>();
        MimeWalkResult r = walk(
                multipart("Content-Type: message/news\r\n\r\n" + inner)
                        .replace("TVqQAAMAAAAEAAAA//8A" + "ALgAAAAAAAAAQAAAAAAAAAAA\r\n--BB--", "--BB--"),
                leaves);
        assertThat(kinds(r)).isEmpty();
        assertThat(leaves).containsExactly("1=text/plain", "2.1.1=text/plain", "2.1.2=application/octet-stream");
    }

    @Test
    void copiesThatMeanTheSameAreNoFinding() throws IOException {
        // the same encoding in other case, the same type with another charset, the same disposition and file name
        MimeWalkResult r = walk(
                multipart("Content-Type: text/plain; charset=us-ascii\r\nContent-Type: TEXT/plain; charset=utf-8\r\n"
                        + "Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: BASE64 \r\n"
                        + "Content-Disposition: attachment; filename=a.txt\r\n"
                        + "Content-Disposition: attachment; filename=\"a.txt\"\r\n"),
                new ArrayList<>());
        assertThat(kinds(r)).isEmpty();
    }

    @Test
    void aBoundaryLongerThanAnyMailSystemPassesIsALimit() throws IOException {
        String boundary = "z".repeat(MimeWalker.MAX_BOUNDARY + 1);
        List<String> leaves = new ArrayList<>();
        MimeWalkResult r = walk(
                "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + boundary
                        + "\"\r\n\r\n--" + boundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + boundary
                        + "--\r\n",
                leaves);
        assertThat(kinds(r)).containsExactly(MimeFinding.Kind.BOUNDARY_LIMIT);
        assertThat(r.limitReached())
                .as("a limit: no scanner may call the unsplit parts clean")
                .isTrue();
        assertThat(r.findings().get(0).detail()).contains((MimeWalker.MAX_BOUNDARY + 1) + " characters");
        assertThat(leaves).containsExactly("=multipart/mixed");

        // at the limit it is split as usual
        String longest = "z".repeat(MimeWalker.MAX_BOUNDARY);
        List<String> split = new ArrayList<>();
        MimeWalkResult ok = walk(
                "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + longest
                        + "\"\r\n\r\n--" + longest + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + longest
                        + "--\r\n",
                split);
        assertThat(kinds(ok)).isEmpty();
        assertThat(split).containsExactly("1=text/plain");
    }

    @Test
    void thePartBudgetCountsBoundaryLinesEndedByABareCrAsJakartaMailSplitsThem() throws Exception {
        for (String eol : List.of("\r", "\n", "\r\n")) {
            StringBuilder m = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
                m.append("--P").append(eol).append(eol).append("x").append(eol);
            }
            m.append("--P--").append(eol);
            MultipartSplit s = MultipartSplit.split(
                    new java.io.ByteArrayInputStream(m.toString().getBytes(StandardCharsets.ISO_8859_1)), "P", 50);
            String name = eol.replace("\r", "CR").replace("\n", "LF");
            assertThat(s.cut()).as(name).isTrue();
            assertThat(s.complete()).as(name).isFalse();
            // 50 parts and the one after the limit, whatever ends the lines
            assertThat(s.parts()).as(name).isEqualTo(51);
        }
    }
}
