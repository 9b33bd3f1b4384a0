package org.mailhygiene.scanners.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TnefStreamTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Two attachments, the second without a long name; then a line break after the stream's end. */
    private static byte[] twoFiles() {
        byte[] first = TnefSamples.tnef("REPORT~1.PDF", ascii("%PDF-1.4"), "report 2026.pdf", true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(first);
        TnefSamples.tnefAttribute(out, 2, 0x00069002, new byte[14]);
        TnefSamples.tnefAttribute(out, 2, 0x00018010, ascii("NOTES.TXT\0"));
        TnefSamples.tnefAttribute(out, 2, 0x0006800F, ascii("hello"));
        out.writeBytes(ascii("\r\n"));
        return out.toByteArray();
    }

    /** What the limits were told, in order. */
    private static final class Told implements TnefStream.Limits {
        final List<String> calls = new ArrayList<>();

        @Override
        public void attachment() {
            calls.add("attachment");
        }

        @Override
        public void data(long length) {
            calls.add("data " + length);
        }
    }

    @Test
    void eachAttachmentComesWithItsNamesAndBytesAndTheLimitsHearOfEachFirst() throws IOException {
        Told told = new Told();
        TnefStream tnef = new TnefStream(new ByteArrayInputStream(twoFiles()), told);
        TnefStream.Attachment a = tnef.next();
        assertThat(a.name()).contains("report 2026.pdf");
        assertThat(a.title()).contains("REPORT~1.PDF");
        assertThat(a.data()).hasValueSatisfying(d -> assertThat(d).isEqualTo(ascii("%PDF-1.4")));
        // the second attachment is not begun before the first is given
        assertThat(told.calls).containsExactly("attachment", "data 8");
        TnefStream.Attachment b = tnef.next();
        assertThat(b.name()).contains("NOTES.TXT");
        assertThat(b.longName()).isEmpty();
        assertThat(b.data()).hasValueSatisfying(d -> assertThat(d).isEqualTo(ascii("hello")));
        assertThat(tnef.next()).isNull();
        assertThat(tnef.next()).isNull();
        assertThat(told.calls).containsExactly("attachment", "data 8", "attachment", "data 5");
    }

    @Test
    void aStreamCutShortGivesWhatItReadThenIsBroken() throws IOException {
        byte[] all = twoFiles();
        // cut inside the second file's bytes: "hello", its checksum and the line break, less the last five bytes
        TnefStream tnef = new TnefStream(new ByteArrayInputStream(Arrays.copyOf(all, all.length - 5)), new Told());
        assertThat(tnef.next().name()).contains("report 2026.pdf");
        TnefStream.Attachment cut = tnef.next();
        assertThat(cut.name()).contains("NOTES.TXT");
        assertThat(cut.data()).hasValueSatisfying(d -> assertThat(d).isEqualTo(ascii("hell")));
        assertThatThrownBy(tnef::next)
                .isInstanceOf(TnefStream.BrokenException.class)
                .hasMessage("an attribute runs past the end of the stream");
        assertThat(tnef.next()).isNull();
        TnefStream header = new TnefStream(new ByteArrayInputStream(Arrays.copyOf(all, 5)), new Told());
        assertThatThrownBy(header::next)
                .isInstanceOf(TnefStream.BrokenException.class)
                .hasMessage("its header is cut short");
    }

    /**
     * A failure to read after an attachment's last attribute (a zip entry holding the stream fails its CRC at its end)
     * comes after that attachment, as a cut does: the attachment policy inspected such a file before the reader moved
     * here, and still does.
     */
    @Test
    void aFailureToReadComesAfterTheAttachmentBeingRead() throws IOException {
        byte[] one = TnefSamples.tnef("REPORT~1.PDF", ascii("%PDF-1.4"), "report.pdf", false);
        java.io.InputStream failing =
                new java.io.SequenceInputStream(new ByteArrayInputStream(one), new java.io.InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new java.util.zip.ZipException("invalid entry CRC");
                    }
                });
        TnefStream tnef = new TnefStream(failing, new Told());
        assertThat(tnef.next().name()).contains("report.pdf");
        assertThatThrownBy(tnef::next)
                .isInstanceOf(java.util.zip.ZipException.class)
                .hasMessage("invalid entry CRC");
    }

    @Test
    void aLimitThrownStopsTheReadingAsThrown() {
        TnefStream tnef = new TnefStream(new ByteArrayInputStream(twoFiles()), new TnefStream.Limits() {
            @Override
            public void attachment() {}

            @Override
            public void data(long length) throws IOException {
                throw new IOException("over " + length);
            }
        });
        assertThatThrownBy(tnef::next)
                .isNotInstanceOf(TnefStream.BrokenException.class)
                .hasMessage("over 8");
    }
}
