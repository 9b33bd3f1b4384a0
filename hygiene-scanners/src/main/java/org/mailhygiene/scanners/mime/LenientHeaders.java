package org.mailhygiene.scanners.mime;

import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParameterList;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Parses Content-Type and Content-Disposition the way mail clients do when Jakarta Mail's strict parser gives up:
 * unquoted parameter values holding special characters ({@code boundary=----=_NextPart_000}), parameters cut off in
 * the middle, quotes left open, junk after a closing quote, stray semicolons, RFC 2231 continuations in a header that
 * is otherwise broken. A header that only this parser understands is still reported as malformed by the walker, but
 * its type, boundary and file name are used, so content cannot hide behind a sloppy header.
 *
 * <p>The lenient parser is a single left-to-right scan: linear in the header's length and never recursive (a regular
 * expression with an alternation under a star, used here before, threw {@link StackOverflowError} on a quoted value
 * of a few thousand characters, which made every scan of such a message fail). {@link #params(String, long[])} counts
 * the characters it examines so tests can check that.
 *
 * <p>Stateless and thread-safe.
 */
final class LenientHeaders {

    private LenientHeaders() {}

    /** A parsed header and whether the strict parser had to be bypassed. */
    record Parsed<T>(T value, boolean repaired) {}

    /**
     * Parses a Content-Type header value, strictly if possible, else leniently.
     *
     * @param header the unfolded value
     * @return the type, or empty when not even {@code type/subtype} can be found
     */
    static Optional<Parsed<ContentType>> contentType(String header) {
        try {
            return Optional.of(new Parsed<>(new ContentType(header), false));
        } catch (ParseException | RuntimeException e) {
            int i = skipSpace(header, 0);
            int t = token(header, i);
            if (t == i) {
                return Optional.empty();
            }
            int slash = skipSpace(header, t);
            if (slash >= header.length() || header.charAt(slash) != '/') {
                return Optional.empty();
            }
            int s = skipSpace(header, slash + 1);
            int st = token(header, s);
            if (st == s) {
                return Optional.empty();
            }
            ParameterList params = params(header.substring(st), new long[1]);
            return Optional.of(new Parsed<>(
                    new ContentType(
                            header.substring(i, t).toLowerCase(Locale.ROOT),
                            header.substring(s, st).toLowerCase(Locale.ROOT),
                            params),
                    true));
        }
    }

    /**
     * Parses a Content-Disposition header value, strictly if possible, else leniently.
     *
     * @param header the unfolded value
     * @return the disposition, or empty when no disposition type can be found
     */
    static Optional<Parsed<ContentDisposition>> disposition(String header) {
        try {
            return Optional.of(new Parsed<>(new ContentDisposition(header), false));
        } catch (ParseException | RuntimeException e) {
            int i = skipSpace(header, 0);
            int t = token(header, i);
            if (t == i) {
                return Optional.empty();
            }
            return Optional.of(new Parsed<>(
                    new ContentDisposition(
                            header.substring(i, t).toLowerCase(Locale.ROOT), params(header.substring(t), new long[1])),
                    true));
        }
    }

    /**
     * Reads {@code ; name = value} pairs from the text after the type, leniently: a value is a quoted string
     * (backslash escapes; an unclosed quote runs to the end; anything after the closing quote up to the next
     * semicolon is dropped) or the text up to the next semicolon; a pair without a name or {@code =} is skipped; RFC
     * 2231 continuations ({@code name*0}, {@code name*1*}, ...) and charset-tagged values ({@code name*=utf-8''...})
     * are joined and decoded. Later duplicates replace earlier ones.
     *
     * @param rest the text after the type
     * @param steps {@code steps[0]} is increased by the number of characters examined (a bounded operation count)
     * @return the parameters, names in lower case
     */
    static ParameterList params(String rest, long[] steps) {
        Map<String, String> plain = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, String[]>> segments = new LinkedHashMap<>();
        parse(rest, steps, plain, segments, null);
        ParameterList list = new ParameterList();
        for (Map.Entry<String, String> e : plain.entrySet()) {
            list.set(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, TreeMap<Integer, String[]>> e : segments.entrySet()) {
            list.set(e.getKey(), join(e.getValue(), steps, false));
        }
        return list;
    }

    /**
     * The scan of {@link #params}: plain parameters (the last of a name) and RFC 2231 segments by base name; every
     * plain name and value in order into {@code everyPlain} when it is not {@code null}.
     */
    private static void parse(
            String rest,
            long[] steps,
            Map<String, String> plain,
            Map<String, TreeMap<Integer, String[]>> segments,
            List<String[]> everyPlain) {
        int n = rest.length();
        int i = 0;
        while (i < n) {
            int semi = rest.indexOf(';', i);
            steps[0] += (semi < 0 ? n : semi + 1) - i;
            if (semi < 0) {
                break;
            }
            int j = skipSpace(rest, semi + 1);
            int nameEnd = token(rest, j);
            steps[0] += nameEnd - semi;
            if (nameEnd == j) {
                i = semi + 1;
                continue;
            }
            String name = rest.substring(j, nameEnd).toLowerCase(Locale.ROOT);
            int eq = skipSpace(rest, nameEnd);
            steps[0] += eq - nameEnd;
            if (eq >= n || rest.charAt(eq) != '=') {
                i = semi + 1;
                continue;
            }
            int v = skipSpace(rest, eq + 1);
            steps[0] += v - eq;
            String value;
            if (v < n && rest.charAt(v) == '"') {
                StringBuilder sb = new StringBuilder();
                int k = v + 1;
                while (k < n) {
                    char c = rest.charAt(k);
                    if (c == '"') {
                        k++;
                        break;
                    }
                    if (c == '\\' && k + 1 < n) {
                        sb.append(rest.charAt(k + 1));
                        k += 2;
                    } else {
                        sb.append(c);
                        k++;
                    }
                }
                steps[0] += k - v;
                value = sb.toString();
                i = k;
            } else {
                int end = rest.indexOf(';', v);
                if (end < 0) {
                    end = n;
                }
                steps[0] += end - v;
                value = rest.substring(v, end).strip();
                i = end;
            }
            addParameter(name, value, plain, segments);
            if (everyPlain != null && name.indexOf('*') < 0) {
                everyPlain.add(new String[] {name, value});
            }
        }
    }

    /** Files a parameter as plain, or as RFC 2231 segment {@code N} of its base name (segment 0 for {@code name*}). */
    private static void addParameter(
            String name, String value, Map<String, String> plain, Map<String, TreeMap<Integer, String[]>> segments) {
        int star = name.indexOf('*');
        if (star <= 0) {
            plain.put(name, value);
            return;
        }
        String base = name.substring(0, star);
        String tail = name.substring(star + 1);
        boolean extended = tail.endsWith("*") || tail.isEmpty();
        String number = tail.endsWith("*") ? tail.substring(0, tail.length() - 1) : tail;
        int index = 0;
        if (!number.isEmpty()) {
            // up to nine digits, any int: a limit of four (until session 46) read name*10000 on as another
            // parameter, and a name in more sections lost its end, the extension with it, while readers that join
            // every section (Jakarta Mail, Python's email) show it; the sections are as many as the header holds
            if (number.length() > 9 || !number.chars().allMatch(c -> c >= '0' && c <= '9')) {
                plain.put(name, value);
                return;
            }
            index = Integer.parseInt(number);
        }
        TreeMap<Integer, String[]> parts = segments.computeIfAbsent(base, b -> new TreeMap<>());
        String[] before = parts.get(index);
        String flag = extended ? "*" : "";
        // a section number given twice (name*1 and name*1, or name*01): the last is taken here, the first by Python's
        // email, so the first is kept beside it (elements 2 and 3) for a check by name to see both readings
        parts.put(
                index,
                before == null
                        ? new String[] {value, flag}
                        : new String[] {
                            value,
                            flag,
                            before.length > 2 ? before[2] : before[0],
                            before.length > 2 ? before[3] : before[1]
                        });
    }

    /**
     * Every value a reader may take for a parameter: its RFC 2231 extended form ({@code name*=charset''...},
     * {@code name*0*=...}), its octets decoded as {@link TextDecoding#decode(byte[], String)} decodes text (a charset
     * name Java does not know counts as none and the octets are sniffed: Jakarta Mail left such a value undecoded, so
     * {@code filename*=x-unknown''evil%2Ejs} hid an attachment's extension from the policy; Shift_JIS is read as
     * windows-31j, EUC-JP and Shift_JIS labelled as each other are recognised), and each plain {@code name=} given, in
     * order. Mail clients differ in which they show when a header gives several (the extended or the plain one, the
     * first or the last of two plain ones), so a check by name must see them all: {@code filename*=utf-8''notes.txt;
     * filename="run.js"} is {@code run.js} to a client that prefers the plain form.
     *
     * @param header the unfolded header value, type included
     * @param name the parameter's name in lower case
     * @return the values (none when the header has no parameters)
     */
    static ParameterValues parameterValues(String header, String name) {
        int semi = header.indexOf(';');
        if (semi < 0) {
            return new ParameterValues(Optional.empty(), Optional.empty(), List.of());
        }
        Map<String, String> plain = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, String[]>> segments = new LinkedHashMap<>();
        List<String[]> everyPlain = new ArrayList<>();
        long[] steps = new long[1];
        parse(header.substring(semi), steps, plain, segments, everyPlain);
        TreeMap<Integer, String[]> parts = segments.get(name);
        List<String> plainValues = new ArrayList<>();
        for (String[] p : everyPlain) {
            if (p[0].equals(name)) {
                plainValues.add(p[1]);
            }
        }
        Optional<String> firstOfTwice = Optional.empty();
        if (parts != null && parts.values().stream().anyMatch(p -> p.length > 2)) {
            firstOfTwice = Optional.of(join(parts, steps, true));
        }
        return new ParameterValues(
                parts == null ? Optional.empty() : Optional.of(join(parts, steps, false)),
                firstOfTwice,
                List.copyOf(plainValues));
    }

    /**
     * What a header gives for one parameter ({@link #parameterValues}).
     *
     * @param extended the RFC 2231 extended form, decoded; empty when absent
     * @param firstOfTwice the extended form read with the first of each section number given twice (Python's email
     *     reads it so; {@code extended} takes the last); empty when no number is given twice
     * @param plain each plain value, in order
     */
    record ParameterValues(Optional<String> extended, Optional<String> firstOfTwice, List<String> plain) {}

    /**
     * Joins RFC 2231 segments in order; the charset named by the first extended segment decodes the %XX octets and the
     * raw 8-bit bytes of extended segments, and a plain segment's raw bytes are decoded as a header's are
     * ({@link TextDecoding#decodeRawBytes}). The result is decoded text: reading it as raw bytes again turned a
     * {@code %C2%AD} (soft hyphen) after {@code .exe} into a Shift_JIS katakana, an extension no policy blocks.
     */
    private static String join(TreeMap<Integer, String[]> parts, long[] steps, boolean firstOfTwice) {
        String charset = "utf-8";
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        boolean first = true;
        for (String[] given : parts.values()) {
            String[] part = firstOfTwice && given.length > 2 ? new String[] {given[2], given[3]} : given;
            String value = part[0];
            boolean extended = !part[1].isEmpty();
            steps[0] += value.length();
            if (extended && first) {
                int q1 = value.indexOf('\'');
                int q2 = q1 < 0 ? -1 : value.indexOf('\'', q1 + 1);
                if (q2 > 0) {
                    charset = charset(value.substring(0, q1));
                    value = value.substring(q2 + 1);
                }
            }
            first = false;
            if (!extended) {
                flush(pending, charset, out);
                out.append(TextDecoding.decodeRawBytes(value));
                continue;
            }
            for (int k = 0; k < value.length(); k++) {
                char c = value.charAt(k);
                if (c == '%'
                        && k + 2 < value.length()
                        && hex(value.charAt(k + 1)) >= 0
                        && hex(value.charAt(k + 2)) >= 0) {
                    pending.write(hex(value.charAt(k + 1)) * 16 + hex(value.charAt(k + 2)));
                    k += 2;
                } else if (c >= 0x80 && c <= 0xFF) {
                    pending.write(c); // a raw byte, of the same charset
                } else {
                    flush(pending, charset, out);
                    out.append(c);
                }
            }
        }
        flush(pending, charset, out);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream pending, String charset, StringBuilder out) {
        if (pending.size() > 0) {
            out.append(TextDecoding.decode(pending.toByteArray(), charset));
            pending.reset();
        }
    }

    /** The charset name of an RFC 2231 value (its language suffix dropped); none when empty. */
    private static String charset(String name) {
        String n = name.strip();
        return n.isEmpty() ? null : n;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The end of the RFC 2045 token starting at {@code i} ({@code i} itself when there is none). */
    private static int token(String s, int i) {
        while (i < s.length() && isTokenChar(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isTokenChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+.^_`{|}~-".indexOf(c) >= 0);
    }
}
