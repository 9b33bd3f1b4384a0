package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DsnFoldTest {
    /**
     * A reply with two blanks in a row (common: servers pad their lines, and Gmail writes {@code 5.1.1  https://...})
     * must not be folded into a line holding nothing but a blank: RFC 5322 forbids generating one (it is obsolete
     * syntax), and a reader of the message/delivery-status part may take it for the blank line that ends a recipient's
     * fields.
     */
    @Test
    void noPhysicalLineIsBlankOnly() {
        String head = "Diagnostic-Code: smtp; 550 5.1.1";
        for (int pad = 0; pad < 90; pad++) {
            for (String tail : new String[] {"  " + "b".repeat(80), "  ", "   x", "  " + "c".repeat(1200)}) {
                String line = head + " " + "a".repeat(pad) + tail;
                String folded = Dsn.fold(line);
                for (String physical : folded.split("\r\n", -1)) {
                    assertThat(physical.isBlank()).as("pad %d: %s", pad, folded).isFalse();
                    assertThat(physical.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(998);
                }
                if (!tail.contains("c")) {
                    assertThat(folded.replace("\r\n", ""))
                            .as("unfolds to the text")
                            .isEqualTo(line);
                }
            }
        }
    }
}
