package org.mailhygiene.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.SampleMessages;

/** The library example in the README is the code of {@link ScanFileExample}, which its own test runs. */
class ReadmeExampleTest {
    private static final Path README = Path.of("../README.md");
    private static final Path EXAMPLE = Path.of("src/main/java/org/mailhygiene/examples/ScanFileExample.java");

    @Test
    void readmeLibraryExampleIsCodeFromScanFileExample() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("## Using the library");
        assertThat(section).as("README section 'Using the library'").isNotNegative();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        List<String> snippet = readme.substring(start, end)
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .toList();
        assertThat(snippet).isNotEmpty().anyMatch(l -> l.contains("SignatureScanner.create()"));
        Set<String> source =
                Files.readString(EXAMPLE).lines().map(String::strip).collect(Collectors.toSet());
        assertThat(source).as("lines of ScanFileExample.java").containsAll(snippet);
    }

    @Test
    void readmeShowsWhatTheExamplePrintsForTheEicarSample(@TempDir Path dir) throws Exception {
        Path eicar = Files.write(dir.resolve("eicar-attachment.eml"), SampleMessages.eicarAttachment());
        String line = ScanFileExample.describe(ScanFileExample.scan(eicar));
        assertThat(line).startsWith("REJECT: 554 ");
        assertThat(Files.readString(README)).contains("\n" + line + "\n");
    }
}
