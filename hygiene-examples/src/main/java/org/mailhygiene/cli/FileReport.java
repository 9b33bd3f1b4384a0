package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Collectors;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.internal.ThreatNames;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * What {@code hygiene scan} found in one file, and how it is printed: as text lines or as one JSON object.
 *
 * @param file the file as the user named it ({@code stdin} for {@code -})
 * @param results one result per scanner, in the configured order; empty when the file could not be read
 * @param action what the policy decided, empty when the file could not be read
 * @param readError why the file could not be read, empty when it was scanned
 */
record FileReport(String file, List<ScanResult> results, Optional<Action> action, Optional<String> readError) {

    FileReport {
        Objects.requireNonNull(file, "file");
        results = List.copyOf(results);
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(readError, "readError");
    }

    /** A file that could not be read. */
    static FileReport unreadable(String file, String reason) {
        return new FileReport(file, List.of(), Optional.empty(), Optional.of(reason));
    }

    /** The overall outcome word: {@code ERROR}, else the most severe verdict outcome, else {@code CLEAN}. */
    String outcome() {
        if (readError.isPresent() || results.isEmpty() || !failures().isEmpty()) {
            return "ERROR";
        }
        return worstOutcome().name();
    }

    /** The exit status this file calls for: 2 on any error, else 1 if anything was found, else 0. */
    int status() {
        String outcome = outcome();
        if (outcome.equals("ERROR")) {
            return Command.EXIT_ERROR;
        }
        return outcome.equals(Outcome.CLEAN.name()) ? Command.EXIT_OK : Command.EXIT_FOUND;
    }

    /** The text lines: one per finding and per error, or a single {@code OK} line. */
    List<String> lines() {
        return rawLines().stream().map(FileReport::printable).toList();
    }

    /**
     * A line as a terminal may show it ({@link LogText#printable}): control characters (C0, DEL, C1, as {@code
     * PartsWriter} treats a label) and the bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, which show
     * a name ending {@code fdp.exe} as {@code exe.pdf}, and the marks U+061C, U+200E, U+200F) become {@code ?}. A learned token, a rule or a file name may hold ESC and the like, and the text
     * output goes to a terminal, where they would be read as commands (the JSON output escapes them; the
     * {@code X-Spam-Status} field replaces them likewise).
     */
    static String printable(String line) {
        return printable(line, false);
    }

    /**
     * {@link #printable(String)}, keeping tabs when asked (a folded header line starts with one).
     *
     * @param line the text
     * @param keepTabs whether a tab stays a tab
     * @return the text as a terminal may show it
     */
    static String printable(String line, boolean keepTabs) {
        if (!keepTabs || line.indexOf('\t') < 0) {
            return LogText.printable(line);
        }
        StringBuilder b = new StringBuilder(line.length());
        int from = 0;
        for (int tab = line.indexOf('\t'); tab >= 0; tab = line.indexOf('\t', from)) {
            b.append(LogText.printable(line.substring(from, tab))).append('\t');
            from = tab + 1;
        }
        return b.append(LogText.printable(line.substring(from))).toString();
    }

