package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.SourceDSL;

class JsonTest {

    @Test
    void escapesQuotesBackslashesControlsAndNonAscii() {
        assertThat(Json.string("a\"b\\c\nd\re\tf\u0001g")).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\"");
        assertThat(Json.string("会議")).isEqualTo("\"\\u4f1a\\u8b70\"");
        assertThat(Json.string("\u007f")).isEqualTo("\"\\u007f\"");
        assertThat(Json.stringOrNull(null)).isEqualTo("null");
        assertThat(Json.strings(List.of("a", "b"))).isEqualTo("[\"a\",\"b\"]");
        assertThat(Json.strings(List.of())).isEqualTo("[]");
    }

    @Test
    void numbersArePlainDecimals() {
        assertThat(Json.number(1000)).isEqualTo("1000.0");
        assertThat(Json.number(5)).isEqualTo("5.0");
        assertThat(Json.number(6.83)).isEqualTo("6.83");
        assertThat(Json.number(-0.5)).isEqualTo("-0.5");
        assertThat(Json.number(1e20)).isEqualTo("100000000000000000000");
        assertThat(Json.number(1e-7)).isEqualTo("0.00000010");
        assertThat(Json.number(OptionalDouble.empty())).isEqualTo("null");
        assertThatThrownBy(() -> Json.number(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Any string comes out as printable ASCII and decodes back to itself. */
    @Test
    void stringsRoundTrip() {
        qt().forAll(SourceDSL.strings().allPossible().ofLengthBetween(0, 40)).checkAssert(s -> {
            String encoded = Json.string(s);
            assertThat(encoded.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
            assertThat(decode(encoded)).isEqualTo(s);
        });
    }

    /** Numbers parse back to the same double. */
    @Test
    void numbersRoundTrip() {
        qt().forAll(SourceDSL.doubles().between(-1e9, 1e9)).checkAssert(d -> {
            String text = Json.number(d);
            assertThat(text).matches("-?\\d+(\\.\\d+)?");
            assertThat(Double.parseDouble(text)).isEqualTo(d);
        });
    }

    /** A strict decoder for one JSON string literal. */
    private static String decode(String literal) {
        assertThat(literal).startsWith("\"").endsWith("\"");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < literal.length() - 1; i++) {
            char c = literal.charAt(i);
            assertThat(c).isNotEqualTo('"');
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = literal.charAt(++i);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(literal.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new AssertionError("bad escape \\" + e);
            }
        }
        return sb.toString();
    }
}
