package org.mailhygiene.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.mailhygiene.api.Message;

/**
 * Small RFC 5322 messages for tests and demos: a clean one, viruses (the EICAR test file as an attachment and inside a
 * zip attachment), spam (GTUBE), Japanese mail in ISO-2022-JP, and the Subject edge cases that once made a vendor
 * scanner delete mail.
 *
 * <p>Every method returns a new array with CRLF line ends, no SMTP dot-stuffing and the same bytes on every call (the
 * zip's entry time is fixed), so verdicts on samples can be cached and compared. The EICAR and GTUBE strings are
 * assembled at run time from pieces, so neither this source file nor its class file contains them whole and no virus
 * scanner quarantines the library itself.
 *
 * <p>{@link Sample} lists every sample with a file name and the outcome a correct scanner reaches, for tests that go
 * through all of them and for commands that write them to disk.
 *
 * <p>Thread-safe; stateless.
 */
public final class SampleMessages {
    private static final String CRLF = "\r\n";
    private static final Charset ISO_2022_JP = Charset.forName("ISO-2022-JP");
    /** The fixed entry time of the zip in {@link #eicarZip()}, so its bytes never change. */
    private static final LocalDateTime ZIP_ENTRY_TIME = LocalDateTime.of(2026, 1, 1, 0, 0);

    private SampleMessages() {}

    /**
     * The 68-byte EICAR anti-virus test file, assembled at run time. Every anti-virus engine reports it (clamd calls it
     * {@code Eicar-Signature}, the built-in scanner {@code Eicar-Test-Signature}); it is harmless.
     *
     * @return a new array with the 68 ASCII bytes
     */
    public static byte[] eicar() {
        String[] pieces = {"X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-", "ANTIVIRUS-TEST-", "FILE!$H+H*"};
        return String.join("", pieces).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The GTUBE spam test string, assembled at run time. SpamAssassin scores a message containing it 1000.
     *
     * @return the 68-character string
     */
    public static String gtubeString() {
        String[] pieces = {"XJS*C4JDBQADN1.NSBN3*2IDNEN*", "GTUBE-STANDARD-", "ANTI-UBE-TEST-", "EMAIL*C.34X"};
        return String.join("", pieces);
    }

    /**
     * A plain-text message with nothing wrong in it.
     *
     * @return a new array
     */
    public static byte[] clean() {
        return ascii(headers("Clean sample message", "Mon, 05 Jan 2026 09:00:00 +0000", "clean")
                + "Content-Type: text/plain; charset=us-ascii" + CRLF
                + "Content-Transfer-Encoding: 7bit" + CRLF
                + CRLF
                + "Hello," + CRLF
                + CRLF
                + "the seminar on Thursday moves to room 2.14. Coffee as usual." + CRLF
                + CRLF
                + "Regards," + CRLF
                + "Alice" + CRLF);
    }

    /**
     * A multipart message with a text part and the EICAR test file as a base64-encoded attachment {@code eicar.com}.
     *
     * @return a new array
     */
    public static byte[] eicarAttachment() {
        return multipartWithAttachment(
                "EICAR test attachment",
                "eicar-attachment",
                "The attached file is the EICAR anti-virus test file.",
                "application/octet-stream",
                "eicar.com",
                eicar());
    }

    /**
     * A multipart message whose base64-encoded attachment {@code eicar.zip} is a zip archive (built with
     * {@link java.util.zip}) holding the EICAR test file as {@code eicar.com}. Scanners that look into archives find it;
     * a scanner that only decodes MIME does not.
     *
     * @return a new array
     */
    public static byte[] eicarZip() {
        return multipartWithAttachment(
                "EICAR test file in a zip",
                "eicar-zip",
                "The attached archive holds the EICAR anti-virus test file.",
                "application/zip",
                "eicar.zip",
                zip("eicar.com", eicar()));
    }

    /**
     * A plain-text message containing the GTUBE string, which spam scanners score as certain spam.
     *
     * @return a new array
     */
    public static byte[] gtube() {
        return ascii(headers("GTUBE spam test", "Mon, 05 Jan 2026 09:10:00 +0000", "gtube")
                + "Content-Type: text/plain; charset=us-ascii" + CRLF
                + "Content-Transfer-Encoding: 7bit" + CRLF
                + CRLF
                + "This message carries the generic test for unsolicited bulk email:" + CRLF
                + CRLF
                + gtubeString() + CRLF);
    }

    /**
     * A legitimate Japanese message: the Subject ({@code 会議のお知らせ}, "meeting notice") is RFC 2047 encoded
     * ({@code =?ISO-2022-JP?B?...?=}) and the body is ISO-2022-JP text sent as 7bit, as Japanese mail clients do. A
     * scanner must not call it spam for its charset alone.
     *
     * @return a new array
     */
    public static byte[] japaneseIso2022jp() {
        String subject = "会議のお知らせ";
        String encodedSubject =
                "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString(subject.getBytes(ISO_2022_JP)) + "?=";
        String body =
                "皆様" + CRLF + CRLF + "来週の研究会は木曜日の午後三時から二一四号室で行います。" + CRLF + "資料は当日配布します。" + CRLF + CRLF + "山田" + CRLF;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(headers(encodedSubject, "Mon, 05 Jan 2026 09:20:00 +0900", "japanese")
                + "Content-Type: text/plain; charset=ISO-2022-JP" + CRLF
                + "Content-Transfer-Encoding: 7bit" + CRLF
                + CRLF));
        out.writeBytes(body.getBytes(ISO_2022_JP));
        return out.toByteArray();
    }

