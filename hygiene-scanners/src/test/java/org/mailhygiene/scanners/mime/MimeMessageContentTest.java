package org.mailhygiene.scanners.mime;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.SampleMessages;

class MimeMessageContentTest {
    private static final Session SESSION = Session.getInstance(new Properties());

    @TempDir
    Path dir;

    private static MimeMessage withAttachment(byte[] attachment) throws MessagingException {
        MimeMessage m = new MimeMessage(SESSION);
        m.setFrom(new InternetAddress("a@example.org"));
        m.setRecipients(jakarta.mail.Message.RecipientType.TO, "b@example.org");
        m.setSubject("report");
        MimeBodyPart text = new MimeBodyPart();
        text.setText("see the attachment", "UTF-8");
        MimeBodyPart file = new MimeBodyPart();
        file.setContent(attachment, "application/octet-stream");
        file.setFileName("data.bin");
        file.setHeader("Content-Transfer-Encoding", "base64");
        m.setContent(new MimeMultipart(text, file));
        m.saveChanges();
        return m;
    }

    private static byte[] bytesOf(MimeMessage m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }

    private static byte[] read(SpooledContent c) throws IOException {
        try (InputStream in = c.openStream()) {
            return in.readAllBytes();
        }
    }

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void aLargeMessageSpillsToAPrivateFileWithExactlyTheBytesJakartaMailWrites() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024];
        new java.util.Random(1).nextBytes(big);
        MimeMessage m = withAttachment(big);
        byte[] expected = bytesOf(m);
        try (SpooledContent c = MimeMessageContent.spool(m, 64 * 1024, dir)) {
            assertThat(c.isOnDisk()).isTrue();
            assertThat(c.size()).isEqualTo(expected.length);
            assertThat(read(c)).isEqualTo(expected);
            assertThat(filesIn(dir)).isEqualTo(1);
        }
        assertThat(filesIn(dir)).as("close() deletes the temporary file").isZero();
    }

    @Test
    void aSmallMessageStaysInHeap() throws Exception {
        MimeMessage m = withAttachment("hello".getBytes(StandardCharsets.US_ASCII));
        try (SpooledContent c = MimeMessageContent.spool(m, MimeMessageContent.DEFAULT_MEMORY_THRESHOLD, dir)) {
            assertThat(c.isOnDisk()).isFalse();
            assertThat(read(c)).isEqualTo(bytesOf(m));
        }
        assertThat(filesIn(dir)).isZero();
    }

    @Test
    void aParsedMessageIsScannedAsReceived() throws Exception {
        MimeMessage parsed = new MimeMessage(SESSION, new ByteArrayInputStream(SampleMessages.eicarAttachment()));
        try (ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(SignatureScanner.create())
                        .build();
                SpooledContent c = MimeMessageContent.spool(parsed, 0, dir)) {
            assertThat(c.isOnDisk()).isTrue();
            ScanReport report = pipeline.scan(Message.of(c));
            assertThat(report.verdicts())
                    .singleElement()
                    .satisfies(v -> assertThat(v.outcome()).isEqualTo(Outcome.INFECTED));
            assertThat(report.disposition().action()).isEqualTo(Action.REJECT);
        }
    }

    /**
     * What the README and the class description say of a parsed message (session 46: they said "byte for byte", and a
     * downstream audit found the header block rewritten): the body and CRLF header lines come back unchanged, header
     * lines ended by a bare LF come back ended by CRLF, and a header block without its empty line gets one.
     */
    @Test
    void aParsedMessageKeepsItsBodyAndHeaderTextButHeaderLinesEndInCrlf() throws Exception {
        byte[] crlf = "From: a@example.org\r\nSubject:x\r\n\tfolded\r\n\r\nbody\rline\nend\n".getBytes(US_ASCII);
        assertThat(spoolParsed(crlf)).isEqualTo(crlf);
        assertThat(new String(
                        spoolParsed("From: a@example.org\nSubject: x\n\nbody\nend\n".getBytes(US_ASCII)), US_ASCII))
                .isEqualTo("From: a@example.org\r\nSubject: x\r\n\r\nbody\nend\n");
        assertThat(new String(spoolParsed("From: a@example.org\r\nSubject: x\r\n".getBytes(US_ASCII)), US_ASCII))
                .isEqualTo("From: a@example.org\r\nSubject: x\r\n\r\n");
    }

    private byte[] spoolParsed(byte[] raw) throws Exception {
        try (SpooledContent c = MimeMessageContent.spool(new MimeMessage(SESSION, new ByteArrayInputStream(raw)))) {
            return read(c);
        }
    }

    @Test
    void aFailingMessageLeavesNoTemporaryFile() throws Exception {
        MimeMessage broken = new MimeMessage(SESSION) {
            @Override
            public void writeTo(OutputStream os) throws IOException, MessagingException {
                os.write(new byte[100_000]);
                throw new MessagingException("cannot encode");
            }
        };
        assertThatThrownBy(() -> MimeMessageContent.spool(broken, 10, dir))
                .isInstanceOf(MessagingException.class)
                .hasMessage("cannot encode");
        assertThat(filesIn(dir)).isZero();
    }
}
