package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailhygiene.api.MessageContent;

/**
 * Walks the parser-stress messages of CPython's and the Ruby mail library's test suites (copied with their licences
 * into {@code src/test/resources/mime-torture}) and compares the MIME tree and the SHA-256 of every decoded leaf with
 * CPython 3.11's parse ({@code reference-structure.python.tsv}), a second opinion rather than ground truth. Where the
 * two parsers deliberately differ, the test names the reason and checks the finding the walker reports instead.
 */
class MimeTortureTest {

    private static final String UNSPLIT = "a multipart without its boundary: CPython keeps what it salvaged as payload,"
            + " this walker reports it and hands the whole raw body over as one leaf, so nothing goes unscanned";

    /** Messages where this walker and CPython disagree on purpose, with the reason and the findings expected. */
    private static final Map<String, Difference> DIFFERENCES = Map.ofEntries(
            Map.entry(
                    "python-test_email/msg_16.txt",
                    new Difference(
                            "CPython splits message/delivery-status into header blocks; here it is one leaf",
                            List.of())),
            Map.entry(
                    "python-test_email/msg_43.txt",
                    new Difference(
                            "CPython splits message/delivery-status into header blocks; here it is one leaf",
                            List.of())),
            Map.entry(
                    "python-test_email/msg_36.txt",
                    new Difference(
                            "CPython parses message/external-body as a message; here it is one leaf (it holds no content)",
                            List.of())),
            Map.entry(
                    "python-test_email/msg_19.txt",
                    new Difference(
                            "a line in the header block that is not a header: CPython starts the body there, Jakarta Mail"
                                    + " reads on to the blank line; reported",
                            List.of(MimeFinding.Kind.MALFORMED_HEADER))),
            Map.entry(
                    "python-test_email/msg_35.txt",
                    new Difference(
                            "no blank line before the body: CPython starts the body at the first non-header line, Jakarta"
                                    + " Mail reads it as header; reported so scanners know body text may be hidden",
                            List.of(MimeFinding.Kind.MALFORMED_HEADER))),
            Map.entry(
                    "rubymail/plain_emails/raw_email_incorrect_header.eml",
                    new Difference(
                            "a non-header line among the headers ends CPython's header block but not Jakarta Mail's;"
                                    + " reported",
                            List.of(MimeFinding.Kind.MALFORMED_HEADER))),
            Map.entry(
                    "rubymail/rfc2822/example13.eml",
                    new Difference(
                            "obsolete header syntax (a line '__' inside the header block); reported",
                            List.of(MimeFinding.Kind.MALFORMED_HEADER))),
            Map.entry(
                    "python-test_email/msg_25.txt",
                    new Difference(
                            "a Content-Type cut off in mid-parameter: CPython gives up on the multipart, this walker reads"
                                    + " the header leniently, finds the boundary and walks the parts; reported",
                            List.of(MimeFinding.Kind.MALFORMED_HEADER))),
            Map.entry(
                    "python-test_email/msg_15.txt",
                    // the nested multipart reuses the outer boundary: the outer closes early and the image part is
                    // after its close delimiter, where clamd reads it and no client shows it (session 49)
                    new Difference(
                            UNSPLIT,
                            List.of(MimeFinding.Kind.AMBIGUOUS_MULTIPART, MimeFinding.Kind.MALFORMED_MULTIPART))),
            Map.entry(
                    "python-test_email/msg_42.txt",
                    new Difference(
                            "a returned message whose multipart body is its own closing delimiter alone (a header"
                                    + " returned without its body, as Sendmail returns it): CPython keeps the line as"
                                    + " payload; here it is an empty multipart, reported",
                            List.of(MimeFinding.Kind.EMPTY_MULTIPART))),
            Map.entry(
                    "python-test_email/msg_38.txt",
                    new Difference(
                            "nested multiparts without closing boundaries: the inner one keeps the text CPython gives the"
                                    + " outer one; reported",
                            List.of(
                                    MimeFinding.Kind.MISSING_END_BOUNDARY,
                                    MimeFinding.Kind.MISSING_END_BOUNDARY,
                                    MimeFinding.Kind.MALFORMED_HEADER))));

    private record Difference(String reason, List<MimeFinding.Kind> findings) {}

    private record Reference(String path, String tree, String sums) {}

    private record Walked(String tree, String sums, List<MimeFinding.Kind> findings) {}

    static Stream<Reference> references() throws IOException, URISyntaxException {
        List<Reference> refs = new ArrayList<>();
        for (String line : Files.readAllLines(resource("reference-structure.python.tsv"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.startsWith("path\t")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            refs.add(new Reference(f[0], f[2], f[3]));
        }
        assertThat(refs).hasSize(81);
        return refs.stream();
    }

    private static Path resource(String name) throws URISyntaxException {
        URL url = MimeTortureTest.class.getResource("/mime-torture/" + name);
        assertThat(url).as(name).isNotNull();
        return Path.of(url.toURI());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void walkAgreesWithCPythonOrTheDifferenceIsReported(Reference ref) throws Exception {
        Walked walked = walk(resource(ref.path()));
        Difference known = DIFFERENCES.get(ref.path());
        if (known == null) {
            assertThat(walked.tree()).as("tree").isEqualTo(ref.tree());
            assertThat(walked.sums()).as("decoded leaves").isEqualTo(ref.sums());
        } else {
            assertThat(walked.tree() + "|" + walked.sums())
                    .as("still differs from CPython because " + known.reason())
                    .isNotEqualTo(ref.tree() + "|" + ref.sums());
            assertThat(walked.findings()).as(known.reason()).isEqualTo(known.findings());
        }
    }

    /**
     * The tree as CPython prints it (depth:type, depth first) and the leaf digests. A multipart that cannot be split
     * is entered and then handed over as one leaf; CPython lists it once, so the pair is listed once here too.
     */
    private static Walked walk(Path file) throws IOException {
        List<String> tree = new ArrayList<>();
        List<String> sums = new ArrayList<>();
        MimeWalkResult r = MimeWalker.defaults().walk(MessageContent.ofFile(file), new PartVisitor() {
            private String lastEntered = "";

            @Override
            public boolean enter(PartInfo part) {
                lastEntered = part.path() + "@" + part.depth() + ":" + part.mimeType();
                tree.add(part.depth() + ":" + part.mimeType());
                return true;
            }

            @Override
            public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                String key = part.path() + "@" + part.depth() + ":" + part.mimeType();
                if (!key.equals(lastEntered)) {
                    tree.add(part.depth() + ":" + part.mimeType());
                }
                sums.add(sha256Prefix(decoded.readAllBytes()));
                return true;
            }
        });
        return new Walked(
                String.join(" ", tree),
                String.join(" ", sums),
                r.findings().stream().map(MimeFinding::kind).toList());
    }

    private static String sha256Prefix(byte[] b) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(b))
                    .substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
