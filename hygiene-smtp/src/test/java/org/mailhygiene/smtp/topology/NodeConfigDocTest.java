package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.config.ConfigFile;

/**
 * docs/node-config.md against the parser: every key {@link NodeConfig} reads is documented, and every key a table of the
 * document names is one the parser reads. Session 48: the families of {@code SCANNER.on-failure} listed every scanner
 * but {@code auth}, whose {@code auth.on-failure} the parser takes.
 */
class NodeConfigDocTest {
    private static final Path DOC = Path.of("../docs/node-config.md");

    /** A key as a table's first column names it: lower case, digits, dots and dashes. */
    private static final Pattern KEY = Pattern.compile("`([a-z][a-z0-9.-]*)`");

    @TempDir
    Path dir;

    private static String doc() throws IOException {
        return Files.readString(DOC);
    }

    /**
     * The keys the parser asks for, read off a small file with the {@code auth} scanner (without it the keys that need
     * it, {@code spf-helo} say, are errors before they are asked for).
     */
    private Set<String> parserKeys() throws Exception {
        ConfigFile c = ConfigFile.parse(
                "keys.conf",
                "role = edge\nname = keys\nlisten = 127.0.0.1:0\ndata = data\nroute = :127.0.0.1:1\n"
                        + "scanner = attachments\nscanner = auth\n");
        NodeConfig.parse(c, dir);
        Set<String> keys = c.keysAskedFor();
        assertThat(keys).as("the keys the parser reads").contains("role", "scanner", "clamd.deadline", "spf-helo");
        return keys;
    }

    /** The backticked words of the parenthesis after {@code intro} in the document, e.g. the scanner families. */
    private static Set<String> listAfter(String doc, String intro) {
        Matcher m = Pattern.compile(Pattern.quote(intro) + " \\(([^)]*)\\)").matcher(doc);
        assertThat(m.find())
                .as("docs/node-config.md says '" + intro + " (...)'")
                .isTrue();
        Set<String> words = new TreeSet<>();
        Matcher w = KEY.matcher(m.group(1));
        while (w.find()) {
            words.add(w.group(1));
        }
        return words;
    }

    /** The first column of every table whose header starts with {@code | key |}, as backticked keys. */
    private static Set<String> tableKeys(String doc) {
        Set<String> keys = new TreeSet<>();
        boolean inKeyTable = false;
        for (String line : doc.split("\n")) {
            if (!line.startsWith("|")) {
                inKeyTable = false;
            } else if (line.startsWith("| key |")) {
                inKeyTable = true;
            } else if (inKeyTable) {
                Matcher m = KEY.matcher(line.split("\\|")[1]);
                while (m.find()) {
                    keys.add(m.group(1));
                }
            }
        }
        return keys;
    }

    @Test
    void everyKeyTheParserReadsIsDocumented() throws Exception {
        String doc = doc();
        Set<String> families = listAfter(doc, "for one scanner family");
        Set<String> kinds = listAfter(doc, "per failure kind");
        List<String> missing = new ArrayList<>();
        for (String key : new TreeSet<>(parserKeys())) {
            int at = key.indexOf("on-failure");
            if (at >= 0) {
                // on-failure, on-failure.KIND, SCANNER.on-failure, SCANNER.on-failure.KIND
                String family = at == 0 ? null : key.substring(0, at - 1);
                String rest = key.substring(at + "on-failure".length());
                String kind = rest.isEmpty() ? null : rest.substring(1);
                if ((family != null && !families.contains(family)) || (kind != null && !kinds.contains(kind))) {
                    missing.add(key);
                }
            } else if (!doc.contains("`" + key + "`")) {
                missing.add(key);
            }
        }
        assertThat(missing)
                .as(
                        "keys NodeConfig reads that docs/node-config.md does not name (scanner families: %s, failure"
                                + " kinds: %s)",
                        families, kinds)
                .isEmpty();
    }

    @Test
    void everyKeyTheTablesNameIsRead() throws Exception {
        Set<String> documented = tableKeys(doc());
        assertThat(documented).as("keys in the tables of docs/node-config.md").contains("role", "max-message-size");
        // the patterns of the failure table, spelt out in the sentences the other test reads
        documented.remove("on-failure.KIND");
        assertThat(new TreeSet<>(documented))
                .as("keys in the tables of docs/node-config.md")
                .isSubsetOf(parserKeys());
    }
}
