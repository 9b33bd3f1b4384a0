package org.mailhygiene.scanners.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a user-defined {@link CommandProfile} from a small line-oriented text format.
 *
 * <h2>Format</h2>
 * UTF-8 text, one {@code key = value} per line (the first {@code =} separates; spaces around key and value are
 * ignored). Blank lines and lines starting with {@code #} are ignored. Keys:
 * <table>
 *   <caption>Profile keys</caption>
 *   <tr><th>key</th><th>value</th><th></th></tr>
 *   <tr><td>{@code based-on}</td><td>a built-in profile name ({@link Profiles#names()})</td><td>optional; every key
 *   below then defaults to the built-in's value. Must come before all other keys.</td></tr>
 *   <tr><td>{@code name}</td><td>letters, digits, {@code . _ -}</td><td>required</td></tr>
 *   <tr><td>{@code command}</td><td>program name or path</td><td>required</td></tr>
 *   <tr><td>{@code arguments}</td><td>argument template, split into words (below); must contain {@code {files}} or
 *   {@code {dir}}</td><td>required</td></tr>
 *   <tr><td>{@code input}</td><td>{@code message} or {@code parts} ({@link InputMode})</td><td>default
 *   {@code message}</td></tr>
 *   <tr><td>{@code exit.clean}, {@code exit.infected}, {@code exit.suspicious}, {@code exit.unscannable},
 *   {@code exit.error}</td><td>comma-separated statuses and ranges, e.g. {@code 0, 9} or {@code 200-214}</td><td>at
 *   least {@code exit.clean}; a status may appear in one class only; any status not listed is a scanner error. Giving
 *   any {@code exit.*} key replaces the whole table of a {@code based-on} profile.</td></tr>
 *   <tr><td>{@code exit.meaning.N}</td><td>text explaining status N (used in failure details)</td><td>optional</td></tr>
 *   <tr><td>{@code name.pattern}</td><td>a Java regular expression whose group 1 is a threat name; repeat the key
 *   for several patterns (tried in order)</td><td>at least one, unless {@code based-on}; giving any replaces the
 *   based-on patterns</td></tr>
 *   <tr><td>{@code clean.pattern}</td><td>a Java regular expression matching the output line by which the scanner
 *   says it scanned a file and found nothing ({@code : OK$} for ClamAV); repeat for several; {@code none} for
 *   none</td><td>optional; when given, a clean exit status counts only if every input file is named on a line that
 *   matches ({@link CommandProfile#cleanPatterns()}); giving any replaces the based-on patterns (ClamAV's profiles
 *   have {@code : OK$}; run {@code clamscan -i}, which prints no such line, with {@code clean.pattern = none})</td></tr>
 *   <tr><td>{@code update}</td><td>the signature update command, split into words</td><td>optional</td></tr>
 * </table>
 * Words: separated by spaces or tabs; {@code '...'} quotes literally; {@code "..."} quotes with {@code \"} and
 * {@code \\} as escapes; outside quotes a backslash escapes the next character. Nothing else (no variables, no
 * globbing, no shell) happens. Example:
 * <pre>
 * # Sophos, as amavisd-new runs it
 * name = savscan
 * command = /usr/local/bin/savscan
 * arguments = -nc -nb -ss -archive -mime {files}
 * exit.clean = 0
 * exit.infected = 2, 3
 * exit.meaning.3 = virus found (with errors)
 * name.pattern = Virus '([^']+)' found
 * </pre>
 *
 * <p>Thread-safe; stateless.
 */
public final class ProfileParser {

    private ProfileParser() {}

    /**
     * Parses a profile file (UTF-8).
     *
     * @param file the file
     * @return the profile
     * @throws IOException if the file cannot be read
     * @throws ProfileFormatException naming the file and line of the first problem
     */
    public static CommandProfile parse(Path file) throws IOException, ProfileFormatException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        }
    }

    /**
     * Parses profile text.
     *
     * @param text the text
     * @param source a name for error messages
     * @return the profile
     * @throws ProfileFormatException naming the source and line of the first problem
     */
    public static CommandProfile parse(String text, String source) throws ProfileFormatException {
        try {
            return parse(new StringReader(text), source);
        } catch (IOException e) {
            throw new IllegalStateException("a StringReader does not fail", e);
        }
    }

    /**
     * Parses profile text from a reader (not closed).
     *
     * @param reader the text
     * @param source a name for error messages
     * @return the profile
     * @throws IOException if reading fails
     * @throws ProfileFormatException naming the source and line of the first problem
     */
    public static CommandProfile parse(Reader reader, String source) throws IOException, ProfileFormatException {
        BufferedReader in = new BufferedReader(reader);
        CommandProfile base = null;
        String name = null;
        String command = null;
        List<String> arguments = null;
        InputMode input = null;
        List<String> update = null;
        List<Pattern> patterns = new ArrayList<>();
        List<Pattern> cleanPatterns = null;
        int cleanNone = 0;
        Map<Integer, ExitClass> statuses = new LinkedHashMap<>();
        Map<Integer, String> meanings = new LinkedHashMap<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        int argumentsLine = 0;
        int n = 0;
        boolean anyKey = false;
        for (String raw; (raw = in.readLine()) != null; ) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ProfileFormatException(source, n, "expected 'key = value', found '" + line + "'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!key.equals("name.pattern") && !key.equals("clean.pattern") && !key.startsWith("exit.meaning.")) {
                Integer before = seen.putIfAbsent(key, n);
                if (before != null) {
                    throw new ProfileFormatException(source, n, "key '" + key + "' repeats line " + before);
                }
            }
            if (value.isEmpty() && !key.equals("update")) {
                throw new ProfileFormatException(source, n, "key '" + key + "' has no value");
            }
            switch (key) {
                case "based-on":
                    if (anyKey) {
                        throw new ProfileFormatException(source, n, "'based-on' must come before all other keys");
                    }
                    base = Profiles.builtIn(value).orElse(null);
                    if (base == null) {
                        throw new ProfileFormatException(
                                source, n, "unknown built-in profile '" + value + "'; known: " + Profiles.names());
                    }
                    break;
                case "name":
                    name = value;
                    break;
                case "command":
                    command = value;
                    break;
                case "arguments":
                    arguments = words(value, source, n);
                    argumentsLine = n;
                    break;
                case "input":
                    try {
                        input = InputMode.valueOf(value.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new ProfileFormatException(
                                source, n, "input must be 'message' or 'parts', not '" + value + "'");
                    }
                    break;
                case "update":
                    update = words(value, source, n);
                    break;
                case "name.pattern":
                    patterns.add(pattern(value, source, n));
                    break;
                case "clean.pattern":
                    if (cleanPatterns == null) {
                        cleanPatterns = new ArrayList<>();
                    }
                    if (value.equals("none")) {
                        cleanNone = n;
                    } else {
                        cleanPatterns.add(regex(value, source, n));
                    }
                    if (cleanNone > 0 && !cleanPatterns.isEmpty()) {
                        throw new ProfileFormatException(
                                source, n, "clean.pattern = none (line " + cleanNone + ") cannot go with patterns");
                    }
                    break;
                case "exit.clean":
                case "exit.infected":
                case "exit.suspicious":
                case "exit.unscannable":
                case "exit.error":
                    ExitClass cls = ExitClass.valueOf(key.substring(5).toUpperCase(Locale.ROOT));
                    for (int s : statuses(value, source, n)) {
                        ExitClass other = statuses.putIfAbsent(s, cls);
                        if (other != null) {
                            throw new ProfileFormatException(
                                    source,
                                    n,
                                    "exit status " + s + " is already "
                                            + other.name().toLowerCase(Locale.ROOT));
                        }
                    }
                    break;
                default:
                    if (key.startsWith("exit.meaning.")) {
                        int s = status(key.substring("exit.meaning.".length()), source, n);
                        if (meanings.putIfAbsent(s, value) != null) {
                            throw new ProfileFormatException(source, n, "exit.meaning." + s + " given twice");
                        }
                        break;
                    }
                    throw new ProfileFormatException(source, n, "unknown key '" + key + "'");
            }
            anyKey = true;
        }
        if (base == null) {
            if (name == null || command == null || arguments == null) {
                throw new ProfileFormatException(
                        source,
                        0,
                        "missing key(s):" + (name == null ? " name" : "") + (command == null ? " command" : "")
                                + (arguments == null ? " arguments" : ""));
            }
            if (!statuses.containsValue(ExitClass.CLEAN)) {
                throw new ProfileFormatException(source, 0, "missing key exit.clean");
            }
            if (patterns.isEmpty()) {
                throw new ProfileFormatException(source, 0, "missing key name.pattern");
            }
        }
        for (Integer s : meanings.keySet()) {
            if (!statuses.containsKey(s)) {
                throw new ProfileFormatException(
                        source, 0, "exit.meaning." + s + " explains a status no exit.* key lists");
            }
        }
        List<ExitStatusRule> table = new ArrayList<>();
        for (Map.Entry<Integer, ExitClass> e : statuses.entrySet()) {
            String meaning =
                    meanings.getOrDefault(e.getKey(), e.getValue().name().toLowerCase(Locale.ROOT));
            table.add(ExitStatusRule.of(e.getKey(), e.getValue(), meaning));
        }
        try {
            return new CommandProfile(
                    name != null ? name : base.name(),
                    command != null ? command : base.command(),
                    arguments != null ? arguments : base.arguments(),
                    input != null ? input : base != null ? base.input() : InputMode.MESSAGE,
                    !table.isEmpty() ? table : base.exitStatuses(),
                    !patterns.isEmpty() ? patterns : base.namePatterns(),
                    update != null ? update : base != null ? base.updateCommand() : List.of(),
                    cleanPatterns != null ? cleanPatterns : base != null ? base.cleanPatterns() : List.of());
        } catch (IllegalArgumentException e) {
            throw new ProfileFormatException(source, argumentsLine, e.getMessage());
        }
    }

    private static Pattern regex(String value, String source, int line) throws ProfileFormatException {
        try {
            return Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            throw new ProfileFormatException(
                    source, line, "bad regular expression: " + e.getDescription() + " near index " + e.getIndex());
        }
    }

    private static Pattern pattern(String value, String source, int line) throws ProfileFormatException {
        Pattern p = regex(value, source, line);
        if (p.matcher("").groupCount() < 1) {
            throw new ProfileFormatException(source, line, "name.pattern needs a capturing group for the name");
        }
        return p;
    }

    /**
     * Parses a status list such as {@code 0, 9, 200-214}.
     *
     * @param value the list
     * @param source for errors
     * @param line for errors
     * @return the statuses in the order given, ranges expanded
     * @throws ProfileFormatException if an element is not a status or range within 0..255
     */
    static List<Integer> statuses(String value, String source, int line) throws ProfileFormatException {
        List<Integer> out = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-', 1);
            if (dash > 0) {
                int from = status(p.substring(0, dash).strip(), source, line);
                int to = status(p.substring(dash + 1).strip(), source, line);
                if (from > to) {
                    throw new ProfileFormatException(source, line, "range " + p + " runs backwards");
                }
                for (int s = from; s <= to; s++) {
                    out.add(s);
                }
            } else {
                out.add(status(p, source, line));
            }
        }
        return out;
    }

    private static int status(String s, String source, int line) throws ProfileFormatException {
        if (!s.matches("[0-9]{1,3}")) {
            throw new ProfileFormatException(source, line, "'" + s + "' is not an exit status (0-255)");
        }
        int v = Integer.parseInt(s);
        if (v > 255) {
            throw new ProfileFormatException(source, line, "exit status " + v + " is not within 0-255");
        }
        return v;
    }

    /**
     * Splits a value into words as described in the class documentation.
     *
     * @param value the text
     * @param source for errors
     * @param line for errors
     * @return the words
     * @throws ProfileFormatException on an unterminated quote or a trailing backslash
     */
    static List<String> words(String value, String source, int line) throws ProfileFormatException {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else if (c == '\'') {
                int end = value.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new ProfileFormatException(source, line, "unterminated ' quote at column " + (i + 1));
                }
                w.append(value, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                int j = i + 1;
                for (; j < value.length() && value.charAt(j) != '"'; j++) {
                    char d = value.charAt(j);
                    if (d == '\\'
                            && j + 1 < value.length()
                            && (value.charAt(j + 1) == '"' || value.charAt(j + 1) == '\\')) {
                        j++;
                        d = value.charAt(j);
                    }
                    w.append(d);
                }
                if (j >= value.length()) {
                    throw new ProfileFormatException(source, line, "unterminated \" quote at column " + (i + 1));
                }
                i = j;
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= value.length()) {
                    throw new ProfileFormatException(source, line, "trailing backslash");
                }
                w.append(value.charAt(++i));
                inWord = true;
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }
}
