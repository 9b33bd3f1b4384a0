package org.mailhygiene.scanners.attachments;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.namespace.QName;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import org.apache.tika.detect.TextDetector;
import org.apache.tika.detect.XmlRootExtractor;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MediaType;
import org.apache.tika.mime.MimeTypeException;
import org.apache.tika.mime.MimeTypes;
import org.slf4j.LoggerFactory;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Tika's magic-byte detection ({@link MimeTypes#detect} without a name or type hint) answered from the same table
 * without Tika's per-call cost.
 *
 * <p>Why: {@code MimeTypes.detect} tests the magics of its table one by one until the first priority that matched is
 * exhausted, and every test copies the bytes it looks at into a new array (as long as the magic's whole offset range
 * plus its pattern, 8 KB and more for a regular expression), and a regular expression is compiled again and its window
 * decoded into a new {@code char[]} on every test. Content that no magic matches (plain text, the common case on mail)
 * pays for all of them: about 1 MB allocated and 849 magics tested per call, whatever the content's length
 * (benchmarks/README.md, session 41).
 *
 * <p>What: this class reads {@code tika-mimetypes.xml} from tika-core once, as Tika's own reader does (a
 * {@code <magic>} element gives one magic per top-level {@code <match>}; nested matches are an "and" of the match and
 * an "or" of its children; {@code minShouldMatch} counts), orders the magics as Tika does (priority, then size, then
 * type name, all descending) and tests them on the caller's bytes in place: no copy, regular expressions compiled once
 * and matched on a view of the bytes. Each magic gets a necessary condition, a fixed-offset non-regex match it cannot
 * match without, and the magics whose condition is on the first byte are indexed by that byte, so a call tests only
 * the magics its first byte allows plus those without such a condition, and checks the others' condition before
 * testing them. The first magic that matches decides, as in Tika; generic XML and HTML are refined by the document's
 * root element through Tika's own {@link XmlRootExtractor}, and content no magic matches is judged by Tika's own
 * {@link TextDetector}, both exactly as {@code MimeTypes} calls them. Tika's quirks are kept on purpose: a window that
 * runs past the end of the content reads as zero bytes, a regular expression is matched on an 8 KB window padded so,
 * a case-insensitive match lowers only the content's byte.
 *
 * <p>The result is the same as {@code MimeTypes.detect}'s for every input (a differential property test and every
 * part of the test corpora check it); {@link #load} refuses a table it does not understand, and the caller then keeps
 * Tika's own detection.
 *
 * <p>Linear: a call reads at most Tika's {@link MimeTypes#getMinLength() minimum length} (64 KB) of its input, and
 * each magic a bounded window of it. Instances are immutable and thread-safe.
 */
final class MagicTable {
    /** Tika's window for a regular expression ({@code MagicDetector}: 8 KB "should cope with most regex patterns"). */
    private static final int REGEX_WINDOW = 8 * 1024;

    private final MimeTypes types;
    private final int minLength;
    /** All magics, in Tika's order. */
    private final Magic[] magics;
    /** Per first byte, the indices of the magics worth testing, in order. */
    private final int[][] candidates;
    /** The types with root-XML entries, in Tika's order (by name). */
    private final XmlType[] xmls;

    private MagicTable(MimeTypes types, List<Magic> magics, List<XmlType> xmls) {
        this.types = types;
        this.minLength = types.getMinLength();
        this.magics = magics.toArray(new Magic[0]);
        this.xmls = xmls.toArray(new XmlType[0]);
        this.candidates = new int[256][];
        for (int b = 0; b < 256; b++) {
            List<Integer> list = new ArrayList<>();
            for (int i = 0; i < this.magics.length; i++) {
                Leaf anchor = this.magics[i].anchor;
                if (anchor == null || anchor.begin > 0 || anchor.matchesByte(0, (byte) b)) {
                    list.add(i);
                }
            }
            this.candidates[b] = list.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * Reads Tika's table for the given registry.
     *
     * @param types Tika's default registry ({@link MimeTypes#getDefaultMimeTypes()}), which resolves the table's type
     *     names and judges text
     * @return the table
     * @throws IOException if the table cannot be read
     * @throws IllegalStateException if the table holds something this class does not understand, or a
     *     {@code custom-mimetypes.xml} extends Tika's table (the caller should then keep Tika's detection)
     */
    static MagicTable load(MimeTypes types) throws IOException {
        for (ClassLoader loader : new ClassLoader[] {
            MimeTypes.class.getClassLoader(), Thread.currentThread().getContextClassLoader()
        }) {
            if (loader != null) {
                Enumeration<URL> custom = loader.getResources("org/apache/tika/mime/custom-mimetypes.xml");
                if (custom.hasMoreElements()) {
                    throw new IllegalStateException(
                            "a custom-mimetypes.xml extends Tika's table: " + custom.nextElement());
                }
            }
        }
        Reader reader = new Reader(types);
        try (InputStream in = MimeTypes.class.getResourceAsStream("tika-mimetypes.xml")) {
            if (in == null) {
                throw new IOException("tika-core holds no tika-mimetypes.xml");
            }
            SAXParserFactory factory = SAXParserFactory.newInstance();
            factory.setNamespaceAware(false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.newSAXParser().parse(in, reader);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot read Tika's tika-mimetypes.xml: " + e.getMessage(), e);
        }
        // Tika's order: priority, size, type name, each descending (Magic.compareTo); magics equal in all three have
        // one type, so their order cannot change which type is found first. The sort is stable.
        List<Magic> magics = reader.magics;
        magics.sort(Comparator.comparingInt((Magic m) -> m.priority)
                .thenComparingInt(m -> m.size)
                .thenComparing(m -> m.type)
                .reversed());
        List<XmlType> xmls = new ArrayList<>(reader.xmls);
        xmls.sort(Comparator.comparing(x -> x.type));
        // the types with a magic must be Tika's: anything else means the table read is not the one Tika uses
        Set<String> ours = new HashSet<>();
        magics.forEach(m -> ours.add(m.type));
        Set<String> tikas = new HashSet<>();
        for (MediaType t : types.getMediaTypeRegistry().getTypes()) {
            try {
                if (types.forName(t.toString()).hasMagic()) {
                    tikas.add(types.forName(t.toString()).getName());
                }
            } catch (MimeTypeException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!ours.equals(tikas)) {
            throw new IllegalStateException("the table read differs from Tika's: " + ours.size() + " types with a magic"
                    + " against Tika's " + tikas.size());
        }
        return new MagicTable(types, magics, xmls);
    }

    /**
     * A task that {@linkplain #load loads} the table, or gives {@code null} (logged as a warning) when the table is
     * refused or cannot be read.
     *
     * @param types Tika's default registry
     * @return the task; it never throws
     */
    static java.util.concurrent.Callable<MagicTable> loaderOrNull(MimeTypes types) {
        return () -> {
            try {
                return load(types);
            } catch (IOException | RuntimeException e) {
                LoggerFactory.getLogger(MagicTable.class)
                        .warn("Tika's magic table not indexed, detection stays Tika's own (slower): {}", e.toString());
                return null;
            }
        };
    }

    /**
     * The type {@code MimeTypes.detect} finds for content that starts with these bytes, given no name or type hint.
     *
     * @param data the content's first bytes
     * @param length how many of them to use; only Tika's minimum length (64 KB) is looked at
     * @return the detected media type
     */
    MediaType detect(byte[] data, int length) {
        int n = Math.min(length, minLength);
        if (n <= 0) {
            return MediaType.OCTET_STREAM; // Tika: no bytes, the root type (TIKA-483)
        }
        Magic first = null;
        for (int i : candidates[data[0] & 0xff]) {
            Magic m = magics[i];
            if ((m.anchor == null || m.anchor.begin == 0 || m.anchor.possible(data, n)) && m.clause.eval(data, n)) {
                first = m;
                break;
            }
        }
        if (first == null) {
            try {
                MediaType text =
                        new TextDetector(minLength).detect(new ByteArrayInputStream(data, 0, n), new Metadata());
                return types.forName(text.toString()).getType();
            } catch (IOException | MimeTypeException | RuntimeException e) {
                return MediaType.OCTET_STREAM; // Tika: the root type
            }
        }
        if (first.type.equals("application/xml") || first.type.equals("text/html")) {
            QName root = new XmlRootExtractor().extractRootElement(n == data.length ? data : Arrays.copyOf(data, n));
            if (root != null) {
                for (XmlType x : xmls) {
                    if (x.matches(root.getNamespaceURI(), root.getLocalPart())) {
                        return x.mediaType;
                    }
                }
            } else if (first.type.equals("application/xml")) {
                for (Magic m : magics) {
                    if (m.type.equals("text/html") && m.clause.eval(data, n)) {
                        return m.mediaType;
                    }
                }
                return MediaType.TEXT_PLAIN;
            }
        }
        return first.mediaType;
    }

    /** How many magics the table holds (for tests). */
    int size() {
        return magics.length;
    }

    /**
     * Content made to satisfy magic {@code index} (for tests): each match it needs is written at an offset of its range
     * that {@code random} picks, with random bits where its mask has none; of an "or" or a {@code minShouldMatch} only
     * as many children as it needs, picked at random. A regular expression is not written (its window keeps the random
     * filler), and later matches may overwrite earlier ones, so the content does not always match.
     *
     * @param index a magic's position in Tika's order, below {@link #size()}
     * @param random the source of offsets and filler
     * @return the content
     */
    byte[] exemplar(int index, java.util.Random random) {
        List<Leaf> leaves = new ArrayList<>();
        chosen(magics[index].clause, random, leaves);
        int length = 1;
        for (Leaf l : leaves) {
            length = Math.max(length, l.end + (l.regex == null ? l.length : 1));
        }
        byte[] out = new byte[length];
        random.nextBytes(out);
        for (Leaf l : leaves) {
            if (l.regex != null) {
                continue;
            }
            int at = l.begin + random.nextInt(l.end - l.begin + 1);
            for (int j = 0; j < l.length; j++) {
                byte b = (byte) ((l.pattern[j] & l.mask[j]) | (random.nextInt(256) & ~l.mask[j]));
                if (l.ignoreCase && random.nextBoolean()) {
                    b = (byte)
                            Character.toUpperCase((char) (b & 0xff)); // stays a byte: only a-z change, and some Latin-1
                    if (Character.toLowerCase(b & 0xff) != l.pattern[j]) {
                        b = l.pattern[j];
                    }
                }
                out[at + j] = b;
            }
        }
        return out;
    }

    private static void chosen(Clause c, java.util.Random random, List<Leaf> into) {
        if (c instanceof Leaf l) {
            into.add(l);
        } else if (c instanceof And a) {
            for (Clause p : a.parts) {
                chosen(p, random, into);
            }
        } else if (c instanceof AtLeast a) {
            List<Clause> parts = new ArrayList<>(List.of(a.parts));
            java.util.Collections.shuffle(parts, random);
            for (int i = 0; i < Math.max(1, a.min) && i < parts.size(); i++) {
                chosen(parts.get(i), random, into);
            }
        }
    }

    /**
     * The table's root-XML entries, namespace and local name, as documents start them (for tests).
     *
     * @return each entry's namespace URI (or {@code null}) and local name (or {@code null})
     */
    List<String[]> xmlRoots() {
        List<String[]> out = new ArrayList<>();
        for (XmlType x : xmls) {
            out.addAll(x.roots);
        }
        return out;
    }

    /** One magic of the table: a type, its priority and one top-level clause. */
    private static final class Magic {
        final String type;
        final MediaType mediaType;
        final int priority;
        final int size;
        final Clause clause;
        /** A fixed-offset, non-regex match the clause needs, or null. */
        final Leaf anchor;

        Magic(String type, MediaType mediaType, int priority, Clause clause) {
            this.type = type;
            this.mediaType = mediaType;
            this.priority = priority;
            this.size = clause.size();
            this.clause = clause;
            this.anchor = clause.anchor();
        }
    }

    /** A node of a magic's condition. */
    private interface Clause {
        boolean eval(byte[] data, int n);

        /** Tika's size: a match's pattern length, summed over an "and", the largest of an "or". */
        int size();

        /** A fixed-offset non-regex leaf this clause cannot be true without, the one with the lowest offset. */
        Leaf anchor();
    }

    private record And(Clause[] parts) implements Clause {
        @Override
        public boolean eval(byte[] data, int n) {
            for (Clause c : parts) {
                if (!c.eval(data, n)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int size() {
            int s = 0;
            for (Clause c : parts) {
                s += c.size();
            }
            return s;
        }

        @Override
        public Leaf anchor() {
            Leaf best = null;
            for (Clause c : parts) {
                Leaf a = c.anchor();
                if (a != null && (best == null || a.begin < best.begin)) {
                    best = a;
                }
            }
            return best;
        }
    }

    /** At least {@code min} of the parts; {@code min} 0 still needs one (Tika counts only on a match). */
    private record AtLeast(int min, Clause[] parts) implements Clause {
        @Override
        public boolean eval(byte[] data, int n) {
            int count = 0;
            for (Clause c : parts) {
                if (c.eval(data, n) && ++count >= min) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public int size() {
            int s = 0;
            for (Clause c : parts) {
                s = Math.max(s, c.size());
            }
            return s;
        }

        @Override
        public Leaf anchor() {
            return null;
        }
    }

    /** One {@code <match>}: Tika's {@code MagicDetector} semantics on the bytes in place. */
    private static final class Leaf implements Clause {
        final boolean never; // the type is application/octet-stream: Tika cannot tell a match from none
        final int begin;
        final int end;
        final int length; // the comparison window: the pattern's, or 8 KB for a regular expression
        final int patternLength;
        final byte[] pattern;
        final byte[] mask;
        final boolean ignoreCase;
        final Pattern regex;
        /**
         * What the match finds at a position whose whole window lies past the content's end, where Tika's window is
         * all zeros: the same at every such position, so found once here. (A regular expression sees only its region:
         * Tika's matcher keeps the default opaque, anchoring bounds.)
         */
        final boolean matchesZeros;

        Leaf(String mediaType, String kind, String offset, String value, String maskValue) {
            int start = 0;
            int stop = 0;
            if (offset != null) {
                int colon = offset.indexOf(':');
                if (colon < 0) {
                    start = Integer.parseInt(offset);
                    stop = start;
                } else {
                    start = Integer.parseInt(offset.substring(0, colon));
                    stop = Integer.parseInt(offset.substring(colon + 1));
                }
            }
            byte[] p = decode(value, kind);
            byte[] m = maskValue == null ? null : decode(maskValue, kind);
            if (p == null || start < 0 || stop < start) {
                throw new IllegalStateException("a match Tika cannot use: type " + kind + ", offset " + offset);
            }
            this.never = mediaType.equals(MediaType.OCTET_STREAM.toString());
            this.begin = start;
            this.end = stop;
            this.ignoreCase = kind.equals("stringignorecase");
            this.patternLength = Math.max(p.length, m == null ? 0 : m.length);
            this.mask = new byte[patternLength];
            this.pattern = new byte[patternLength];
            for (int i = 0; i < patternLength; i++) {
                mask[i] = m != null && i < m.length ? m[i] : (byte) -1;
                pattern[i] = i < p.length ? (byte) (p[i] & mask[i]) : 0;
            }
            if (kind.equals("regex")) {
                this.length = REGEX_WINDOW;
                this.regex = Pattern.compile(
                        new String(pattern, StandardCharsets.UTF_8), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
            } else {
                this.length = patternLength;
                this.regex = null;
            }
            if (regex != null) {
                this.matchesZeros =
                        regex.matcher(new Window(new byte[0], 0, 0, length)).lookingAt();
            } else {
                boolean zeros = true;
                for (int j = 0; zeros && j < length; j++) {
                    zeros = matchesByte(j, (byte) 0);
                }
                this.matchesZeros = zeros;
            }
        }

        /** Tika's value decoding ({@code MagicDetector.decodeValue}). */
        private static byte[] decode(String value, String kind) {
            if (value == null) {
                return null;
            }
            boolean hex = value.startsWith("0x");
            String digits = hex ? value.substring(2) : value;
            int radix = hex ? 16 : 8;
            switch (kind) {
                case "string", "regex", "unicodeLE", "unicodeBE":
                    return decodeString(value, kind);
                case "stringignorecase":
                    return decodeString(value.toLowerCase(Locale.ROOT), kind);
                case "byte":
                    return digits.getBytes(StandardCharsets.UTF_8);
                case "host16", "little16": {
                    int i = Integer.parseInt(digits, radix);
                    return new byte[] {(byte) i, (byte) (i >> 8)};
                }
                case "big16": {
                    int i = Integer.parseInt(digits, radix);
                    return new byte[] {(byte) (i >> 8), (byte) i};
                }
                case "host32", "little32": {
                    long i = Long.parseLong(digits, radix);
                    return new byte[] {(byte) i, (byte) (i >> 8), (byte) (i >> 16), (byte) (i >> 24)};
                }
                case "big32": {
                    long i = Long.parseLong(digits, radix);
                    return new byte[] {(byte) (i >> 24), (byte) (i >> 16), (byte) (i >> 8), (byte) i};
                }
                default:
                    return null;
            }
        }

        /** Tika's string decoding: {@code 0x} hex pairs, or text with \\, \xHH, \r, \n and up to 3 octal digits. */
        private static byte[] decodeString(String value, String kind) {
            if (value.startsWith("0x")) {
                byte[] out = new byte[(value.length() - 2) / 2];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) Integer.parseInt(value.substring(2 + i * 2, 4 + i * 2), 16);
                }
                return out;
            }
            StringBuilder chars = new StringBuilder();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c != '\\') {
                    chars.append(c);
                    continue;
                }
                char next = value.charAt(i + 1);
                if (next == '\\') {
                    chars.append('\\');
                    i++;
                } else if (next == 'x') {
                    chars.append((char) Integer.parseInt(value.substring(i + 2, i + 4), 16));
                    i += 3;
                } else if (next == 'r') {
                    chars.append('\r');
                    i++;
                } else if (next == 'n') {
                    chars.append('\n');
                    i++;
                } else {
                    int j = i + 1;
                    while (j < i + 4 && j < value.length() && Character.isDigit(value.charAt(j))) {
                        j++;
                    }
                    // Tika writes the byte value as a char (sign-extended to 16 bits)
                    chars.append(
                            (char) Short.decode("0" + value.substring(i + 1, j)).byteValue());
                    i = j - 1;
                }
            }
            byte[] out;
            if (kind.equals("unicodeLE") || kind.equals("unicodeBE")) {
                boolean le = kind.equals("unicodeLE");
                out = new byte[chars.length() * 2];
                for (int i = 0; i < chars.length(); i++) {
                    char c = chars.charAt(i);
                    out[i * 2] = (byte) (le ? c : c >> 8);
                    out[i * 2 + 1] = (byte) (le ? c >> 8 : c);
                }
            } else {
                out = new byte[chars.length()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) chars.charAt(i);
                }
            }
            return out;
        }

        /** Whether byte {@code b} of the content can stand at position {@code j} of the pattern. */
        boolean matchesByte(int j, byte b) {
            int masked = b & mask[j];
            if (ignoreCase) {
                masked = Character.toLowerCase(masked);
            }
            return masked == pattern[j];
        }

        /** For an anchor (fixed offset, not a regex): the cheap part of {@link #eval}, its first byte. */
        boolean possible(byte[] data, int n) {
            return n >= begin + length && matchesByte(0, data[begin]);
        }

        /** The window's byte {@code k}: the content's, or 0 past its end (Tika's buffer is zero-filled). */
        private static byte at(byte[] data, int n, int pos) {
            return pos < n ? data[pos] : 0;
        }

        @Override
        public boolean eval(byte[] data, int n) {
            if (never || n < begin) {
                return false; // Tika cannot skip to the window's start
            }
            int window = length + (end - begin);
            int read = Math.min(n - begin, window);
            // positions from `read` on have a window of zeros only: one answer for all of them (matchesZeros)
            int last = Math.min(end - begin, read - 1);
            if (regex == null) {
                if (read < length) {
                    return false;
                }
                for (int i = 0; i <= last; i++) {
                    boolean match = true;
                    for (int j = 0; match && j < length; j++) {
                        match = matchesByte(j, at(data, n, begin + i + j));
                    }
                    if (match) {
                        return true;
                    }
                }
                return end - begin >= read && matchesZeros;
            }
            if (last >= 0) {
                Matcher m = regex.matcher(new Window(data, begin, begin + read, window));
                for (int i = 0; i <= last; i++) {
                    m.region(i, length + i);
                    if (m.lookingAt()) {
                        return true;
                    }
                }
            }
            return end - begin >= read && matchesZeros;
        }

        @Override
        public int size() {
            return patternLength;
        }

        @Override
        public Leaf anchor() {
            return regex == null && !never && begin == end && length > 0 ? this : null;
        }
    }

    /** Tika's regex window as ISO-8859-1 characters, without copying: the content's bytes, then zeros. */
    private record Window(byte[] data, int from, int to, int length) implements CharSequence {
        @Override
        public char charAt(int index) {
            if (index < 0 || index >= length) {
                throw new IndexOutOfBoundsException(index);
            }
            int pos = from + index;
            return pos < to ? (char) (data[pos] & 0xff) : '\0';
        }

        @Override
        public CharSequence subSequence(int start, int stop) {
            StringBuilder s = new StringBuilder(stop - start);
            for (int i = start; i < stop; i++) {
                s.append(charAt(i));
            }
            return s.toString();
        }

        @Override
        public String toString() {
            return subSequence(0, length).toString();
        }
    }

    /** A type with root-XML entries. */
    private record XmlType(String type, MediaType mediaType, List<String[]> roots) {
        /** Tika's {@code RootXML.matches}: an empty namespace or name in the table matches only an empty one. */
        boolean matches(String namespace, String localName) {
            for (String[] r : roots) {
                boolean ns = isEmpty(r[0]) ? isEmpty(namespace) : r[0].equals(namespace);
                boolean name = isEmpty(r[1]) ? isEmpty(localName) : r[1].equals(localName);
                if (ns && name) {
                    return true;
                }
            }
            return false;
        }

        private static boolean isEmpty(String s) {
            return s == null || s.isEmpty();
        }
    }

    /** Reads the table's magics and root-XML entries as {@code MimeTypesReader} builds them. */
    private static final class Reader extends DefaultHandler {
        final MimeTypes types;
        final List<Magic> magics = new ArrayList<>();
        final List<XmlType> xmls = new ArrayList<>();
        String type;
        MediaType mediaType;
        XmlType xml;
        int priority;
        /** The open {@code <magic>} and {@code <match>} elements, innermost last. */
        final List<Open> open = new ArrayList<>();

        /** An open element: the match's own leaf (or a minShouldMatch count) and the clauses of its children. */
        private static final class Open {
            final Leaf leaf;
            final Integer minShouldMatch;
            final List<Clause> children = new ArrayList<>();

            Open(Leaf leaf, Integer minShouldMatch) {
                this.leaf = leaf;
                this.minShouldMatch = minShouldMatch;
            }
        }

        Reader(MimeTypes types) {
            this.types = types;
        }

        @Override
        public InputSource resolveEntity(String publicId, String systemId) {
            return new InputSource(new ByteArrayInputStream(new byte[0]));
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attributes)
                throws SAXException {
            if (type == null) {
                if (qName.equals("mime-type")) {
                    try {
                        mediaType = types.forName(attributes.getValue("type")).getType();
                        type = mediaType.toString();
                        xml = null;
                    } catch (MimeTypeException e) {
                        throw new SAXException(e);
                    }
                }
            } else if (qName.equals("root-XML")) {
                if (xml == null) {
                    xml = xmls.stream()
                            .filter(x -> x.type.equals(type))
                            .findFirst()
                            .orElseGet(() -> {
                                XmlType x = new XmlType(type, mediaType, new ArrayList<>());
                                xmls.add(x);
                                return x;
                            });
                }
                xml.roots.add(new String[] {attributes.getValue("namespaceURI"), attributes.getValue("localName")});
            } else if (qName.equals("match")) {
                String min = attributes.getValue("minShouldMatch");
                if (min != null) {
                    open.add(new Open(null, Integer.parseInt(min)));
                } else {
                    String kind = attributes.getValue("type");
                    open.add(new Open(
                            new Leaf(
                                    type,
                                    kind == null ? "string" : kind,
                                    attributes.getValue("offset"),
                                    attributes.getValue("value"),
                                    attributes.getValue("mask")),
                            null));
                }
            } else if (qName.equals("magic")) {
                String value = attributes.getValue("priority");
                priority = value != null && !value.isEmpty() ? Integer.parseInt(value) : 50;
                open.clear();
                open.add(new Open(null, null));
            }
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            if (type == null) {
                return;
            }
            if (qName.equals("mime-type")) {
                type = null;
            } else if (qName.equals("match")) {
                Open done = open.remove(open.size() - 1);
                Clause clause;
                if (done.minShouldMatch != null) {
                    if (done.children.isEmpty()) {
                        throw new IllegalStateException("minShouldMatch without matches in " + type);
                    }
                    clause = new AtLeast(done.minShouldMatch, done.children.toArray(new Clause[0]));
                } else if (!done.children.isEmpty()) {
                    Clause sub = done.children.size() == 1
                            ? done.children.get(0)
                            : new AtLeast(1, done.children.toArray(new Clause[0]));
                    clause = new And(new Clause[] {done.leaf, sub});
                } else {
                    clause = done.leaf;
                }
                open.get(open.size() - 1).children.add(clause);
            } else if (qName.equals("magic")) {
                for (Clause c : open.get(0).children) {
                    magics.add(new Magic(type, mediaType, priority, c));
                }
                open.clear();
            }
        }
    }
}
