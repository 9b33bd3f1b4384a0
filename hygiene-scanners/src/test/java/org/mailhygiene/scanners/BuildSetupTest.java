package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** Checks the test setup itself: class path (not module path), CI rule, skip flags, and the test libraries. */
class BuildSetupTest {

    @Test
    void testsRunOnTheClassPath() {
        assertThat(getClass().getModule().isNamed()).isFalse();
    }

    /**
     * CI mode has one rule (RealBinaries.underCi, on the inherited environment). A Maven profile activated by the
     * presence of CI made CI=1 a "CI build" for Maven while the tests skipped their mandatory daemons.
     */
    @Test
    void theBuildHasNoSecondCiRule() throws Exception {
        String pom = Files.readString(rootPom());
        assertThat(pom).doesNotContain("<name>env.CI</name>").doesNotContain("hygiene.ci");
    }

    /** Failsafe 3.x ignores -DskipTests; the parent binds skipITs to it, so -DskipTests skips RelayCrashIT too. */
    @Test
    void skipTestsAlsoSkipsIntegrationTests() throws Exception {
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(rootPom().toFile());
        Element properties = child(doc.getDocumentElement(), "properties");
        assertThat(child(properties, "skipITs").getTextContent().trim()).isEqualTo("${skipTests}");
        assertThat(child(properties, "skipTests").getTextContent().trim()).isEqualTo("false");
    }

    /** Every module with tests gives every test a default timeout, so that a hang fails instead of eating CI's time. */
    @Test
    void everyModuleWithTestsHasADefaultTimeout() throws Exception {
        Path root = rootPom().getParent();
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(rootPom().toFile());
        NodeList modules = child(doc.getDocumentElement(), "modules").getElementsByTagName("module");
        int withTests = 0;
        for (int i = 0; i < modules.getLength(); i++) {
            Path module = root.resolve(modules.item(i).getTextContent().trim());
            if (!Files.isDirectory(module.resolve("src/test/java"))) {
                continue;
            }
            withTests++;
            Path file = module.resolve("src/test/resources/junit-platform.properties");
            assertThat(file)
                    .as("%s has junit-platform.properties", module.getFileName())
                    .isRegularFile();
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            assertThat(p.getProperty("junit.jupiter.execution.timeout.default"))
                    .as("default timeout in %s", file)
                    .isNotBlank();
        }
        assertThat(withTests).isGreaterThanOrEqualTo(5);
    }

    @Test
    void quickTheoriesRuns() {
        qt().forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 20))
                .checkAssert(
                        s -> assertThat(new StringBuilder(s).reverse().reverse().toString())
                                .isEqualTo(s));
    }

    private static Path rootPom() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom) && Files.isDirectory(dir.resolve("hygiene-scanners"))) {
                return pom;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("no parent pom.xml above " + Path.of("").toAbsolutePath());
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no <" + name + "> in <" + parent.getTagName() + ">");
    }
}
