package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.tika.mime.MimeTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TrueTypes#detect}, answered by {@link MagicTable}, finds exactly what Tika's {@code MimeTypes.detect} finds
 * ({@link TrueTypes#tikaDetect}) on generated content: random bytes, every magic of Tika's table written into content
 * and then cut, prefixed, suffixed or flipped, XML documents with every root element the table knows, HTML and text.
 */
class MagicTableTest {
    private static MagicTable table;

    @BeforeAll
    static void load() throws Exception {
        table = MagicTable.load(MimeTypes.getDefaultMimeTypes());
    }

    private static void same(byte[] content) {
        same(content, content.length);
    }

    private static void same(byte[] content, int length) {
        assertThat(TrueTypes.detect(content, length))
                .as("detected type of %s bytes starting %s", length, head(content, length))
                .isEqualTo(TrueTypes.tikaDetect(content, length));
    }

    private static String head(byte[] content, int length) {
        return Arrays.toString(Arrays.copyOf(content, Math.min(length, 48)));
    }

    @Test
    void detectionRunsOnTheTable() {
        assertThat(TrueTypes.indexed()).isTrue();
        assertThat(table.size()).isGreaterThan(800); // Tika 3.3.1: 849 magics
    }

    /**
     * Every magic written into content once, as it is: most of them must be found as their own type, or the test
     * would not be exercising matches at all.
     */
    @Test
    void everyMagicOfTheTable() {
        Random random = new Random(41);
        int sameAsTika = 0;
        int matched = 0;
        for (int i = 0; i < table.size(); i++) {
            byte[] content = table.exemplar(i, random);
            same(content);
            sameAsTika++;
            if (!TrueTypes.tikaDetect(content, content.length).equals("application/octet-stream")
                    && !TrueTypes.tikaDetect(content, content.length).equals("text/plain")) {
                matched++;
            }
        }
        assertThat(sameAsTika).isEqualTo(table.size());
        assertThat(matched).as("exemplars that some magic matches").isGreaterThan(table.size() * 3 / 4);
    }

    /**
     * Every magic's content cut short at its end, one byte at a time over its last 64 bytes: where a magic's window
     * runs past the end of the content, Tika reads zeros there (a matcher that read anything else, or nothing, failed
     * here: with 0xFF past the end, an X.509 certificate cut to 64 bytes was no longer found).
     */
    @Test
    void everyMagicCutShortAtItsEnd() {
        Random random = new Random(1);
        for (int i = 0; i < table.size(); i++) {
            byte[] content = table.exemplar(i, random);
            int max = Math.min(content.length, 2000);
            for (int length = Math.max(0, max - 64); length <= max; length++) {
                same(content, length);
            }
        }
    }

    /** Each magic's content with random bytes before it, after it, cut short, or one byte changed. */
    @Test
    void magicsPrefixedSuffixedTruncatedAndFlipped() {
        qt().withExamples(3000)
                .forAll(
                        integers().between(0, table.size() - 1),
                        longs().all(),
                        integers().between(0, 4))
                .checkAssert((index, seed, op) -> {
                    Random random = new Random(seed);
                    byte[] magic = table.exemplar(index, random);
                    byte[] content;
                    switch (op) {
                        case 0 -> { // random bytes before
                            byte[] before = new byte[1 + random.nextInt(12)];
                            random.nextBytes(before);
                            content = concat(before, magic);
                        }
                        case 1 -> { // random bytes after
                            byte[] after = new byte[1 + random.nextInt(300)];
                            random.nextBytes(after);
                            content = concat(magic, after);
                        }
                        case 2 -> content = Arrays.copyOf(magic, random.nextInt(magic.length + 1)); // cut short
                        case 3 -> { // one byte changed
                            content = magic.clone();
                            content[random.nextInt(content.length)] ^= (byte) (1 << random.nextInt(8));
                        }
                        default -> { // the length argument shorter than the array
                            same(magic, random.nextInt(magic.length + 1));
                            return;
                        }
                    }
                    same(content);
                });
    }

    @Test
    void randomBytes() {
        qt().withExamples(2000)
                .forAll(integers().between(0, 600), longs().all())
                .checkAssert((length, seed) -> {
                    byte[] b = new byte[length];
                    new Random(seed).nextBytes(b);
                    same(b);
                });
    }

    /** Longer than Tika's 64 KB window: only the window counts, in both. */
    @Test
    void longContent() {
        qt().withExamples(30).forAll(longs().all(), integers().between(0, 2)).checkAssert((seed, kind) -> {
            Random random = new Random(seed);
            byte[] content = new byte[65_536 + random.nextInt(2_000)];
            if (kind == 0) {
                random.nextBytes(content);
            } else {
                Arrays.fill(content, (byte) ('a' + random.nextInt(26)));
                if (kind == 2) {
                    byte[] head = table.exemplar(random.nextInt(table.size()), random);
                    System.arraycopy(head, 0, content, 0, Math.min(head.length, content.length));
                }
            }
            same(content);
        });
    }

    /** Text: printable ASCII, any Unicode as UTF-8, and text with control bytes. */
    @Test
    void text() {
        qt().withExamples(1000)
                .forAll(
                        strings().ascii().ofLengthBetween(0, 400),
                        strings().allPossible().ofLengthBetween(0, 100))
                .checkAssert((ascii, any) -> {
                    same(ascii.getBytes(StandardCharsets.US_ASCII));
                    same(any.getBytes(StandardCharsets.UTF_8));
                    same((ascii + any).getBytes(StandardCharsets.UTF_16LE));
                });
    }

    /** XML documents with every root element of the table, with and without a declaration, and broken ones. */
    @Test
    void xmlRootElements() {
        List<String[]> roots = table.xmlRoots();
        assertThat(roots).hasSizeGreaterThan(50);
        qt().withExamples(2000)
                .forAll(integers().between(0, roots.size() - 1), integers().between(0, 5), longs().all())
                .checkAssert((i, shape, seed) -> {
                    String ns = roots.get(i)[0];
                    String name = roots.get(i)[1] == null || roots.get(i)[1].isEmpty() ? "root" : roots.get(i)[1];
                    String xmlns = ns == null || ns.isEmpty() ? "" : " xmlns=\"" + ns + "\"";
                    String doc = switch (shape) {
                        case 0 -> "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + name + xmlns + ">";
                        case 1 -> "<" + name + xmlns + "><child/></" + name + ">";
                        case 2 -> "<?xml version=\"1.0\"?><x:" + name + " xmlns:x=\"" + ns + "\"/>";
                        case 3 -> "<?xml version=\"1.0\"?>\n<!-- c --><" + name + " a=\"1\"" + xmlns + ">text";
                        case 4 -> "<?xml version=\"1.0\"?><" + name + xmlns; // cut inside the root
                        default -> "<?xml version=\"1.0\"?>\n<" + name + " xmlns=\"urn:other\">";
                    };
                    byte[] b = doc.getBytes(StandardCharsets.UTF_8);
                    same(b);
                    same(b, new Random(seed).nextInt(b.length + 1));
                });
    }

    /** HTML as mail carries it, and XML-looking text that is not well formed. */
    @Test
    void htmlAndBrokenXml() {
        String[] docs = {
            "<html><body>hi</body></html>",
            "<!DOCTYPE html>\n<html lang=\"en\"><head><title>x</title></head><body></body></html>",
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><BODY>x</BODY></HTML>",
            "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head></head></html>",
            "<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>",
            "<?xml version=\"1.0\"?>\n<html><body>not closed",
            "<?xml version=\"1.0\"?><<<",
            "<?xml version=\"1.0\"?>\n<body><p>a</p></body>",
            "  \n<head><meta charset=utf-8></head><p>text",
            "<p>just a paragraph</p>",
            "<?xml version=\"1.0\"?>",
            "<?xml",
            "<table><tr><td>1</td></tr></table>",
            "<!-- comment --><html>",
            "\uFEFF<html><body>bom</body></html>",
        };
        for (String d : docs) {
            same(d.getBytes(StandardCharsets.UTF_8));
            same(d.getBytes(StandardCharsets.UTF_16LE));
            same(d.getBytes(StandardCharsets.UTF_16BE));
        }
        qt().withExamples(500)
                .forAll(
                        integers().between(0, docs.length - 1),
                        strings().ascii().ofLengthBetween(0, 200))
                .checkAssert((i, tail) -> same((docs[i] + tail).getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
