package org.mailhygiene.scanners.spamd;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import org.mailhygiene.api.Rule;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * A successful ({@code EX_OK}) spamd reply: protocol version, the reply headers, the {@code Spam:} verdict when the
 * command has one, and the body (rule names, report text or rewritten message, depending on the command).
 *
 * <p>Error replies never become a {@code SpamdResponse}: the client throws {@link SpamdException} for them.
 * Immutable and thread-safe; {@link #body()} returns a copy.
 *
 * @param command the command this replies to
 * @param protocolVersion the version in the status line, e.g. {@code 1.1} (spamd 4.0 answers 1.1 to 1.5 requests)
 * @param headers the reply headers in the order received, names as spamd spelled them
 * @param spam whether spamd classified the message as spam ({@code True}/{@code Yes}), when a {@code Spam:} header
 *     was present
 * @param score spamd's score, when present ({@code -0.0} is reported as {@code 0.0})
 * @param threshold spamd's own threshold ({@code required_score}), when present
 * @param body the reply body, empty when there is none
 */
public record SpamdResponse(
        SpamdCommand command,
        String protocolVersion,
        Map<String, String> headers,
        Optional<Boolean> spam,
        OptionalDouble score,
        OptionalDouble threshold,
        byte[] body) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public SpamdResponse {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(protocolVersion, "protocolVersion");
        headers =
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
        Objects.requireNonNull(spam, "spam");
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(threshold, "threshold");
        body = Objects.requireNonNull(body, "body").clone();
    }

    /**
     * The reply body.
     *
     * @return a copy of the body bytes
     */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /**
     * The body as text, decoded as ISO-8859-1 so that every byte maps to one character (right for a rewritten
     * message, whose bytes go back on the wire). {@link #reportRules()} and {@link #symbols()} read the body as a
     * report instead: SpamAssassin copies rule descriptions byte for byte from its configuration (ISO-8859-1 in its
     * French, German and Portuguese texts, often UTF-8 in a site's own rules), so each line is read as UTF-8 where it
     * is valid UTF-8 and as ISO-8859-1 otherwise.
     *
     * @return the body text
     */
    public String bodyText() {
        return new String(body, StandardCharsets.ISO_8859_1);
    }

    private String reportText() {
        return TextDecoding.decodeReportLines(body);
    }

    /**
     * The rule names of a {@link SpamdCommand#SYMBOLS} reply, in spamd's order (alphabetical).
     *
     * @return the names, empty when no rule fired
     * @throws IllegalStateException if this is not a SYMBOLS reply
     * @throws IllegalArgumentException if the body holds something that is not a rule name
     */
    public List<String> symbols() {
        if (command != SpamdCommand.SYMBOLS) {
            throw new IllegalStateException("symbols() needs a SYMBOLS reply, this is " + command);
        }
        return SpamdReplies.parseSymbols(reportText());
    }

    /**
     * The rule table of a {@link SpamdCommand#REPORT} or {@link SpamdCommand#REPORT_IFSPAM} reply, in the report's
     * order, each rule with its score (as printed: one decimal, four columns, so 1000 for GTUBE) and description.
     *
     * @return the rules, or empty when the report has no table (empty body, or a custom report template); a report
     *     without the separator line above the rows (SpamAssassin's French template) is read when its rows add up to
     *     {@link #score()}
     * @throws IllegalStateException if this is not a REPORT or REPORT_IFSPAM reply
     * @throws IllegalArgumentException if the table has a malformed row
     */
    public Optional<List<Rule>> reportRules() {
        if (command != SpamdCommand.REPORT && command != SpamdCommand.REPORT_IFSPAM) {
            throw new IllegalStateException("reportRules() needs a REPORT reply, this is " + command);
        }
        return SpamdReplies.parseReportTable(reportText(), score);
    }

    /**
     * The databases a {@link SpamdCommand#TELL} reply says were updated ({@code DidSet}).
     *
     * @return the databases, empty when nothing was learned
     */
    public Set<TellRequest.Database> didSet() {
        return databases("DidSet");
    }

    /**
     * The databases a {@link SpamdCommand#TELL} reply says were cleaned ({@code DidRemove}).
     *
     * @return the databases, empty when nothing was removed
     */
    public Set<TellRequest.Database> didRemove() {
        return databases("DidRemove");
    }

    private Set<TellRequest.Database> databases(String header) {
        Set<TellRequest.Database> out = EnumSet.noneOf(TellRequest.Database.class);
        String v = headers.getOrDefault(header, "").toLowerCase(Locale.ROOT);
        if (v.contains("local")) {
            out.add(TellRequest.Database.LOCAL);
        }
        if (v.contains("remote")) {
            out.add(TellRequest.Database.REMOTE);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpamdResponse r
                && command == r.command
                && protocolVersion.equals(r.protocolVersion)
                && headers.equals(r.headers)
                && spam.equals(r.spam)
                && score.equals(r.score)
                && threshold.equals(r.threshold)
                && java.util.Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(command, protocolVersion, headers, spam, score, threshold, java.util.Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "SpamdResponse[" + command + " SPAMD/" + protocolVersion + " spam=" + spam + " score=" + score
                + " threshold=" + threshold + " headers=" + headers + " body=" + body.length + " bytes]";
    }
}
