package org.mailhygiene.milter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.milter.protocol.MilterPacket;
import org.mailhygiene.milter.protocol.MilterProtocol;
import org.mailhygiene.scanners.tagging.MessageTagger;

/**
 * Records the header fields of one message as the MTA sends them and turns a {@link Disposition}'s subject tag and
 * header fields into milter header edits, with the same result as {@code MessageTagger} has on the relay: the first
 * {@code Subject} gets the tag in front of its original bytes (RFC 2047 encoded words stay intact), incoming
 * {@code X-Spam-*} and look-alike fields are renamed ({@code X-Spam-Original-*}, {@code X-Original-*}: deleted and
 * appended under the new name), and the disposition's fields are appended, folded at about 78 characters with a tab
 * starting every continuation line (as {@link MessageTagger#fold} folds them; SpamAssassin's and Postfix's style). One
 * difference: a renamed field moves to the end of the header section (the milter protocol has no rename).
 *
 * <p><b>Authentication-Results</b> (the {@code auth} scanner's field, RFC 8601) is treated as the RFC asks of a
 * verifier: it is inserted at the top of the header section ({@code SMFIR_INSHEADER} at index 0, which Postfix puts
 * above its own {@code Received:}, as OpenDKIM's and OpenDMARC's results appear; appended on MTAs that negotiate protocol version 3 or lower), and every
 * incoming {@code Authentication-Results} field whose authserv-id is ours (compared case-insensitively) is deleted
 * ({@code SMFIR_CHGHEADER} with an empty value). Fields of other authserv-ids stay as they are.
 *
 * <p>Values are ISO-8859-1 strings, one char per byte, so 8-bit values are passed back unchanged. Only fields whose
 * names start with {@code X-} are recorded besides the first Subject, up to {@value #RECORD_LIMIT} bytes; past that,
 * {@link #overflowed()} is true and the message cannot be tagged. Package-private; one per message.
 */
final class HeaderEdits {
    static final int RECORD_LIMIT = 1 << 20;
    private static final int MAX_LINE = 998;

    private record Field(String name, String value, int occurrence) {}

    /** The field the {@code auth} scanner adds; inserted at the top, incoming ones with our authserv-id deleted. */
    static final String AUTH_RESULTS = "Authentication-Results";

    private final List<Field> xFields = new ArrayList<>();
    private final List<Field> authResults = new ArrayList<>();
    private final Map<String, Integer> counts = new TreeMap<>();
    private String subject;
    private long recorded;
    private boolean overflowed;

