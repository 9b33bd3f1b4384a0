package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.junit.FakeClamdExtension;

/**
 * The files yEnc-encoded into plain text that the clamd scanner decodes and streams beside a message (clamd does not
 * decode yEnc): each once, as the file itself; uuencoded files, which clamd decodes, are not; what cannot be decoded
 * is never clean.
 */
class ClamdYEncStreamsTest {
    @RegisterExtension
    final FakeClamdExtension clamd = FakeClamdExtension.create();

    private ClamdScanner scanner() {
        return ClamdScanner.builder()
                .address(clamd.get().tcpAddress())
                .connectTimeout(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(20))
                .build();
    }

    private java.util.List<String> streams() {
        return clamd.get().requests().stream()
                .filter(r -> r.command().equals("INSTREAM"))
                .map(r -> new String(r.stream(), StandardCharsets.ISO_8859_1))
                .toList();
    }

    @Test
    void eachYEncFileIsStreamedOnceAsTheFileItself() throws Exception {
        byte[] m = ClamdTestMessages.yEncoded("notes.txt", "plain notes\r\n=x\0".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(scanner().scan(Message.of(m)).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(streams()).hasSize(2).last().isEqualTo("plain notes\r\n=x\0");
    }

    @Test
    void uuencodedFilesAndHtmlAreLeftToClamd() throws Exception {
        String m = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
                + "--B\r\nContent-Type: text/plain\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n"
                + "--B\r\nContent-Type: text/html\r\n\r\n=ybegin line=128 size=3 name=a.txt\r\nklm\r\n=yend size=3\r\n"
                + "--B--\r\n";
        assertThat(scanner()
                        .scan(Message.of(m.getBytes(StandardCharsets.US_ASCII)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(streams()).hasSize(1);
    }

    @Test
    void aFileInAForwardedMessageIsStreamed() throws Exception {
        String m = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
                + "From: b@example.org\r\nSubject: fwd\r\n\r\n=ybegin line=128 size=3 name=a.txt\r\nklm\r\n";
        assertThat(scanner()
                        .scan(Message.of(m.getBytes(StandardCharsets.US_ASCII)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(streams()).hasSize(2).last().isEqualTo("ABC");
    }

    /** Found by review (session 29): Thunderbird reads untyped text as sent, its transfer encoding not removed. */
    @Test
    void aFileInUntypedTextIsReadAsSent() throws Exception {
        byte[] letter = ClamdTestMessages.eicarYEncoded();
        String text = new String(letter, StandardCharsets.ISO_8859_1);
        String untyped = "From: a@example.org\r\nSubject: files\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + text.substring(text.indexOf("=ybegin"));
        Verdict v = scanner().scan(Message.of(untyped.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
    }

    @Test
    void whatCannotBeDecodedIsNeverClean() {
        String longLine =
                "From: a@example.org\r\n\r\n=ybegin line=128 size=3 name=a.exe\r\n" + "k".repeat(2000) + "\r\n";
        assertThatThrownBy(() -> scanner().scan(Message.of(longLine.getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("a yEnc line longer than 1024 characters");
                });
        String many = "From: a@example.org\r\n\r\n"
                + "=ybegin line=128 size=1 name=a.txt\r\nk\r\n".repeat(ClamdScanner.MAX_YENC_FILES + 1);
        assertThatThrownBy(() -> scanner().scan(Message.of(many.getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("more than 100 yEnc or BinHex files");
                });
    }

    @Test
    void aThreatInTheMessageItselfIsReportedBeforeItsFilesAreStreamed() throws Exception {
        String m = "From: a@example.org\r\n\r\n" + org.mailhygiene.testkit.clamd.Eicar.string() + "\r\n"
                + "=ybegin line=128 size=3 name=a.txt\r\nklm\r\n";
        assertThat(scanner()
                        .scan(Message.of(m.getBytes(StandardCharsets.US_ASCII)))
                        .outcome())
                .isEqualTo(Outcome.INFECTED);
        assertThat(streams()).hasSize(1);
    }

    /**
     * A file BinHex-encoded into a letter's text: clamd does not decode it there (checked with ClamAV 1.4 and a local
     * signature: found in an {@code application/mac-binhex40} part, not in the same BinHex in a text part), so it is
     * streamed as the file itself; a broken one cannot be, and the scan is never clean.
     */
    @Test
    void aBinHexFileInTheTextIsStreamedAsItsDataForkAndABrokenOneIsUnscannable() throws Exception {
        byte[] data = "plain notes\r\n\u0090\u0090\u0090\u0090".getBytes(StandardCharsets.ISO_8859_1);
        String hqx = org.mailhygiene.scanners.mime.BinHexFixtures.encode("notes.txt", data, new byte[3], 3, 64, false);
        String m = "From: a@example.org\r\nContent-Type: text/plain\r\n\r\nHere:\r\n\r\n" + hqx + "bye\r\n";
        assertThat(scanner()
                        .scan(Message.of(m.getBytes(StandardCharsets.ISO_8859_1)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(streams()).hasSize(2).last().isEqualTo(new String(data, StandardCharsets.ISO_8859_1));
        String broken =
                org.mailhygiene.scanners.mime.BinHexFixtures.encode("notes.txt", data, new byte[0], 3, 64, true);
        String b = "From: a@example.org\r\nContent-Type: text/plain\r\n\r\n" + broken;
        assertThatThrownBy(() -> scanner().scan(Message.of(b.getBytes(StandardCharsets.ISO_8859_1))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("BinHex file \"notes.txt\": the data fork's CRC");
                });
    }

    /**
     * Found by review (session 50): BinHex text decoded to up to the walker's decoded-bytes limit (128 MiB) in each text
     * part, every file spooled (to a temporary file) before the first was streamed: a 24.8 MB letter of 20 such parts
     * spooled 2.1 GB ({@code hygiene scan --clamd}, 16.8 s, clamd not even reachable). The limit is now for the whole
     * message: six parts of 22 MiB each (each under clamd's stream limit) were six clean streams, and are unscannable.
     */
    @Test
    void binHexFilesDecodeToAtMostTheWalkersLimitInAllTheMessagesTexts() throws Exception {
        int each = 22 << 20;
        assertThat(6L * each).isGreaterThan(org.mailhygiene.scanners.mime.MimeWalker.DEFAULT_MAX_DECODED_BYTES);
        String hqx = org.mailhygiene.scanners.mime.BinHexFixtures.encode(
                "zeros.bin", new byte[each], new byte[0], 3, 64, false);
        String part = "--B\r\nContent-Type: text/plain\r\n\r\nHere:\r\n\r\n" + hqx;
        String m = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
                + part.repeat(6) + "--B--\r\n";
        assertThatThrownBy(() -> scanner().scan(Message.of(m.getBytes(StandardCharsets.ISO_8859_1))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail())
                            .contains("part 6: BinHex text decodes beyond "
                                    + org.mailhygiene.scanners.mime.MimeWalker.DEFAULT_MAX_DECODED_BYTES + " bytes");
                });
        assertThat(streams()).hasSize(6); // the message and the five files decoded within the limit
    }

    /**
     * A BinHex file's run-length code lets a few hundred bytes of text decode to any size: one that decodes beyond the
     * stream limit (which clamd would refuse) is unscannable as soon as it passes it, not spooled whole first (it was
     * then refused as TOO_LARGE).
     */
    @Test
    void aBinHexFileDecodingBeyondTheStreamLimitIsUnscannableWithoutBeingSpooledWhole() throws Exception {
        byte[] zeros = new byte[64 * 1024];
        String hqx = org.mailhygiene.scanners.mime.BinHexFixtures.encode("zeros.bin", zeros, new byte[0], 3, 64, false);
        String m = "From: a@example.org\r\nContent-Type: text/plain\r\n\r\nHere:\r\n\r\n" + hqx + "bye\r\n";
        assertThat(m.length()).isLessThan(4096);
        ClamdScanner small = ClamdScanner.builder()
                .address(clamd.get().tcpAddress())
                .connectTimeout(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(20))
                .streamMaxLength(8192)
                .build();
        assertThatThrownBy(() -> small.scan(Message.of(m.getBytes(StandardCharsets.ISO_8859_1))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("a BinHex file decodes beyond the stream limit of 8192");
                });
        // the message itself is scanned (a threat in it is still named), the file is not streamed
        assertThat(streams()).singleElement().satisfies(st -> assertThat(st).startsWith("From: a@example.org"));
    }
}
