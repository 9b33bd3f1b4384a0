package org.mailhygiene.scanners.spamd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailhygiene.api.Rule;

/**
 * Parsers for the pieces of a spamd reply. Pure functions; thread-safe. Every parser either returns a value or
 * throws {@link IllegalArgumentException} naming what it could not read: it never guesses.
 */
final class SpamdReplies {
    private static final Pattern STATUS = Pattern.compile("SPAMD/(\\d+\\.\\d+)[ \\t]+(\\d{1,9})(?:[ \\t]+(.*))?");
    private static final String NUMBER = "[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)";
    private static final Pattern SPAM = Pattern.compile(
            "[ \\t]*(True|False|Yes|No)[ \\t]*(?:;[ \\t]*(" + NUMBER + ")[ \\t]*/[ \\t]*(" + NUMBER + "))?[ \\t]*",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern REPORT_SEPARATOR = Pattern.compile("-{3,}[ \\t]+-{3,}[ \\t]+-{3,}[ \\t]*");
    /**
     * A report table row: score, rule name, description (group 3, without trailing blanks). The description is
     * blanks and non-blank characters taken possessively up to the last non-blank one; as {@code (.*?)[ \t]*} it
     * matched the same, but tried the trailing blanks from every character, quadratic in a line with a long run of
     * blanks (64 KB: 4 s).
     */
    static final Pattern REPORT_ROW = Pattern.compile("[ ]{0,4}(" + NUMBER + ")[ \\t]+([A-Za-z0-9_.:-]+)"
            + "(?:[ \\t]+((?:[ \\t]*+[^ \\t\\n\\r\\u0085\\u2028\\u2029])*+))?[ \\t]*");

    private static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9_.:-]+");

    private SpamdReplies() {}

    /** The first line of a reply: protocol version, response code, and the text after the code. */
    record StatusLine(String version, int code, String text) {}

    /** A parsed {@code Spam:} header: the flag and, when present, score and threshold. */
    record SpamHeader(boolean spam, OptionalDouble score, OptionalDouble threshold) {}