    /**
     * A clean message whose Subject field is present but empty ({@code Subject:} followed by CRLF).
     *
     * @return a new array
     */
    public static byte[] emptySubject() {
        return ascii("From: Alice Example <alice@example.org>" + CRLF
                + "To: Bob Example <bob@example.net>" + CRLF
                + "Subject:" + CRLF
                + "Date: Mon, 05 Jan 2026 09:30:00 +0000" + CRLF
                + "Message-ID: <empty-subject@sample.mailhygiene.org>" + CRLF
                + "MIME-Version: 1.0" + CRLF
                + "Content-Type: text/plain; charset=us-ascii" + CRLF
                + CRLF
                + "This message has an empty Subject. It must be delivered like any other." + CRLF);
    }

    /**
     * A clean message without any Subject field.
     *
     * @return a new array
     */
    public static byte[] noSubject() {
        return ascii("From: Alice Example <alice@example.org>" + CRLF
                + "To: Bob Example <bob@example.net>" + CRLF
                + "Date: Mon, 05 Jan 2026 09:40:00 +0000" + CRLF
                + "Message-ID: <no-subject@sample.mailhygiene.org>" + CRLF
                + "MIME-Version: 1.0" + CRLF
                + "Content-Type: text/plain; charset=us-ascii" + CRLF
                + CRLF
                + "This message has no Subject field at all. It must be delivered like any other." + CRLF);
    }

    /**
     * {@link #clean()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message cleanMessage() {
        return Message.of(clean());
    }

    /**
     * {@link #eicarAttachment()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message eicarAttachmentMessage() {
        return Message.of(eicarAttachment());
    }

    /**
     * {@link #eicarZip()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message eicarZipMessage() {
        return Message.of(eicarZip());
    }

    /**
     * {@link #gtube()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message gtubeMessage() {
        return Message.of(gtube());
    }

    /**
     * {@link #japaneseIso2022jp()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message japaneseIso2022jpMessage() {
        return Message.of(japaneseIso2022jp());
    }

    /**
     * {@link #emptySubject()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message emptySubjectMessage() {
        return Message.of(emptySubject());
    }

    /**
     * {@link #noSubject()} as a {@link Message} with an unknown envelope.
     *
     * @return a new message
     */
    public static Message noSubjectMessage() {
        return Message.of(noSubject());
    }

