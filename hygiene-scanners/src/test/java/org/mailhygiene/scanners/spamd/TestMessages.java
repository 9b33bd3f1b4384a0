package org.mailhygiene.scanners.spamd;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;

/** Test messages built at run time (CRLF line ends). GTUBE is assembled from pieces. */
final class TestMessages {
    static final Charset JIS = Charset.forName("ISO-2022-JP");
    static final String JAPANESE_SUBJECT = "今月のお知らせ：新製品のご案内";

    private TestMessages() {}

    static String gtubeString() {
        return "XJS*C4JDBQADN1.NSBN3*2IDNEN*" + "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL" + "*C.34X";
    }

    static String date() {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()).replace("GMT", "+0000");
    }

    private static String head(String subject, String extra) {
        return "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
                + "\tby mx.example.net with ESMTP id 4AB12; " + date() + "\r\n"
                + "From: Alice Example <alice@example.org>\r\n"
                + "To: Bob Example <bob@example.net>\r\n"
                + "Subject: " + subject + "\r\n"
                + "Date: " + date() + "\r\n"
                + "Message-ID: <20261127.4711.test-message@mail.example.org>\r\n"
                + "MIME-Version: 1.0\r\n"
                + extra;
    }

    static byte[] ham() {
        return (head("Minutes of the faculty meeting", "Content-Type: text/plain; charset=us-ascii\r\n")
                        + "\r\n"
                        + "Hello Bob,\r\n\r\n"
                        + "attached below are the minutes of yesterday's meeting. We agreed to move the seminar\r\n"
                        + "to room 204 and to review the lab schedule next week. Please send corrections by Friday.\r\n"
                        + "\r\nRegards,\r\nAlice\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] gtube() {
        return (head("Test spam", "Content-Type: text/plain; charset=us-ascii\r\n")
                        + "\r\n"
                        + "This is the GTUBE, the Generic Test for Unsolicited Bulk Email.\r\n\r\n"
                        + gtubeString() + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Marketing-style text that fires a few real SpamAssassin rules without GTUBE. */
    static byte[] spammy() {
        return (head("FREE MONEY!!! Limited time offer, act now", "Content-Type: text/html; charset=us-ascii\r\n")
                        + "\r\n"
                        + "<html><body><p><b>CLICK HERE</b> to claim your FREE prize!!! 100% GUARANTEED.</p>\r\n"
                        + "<p>Earn $$$ from home, no experience needed. Act now, limited time offer!</p>\r\n"
                        + "<p><a href=\"http://192.0.2.77/claim\">Claim now</a></p></body></html>\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    static String encodedJapaneseSubject() {
        return "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString(JAPANESE_SUBJECT.getBytes(JIS)) + "?=";
    }

    /** A Japanese newsletter in ISO-2022-JP, RFC 2047 subject; {@code withGtube} makes it spam. */
    static byte[] japanese(boolean withGtube) {
        String body = "いつもご利用いただきありがとうございます。\r\n今月は新しい製品を三つご紹介します。\r\n" + "詳しくはホームページをご覧ください。\r\n";
        byte[] head = (head(
                                encodedJapaneseSubject(),
                                "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n")
                        + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] text = body.getBytes(JIS);
        byte[] tail = withGtube ? (gtubeString() + "\r\n").getBytes(StandardCharsets.US_ASCII) : new byte[0];
        byte[] all = new byte[head.length + text.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(text, 0, all, head.length, text.length);
        System.arraycopy(tail, 0, all, head.length + text.length, tail.length);
        return all;
    }

    /** A ham message padded with text lines to at least {@code size} bytes. */
    static byte[] hamOfSize(int size) {
        StringBuilder sb = new StringBuilder(new String(ham(), StandardCharsets.US_ASCII));
        int i = 0;
        while (sb.length() < size) {
            sb.append(String.format(Locale.ROOT, "line %06d of the appendix, with ordinary words in it.\r\n", i++));
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
