package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SmtpTimeoutsTest {

    /** The list in SmtpTimeouts' Javadoc is the documentation; it must say what defaults() does. */
    @Test
    void documentedDefaultsEqualTheCode() throws Exception {
        Path src = Path.of("src/main/java/org/mailhygiene/smtp/delivery/SmtpTimeouts.java");
        String text = Files.readString(src);
        Matcher m = Pattern.compile("<li>\\{@code (\\w+)}: (PT\\w+)</li>").matcher(text);
        Map<String, Duration> documented = new LinkedHashMap<>();
        while (m.find()) {
            documented.put(m.group(1), Duration.parse(m.group(2)));
        }
        SmtpTimeouts d = SmtpTimeouts.defaults();
        Map<String, Duration> code = new LinkedHashMap<>();
        for (var c : SmtpTimeouts.class.getRecordComponents()) {
            code.put(c.getName(), (Duration) c.getAccessor().invoke(d));
        }
        assertThat(documented).isEqualTo(code);
    }

    @Test
    void rfc5321Values() {
        SmtpTimeouts d = SmtpTimeouts.defaults();
        assertThat(d.greeting()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.mail()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.rcpt()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.dataInit()).isEqualTo(Duration.ofMinutes(2));
        assertThat(d.dataBlock()).isEqualTo(Duration.ofMinutes(3));
        assertThat(d.dataTermination()).isEqualTo(Duration.ofMinutes(10));
        assertThat(SmtpClient.builder().build().timeouts()).isEqualTo(d);
    }

    @Test
    void rejectsNonPositiveValuesNamingTheStep() {
        assertThatThrownBy(() -> new SmtpTimeouts(
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ZERO,
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mail");
    }
}