    /** Every sample, with the file name it is written under and what a correct scanner concludes about it. */
    public enum Sample {
        /** {@link SampleMessages#clean()}. */
        CLEAN("clean.eml", Expected.CLEAN, SampleMessages::clean),
        /** {@link SampleMessages#eicarAttachment()}. */
        EICAR_ATTACHMENT("eicar-attachment.eml", Expected.VIRUS, SampleMessages::eicarAttachment),
        /** {@link SampleMessages#eicarZip()}. */
        EICAR_ZIP("eicar-zip.eml", Expected.VIRUS_IN_ARCHIVE, SampleMessages::eicarZip),
        /** {@link SampleMessages#gtube()}. */
        GTUBE("gtube.eml", Expected.SPAM, SampleMessages::gtube),
        /** {@link SampleMessages#japaneseIso2022jp()}. */
        JAPANESE_ISO_2022_JP("japanese.eml", Expected.CLEAN, SampleMessages::japaneseIso2022jp),
        /** {@link SampleMessages#emptySubject()}. */
        EMPTY_SUBJECT("empty-subject.eml", Expected.CLEAN, SampleMessages::emptySubject),
        /** {@link SampleMessages#noSubject()}. */
        NO_SUBJECT("no-subject.eml", Expected.CLEAN, SampleMessages::noSubject);

        private final String fileName;
        private final Expected expected;
        private final Supplier<byte[]> bytes;

        Sample(String fileName, Expected expected, Supplier<byte[]> bytes) {
            this.fileName = fileName;
            this.expected = expected;
            this.bytes = bytes;
        }

        /**
         * The file name this sample is written under, e.g. {@code clean.eml}.
         *
         * @return a file name without directory
         */
        public String fileName() {
            return fileName;
        }

        /**
         * What a correct scanner concludes about this sample.
         *
         * @return the expectation
         */
        public Expected expected() {
            return expected;
        }

        /**
         * The sample's bytes.
         *
         * @return a new array, as the corresponding method of {@link SampleMessages}
         */
        public byte[] bytes() {
            return bytes.get();
        }

        /**
         * The sample as a message with an unknown envelope.
         *
         * @return a new message
         */
        public Message message() {
            return Message.of(bytes());
        }
    }

    /** What a correct scanner concludes about a {@link Sample}. */
    public enum Expected {
        /** Nothing to find: every scanner must say clean. */
        CLEAN,
        /** A virus any virus scanner that decodes MIME finds. */
        VIRUS,
        /** A virus that only scanners looking into zip archives find. */
        VIRUS_IN_ARCHIVE,
        /** Spam that any spam scanner finds. */
        SPAM
    }

    private static String headers(String subject, String date, String id) {
        return "From: Alice Example <alice@example.org>" + CRLF
                + "To: Bob Example <bob@example.net>" + CRLF
                + "Subject: " + subject + CRLF
                + "Date: " + date + CRLF
                + "Message-ID: <" + id + "@sample.mailhygiene.org>" + CRLF
                + "MIME-Version: 1.0" + CRLF;
    }

    private static byte[] multipartWithAttachment(
            String subject, String id, String text, String contentType, String fileName, byte[] attachment) {
        String boundary = "=_hygiene_sample_" + id;
        String encoded = Base64.getMimeEncoder(76, CRLF.getBytes(StandardCharsets.US_ASCII))
                .encodeToString(attachment);
        return ascii(headers(subject, "Mon, 05 Jan 2026 09:05:00 +0000", id)
                + "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"" + CRLF
                + CRLF
                + "This is a multi-part message in MIME format." + CRLF
                + "--" + boundary + CRLF
                + "Content-Type: text/plain; charset=us-ascii" + CRLF
                + "Content-Transfer-Encoding: 7bit" + CRLF
                + CRLF
                + text + CRLF
                + CRLF
                + "--" + boundary + CRLF
                + "Content-Type: " + contentType + "; name=\"" + fileName + "\"" + CRLF
                + "Content-Transfer-Encoding: base64" + CRLF
                + "Content-Disposition: attachment; filename=\"" + fileName + "\"" + CRLF
                + CRLF
                + encoded + CRLF
                + "--" + boundary + "--" + CRLF);
    }

    private static byte[] zip(String entryName, byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            ZipEntry entry = new ZipEntry(entryName);
            entry.setTimeLocal(ZIP_ENTRY_TIME);
            zip.putNextEntry(entry);
            zip.write(data);
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    private static byte[] ascii(String text) {
        return Objects.requireNonNull(text).getBytes(StandardCharsets.US_ASCII);
    }
}
