package org.mailhygiene.scanners.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailhygiene.internal.ThreatNames;

/**
 * Finds threat names in a scanner's output and attributes each to an input file. Stateless; thread-safe.
 *
 * <p>Before matching, every occurrence of the work directory's path is removed from the line, so a directory name can
 * never be read as a threat name. A line that mentions an input file's (generated, unique) name makes that file the
 * current one; a name found on the same line or on later lines is attributed to it, which covers both the one-line
 * layout ({@code path: virus Name}) and the two-line layout ({@code ./path}, then an indented {@code virus found:
 * Name}). Per line, the first pattern that matches wins. A name longer than 256 characters, which no scanner's
 * signatures have, is cut there and ends {@code ... (N characters)} ({@link ThreatNames#bounded(String)}); the output
 * itself is capped before it gets here (the scanner's output cap).
 */
final class OutputParser {

    private OutputParser() {}

    /** One threat name and the label of the input file it was attributed to, if any. */
    record Hit(String name, Optional<String> file) {}

    /**
     * @param output the output text
     * @param patterns name patterns, group 1 the name
     * @param workDir the absolute work directory path as passed to the scanner
     * @param files generated file name -> label
     */
    static List<Hit> parse(String output, List<Pattern> patterns, String workDir, Map<String, String> files) {
        List<Hit> hits = new ArrayList<>();
        Optional<String> current = Optional.empty();
        for (String raw : output.split("\r?\n|\r")) {
            String line = workDir.isEmpty() ? raw : raw.replace(workDir, "");
            for (Map.Entry<String, String> f : files.entrySet()) {
                if (line.contains(f.getKey())) {
                    current = Optional.of(f.getValue());
                    line = line.replace(f.getKey(), "");
                }
            }
            for (Pattern p : patterns) {
                Matcher m = p.matcher(line);
                if (m.find()) {
                    String name = m.group(1);
                    if (name != null && !name.isBlank()) {
                        hits.add(new Hit(ThreatNames.bounded(name), current));
                    }
                    break;
                }
            }
        }
        return hits;
    }

    /**
     * The input files a scanner's output confirms as scanned: those named (by their generated, unique file name) on
     * a line that matches one of the patterns.
     *
     * @param output the output text
     * @param patterns confirming-line patterns
     * @param files generated file name -> label
     * @return the generated names of the files confirmed
     */
    static java.util.Set<String> confirmed(String output, List<Pattern> patterns, Map<String, String> files) {
        java.util.Set<String> confirmed = new java.util.HashSet<>();
        for (String line : output.split("\r?\n|\r")) {
            for (Pattern p : patterns) {
                if (p.matcher(line).find()) {
                    for (String f : files.keySet()) {
                        if (line.contains(f)) {
                            confirmed.add(f);
                        }
                    }
                    break;
                }
            }
        }
        return confirmed;
    }
}