    /**
     * Notes for the error stream that the text lines leave out: a scanner that reported more threat names than a verdict
     * keeps ({@link ThreatNames#MAX_COUNT}) has its kept names printed as {@code FOUND} lines, and this says how many
     * more there were ({@code FILE: note: SCANNER: 12345 more threat names not kept (...)}), so a reader of the plain
     * output is not left to think the list complete. A clean verdict of the signature scanner that passed files over
     * unread (a RAR archive's compressed files, encrypted files, {@link SignatureScanner#NOT_READ_RULE}) has them said the same way
     * ({@code FILE: note: builtin: not searched: ...}), so that the plain {@code OK} does not read as "every file
     * searched". {@code --json} carries the same texts as rules.
     */
    List<String> notes() {
        List<String> notes = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof Verdict v) {
                v.rules().stream()
                        .filter(rule -> (v.outcome() == Outcome.INFECTED
                                        && rule.name().equals(ThreatNames.OMITTED_RULE))
                                || (v.outcome() == Outcome.CLEAN && rule.name().equals(SignatureScanner.NOT_READ_RULE)))
                        .forEach(rule ->
                                notes.add(printable(file + ": note: " + v.scanner() + ": " + rule.description())));
            }
        }
        return notes;
    }

    private List<String> rawLines() {
        List<String> lines = new ArrayList<>();
        if (readError.isPresent()) {
            return List.of(file + ": ERROR " + readError.get());
        }
        if (results.isEmpty()) {
            return List.of(file + ": ERROR no scanner produced a result");
        }
        for (ScanResult r : results) {
            if (r instanceof ScanFailure f) {
                lines.add(file + ": ERROR " + describe(f));
            } else if (r instanceof Verdict v) {
                switch (v.outcome()) {
                    case CLEAN -> {}
                    case INFECTED -> v.threats().forEach(t -> lines.add(file + ": " + t + " FOUND"));
                    case SPAM -> lines.add(file + ": SPAM" + scoreText(v) + rulesText(v.rules()));
                    case SUSPICIOUS ->
                        lines.add(file + ": SUSPICIOUS"
                                + v.threats().stream().map(t -> " " + t).collect(Collectors.joining())
                                + rulesText(v.rules()));
                }
            }
        }
        if (lines.isEmpty()) {
            lines.add(file + ": OK");
        }
        return lines;
    }

    /** One JSON object on one line: the overall answer plus one entry per scanner result. */
    String json() {
        String outcome = outcome();
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"file\":").append(Json.string(file));
        sb.append(",\"outcome\":").append(Json.string(outcome));
        sb.append(",\"scanner\":").append(Json.stringOrNull(decidingScanners(outcome)));
        Set<String> threats = new LinkedHashSet<>();
        List<Rule> rules = new ArrayList<>();
        for (Verdict v : verdicts()) {
            threats.addAll(v.threats());
            rules.addAll(v.rules());
        }
        Optional<Verdict> scored = scoredVerdict();
        sb.append(",\"threats\":").append(Json.strings(List.copyOf(threats)));
        sb.append(",\"score\":").append(Json.number(scored.map(Verdict::score).orElse(OptionalDouble.empty())));
        sb.append(",\"threshold\":")
                .append(Json.number(scored.map(Verdict::threshold).orElse(OptionalDouble.empty())));
        sb.append(",\"rules\":").append(rulesJson(rules));
        sb.append(",\"error\":").append(Json.stringOrNull(errorText()));
        sb.append(",\"action\":")
                .append(Json.stringOrNull(action.map(Action::name).orElse(null)));
        sb.append(",\"results\":[");
        for (int i = 0; i < results.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(resultJson(results.get(i)));
        }
        return sb.append("]}").toString();
    }

    private List<ScanFailure> failures() {
        return results.stream()
                .filter(r -> r instanceof ScanFailure)
                .map(r -> (ScanFailure) r)
                .toList();
    }

    private List<Verdict> verdicts() {
        return results.stream()
                .filter(r -> r instanceof Verdict)
                .map(r -> (Verdict) r)
                .toList();
    }

    private Outcome worstOutcome() {
        Outcome worst = Outcome.CLEAN;
        for (Verdict v : verdicts()) {
            if (severity(v.outcome()) > severity(worst)) {
                worst = v.outcome();
            }
        }
        return worst;
    }

    private static int severity(Outcome o) {
        return switch (o) {
            case CLEAN -> 0;
            case SUSPICIOUS -> 1;
            case SPAM -> 2;
            case INFECTED -> 3;
        };
    }

    /** The scanners whose results decided the overall outcome, comma-separated; null if none (unreadable file). */
    private String decidingScanners(String outcome) {
        List<String> names = new ArrayList<>();
        for (ScanResult r : results) {
            boolean deciding = outcome.equals("ERROR")
                    ? r instanceof ScanFailure
                    : r instanceof Verdict v && v.outcome().name().equals(outcome);
            if (deciding && !names.contains(r.scanner())) {
                names.add(r.scanner());
            }
        }
        return names.isEmpty() ? null : String.join(",", names);
    }

    /** The verdict whose score is reported: the first SPAM verdict with a score, else the first with a score. */
    private Optional<Verdict> scoredVerdict() {
        List<Verdict> vs = verdicts();
        return vs.stream()
                .filter(v -> v.outcome() == Outcome.SPAM && v.score().isPresent())
                .findFirst()
                .or(() -> vs.stream().filter(v -> v.score().isPresent()).findFirst());
    }

    private String errorText() {
        if (readError.isPresent()) {
            return readError.get();
        }
        if (results.isEmpty()) {
            return "no scanner produced a result";
        }
        List<ScanFailure> failures = failures();
        return failures.isEmpty()
                ? null
                : failures.stream().map(FileReport::describe).collect(Collectors.joining("; "));
    }

    private static String describe(ScanFailure f) {
        return f.scanner() + ": " + f.kind() + ": " + f.detail();
    }

    private static String scoreText(Verdict v) {
        if (v.score().isEmpty()) {
            return "";
        }
        return " " + Json.number(v.score().getAsDouble())
                + (v.threshold().isPresent() ? "/" + Json.number(v.threshold().getAsDouble()) : "");
    }

    private static String rulesText(List<Rule> rules) {
        if (rules.isEmpty()) {
            return "";
        }
        return " [" + rules.stream().map(Rule::name).collect(Collectors.joining(",")) + "]";
    }

    private static String rulesJson(List<Rule> rules) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            sb.append(i == 0 ? "" : ",")
                    .append("{\"name\":")
                    .append(Json.string(r.name()))
                    .append(",\"score\":")
                    .append(Json.number(r.score()));
            if (!r.description().isEmpty()) {
                // what the scanner says about it: a classifier token's training counts, a bucket's basis
                sb.append(",\"description\":").append(Json.string(r.description()));
            }
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    private static String resultJson(ScanResult r) {
        StringBuilder sb = new StringBuilder("{\"scanner\":").append(Json.string(r.scanner()));
        if (r instanceof Verdict v) {
            sb.append(",\"outcome\":").append(Json.string(v.outcome().name()));
            sb.append(",\"threats\":").append(Json.strings(v.threats()));
            sb.append(",\"score\":").append(Json.number(v.score()));
            sb.append(",\"threshold\":").append(Json.number(v.threshold()));
            sb.append(",\"rules\":").append(rulesJson(v.rules()));
            sb.append(",\"error\":null");
        } else if (r instanceof ScanFailure f) {
            sb.append(",\"outcome\":\"ERROR\"");
            sb.append(",\"threats\":[],\"score\":null,\"threshold\":null,\"rules\":[]");
            sb.append(",\"error\":").append(Json.string(f.kind() + ": " + f.detail()));
        }
        return sb.append('}').toString();
    }
}