    /**
     * Parses {@code SPAMD/<ver> <code> <text>}, accepting any version and trailing CR.
     *
     * @throws IllegalArgumentException if the line has another shape
     */
    static StatusLine parseStatusLine(String line) {
        Matcher m = STATUS.matcher(stripCr(line));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a spamd status line: " + printable(line));
        }
        return new StatusLine(
                m.group(1),
                Integer.parseInt(m.group(2)),
                m.group(3) == null ? "" : m.group(3).trim());
    }

    /**
     * Parses the value of a {@code Spam:} header: {@code True ; 7.1 / 5.0}, {@code No ; -0.0 / 5.0}, or a bare flag
     * without score. {@code True}/{@code Yes} mean spam, {@code False}/{@code No} ham, in any letter case.
     *
     * <p>A flag that contradicts its own score is refused: spamd says spam exactly when the score reaches the
     * threshold, and prints both rounded to one decimal so that the printed pair agrees with the flag (ham whose
     * rounded score would reach the threshold is printed as the threshold less 0.1: SpamAssassin's
     * {@code get_tag_value_for_score}). {@code False ; 9.0 / 5.0} or {@code True ; 1.0 / 5.0} cannot come from spamd,
     * so neither half is believed. A negative threshold is no contradiction: spamd sends one when
     * {@code required_score} is set so, and then every message that scores above it is spam.
     *
     * @throws IllegalArgumentException if the value has another shape, or its flag contradicts its score
     */
    static SpamHeader parseSpamHeader(String value) {
        Matcher m = SPAM.matcher(stripCr(value));
        if (!m.matches()) {
            throw new IllegalArgumentException("malformed Spam header: " + printable(value));
        }
        String flag = m.group(1).toLowerCase(Locale.ROOT);
        boolean spam = flag.equals("true") || flag.equals("yes");
        if (m.group(2) == null) {
            return new SpamHeader(spam, OptionalDouble.empty(), OptionalDouble.empty());
        }
        double score = number(m.group(2));
        double threshold = number(m.group(3));
        if (spam != (score >= threshold)) {
            throw new IllegalArgumentException("Spam header contradicts itself: " + m.group(1) + " with the score "
                    + m.group(2) + (spam ? " below" : " at or above") + " the threshold " + m.group(3)
                    + " (spamd says spam exactly when the score reaches the threshold): " + printable(value));
        }
        return new SpamHeader(spam, OptionalDouble.of(score), OptionalDouble.of(threshold));
    }

    /**
     * Parses a SYMBOLS body: rule names separated by commas, possibly followed by a line end.
     *
     * @throws IllegalArgumentException if a name holds characters that rule names never have
     */
    static List<String> parseSymbols(String body) {
        List<String> out = new ArrayList<>();
        for (String part : body.split(",", -1)) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!RULE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("malformed rule name in SYMBOLS reply: " + printable(name));
            }
            out.add(name);
        }
        return out;
    }

    /**
     * Parses the rule table of a REPORT body: the rows after the {@code ---- ----- ----} separator line, each
     * {@code <pts> <RULE_NAME> <description>}, with description continuation lines (indented by more than four
     * spaces) joined with a space. The table ends at the first blank line.
     *
     * @return the rules with score and description, or empty when the body has no table (a custom report template)
     * @throws IllegalArgumentException if the table holds a row that is neither a rule nor a continuation
     */
    static Optional<List<Rule>> parseReportTable(String body) {
        return parseReportTable(body, OptionalDouble.empty());
    }

    /**
     * Parses the rule table of a REPORT body as {@link #parseReportTable(String)} does. A report without the
     * separator line (SpamAssassin's French template, {@code 30_text_fr.cf}, puts the rows right under its summary
     * line) is searched for the block of rows instead: a run of rows and continuation lines ending at a blank line,
     * another line or the end, whose printed scores add up to spamd's score (each printed score is rounded to one
     * decimal, or to a whole number from 10 points on either side), the last such block. A template whose rows do not add
     * up, or that has none (ham that no rule hit), still gives empty.
     *
     * @param body the report text
     * @param score spamd's score from the {@code Spam:} header, when there was one; without it only a table with the
     *     separator line is read
     * @return the rules with score and description, or empty when no table was found
     * @throws IllegalArgumentException if the table after a separator line holds a row that is neither a rule nor a
     *     continuation
     */
    static Optional<List<Rule>> parseReportTable(String body, OptionalDouble score) {
        String[] lines = body.split("\r?\n", -1);
        int i = 0;
        while (i < lines.length && !REPORT_SEPARATOR.matcher(lines[i]).matches()) {
            i++;
        }
        if (i < lines.length) {
            return Optional.of(rows(lines, i + 1, true));
        }
        if (score.isEmpty()) {
            return Optional.empty();
        }
        List<Rule> found = null;
        for (int from = 0; from < lines.length; from++) {
            boolean startsBlock = REPORT_ROW.matcher(lines[from]).matches()
                    && leadingSpaces(lines[from]) <= 4
                    && (from == 0 || !REPORT_ROW.matcher(lines[from - 1]).matches());
            if (!startsBlock) {
                continue;
            }
            List<Rule> block = rows(lines, from, false);
            if (!block.isEmpty() && addsUpTo(block, score.getAsDouble())) {
                found = block;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The rows from {@code from} on, to the first blank line; strict: a line that is neither row nor continuation is
     * an error, else it ends the block.
     */
    private static List<Rule> rows(String[] lines, int from, boolean strict) {
        List<String> names = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        List<StringBuilder> descriptions = new ArrayList<>();
        for (int i = from; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                break;
            }
            if (leadingSpaces(line) > 4) {
                if (descriptions.isEmpty()) {
                    throw new IllegalArgumentException("report table starts with a continuation line: " + line);
                }
                StringBuilder d = descriptions.get(descriptions.size() - 1);
                d.append(d.length() == 0 ? "" : " ").append(line.strip());
                continue;
            }
            Matcher m = REPORT_ROW.matcher(line);
            if (!m.matches()) {
                if (strict) {
                    throw new IllegalArgumentException("malformed report table row: " + printable(line));
                }
                break;
            }
            scores.add(number(m.group(1)));
            names.add(m.group(2));
            descriptions.add(new StringBuilder(m.group(3) == null ? "" : m.group(3)));
        }
        List<Rule> rules = new ArrayList<>();
        for (int r = 0; r < names.size(); r++) {
            rules.add(Rule.of(names.get(r), scores.get(r), descriptions.get(r).toString()));
        }
        return rules;
    }

    /** Whether the printed scores of the rows can be the rounded parts of {@code score}. */
    private static boolean addsUpTo(List<Rule> rows, double score) {
        double sum = 0;
        double slack = 0.051; // the Spam header's score has one decimal
        for (Rule r : rows) {
            double s = r.score().orElse(0);
            sum += s;
            // SpamAssassin prints a score of 10 points or more (either sign) as a whole number, others to one decimal
            slack += Math.abs(s) >= 10 ? 0.5 : 0.05;
        }
        return Math.abs(sum - score) <= slack;
    }

    private static int leadingSpaces(String line) {
        int n = 0;
        while (n < line.length() && (line.charAt(n) == ' ' || line.charAt(n) == '\t')) {
            n++;
        }
        return n;
    }

    private static double number(String s) {
        double d = Double.parseDouble(s);
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + s);
        }
        return d == 0.0 ? 0.0 : d; // -0.0 is a score of zero
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }
}
