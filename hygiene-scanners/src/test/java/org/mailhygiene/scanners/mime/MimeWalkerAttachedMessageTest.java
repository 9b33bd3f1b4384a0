package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.base64;
import static org.mailhygiene.scanners.TestMessages.crlf;
import static org.mailhygiene.scanners.TestMessages.eicar;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * A message attached as a file named {@code .eml} whatever its declared type (session 48's MIME audit): Outlook and
 * Thunderbird open it as a message and show the attachments inside, and clamd finds a virus there; until session 49
 * it was one opaque leaf, and EICAR and a program inside passed the built-in scanner and the attachment policy.
 */
class MimeWalkerAttachedMessageTest {

    private static final byte[] PROGRAM = new byte[64];

    static {
        PROGRAM[0] = 'M';
        PROGRAM[1] = 'Z';
    }

    /** A message with a program and EICAR attached. */
    private static String inner() {
        return crlf(
                "From: a@example.org",
                "Subject: inner",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"IN\"",
                "",
                "--IN",
                "Content-Type: text/plain",
                "",
                "see attached",
                "--IN",
                "Content-Type: application/octet-stream; name=\"run.exe\"",
                "Content-Transfer-Encoding: base64",
                "",
                base64(PROGRAM),
                "--IN",
                "Content-Type: application/octet-stream; name=\"eicar.com\"",
                "Content-Transfer-Encoding: base64",
                "",
                base64(ascii(eicar())),
                "--IN--");
    }

    /** A forward with {@code attachment} as its second part, under the given headers, base64-encoded. */
    private static byte[] forward(String partHeaders, byte[] attachment) {
        return forwardAsSent(partHeaders + "\r\nContent-Transfer-Encoding: base64", base64(attachment));
    }

    private static List<String> walk(byte[] message, List<MimeFinding> findings) throws IOException {
        List<String> seen = new ArrayList<>();
        MimeWalkResult r = MimeWalker.defaults().walk(MessageContent.ofBytes(message), new PartVisitor() {
            @Override
            public boolean enter(PartInfo part) {
                if (!part.mimeType().startsWith("multipart/")) {
                    seen.add("enter " + part.path());
                }
                return true;
            }

            @Override
            public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                seen.add(part.path() + "=" + part.mimeType() + " " + decoded.readAllBytes().length);
                return true;
            }
        });
        findings.addAll(r.findings());
        return seen;
    }

    @Test
    void aLeafNamedEmlIsHandedOverAndThenWalkedAsAMessageWhateverItsType() throws IOException {
        int size = ascii(inner()).length;
        for (String type : List.of(
                "application/octet-stream; name=\"fw.eml\"",
                "application/x-message; name=\"FW.EML\"",
                "text/plain; name=\"fw.eml \"")) {
            List<MimeFinding> findings = new ArrayList<>();
            List<String> seen = walk(forward("Content-Type: " + type, ascii(inner())), findings);
            String mime = type.substring(0, type.indexOf(';'));
            assertThat(seen)
                    .as(type)
                    .containsExactly(
                            "1=text/plain 9",
                            "2=" + mime + " " + size,
                            "enter 2",
                            "2.1.1=text/plain 12",
                            "2.1.2=application/octet-stream 64",
                            "2.1.3=application/octet-stream 68");
            assertThat(findings).as(type).isEmpty();
        }
        // the name given by the disposition only, and an RFC 2231 one
        List<String> seen = walk(
                forward(
                        "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;"
                                + " filename*=utf-8''fw%2Eeml",
                        ascii(inner())),
                new ArrayList<>());
        assertThat(seen).contains("enter 2", "2.1.3=application/octet-stream 68");
    }

    @Test
    void aLeafNotNamedEmlOrNotStartingAsAMessageStaysALeaf() throws IOException {
        for (String headers : List.of(
                "Content-Type: application/octet-stream",
                "Content-Type: application/octet-stream; name=\"fw.msg\"",
                "Content-Type: text/plain; name=\"fw.txt\"")) {
            List<String> seen = walk(forward(headers, ascii(inner())), new ArrayList<>());
            assertThat(seen).as(headers).hasSize(2).noneMatch(s -> s.startsWith("enter"));
        }
        // named .eml but no header line first: a client shows no MIME structure in it either
        byte[] notAMessage = ascii("\r\n" + inner());
        List<String> seen = walk(
                forward("Content-Type: application/octet-stream; name=\"fw.eml\"", notAMessage), new ArrayList<>());
        assertThat(seen).containsExactly("1=text/plain 9", "2=application/octet-stream " + notAMessage.length);
    }

    @Test
    void theBuiltInScannerAndTheAttachmentPolicyFindWhatIsInsideAnAttachedEml() throws Exception {
        byte[] message = TestMessages.withAttachment("see the forward", "fw.eml", ascii(inner()));
        assertThat(SignatureScanner.create().scan(Message.of(message)).outcome())
                .isEqualTo(Outcome.INFECTED);
        List<String> rules = AttachmentPolicyScanner.create().scan(Message.of(message)).rules().stream()
                .map(Rule::description)
                .toList();
        assertThat(rules).anyMatch(d -> d.contains("run.exe"));
    }

    @Test
    void theWalkersVersionNamesTheChange() {
        assertThat(MimeWalker.defaults().toString()).contains("version=5");
    }

    /** A message under {@code partHeaders} (not encoded), as the second part of a forward. */
    private static byte[] forwardAsSent(String partHeaders, String content) {
        return ascii(crlf(
                "From: x@example.org",
                "Subject: fwd",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"OUT\"",
                "",
                "--OUT",
                "Content-Type: text/plain",
                "",
                "forwarded",
                "--OUT",
                partHeaders,
                "",
                content,
                "--OUT--"));
    }

    /**
     * CPython's email package parses every message/* part but a delivery status as a message (session 50): a program
     * and EICAR in a message/x-foo part were clean for --builtin and the attachment policy, and found by clamd.
     */
    @Test
    void aPartOfAnotherMessageTypeIsWalkedAsAMessage() throws Exception {
        for (String type : List.of("message/x-foo", "message/unknown", "message/disposition-notification")) {
            byte[] message = forwardAsSent("Content-Type: " + type, inner());
            List<MimeFinding> findings = new ArrayList<>();
            assertThat(walk(message, findings))
                    .as(type)
                    .contains("enter 2", "2.1.2=application/octet-stream 64", "2.1.3=application/octet-stream 68");
            assertThat(findings).as(type).isEmpty();
            assertThat(SignatureScanner.create().scan(Message.of(message)).outcome())
                    .as(type)
                    .isEqualTo(Outcome.INFECTED);
            assertThat(AttachmentPolicyScanner.create()
                            .scan(Message.of(message))
                            .rules())
                    .as(type)
                    .extracting(Rule::description)
                    .anyMatch(d -> d.contains("run.exe"));
        }
    }

    @Test
    void messageTypesThatHoldNoMessageAndTextPartsStayLeaves() throws IOException {
        for (String headers : List.of(
                "Content-Type: message/delivery-status",
                "Content-Type: message/global-delivery-status",
                "Content-Type: message/external-body; access-type=\"local-file\"; name=\"/tmp/x\"",
                "Content-Type: text/plain")) {
            List<String> seen = walk(forwardAsSent(headers, inner()), new ArrayList<>());
            assertThat(seen).as(headers).hasSize(2).noneMatch(s -> s.startsWith("enter"));
        }
        // a message/x-foo part whose content does not start as a message: a leaf
        List<String> seen = walk(forwardAsSent("Content-Type: message/x-foo", "just words\r\n"), new ArrayList<>());
        assertThat(seen).containsExactly("1=text/plain 9", "2=message/x-foo 12");
    }
}
