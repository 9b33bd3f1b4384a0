package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mailhygiene.api.Message;
import org.mailhygiene.testkit.SampleMessages.Expected;
import org.mailhygiene.testkit.SampleMessages.Sample;

class SampleMessagesTest {
    private static final Charset ISO_2022_JP = Charset.forName("ISO-2022-JP");

    @ParameterizedTest
    @EnumSource(Sample.class)
    void everyLineEndsInCrlfAndNothingElse(Sample sample) {
        byte[] b = sample.bytes();
        assertThat(b).isNotEmpty();
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                assertThat(i).as("LF at %d not preceded by CR", i).isPositive();
                assertThat(b[i - 1]).as("byte before LF at %d", i).isEqualTo((byte) '\r');
            }
            if (b[i] == '\r') {
                assertThat(i + 1).as("CR at the very end").isLessThan(b.length);
                assertThat(b[i + 1]).as("byte after CR at %d", i).isEqualTo((byte) '\n');
            }
        }
        assertThat(new String(b, StandardCharsets.ISO_8859_1)).endsWith("\r\n");
    }

    @ParameterizedTest
    @EnumSource(Sample.class)
    void everySampleIsSevenBitWithAHeaderAndABody(Sample sample) {
        byte[] b = sample.bytes();
        for (byte x : b) {
            assertThat(x & 0xff).as("8-bit byte in %s", sample).isLessThan(0x80);
        }
        String text = new String(b, StandardCharsets.US_ASCII);
        assertThat(text).contains("\r\n\r\n").startsWith("From: ");
        assertThat(header(text, "Message-ID")).as("Message-ID").isNotNull();
        assertThat(header(text, "MIME-Version")).isEqualTo("1.0");
    }

    @ParameterizedTest
    @EnumSource(Sample.class)
    void everySampleIsTheSameOnEveryCall(Sample sample) {
        assertThat(sample.bytes()).isEqualTo(sample.bytes());
        Message m = sample.message();
        assertThat(m.content().size()).isEqualTo(sample.bytes().length);
    }

    @Test
    void sampleMethodsAndEnumAgree() {
        assertThat(Sample.CLEAN.bytes()).isEqualTo(SampleMessages.clean());
        assertThat(Sample.EICAR_ATTACHMENT.bytes()).isEqualTo(SampleMessages.eicarAttachment());
        assertThat(Sample.EICAR_ZIP.bytes()).isEqualTo(SampleMessages.eicarZip());
        assertThat(Sample.GTUBE.bytes()).isEqualTo(SampleMessages.gtube());
        assertThat(Sample.JAPANESE_ISO_2022_JP.bytes()).isEqualTo(SampleMessages.japaneseIso2022jp());
        assertThat(Sample.EMPTY_SUBJECT.bytes()).isEqualTo(SampleMessages.emptySubject());
        assertThat(Sample.NO_SUBJECT.bytes()).isEqualTo(SampleMessages.noSubject());
    }

    @Test
    void messageVariantsHoldTheSameBytes() throws IOException {
        assertThat(SampleMessages.cleanMessage().content().readAllBytes()).isEqualTo(SampleMessages.clean());
        assertThat(SampleMessages.eicarAttachmentMessage().content().readAllBytes())
                .isEqualTo(SampleMessages.eicarAttachment());
        assertThat(SampleMessages.eicarZipMessage().content().readAllBytes()).isEqualTo(SampleMessages.eicarZip());
        assertThat(SampleMessages.gtubeMessage().content().readAllBytes()).isEqualTo(SampleMessages.gtube());
        assertThat(SampleMessages.japaneseIso2022jpMessage().content().readAllBytes())
                .isEqualTo(SampleMessages.japaneseIso2022jp());
        assertThat(SampleMessages.emptySubjectMessage().content().readAllBytes())
                .isEqualTo(SampleMessages.emptySubject());
        assertThat(SampleMessages.noSubjectMessage().content().readAllBytes()).isEqualTo(SampleMessages.noSubject());
    }

    @Test
    void fileNamesAreDistinctEmlNames() {
        Set<String> names = new HashSet<>();
        for (Sample s : Sample.values()) {
            assertThat(s.fileName()).matches("[a-z0-9-]+\\.eml");
            assertThat(names.add(s.fileName())).as("duplicate %s", s.fileName()).isTrue();
        }
    }

    @Test
    void expectationsMatchTheContent() {
        for (Sample s : Sample.values()) {
            String text = new String(s.bytes(), StandardCharsets.US_ASCII);
            boolean virus = s.expected() == Expected.VIRUS || s.expected() == Expected.VIRUS_IN_ARCHIVE;
            assertThat(text.contains("Content-Disposition: attachment"))
                    .as(s.name())
                    .isEqualTo(virus);
            assertThat(text.contains(SampleMessages.gtubeString()))
                    .as(s.name())
                    .isEqualTo(s.expected() == Expected.SPAM);
        }
    }

    @Test
    void eicarIsTheStandardTestFile() {
        byte[] eicar = SampleMessages.eicar();
        assertThat(eicar).hasSize(68);
        String s = new String(eicar, StandardCharsets.US_ASCII);
        assertThat(s).startsWith("X5O!P%@AP[4\\PZX54(P^)7CC)7}$").endsWith("-TEST-FILE!$H+H*");
        assertThat(s).contains("EICAR-STANDARD-ANTIVIRUS");
    }

    @Test
    void gtubeIsTheStandardTestString() {
        String g = SampleMessages.gtubeString();
        assertThat(g).hasSize(68).startsWith("XJS*C4JDBQADN1.NSBN3*2IDNEN*").endsWith("*C.34X");
        assertThat(g).contains("GTUBE-STANDARD-ANTI-UBE");
    }

    @Test
    void eicarAttachmentDecodesToTheEicarFile() {
        String text = new String(SampleMessages.eicarAttachment(), StandardCharsets.US_ASCII);
        assertThat(header(text, "Content-Type")).startsWith("multipart/mixed; boundary=");
        assertThat(text).contains("filename=\"eicar.com\"");
        assertThat(attachmentBase64Decoded(text)).isEqualTo(SampleMessages.eicar());
        // The raw string is only in the base64 form, so only scanners that decode MIME find it.
        assertThat(text).doesNotContain(new String(SampleMessages.eicar(), StandardCharsets.US_ASCII));
    }

    @Test
    void eicarZipHoldsTheEicarFileAsItsOnlyEntry() throws IOException {
        String text = new String(SampleMessages.eicarZip(), StandardCharsets.US_ASCII);
        assertThat(text).contains("Content-Type: application/zip; name=\"eicar.zip\"");
        byte[] zip = attachmentBase64Decoded(text);
        assertThat(zip).startsWith('P', 'K');
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry e = in.getNextEntry();
            assertThat(e).isNotNull();
            assertThat(e.getName()).isEqualTo("eicar.com");
            assertThat(in.readAllBytes()).isEqualTo(SampleMessages.eicar());
            assertThat(in.getNextEntry()).isNull();
        }
    }

    @Test
    void gtubeMessageCarriesTheStringInAPlainBody() {
        String text = new String(SampleMessages.gtube(), StandardCharsets.US_ASCII);
        assertThat(body(text)).contains(SampleMessages.gtubeString());
        assertThat(header(text, "Content-Type")).startsWith("text/plain");
    }

    @Test
    void japaneseSubjectIsRfc2047EncodedIso2022jp() {
        String text = new String(SampleMessages.japaneseIso2022jp(), StandardCharsets.US_ASCII);
        String subject = header(text, "Subject");
        Matcher m =
                Pattern.compile("=\\?ISO-2022-JP\\?B\\?([A-Za-z0-9+/=]+)\\?=").matcher(subject);
        assertThat(m.matches()).as(subject).isTrue();
        assertThat(new String(Base64.getDecoder().decode(m.group(1)), ISO_2022_JP))
                .isEqualTo("会議のお知らせ");
    }

    @Test
    void japaneseBodyIsIso2022jpWithEscapeSequences() {
        byte[] b = SampleMessages.japaneseIso2022jp();
        String ascii = new String(b, StandardCharsets.US_ASCII);
        assertThat(header(ascii, "Content-Type")).isEqualTo("text/plain; charset=ISO-2022-JP");
        int bodyStart = ascii.indexOf("\r\n\r\n") + 4;
        byte[] body = Arrays.copyOfRange(b, bodyStart, b.length);
        assertThat(new String(body, StandardCharsets.ISO_8859_1))
                .contains("\u001b$B")
                .contains("\u001b(B");
        String decoded = new String(body, ISO_2022_JP);
        assertThat(decoded).contains("研究会").contains("山田");
    }

    @Test
    void emptySubjectHasASubjectFieldWithNoValue() {
        String text = new String(SampleMessages.emptySubject(), StandardCharsets.US_ASCII);
        assertThat(text).contains("\r\nSubject:\r\n");
        assertThat(header(text, "Subject")).isEmpty();
    }

    @Test
    void noSubjectHasNoSubjectField() {
        String text = new String(SampleMessages.noSubject(), StandardCharsets.US_ASCII);
        assertThat(header(text, "Subject")).isNull();
        assertThat(text.toLowerCase()).doesNotContain("subject:");
    }

    @Test
    void classFileDoesNotHoldTheTestStringsWhole() throws IOException {
        byte[] classFile;
        try (InputStream in = SampleMessages.class.getResourceAsStream("SampleMessages.class")) {
            assertThat(in).isNotNull();
            classFile = in.readAllBytes();
        }
        String raw = new String(classFile, StandardCharsets.ISO_8859_1);
        assertThat(raw).contains("EICAR-STANDARD-"); // the pieces are there ...
        assertThat(raw).doesNotContain(new String(SampleMessages.eicar(), StandardCharsets.ISO_8859_1)); // not whole
        assertThat(raw).doesNotContain(SampleMessages.gtubeString());
    }

    /** The unfolded value of the first header field with this name, or null. */
    private static String header(String message, String name) {
        String head = message.substring(0, message.indexOf("\r\n\r\n"));
        for (String line : List.of(head.split("\r\n"))) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return null;
    }

    private static String body(String message) {
        return message.substring(message.indexOf("\r\n\r\n") + 4);
    }

    /** Decodes the base64 body of the part with Content-Disposition: attachment. */
    private static byte[] attachmentBase64Decoded(String message) {
        int disp = message.indexOf("Content-Disposition: attachment");
        assertThat(disp).isPositive();
        String partHeader = message.substring(message.lastIndexOf("\r\n--", disp), disp);
        assertThat(partHeader).contains("Content-Transfer-Encoding: base64");
        int start = message.indexOf("\r\n\r\n", disp) + 4;
        int end = message.indexOf("\r\n--", start);
        return Base64.getMimeDecoder().decode(message.substring(start, end));
    }
}
