package org.mailhygiene.testkit.milter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a milter answered for one message: its final reply, the changes it asked for before it, and how many progress
 * packets it sent while working.
 *
 * @param reply the final reply
 * @param edits the changes, in the order received
 * @param progress how many {@code SMFIR_PROGRESS} packets came before the final reply
 * @param leadingSpace whether {@code SMFIP_HDR_LEADSPC} was in effect (header values carry their leading space)
 */
public record MilterResult(Reply reply, List<MilterEdit> edits, int progress, boolean leadingSpace) {

    /**
     * Copies the edits.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public MilterResult {
        Objects.requireNonNull(reply, "reply");
        edits = List.copyOf(edits);
    }

    /**
     * A final reply.
     *
     * @param code the reply code ({@code 'a'} accept, {@code 'c'} continue, {@code 'r'} reject, {@code 't'}
     *     tempfail, {@code 'y'} reply code, {@code 'd'} discard, {@code '4'} shutdown, {@code 'f'} connection failure)
     * @param text the SMTP reply for {@code 'y'}, empty otherwise
     */
    public record Reply(char code, String text) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if {@code text} is {@code null}
         */
        public Reply {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * Whether the MTA would take the message (accept or continue, quarantine included, discard excluded).
     *
     * @return {@code true} for {@code SMFIR_ACCEPT} and {@code SMFIR_CONTINUE}
     */
    public boolean accepted() {
        return reply.code() == 'a' || reply.code() == 'c';
    }

    /**
     * The SMTP reply the MTA gives its client when the milter refused the message, as Postfix words it: the milter's
     * own text for {@code SMFIR_REPLYCODE}, {@code 550 5.7.1 Command rejected} for {@code SMFIR_REJECT}, {@code 451
     * 4.7.1 Service unavailable - try again later} for {@code SMFIR_TEMPFAIL}.
     *
     * @return the reply, or empty when the message was accepted or discarded
     */
    public Optional<String> smtpReply() {
        return switch (reply.code()) {
            case 'y' -> Optional.of(reply.text().replace("%%", "%"));
            case 'r' -> Optional.of("550 5.7.1 Command rejected");
            case 't' -> Optional.of("451 4.7.1 Service unavailable - try again later");
            case '4' -> Optional.of("421 4.7.0 Server closing connection");
            default -> Optional.empty();
        };
    }

    /**
     * The quarantine reason, when the milter asked to hold the message.
     *
     * @return the reason of the last {@code SMFIR_QUARANTINE}
     */
    public Optional<String> quarantineReason() {
        Optional<String> r = Optional.empty();
        for (MilterEdit e : edits) {
            if (e.kind() == MilterEdit.Kind.QUARANTINE) {
                r = Optional.of(e.name());
            }
        }
        return r;
    }

    /**
     * The message as the MTA would store it after the header edits (Postfix's semantics: a change or deletion names
     * the n-th field of a name, case-insensitively, counted in the message as received; an insertion index counts
     * fields from the top; additions go to the end of the header section). Body edits are not applied. Folded values
     * (LF-separated lines) get CRLF line ends.
     *
     * @param original the message the client sent (CRLF line ends)
     * @return the edited message
     */
    public byte[] apply(byte[] original) {
        MilterClient.Parsed m = MilterClient.parse(original);
        List<String[]> fields = new ArrayList<>(); // {name, raw field with CRLF}
        for (String[] h : m.headers()) {
            fields.add(new String[] {h[0], raw(h[0], h[1], true)});
        }
        List<String[]> received = new ArrayList<>(fields);
        String space = leadingSpace ? "" : " ";
        List<String[]> appended = new ArrayList<>();
        for (MilterEdit e : edits) {
            switch (e.kind()) {
                case CHANGE_HEADER -> {
                    int n = Math.max(1, e.index());
                    int seen = 0;
                    for (String[] f : received) {
                        if (f[0].equalsIgnoreCase(e.name()) && ++seen == n) {
                            int at = indexOfIdentity(fields, f);
                            if (at >= 0) {
                                if (e.value().isEmpty()) {
                                    fields.remove(at);
                                } else {
                                    fields.set(at, new String[] {e.name(), raw(e.name(), space + e.value(), false)});
                                }
                            }
                            break;
                        }
                    }
                }
                case ADD_HEADER -> appended.add(new String[] {e.name(), raw(e.name(), space + e.value(), false)});
                case INSERT_HEADER -> {
                    int at = Math.min(Math.max(0, e.index()), fields.size());
                    fields.add(at, new String[] {e.name(), raw(e.name(), space + e.value(), false)});
                }
                default -> {
                    // envelope and body edits do not change the header section
                }
            }
        }
        fields.addAll(appended);
        ByteArrayOutputStream out = new ByteArrayOutputStream(original.length + 256);
        for (String[] f : fields) {
            out.writeBytes(f[1].getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes(m.separatorAndBody());
        return out.toByteArray();
    }

    private static int indexOfIdentity(List<String[]> list, String[] item) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == item) {
                return i;
            }
        }
        return -1;
    }

    /** {@code name:value} with LF line ends turned into CRLF and a final CRLF. */
    private static String raw(String name, String value, boolean asReceived) {
        String v = asReceived ? value : value;
        StringBuilder sb = new StringBuilder(name).append(':');
        char prev = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\n' && prev != '\r') {
                sb.append('\r');
            }
            sb.append(c);
            prev = c;
        }
        return sb.append("\r\n").toString();
    }

    /**
     * The value of the first header field with this name after {@link #apply}, unfolded, without leading white
     * space; a convenience for assertions.
     *
     * @param original the message the client sent
     * @param name the field name (case-insensitive)
     * @return the value as ISO-8859-1 text (one char per byte), if there is such a field
     */
    public Optional<String> header(byte[] original, String name) {
        MilterClient.Parsed m = MilterClient.parse(apply(original));
        for (String[] h : m.headers()) {
            if (h[0].toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return Optional.of(h[1].replace("\r\n", "").replace("\n", "").strip());
            }
        }
        return Optional.empty();
    }
}
