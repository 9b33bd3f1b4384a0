package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** BDAT content is judged exactly as the same content sent with DATA (dot-stuffed) is judged by {@link DataReader}. */
class RawContentRulesTest {
    private static final List<String> TOKENS = List.of(
            "a",
            "\r",
            "\n",
            "\r\n",
            "\r\n",
            ".",
            ". ",
            "Received: x",
            "rECEIVED:",
            "\r\n\r\n",
            "x".repeat(400),
            "\u00e9",
            " ",
            "\r\n.\r\n",
            "\n.\n");

    /** Content built from tokens rich in line ends, dots and Received fields, ending in CRLF (as DATA content must). */
    private static Gen<String> contents() {
        return lists().of(integers().between(0, TOKENS.size() - 1))
                .ofSizeBetween(0, 30)
                .map(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(TOKENS.get(i)));
                    return sb.append("\r\n").toString();
                });
    }

    private static DataReader.Violation raw(byte[] content, long maxSize, int maxHops, int split) {
        RawContentRules r = new RawContentRules(maxSize, SmtpLimits.MAX_TEXT_LINE, maxHops);
        int cut = Math.min(split, content.length);
        r.update(content, 0, cut);
        r.update(content, cut, content.length - cut);
        r.finish();
        return r.violation();
    }

    @Test
    void sameVerdictAsDataReaderOnTheDotStuffedForm() {
        qt().withExamples(1000)
                .forAll(
                        contents(),
                        integers().between(1, 1500),
                        integers().between(1, 4),
                        integers().between(0, 900))
                .checkAssert((content, maxSize, maxHops, split) -> {
                    byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
                    byte[] wire = DataReaderTest.concat(
                            DataReaderTest.ascii(DataReaderTest.stuff(content)), DataReaderTest.ascii(".\r\n"));
                    try {
                        DataReader.Violation viaData = DataReaderTest.read(wire, split, maxSize, maxHops)
                                .violation();
                        assertThat(raw(bytes, maxSize, maxHops, split))
                                .as("content %s", content.replace("\r", "<CR>").replace("\n", "<LF>"))
                                .isEqualTo(viaData);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void whatOnlyRawContentCanHave() {
        assertThat(raw(DataReaderTest.ascii("x\r"), 100, 5, 1)).isEqualTo(DataReader.Violation.BARE_CR_OR_LF);
        assertThat(raw(DataReaderTest.ascii("no final line end"), 100, 5, 3)).isNull();
        // an unterminated last line is measured with the CRLF it gets when forwarded
        assertThat(raw(DataReaderTest.ascii("y".repeat(999)), 10_000, 5, 3))
                .isEqualTo(DataReader.Violation.LINE_TOO_LONG);
        assertThat(raw(DataReaderTest.ascii("y".repeat(998)), 10_000, 5, 3)).isNull();
        // a first line the Received field on top would take as its continuation, as in DATA
        assertThat(raw(DataReaderTest.ascii("\tx\r\n"), 100, 5, 1)).isEqualTo(DataReader.Violation.FOLDED_FIRST_LINE);
    }
}
