package org.mailhygiene.smtp.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.internal.Durations;

/**
 * A parsed configuration file: {@code key = value} lines, {@code #} comments, blank lines; a key given twice is an
 * error unless it is declared repeatable by the reader (such as {@code route}), in which case every value is kept in
 * order. Values are trimmed. Every typed getter's error names the file and line.
 *
 * <p>Durations are written as {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}, {@code 250ms}, or ISO-8601
 * ({@code PT30S}).
 *
 * <p>Not thread-safe while it records which keys were read; share the values read from it instead.
 */
public final class ConfigFile {

    /** One value with its line number. */
    private record Entry(String value, int line) {}

    private final String source;
    private final Map<String, List<Entry>> entries;
    private final Set<String> used = new HashSet<>();

    private ConfigFile(String source, Map<String, List<Entry>> entries) {
        this.source = source;
        this.entries = entries;
    }

    /**
     * Reads a file.
     *
     * @param file the file
     * @return the parsed file
     * @throws IOException if the file cannot be read
     * @throws ConfigException if a line is not {@code key = value}
     */
    public static ConfigFile read(Path file) throws IOException, ConfigException {
        return parse(file.toString(), decode(file.toString(), Files.readAllBytes(file)));
    }

    /**
     * Decodes the bytes of a configuration file as UTF-8. A byte sequence that is not UTF-8 (a file saved as Latin-1,
     * say) is an error naming the line it is on, as every other error in a configuration file is.
     *
     * @param source a name for the error message (usually the file name)
     * @param bytes the file's content
     * @return the text
     * @throws ConfigException if the bytes are not UTF-8
     */
    public static String decode(String source, byte[] bytes) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(String.format(
                    Locale.ROOT,
                    "%s line %d: not UTF-8 text (byte 0x%02X); save the file as UTF-8",
                    source,
                    line,
                    bytes[at] & 0xFF));
        }
        return out.flip().toString();
    }

    private static final String BYTE_ORDER_MARK = "\uFEFF";

    /**
     * Parses text. A byte order mark at its start (as Windows editors write UTF-8) is skipped.
     *
     * @param source a name for error messages (usually the file name)
     * @param text the content
     * @return the parsed file
     * @throws ConfigException if a line is not {@code key = value} or a key is malformed
     */
    public static ConfigFile parse(String source, String text) throws ConfigException {
        Map<String, List<Entry>> entries = new LinkedHashMap<>();
        if (text.startsWith(BYTE_ORDER_MARK)) {
            // Windows editors (Notepad) start a UTF-8 file with one; it made the first key "malformed key 'role'"
            text = text.substring(BYTE_ORDER_MARK.length());
        }
        loneCarriageReturn(source, text);
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(source + " line " + (i + 1) + ": expected 'key = value', got " + quote(line));
            }
            String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            if (!key.matches("[a-z][a-z0-9_.-]*")) {
                throw new ConfigException(source + " line " + (i + 1) + ": malformed key " + quote(key));
            }
            entries.computeIfAbsent(key, k -> new ArrayList<>())
                    .add(new Entry(line.substring(eq + 1).strip(), i + 1));
        }
        return new ConfigFile(source, entries);
    }

    /**
     * Refuses a carriage return that does not end a CRLF line end. A file saved with the old Mac line ends (CR only)
     * was read as one line, and the error quoted the whole file as the first key's value; a lone CR elsewhere is
     * invisible in most editors and would end up inside a value. Lines are counted by their line feeds, as
     * {@code grep -n} and {@code sed -n Np} count them.
     */
    private static void loneCarriageReturn(String source, String text) throws ConfigException {
        int cr = -1;
        while ((cr = text.indexOf('\r', cr + 1)) >= 0) {
            if (cr + 1 < text.length() && text.charAt(cr + 1) == '\n') {
                continue;
            }
            int line = 1;
            for (int i = 0; i < cr; i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                }
            }
            String problem = text.indexOf('\n') < 0
                    ? "the lines end with a carriage return (CR) alone, as old Mac editors wrote them, so the whole"
                            + " file is one line; save it with LF (Unix) or CRLF (Windows) line ends, e.g."
                            + " tr '\\r' '\\n' < OLD > NEW"
                    : "a carriage return (CR) that is not part of a CRLF line end; save the file with LF (Unix) or"
                            + " CRLF (Windows) line ends";
            throw new ConfigException(source + " line " + line + ": " + problem);
        }
    }

    /**
     * The longest value an error message quotes whole ({@value}); a longer one is quoted by its first
     * {@value #QUOTED_PREFIX} characters, an ellipsis and its length (see {@link #quote}).
     */
    public static final int QUOTE_LIMIT = 200;

    /** How many characters of a value longer than {@link #QUOTE_LIMIT} an error message quotes. */
    public static final int QUOTED_PREFIX = 120;

    /**
     * A value as an error message quotes it: {@code 'VALUE'}, or for a value longer than {@link #QUOTE_LIMIT}
     * characters its first {@link #QUOTED_PREFIX} characters, {@code ...} and its length: {@code 'aaaa...' (10240
     * characters)}. A 10 KB line was quoted whole, burying the file and line of the message in a screen of text.
     *
     * @param value the value
     * @return the quoted value
     */
    public static String quote(String value) {
        if (value.length() <= QUOTE_LIMIT) {
            return "'" + value + "'";
        }
        return "'" + value.substring(0, QUOTED_PREFIX) + "...' (" + value.length() + " characters)";
    }

    private static final java.util.regex.Pattern LONG_QUOTED =
            java.util.regex.Pattern.compile("'([^'\n]{" + (QUOTE_LIMIT + 1) + ",})'");

    /**
     * An error message with every value of this file longer than {@link #QUOTE_LIMIT} characters shortened as
     * {@link #quote} shortens it, whether the message quotes it or a component's message names it bare (as the SMTP
     * server's {@code hostname is not a domain or address literal: VALUE}), and every other quoted text that long (a
     * part of a value) too. The readers of configuration files pass their errors through it, so that no message
     * repeats a 10 KB value; the file and line at its start are kept.
     *
     * @param message an error message about this file
     * @return the message with long values shortened
     */
    public String shorten(String message) {
        String out = message;
        for (List<Entry> es : entries.values()) {
            for (Entry e : es) {
                if (e.value.length() > QUOTE_LIMIT && out.contains(e.value)) {
                    String quoted = quote(e.value);
                    out = out.replace("'" + e.value + "'", quoted);
                    out = out.replace(e.value, quoted.substring(1).replaceFirst("' \\(", " ("));
                }
            }
        }
        java.util.regex.Matcher m = LONG_QUOTED.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(quote(m.group(1))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * The source name given at parse time.
     *
     * @return the name
     */
    public String source() {
        return source;
    }

    private ConfigException error(String key, Entry e, String problem) {
        return new ConfigException(shorten(source + " line " + e.line + ": " + key + ": " + problem));
    }

    /**
     * A single-valued key's value.
     *
     * @param key the key
     * @return its value, empty when absent
     * @throws ConfigException if the key is given more than once
     */
    public Optional<String> string(String key) throws ConfigException {
        used.add(key);
        List<Entry> es = entries.get(key);
        if (es == null) {
            return Optional.empty();
        }
        if (es.size() > 1) {
            throw error(key, es.get(1), "given more than once (first on line " + es.get(0).line + ")");
        }
        return Optional.of(es.get(0).value);
    }

    /**
     * A required single-valued key.
     *
     * @param key the key
     * @return its value
     * @throws ConfigException if absent, empty (naming its line) or repeated
     */
    public String required(String key) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            throw new ConfigException(source + ": required key '" + key + "' is missing");
        }
        if (v.get().isEmpty()) {
            throw error(key, entries.get(key).get(0), "needs a value (the line is empty after '=')");
        }
        return v.get();
    }

    /**
     * Every value of a repeatable key, in file order; comma-separated values within one line are split.
     *
     * @param key the key
     * @return the values (empty when absent)
     */
    public List<String> list(String key) {
        used.add(key);
        List<String> out = new ArrayList<>();
        for (Entry e : entries.getOrDefault(key, List.of())) {
            for (String part : e.value.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
        }
        return out;
    }

    /**
     * Every line of a repeatable key, unsplit, with its line number for messages.
     *
     * @param key the key
     * @return pairs of (value, line)
     */
    public List<Map.Entry<String, Integer>> lines(String key) {
        used.add(key);
        List<Map.Entry<String, Integer>> out = new ArrayList<>();
        for (Entry e : entries.getOrDefault(key, List.of())) {
            out.add(Map.entry(e.value, e.line));
        }
        return out;
    }

    /**
     * A single integer.
     *
     * @param key the key
     * @param min the smallest value allowed
     * @param max the largest value allowed
     * @return the value, empty when absent
     * @throws ConfigException if malformed, out of range or repeated
     */
    public Optional<Integer> integer(String key, int min, int max) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Entry e = entries.get(key).get(0);
        try {
            int n = Integer.parseInt(v.get());
            if (n < min || n > max) {
                throw error(key, e, "must be between " + min + " and " + max + ", was " + n);
            }
            return Optional.of(n);
        } catch (NumberFormatException ex) {
            if (v.get().matches("[+-]?[0-9]+")) {
                // a whole number, only too long for an int: say what is allowed, not that it is no number
                throw error(key, e, "must be between " + min + " and " + max + ", was " + v.get());
            }
            throw error(key, e, "not a whole number: " + quote(v.get()));
        }
    }

    /**
     * A single decimal number.
     *
     * @param key the key
     * @return the value, empty when absent
     * @throws ConfigException if malformed, not finite or repeated
     */
    public Optional<Double> decimal(String key) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            double d = Double.parseDouble(v.get());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return Optional.of(d);
        } catch (NumberFormatException ex) {
            throw error(key, entries.get(key).get(0), "not a number: " + quote(v.get()));
        }
    }

    /**
     * A single boolean ({@code true/false/yes/no/on/off}).
     *
     * @param key the key
     * @return the value, empty when absent
     * @throws ConfigException if malformed or repeated
     */
    public Optional<Boolean> bool(String key) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> {
                return Optional.of(true);
            }
            case "false", "no", "off" -> {
                return Optional.of(false);
            }
            default ->
                throw error(
                        key,
                        entries.get(key).get(0),
                        "expected on or off (or true, false, yes, no), got " + quote(v.get()));
        }
    }

    /**
     * A single positive duration ({@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}, {@code 250ms}, or ISO-8601).
     *
     * @param key the key
     * @return the value, empty when absent
     * @throws ConfigException if malformed, not positive or repeated
     */
    public Optional<Duration> duration(String key) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Entry e = entries.get(key).get(0);
        try {
            Duration d = parseDuration(v.get());
            if (d.isNegative() || d.isZero()) {
                throw error(key, e, "must be positive");
            }
            return Optional.of(d);
        } catch (IllegalArgumentException | DateTimeParseException ex) {
            if (ex.getMessage() != null && ex.getMessage().startsWith(TOO_LONG)) {
                throw error(key, e, ex.getMessage());
            }
            throw error(key, e, "not a duration (e.g. 30s, 5m, 2h, 7d): " + quote(v.get()));
        }
    }

    /**
     * A single positive duration within bounds, for a key whose value has a sensible range: as
     * {@link #duration(String)}, and one outside {@code [min, max]} is an error naming both bounds in the file's units
     * and the value as written ({@code queue-lifetime: must be between 1m and 100d, was 1000d}).
     *
     * @param key the key
     * @param min the shortest value allowed (positive)
     * @param max the longest value allowed
     * @return the value, empty when absent
     * @throws ConfigException if malformed, not positive, outside the bounds or repeated
     * @throws IllegalArgumentException if {@code min} is not positive or {@code max} is shorter than {@code min}
     */
    public Optional<Duration> duration(String key, Duration min, Duration max) throws ConfigException {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("bad bounds " + min + ", " + max);
        }
        Optional<String> v = string(key);
        if (v.isPresent() && isZeroOrNegative(v.get())) {
            throw outOfRange(key, min, max); // said "must be positive", without the range the key has
        }
        Optional<Duration> d = duration(key);
        if (d.isPresent() && (d.get().compareTo(min) < 0 || d.get().compareTo(max) > 0)) {
            throw outOfRange(key, min, max);
        }
        return d;
    }

    private static boolean isZeroOrNegative(String text) {
        try {
            Duration d = parseDuration(text);
            return d.isZero() || d.isNegative();
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return false; // malformed: duration(key) names the problem
        }
    }

    private ConfigException outOfRange(String key, Duration min, Duration max) throws ConfigException {
        return error(
                key,
                entries.get(key).get(0),
                "must be between " + format(min) + " and " + format(max) + ", was "
                        + string(key).orElseThrow());
    }

    /**
     * A duration in the units a configuration file writes: the largest of {@code d}, {@code h}, {@code m}, {@code s}
     * and {@code ms} that it is a whole number of ({@code 100d}, {@code 90m}, {@code 250ms}); ISO-8601 for less than a
     * millisecond.
     *
     * @param d a duration, not negative
     * @return the text, which {@link #parseDuration} reads back as {@code d}
     */
    public static String format(Duration d) {
        return Durations.format(d);
    }

    /**
     * A single duration that may also be zero, for keys where zero switches something off ({@code greet-delay},
     * {@code delay-warning}, {@code *.update-jitter}): {@code 0}, or zero in any unit ({@code 0s}, {@code 0h},
     * {@code PT0S}), is {@link Duration#ZERO}; anything else as {@link #duration(String)}.
     *
     * @param key the key
     * @return the value, empty when absent
     * @throws ConfigException if malformed, negative, too long or repeated
     */
    public Optional<Duration> durationOrZero(String key) throws ConfigException {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.get().strip().equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        try {
            if (parseDuration(v.get()).isZero()) {
                return Optional.of(Duration.ZERO); // "0h", as Postfix's delay_warning_time = 0h
            }
        } catch (IllegalArgumentException | DateTimeParseException ex) {
            // reported by duration(key) below, with the same message as for every other duration
        }
        return duration(key);
    }

    /**
     * The longest duration a configuration may give: 100 years. Longer ones overflowed where the relay adds them to an
     * instant or counts them in nanoseconds ({@code queue-lifetime = 999999999999d} passed {@code --check}, then every
     * delivery pass failed with "Instant exceeds minimum or maximum instant", so nothing was ever delivered).
     */
    public static final Duration MAX_DURATION = Duration.ofDays(36_500);

    private static final String TOO_LONG = "too long";

    /**
     * Parses {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d} or ISO-8601.
     *
     * @param text the text
     * @return the duration
     * @throws IllegalArgumentException if malformed or longer than {@link #MAX_DURATION}
     */
    public static Duration parseDuration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("p")) {
            return checkLength(Duration.parse(t.toUpperCase(Locale.ROOT)), text);
        }
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long n = Long.parseLong(m.group(1));
        Duration d;
        try {
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (ArithmeticException e) {
            // e.g. 999999999999999d: more seconds than a long holds
            throw tooLong(text, e);
        }
        return checkLength(d, text);
    }

    private static Duration checkLength(Duration d, String text) {
        if (d.compareTo(MAX_DURATION) > 0) {
            throw tooLong(text, null);
        }
        return d;
    }

    private static IllegalArgumentException tooLong(String text, Throwable cause) {
        return new IllegalArgumentException(
                TOO_LONG + " (at most " + MAX_DURATION.toDays() + "d): " + quote(text), cause);
    }

    /**
     * The line a key was first given on, for messages about its value.
     *
     * @param key the key
     * @return the line number, or 0 when absent
     */
    public int lineOf(String key) {
        List<Entry> es = entries.get(key);
        return es == null ? 0 : es.get(0).line;
    }

    /**
     * The first key given in the file that no getter asked for, with its line: what {@link #rejectUnknownKeys()} would
     * name.
     *
     * @return the key and its line, empty when every key was asked for
     */
    public Optional<Map.Entry<String, Integer>> firstUnknownKey() {
        for (Map.Entry<String, List<Entry>> e : entries.entrySet()) {
            if (!used.contains(e.getKey())) {
                return Optional.of(Map.entry(e.getKey(), e.getValue().get(0).line));
            }
        }
        return Optional.empty();
    }

    /**
     * The keys a getter asked for so far, given in the file or not: the keys the reader knows.
     *
     * @return a copy
     */
    public Set<String> keysAskedFor() {
        return Set.copyOf(used);
    }

    /**
     * Fails on keys that no getter asked for: usually a typo that would otherwise be ignored silently. When a key
     * that was asked for is spelt nearly the same (at most two letters added, dropped, changed or swapped), the message
     * names it: {@code unknown key 'acept-domain' (did you mean 'accept-domain'?)}.
     *
     * @throws ConfigException naming the first unknown key and its line
     */
    public void rejectUnknownKeys() throws ConfigException {
        for (Map.Entry<String, List<Entry>> e : entries.entrySet()) {
            if (!used.contains(e.getKey())) {
                String near = nearest(e.getKey(), used);
                String hint = near != null ? " (did you mean '" + near + "'?)" : siblings(e.getKey(), used);
                throw new ConfigException(
                        source + " line " + e.getValue().get(0).line + ": unknown key " + quote(e.getKey()) + hint);
            }
        }
    }

    /**
     * For a dotted key no known key is near: the known keys that share everything up to its last dot, as a hint
     * ({@code  (known: on-failure.too-large, on-failure.timed-out, ...)} for {@code on-failure.too-big}), at most
     * twelve; {@code ""} when there are none.
     */
    static String siblings(String key, Set<String> known) {
        int dot = key.lastIndexOf('.');
        if (dot <= 0) {
            return "";
        }
        String prefix = key.substring(0, dot + 1);
        List<String> same = known.stream()
                .filter(k -> k.startsWith(prefix) && k.indexOf('.', prefix.length()) < 0)
                .sorted()
                .toList();
        if (same.isEmpty()) {
            return "";
        }
        int shown = Math.min(same.size(), 12);
        return " (known: " + String.join(", ", same.subList(0, shown)) + (shown < same.size() ? ", ..." : "") + ")";
    }

    /**
     * The known key nearest to {@code key}, at most two edits away (and fewer than half its length), or null. Between
     * two dotted keys the parts before the dot may differ by one edit only: {@code clmd.deadline} suggests
     * {@code clamd.deadline}, but {@code clamd.reject-score} does not suggest another family's
     * {@code spamd.reject-score}.
     */
    static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : new java.util.TreeSet<>(known)) {
            int dot = key.indexOf('.');
            int knownDot = k.indexOf('.');
            if (dot > 0 && knownDot > 0 && editDistance(key.substring(0, dot), k.substring(0, knownDot)) > 1) {
                continue;
            }
            int d = editDistance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= 2 && bestDistance * 2 < key.length() ? best : null;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
