package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.update.CommandStep;
import org.mailhygiene.scanners.update.SignatureUpdateScheduler;

/** The defaults documented in Javadoc are the defaults in the code. */
class ClamdScannerDefaultsTest {
    static final Path SOURCE = Path.of("src/main/java/org/mailhygiene/scanners/clamd/ClamdScanner.java");

    @Test
    void documentedDefaultsListEqualsTheBuiltScanner() throws Exception {
        String src = Files.readString(SOURCE);
        Map<String, String> doc = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\\*\\s+<li>([a-z -]+): (.+)").matcher(src);
        while (m.find()) {
            doc.put(m.group(1).strip(), m.group(2).strip());
        }
        ClamdScanner s = ClamdScanner.builder().address("127.0.0.1:3310").build();
        Map<String, String> code = new LinkedHashMap<>();
        code.put("name", "{@code " + s.name() + "}");
        code.put("connect timeout", seconds(s.connectTimeout()));
        code.put("read timeout", seconds(s.readTimeout()));
        code.put("scan deadline", seconds(s.scanDeadline()));
        code.put("probe timeout", seconds(s.probeTimeout()));
        code.put("stream max length", s.streamMaxLength() + " bytes");
        code.put("chunk size", s.chunkSize() + " bytes");
        code.put("reload settle", seconds(s.reloadSettle()));
        code.put("version check interval", seconds(s.versionCheckInterval()));
        code.put("initial back-off", seconds(s.initialBackoff()));
        code.put("max back-off", seconds(s.maxBackoff()));
        assertThat(doc).isEqualTo(code);
        assertThat(s.connectTimeout()).isPositive();
        assertThat(s.readTimeout()).isPositive();
        assertThat(s.scanDeadline()).isPositive();
    }

    private static String seconds(Duration d) {
        return d.toSeconds() + " s";
    }

    @Test
    void clientDefaultsAreTheDocumentedConstants() {
        ClamdClient c = ClamdClient.of(ClamdAddress.tcp("localhost", 3310));
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.chunkSize()).isEqualTo(65536);
        assertThat(ClamdScanner.DEFAULT_STREAM_MAX_LENGTH).isEqualTo(25L * 1024 * 1024);
    }

    @Test
    void updateDefaultsAreTheDocumentedOnes() {
        // SignatureUpdateScheduler's Javadoc: interval 1 h, jitter 5 min; CommandStep's: timeout 10 min.
        SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("clamav")
                .step(CommandStep.builder("true", java.util.List.of("true")).build())
                .build();
        try {
            assertThat(s.interval()).isEqualTo(Duration.ofHours(1));
            assertThat(s.jitter()).isEqualTo(Duration.ofMinutes(5));
            assertThat(((CommandStep) s.steps().get(0)).timeout()).isEqualTo(Duration.ofMinutes(10));
        } finally {
            s.close();
        }
    }
}
