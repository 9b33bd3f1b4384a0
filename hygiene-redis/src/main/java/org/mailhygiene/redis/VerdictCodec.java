package org.mailhygiene.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * The text form of a {@link Verdict} in Redis: lines separated by LF, backslash and LF escaped inside values, a
 * version line first so that a later format can be told apart. Decoding validates everything and throws on anything
 * else (a verdict that cannot be read is a miss, never a clean result). Stateless; thread-safe.
 */
final class VerdictCodec {
    static final String VERSION = "mhv1";

    private VerdictCodec() {}

    static String encode(Verdict v) {
        StringBuilder b = new StringBuilder(128);
        line(b, VERSION);
        line(b, v.scanner());
        line(b, v.outcome().name());
        line(b, v.score().isPresent() ? Double.toString(v.score().getAsDouble()) : "");
        line(b, v.threshold().isPresent() ? Double.toString(v.threshold().getAsDouble()) : "");
        line(b, Long.toString(v.elapsed().toNanos()));
        line(b, Integer.toString(v.threats().size()));
        for (String t : v.threats()) {
            line(b, t);
        }
        line(b, Integer.toString(v.rules().size()));
        for (Rule r : v.rules()) {
            line(b, r.name());
            line(b, r.score().isPresent() ? Double.toString(r.score().getAsDouble()) : "");
            line(b, r.description());
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                b.append("\\\\");
            } else if (c == '\n') {
                b.append("\\n");
            } else {
                b.append(c);
            }
        }
        b.append('\n');
    }

    static Verdict decode(String s) {
        List<String> lines = split(s);
        int[] i = {0};
        if (!next(lines, i).equals(VERSION)) {
            throw new IllegalArgumentException("unknown verdict format");
        }
        String scanner = next(lines, i);
        Outcome outcome = Outcome.valueOf(next(lines, i));
        OptionalDouble score = optionalDouble(next(lines, i));
        OptionalDouble threshold = optionalDouble(next(lines, i));
        Duration elapsed = Duration.ofNanos(Long.parseLong(next(lines, i)));
        int threats = count(next(lines, i), lines.size());
        List<String> t = new ArrayList<>(threats);
        for (int k = 0; k < threats; k++) {
            t.add(next(lines, i));
        }
        int rules = count(next(lines, i), lines.size());
        List<Rule> r = new ArrayList<>(rules);
        for (int k = 0; k < rules; k++) {
            String name = next(lines, i);
            OptionalDouble rs = optionalDouble(next(lines, i));
            r.add(new Rule(name, rs, next(lines, i)));
        }
        if (i[0] != lines.size()) {
            throw new IllegalArgumentException("trailing data in verdict");
        }
        return new Verdict(scanner, outcome, t, score, threshold, r, elapsed);
    }

    private static int count(String s, int bound) {
        int n = Integer.parseInt(s);
        if (n < 0 || n > bound) {
            throw new IllegalArgumentException("bad count " + n);
        }
        return n;
    }

    private static OptionalDouble optionalDouble(String s) {
        return s.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(Double.parseDouble(s));
    }

    private static String next(List<String> lines, int[] i) {
        if (i[0] >= lines.size()) {
            throw new IllegalArgumentException("truncated verdict");
        }
        return lines.get(i[0]++);
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 >= s.length()) {
                    throw new IllegalArgumentException("dangling escape");
                }
                char e = s.charAt(++i);
                if (e == '\\') {
                    cur.append('\\');
                } else if (e == 'n') {
                    cur.append('\n');
                } else {
                    throw new IllegalArgumentException("bad escape \\" + e);
                }
            } else if (c == '\n') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            throw new IllegalArgumentException("unterminated last line");
        }
        return out;
    }
}