    /** Records one field as received ({@code value} with or without its leading space, as negotiated). */
    void record(String name, String value) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("subject") && subject == null) {
            subject = value;
            return;
        }
        boolean auth = lower.equals("authentication-results");
        if (!auth && !lower.startsWith("x-")) {
            return;
        }
        int occurrence = counts.merge(lower, 1, Integer::sum);
        recorded += name.length() + value.length() + 16;
        if (recorded > RECORD_LIMIT) {
            overflowed = true;
            return;
        }
        (auth ? authResults : xFields).add(new Field(name, value, occurrence));
    }

    boolean overflowed() {
        return overflowed;
    }

    /** Whether the disposition asks for any header change. */
    static boolean needed(Disposition d) {
        return d.subjectTag().isPresent() || !d.headers().isEmpty();
    }

    /**
     * The edits, in the order to send them: deletions (highest occurrence first, so earlier indexes stay valid), the
     * Subject change, re-added renamed fields, a missing Subject, the disposition's fields.
     *
     * @param leadingSpace whether {@code SMFIP_HDR_LEADSPC} was negotiated: values then carry their leading space
     * @param insert whether {@code SMFIR_INSHEADER} may be used (protocol version 4 or later)
     */
    List<MilterPacket> plan(Disposition d, boolean leadingSpace, boolean insert) {
        List<MilterPacket> deletes = new ArrayList<>();
        List<MilterPacket> adds = new ArrayList<>();
        MilterPacket subjectChange = null;
        String lead = leadingSpace ? " " : "";
        if (d.subjectTag().isPresent()) {
            String tag = d.subjectTag().get();
            if (subject == null) {
                adds.add(MilterPacket.ofStrings(MilterProtocol.SMFIR_ADDHEADER, "Subject", lead + tag));
            } else {
                String tagged = tagged(subject, tag);
                if (tagged != null) {
                    subjectChange = MilterPacket.ofIndexed(MilterProtocol.SMFIR_CHGHEADER, 1, "Subject", lead + tagged);
                }
            }
        }
        Set<String> addedNames = new HashSet<>();
        Set<String> ourIds = new HashSet<>();
        for (Header h : d.headers()) {
            addedNames.add(h.name().toLowerCase(Locale.ROOT));
            if (h.name().equalsIgnoreCase(AUTH_RESULTS)) {
                ourIds.add(authservId(h.value()));
            }
        }
        for (int i = authResults.size() - 1; i >= 0; i--) {
            Field f = authResults.get(i);
            if (ourIds.contains(authservId(f.value()))) {
                deletes.add(MilterPacket.ofIndexed(MilterProtocol.SMFIR_CHGHEADER, f.occurrence(), f.name(), ""));
            }
        }
        List<MilterPacket> renamed = new ArrayList<>();
        for (int i = xFields.size() - 1; i >= 0; i--) {
            Field f = xFields.get(i);
            String newName = renamed(f.name(), addedNames);
            if (newName == null) {
                continue;
            }
            deletes.add(MilterPacket.ofIndexed(MilterProtocol.SMFIR_CHGHEADER, f.occurrence(), f.name(), ""));
            renamed.add(MilterPacket.ofStrings(MilterProtocol.SMFIR_ADDHEADER, newName, f.value()));
        }
        // collected last field first; re-added in the message's order (reversed once: inserting each at the front
        // made a header section of many X- fields quadratic)
        java.util.Collections.reverse(renamed);
        // Deletions must run from the highest index of each name down; the loop above walks the fields backwards,
        // which orders every name's occurrences that way.
        List<MilterPacket> out = new ArrayList<>(deletes);
        if (subjectChange != null) {
            out.add(subjectChange);
        }
        out.addAll(renamed);
        out.addAll(adds);
        List<MilterPacket> top = new ArrayList<>();
        for (Header h : d.headers()) {
            String folded = fold(h.name(), h.value());
            String value = folded.substring(h.name().length() + 1); // starts with the space after the colon
            String v = leadingSpace ? value : value.substring(1);
            if (insert && h.name().equalsIgnoreCase(AUTH_RESULTS)) {
                // Inserted at index 0 one after the other, so the last one sent ends up on top: keep their order.
                top.add(0, MilterPacket.ofIndexed(MilterProtocol.SMFIR_INSHEADER, 0, h.name(), v));
            } else {
                out.add(MilterPacket.ofStrings(MilterProtocol.SMFIR_ADDHEADER, h.name(), v));
            }
        }
        out.addAll(top);
        return out;
    }

    /**
     * The authserv-id of an {@code Authentication-Results} value (RFC 8601: the first token or quoted string, before
     * any version and the first {@code ;}; a quoted string without its quotes and escapes), lower case, comments and
     * white space removed; {@code ""} when there is none.
     */
    static String authservId(String value) {
        StringBuilder id = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth > 0) {
                if (c == '\\') {
                    i++;
                }
            } else if (c == ';') {
                break;
            } else if (c == '"' && id.length() == 0) {
                // RFC 8601: the id is a value, a token or a quoted string; "ours" in quotes is ours too (a quoted
                // copy from outside was kept, audit session 36)
                for (i++; i < value.length() && value.charAt(i) != '"'; i++) {
                    if (value.charAt(i) == '\\' && i + 1 < value.length()) {
                        i++;
                    }
                    id.append(value.charAt(i));
                }
                break;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                if (id.length() > 0) {
                    break;
                }
            } else {
                id.append(c);
            }
        }
        return id.toString().toLowerCase(Locale.ROOT);
    }

    /** The new Subject value without leading space, or {@code null} when it already starts with the tag. */
    static String tagged(String value, String tag) {
        int p = 0;
        while (p < value.length()) {
            char c = value.charAt(p);
            if (c == ' ' || c == '\t') {
                p++;
            } else if (c == '\r'
                    && p + 2 < value.length()
                    && value.charAt(p + 1) == '\n'
                    && isWsp(value.charAt(p + 2))) {
                p += 2;
            } else if (c == '\n' && p + 1 < value.length() && isWsp(value.charAt(p + 1))) {
                p++;
            } else {
                break;
            }
        }
        String rest = value.substring(p);
        if (rest.isEmpty()) {
            return tag;
        }
        if (rest.startsWith(tag)
                && (rest.length() == tag.length() || " \t\r\n".indexOf(rest.charAt(tag.length())) >= 0)) {
            return null;
        }
        int firstLine = 0;
        while (firstLine < rest.length() && rest.charAt(firstLine) != '\r' && rest.charAt(firstLine) != '\n') {
            firstLine++;
        }
        if ("Subject: ".length() + tag.length() + 1 + firstLine > MAX_LINE) {
            return tag + "\n " + rest;
        }
        return tag + " " + rest;
    }

    private static String renamed(String name, Set<String> addedNames) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("x-spam-") && !lower.startsWith("x-spam-original-")) {
            return name.substring(0, 7) + "Original-" + name.substring(7);
        }
        if (addedNames.contains(lower)) {
            return "X-Original-" + name.substring(2);
        }
        return null;
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }

    /** {@code Name: value} folded as the relay folds it ({@link MessageTagger#fold}), LF between lines. */
    static String fold(String name, String value) {
        return MessageTagger.fold(name, value);
    }
}
