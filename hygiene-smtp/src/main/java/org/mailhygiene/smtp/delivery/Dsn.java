package org.mailhygiene.smtp.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;

/**
 * Builds RFC 3464 delivery status notifications: {@code multipart/report; report-type=delivery-status} (RFC 6522)
 * with a human-readable {@code text/plain} part, a {@code message/delivery-status} part (Reporting-MTA, Arrival-Date,
 * then per recipient Final-Recipient, Action {@code failed}, Status, Remote-MTA when a next hop gave the reply,
 * Diagnostic-Code, Last-Attempt-Date when an attempt was made and its time is known) and the returned message: whole as
 * {@code message/rfc822} up to the size limit, else (or when a recipient was refused for the message's size, status
 * {@code X.3.4} or {@code X.2.3}, since it would be refused again inside its bounce) only its header as
 * {@code text/rfc822-headers}. One report covers
 * any number of recipients, one per-recipient block each.
 *
 * <p>The Diagnostic-Code is typed {@code smtp} only for a reply an SMTP server gave (the recipient has a
 * {@link RecipientState#remoteMta() remote MTA}); the relay's own texts (a DNS failure, a refused connection, an expiry
 * without a reply, a refusal to send) are typed {@value #OWN_DIAGNOSTIC_TYPE}, as Postfix types its own
 * {@code X-Postfix}. After an expiry whose last attempt got a reply, the Status is {@code 5.4.7} and the Diagnostic-Code
 * that reply.
 *
 * <p>A message with a non-ASCII envelope address or non-ASCII header fields (SMTPUTF8 mail) gets an internationalized
 * report (RFC 6533): {@code message/global-delivery-status} with {@code utf-8} address types for non-ASCII addresses,
 * and the message returned as {@code message/global} (or its header as {@code message/global-headers}). Other
 * reports keep their machine-readable part ASCII: a non-ASCII character of a diagnostic becomes {@code ?} there (the
 * text part keeps it).
 *
 * <p>The DSN parameters the message came with (RFC 3461) appear as {@code Original-Envelope-Id} and
 * {@code Original-Recipient}, and {@code RET=HDRS} returns only the header; a {@link Kind#RELAYED relayed} notice
 * (the message went to a next hop without DSN for recipients that asked for success notices) has
 * {@code Action: relayed} and returns only the header; a {@link Kind#DELAYED delayed} notice has {@code Action: delayed},
 * a 4.x.x Status, {@code Will-Retry-Until} and returns only the header.
 *
 * <p>The header carries {@code Auto-Submitted: auto-replied} (RFC 3834). Lines end in CRLF. Stateless and thread-safe.
 */
final class Dsn {
    private static final Pattern REPLY = Pattern.compile("^(\\d)\\d\\d(?: ([245])\\.(\\d{1,3})\\.(\\d{1,3}))?");
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern(
                    "EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How the delivery agent words a temporary failure that outlived the queue lifetime; the last error follows. */
    static final String EXPIRED = "554 5.4.7 delivery time expired; last error: ";

    /** The diagnostic type of the relay's own texts (RFC 3464 §2.1.3 allows {@code X-} types). */
    static final String OWN_DIAGNOSTIC_TYPE = "X-Hygiene";

    private Dsn() {}

    /** The RFC 3463 status a stored reply implies: its enhanced code, or the class with {@code .0.0}. */
    static String status(String reply) {
        Matcher m = REPLY.matcher(reply);
        if (m.find()) {
            if (m.group(2) != null && m.group(2).equals(m.group(1))) {
                return m.group(2) + "." + m.group(3) + "." + m.group(4);
            }
            String cls = m.group(1);
            return (cls.equals("2") || cls.equals("4") || cls.equals("5") ? cls : "5") + ".0.0";
        }
        return "5.0.0";
    }

    /**
     * The status of the first recipient refused for the message's size ({@code 5.3.4} message too big for the system,
     * {@code 5.2.3} over a mailbox's limit, RFC 3463), also when the queue lifetime ended on such a refusal.
     */
    private static Optional<String> sizeRefusal(List<RecipientState> failed) {
        for (RecipientState r : failed) {
            Optional<String> reply = r.lastReply();
            if (reply.isEmpty()) {
                continue;
            }
            String text = reply.get().startsWith(EXPIRED) ? reply.get().substring(EXPIRED.length()) : reply.get();
            String st = status(text);
            if (st.endsWith(".3.4") || st.endsWith(".2.3")) {
                return Optional.of(st);
            }
        }
        return Optional.empty();
    }

    static String date(Instant t) {
        return RFC5322.format(t);
    }

    /** What a report tells of its recipients. */
    enum Kind {
        /** Undeliverable: {@code Action: failed}, the message returned per {@code RET}. */
        FAILED,
        /**
         * Handed to a next hop that does not offer DSN, for recipients that asked for success notices:
         * {@code Action: relayed} (RFC 3464 §2.3.3), only the header returned.
         */
        RELAYED,
        /**
         * Still queued after the delay warning time, for recipients whose {@code NOTIFY} permits it: {@code Action:
         * delayed} with the Status of the last attempt and {@code Will-Retry-Until}, only the header returned.
         */
        DELAYED
    }

    /**
     * A failure report.
     *
     * @param reportingMta this relay's host name
     * @param to the report's recipient (the original sender, or the postmaster for a double bounce)
     * @param original the message that failed
     * @param failed the failed recipients
     * @param now the report's date
     * @param returnLimit return the whole message up to this many bytes, else only its header
     */
    static byte[] failure(
            String reportingMta,
            String to,
            QueuedMessage original,
            List<RecipientState> failed,
            Instant now,
            long returnLimit)
            throws IOException {
        return report(Kind.FAILED, reportingMta, to, original, failed, now, returnLimit, null);
    }

    /**
     * A delay notice.
     *
     * @param reportingMta this relay's host name
     * @param to the report's recipient (the original sender)
     * @param original the message still queued
     * @param delayed its PENDING recipients to report on
     * @param now the report's date
     * @param willRetryUntil the end of the queue lifetime ({@code Will-Retry-Until}, RFC 3464 §2.3.9)
     */
    static byte[] delayed(
            String reportingMta,
            String to,
            QueuedMessage original,
            List<RecipientState> delayed,
            Instant now,
            Instant willRetryUntil)
            throws IOException {
        return report(Kind.DELAYED, reportingMta, to, original, delayed, now, 0, willRetryUntil);
    }

    /**
     * A report of one kind. The message's DSN parameters (RFC 3461) shape it: {@code ENVID} becomes
     * {@code Original-Envelope-Id} and a recipient's {@code ORCPT} its {@code Original-Recipient} (RFC 3464 §2.2.1,
     * §2.3.1); a failure report returns only the header for {@code RET=HDRS} or a recipient refused for the message's
     * size, else the whole message up to {@code returnLimit}; a relayed notice returns only the header ({@code RET} is
     * about failure reports, RFC 3461 §4.3).
     *
     * @param kind what happened to {@code recipients}
     * @param reportingMta this relay's host name
     * @param to the report's recipient
     * @param original the message reported on
     * @param recipients the recipients reported on, states of {@code original}
     * @param now the report's date
     * @param returnLimit return the whole message up to this many bytes, else only its header
     */
    static byte[] report(
            Kind kind,
            String reportingMta,
            String to,
            QueuedMessage original,
            List<RecipientState> recipients,
            Instant now,
            long returnLimit)
            throws IOException {
        return report(kind, reportingMta, to, original, recipients, now, returnLimit, null);
    }

    /** {@link #report(Kind, String, String, QueuedMessage, List, Instant, long)} with a retry end for delays. */
    private static byte[] report(
            Kind kind,
            String reportingMta,
            String to,
            QueuedMessage original,
            List<RecipientState> recipients,
            Instant now,
            long returnLimit,
            Instant willRetryUntil)
            throws IOException {
        List<RecipientState> failed = recipients;
        DsnRequest dsn = original.dsn();
        boolean global = international(original, to, failed);
        String boundary = "=_dsn_" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + "_"
                + original.id().value();
        StringBuilder h = new StringBuilder();
        h.append("From: Mail Delivery System <MAILER-DAEMON@")
                .append(reportingMta)
                .append(">\r\n");
        h.append("To: <").append(to).append(">\r\n");
        h.append(
                switch (kind) {
                    case FAILED -> "Subject: Undelivered Mail Returned to Sender\r\n";
                    case RELAYED -> "Subject: Successful Mail Delivery Report\r\n";
                    case DELAYED -> "Subject: Delayed Mail (still being retried)\r\n";
                });
        h.append("Date: ").append(date(now)).append("\r\n");
        h.append("Message-ID: <")
                .append(original.id().value())
                .append('.')
                .append(Long.toHexString(now.toEpochMilli()))
                // the first failed recipient's position, as in the bounce's queue id: two reports on one message made
                // at one instant (left-over failures and new ones, in one pass) get two ids
                .append('.')
                .append(original.recipients().indexOf(failed.get(0)))
                .append(".dsn@")
                .append(reportingMta)
                .append(">\r\n");
        h.append("Auto-Submitted: auto-replied\r\n");
        h.append("MIME-Version: 1.0\r\n");
        h.append("Content-Type: multipart/report; report-type=")
                .append(global ? "global-delivery-status" : "delivery-status")
                .append(";\r\n\tboundary=\"")
                .append(boundary)
                .append("\"\r\n");
        h.append("\r\n");
        h.append("This is a MIME-encapsulated message.\r\n\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Type: text/plain; charset=utf-8\r\n");
        h.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        h.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
        boolean hdrs = dsn.ret().orElse(DsnRequest.Ret.FULL) == DsnRequest.Ret.HDRS;
        // A message refused for its size would be refused again inside its bounce, often by the same next hop (and
        // then the double bounce to the postmaster too): it comes back as its header only, as sendmail returns it
        Optional<String> sizeRefusal = kind == Kind.FAILED ? sizeRefusal(failed) : Optional.empty();
        boolean whole = kind == Kind.FAILED && !hdrs && original.size() <= returnLimit && sizeRefusal.isEmpty();
        if (kind == Kind.FAILED) {
            h.append("Your message (queue id ")
                    .append(original.id().value())
                    .append(") could not be delivered to one or more recipients.\r\n");
            if (whole) {
                h.append("The returned message and the details are attached.\r\n\r\n");
            } else if (hdrs) {
                h.append("Only the header of your message is attached, as you asked (RET=HDRS).\r\n\r\n");
            } else if (sizeRefusal.isPresent()) {
                h.append("Only the header of your message is attached: it was refused for its size (")
                        .append(sizeRefusal.get())
                        .append("), and returned whole it would be refused again.\r\n\r\n");
            } else {
                // the sender asked for the whole message (RET=FULL, or no RET): say why it did not come back
                h.append("Only the header of your message is attached: at ")
                        .append(original.size())
                        .append(" bytes it is larger than the ")
                        .append(returnLimit)
                        .append(" bytes returned whole.\r\n\r\n");
            }
        } else if (kind == Kind.DELAYED) {
            h.append("Your message (queue id ")
                    .append(original.id().value())
                    .append(") could not be delivered yet to the recipients below.\r\n");
            // A recipient whose NOTIFY leaves out FAILURE (NOTIFY=DELAY) gets no bounce: promise none for it.
            int told = 0;
            for (RecipientState r : failed) {
                int i = original.recipients().indexOf(r);
                if (i < 0 || original.dsn(i).wantsFailure()) {
                    told++;
                }
            }
            h.append("It will be retried until ")
                    .append(date(willRetryUntil))
                    .append(
                            told == failed.size()
                                    ? "; you will be told if it fails.\r\n"
                                    : told == 0
                                            ? "; as you asked, you will not be told if it fails.\r\n"
                                            : "; you will be told if it fails, except for the recipients you asked"
                                                    + " not to be told about.\r\n");
            h.append("This is a warning only: you do not need to send the message again.\r\n\r\n");
        } else {
            h.append("Your message (queue id ")
                    .append(original.id().value())
                    .append(") was relayed to the recipients below, as you asked to be told.\r\n");
            h.append("The next hop does not offer delivery notifications: no further notice of its delivery\r\n");
            h.append("can be sent. The details and the returned header are attached.\r\n\r\n");
        }
        for (RecipientState r : failed) {
            String reply = oneLine(r.lastReply().orElse(defaultText(kind)));
            String said = r.remoteMta().map(m -> m + " said: ").orElse("");
            if (!said.isEmpty() && reply.startsWith(EXPIRED)) {
                reply = EXPIRED + said + reply.substring(EXPIRED.length());
                said = "";
            }
            h.append(fold("<" + r.address() + ">: " + said + reply)).append("\r\n");
        }
        h.append("\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Type: message/")
                .append(global ? "global-delivery-status" : "delivery-status")
                .append("\r\n");
        if (global) {
            h.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        h.append("\r\n");
        // RFC 3464 2.2: the original envelope id comes first
        dsn.envelopeId()
                .ifPresent(id -> h.append("Original-Envelope-Id: ").append(id).append("\r\n"));
        h.append("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
        h.append("Arrival-Date: ").append(date(original.queuedAt())).append("\r\n");
        // an extension field: after the standard per-message fields, as RFC 3464 2.2's grammar orders them
        h.append("X-Queue-ID: ").append(original.id().value()).append("\r\n");
        for (RecipientState r : failed) {
            String reply = oneLine(r.lastReply().orElse(defaultReply(kind)));
            h.append("\r\n");
            int index = original.recipients().indexOf(r);
            if (index >= 0) {
                // RFC 3464 2.3: the original recipient comes before the final one
                original.dsn(index)
                        .orcpt()
                        .ifPresent(o -> h.append(fold("Original-Recipient: " + o.field(global)))
                                .append("\r\n"));
            }
            h.append("Final-Recipient: ")
                    .append(addressField(r.address(), global))
                    .append("\r\n");
            h.append("Action: ").append(kind.name().toLowerCase(Locale.ROOT)).append("\r\n");
            String status = status(reply);
            if (kind == Kind.DELAYED && !status.startsWith("4.")) {
                status = "4.0.0"; // a delay is transient whatever the last reply's wording
            }
            h.append("Status: ").append(status).append("\r\n");
            String diagnostic;
            if (r.remoteMta().isPresent()) {
                h.append("Remote-MTA: dns; ")
                        .append(mtaName(r.remoteMta().get()))
                        .append("\r\n");
                // after an expiry, the server's own words are the last reply (the Status says it expired)
                String said = reply.startsWith(EXPIRED) ? reply.substring(EXPIRED.length()) : reply;
                diagnostic = "smtp; " + said;
            } else {
                diagnostic = OWN_DIAGNOSTIC_TYPE + "; " + reply;
            }
            h.append(fold("Diagnostic-Code: " + (global ? diagnostic : ascii(diagnostic))))
                    .append("\r\n");
            // RFC 3464 2.3.7: only when an attempt was made (a record of an older version may not know its time)
            r.lastAttempt()
                    .ifPresent(
                            t -> h.append("Last-Attempt-Date: ").append(date(t)).append("\r\n"));
            if (kind == Kind.DELAYED) {
                h.append("Will-Retry-Until: ").append(date(willRetryUntil)).append("\r\n");
            }
        }
        h.append("\r\n");

        h.append("--").append(boundary).append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(original.size(), returnLimit) + 4096);
        if (whole) {
            h.append("Content-Type: message/")
                    .append(global ? "global" : "rfc822")
                    .append("\r\n");
            h.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
            out.write(h.toString().getBytes(StandardCharsets.UTF_8));
            byte[] body = original.content().readAllBytes();
            out.write(body);
            if (body.length > 0 && body[body.length - 1] != '\n') {
                out.write('\r');
                out.write('\n');
            }
        } else {
            h.append("Content-Type: ")
                    .append(global ? "message/global-headers" : "text/rfc822-headers")
                    .append("\r\n");
            h.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
            out.write(h.toString().getBytes(StandardCharsets.UTF_8));
            out.write(headerOf(original));
        }
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static String defaultText(Kind kind) {
        return switch (kind) {
            case FAILED -> "delivery failed";
            case RELAYED -> "relayed";
            case DELAYED -> "not yet tried";
        };
    }

    private static String defaultReply(Kind kind) {
        return switch (kind) {
            case FAILED -> "550 5.0.0 delivery failed";
            case RELAYED -> "250 2.0.0";
            case DELAYED -> "451 4.0.0 not yet tried";
        };
    }

    /**
     * Whether the report must be an internationalized one (RFC 6533): the original was SMTPUTF8 mail, as far as the
     * spool can tell (a non-ASCII envelope address, or non-ASCII octets in its header section), or the report goes to
     * or names a non-ASCII address.
     */
    static boolean international(QueuedMessage original, String to, List<RecipientState> failed) throws IOException {
        if (!isAscii(to) || !isAscii(original.envelope().sender())) {
            return true;
        }
        for (String r : original.envelope().recipients()) {
            if (!isAscii(r)) {
                return true;
            }
        }
        for (RecipientState r : failed) {
            if (!isAscii(r.address())) {
                return true;
            }
        }
        for (byte b : headerOf(original)) {
            if (b < 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * An address field's value (RFC 3464 §2.3.2, RFC 6533 §3): {@code rfc822; ADDRESS} for an ASCII address, else
     * {@code utf-8; ADDRESS} in an internationalized report and the {@code utf-8} type's ASCII form
     * ({@code \x{HEX}} for each non-ASCII character, and for {@code \}, {@code +} and {@code =}) in any other.
     */
    static String addressField(String address, boolean global) {
        if (isAscii(address)) {
            return "rfc822; " + address;
        }
        if (global) {
            return "utf-8; " + address;
        }
        return "utf-8; " + org.mailhygiene.smtp.dsn.Xtext.encodeUtf8Address(address);
    }

    /**
     * The host name of a next hop as the delivery agent names it ({@code host[ip]:port}, {@code ip:port},
     * {@code [v6]:port}), for {@code Remote-MTA: dns; NAME}: the host, or the bare address when it was an IP literal.
     */
    static String mtaName(String endpoint) {
        String e = endpoint;
        if (e.startsWith("[")) { // an IPv6 literal: [addr]:port
            int close = e.indexOf(']');
            return close > 0 ? e.substring(1, close) : e;
        }
        int bracket = e.indexOf('[');
        if (bracket > 0) {
            return e.substring(0, bracket);
        }
        int colon = e.lastIndexOf(':');
        return colon > 0 && e.indexOf(':') == colon ? e.substring(0, colon) : e;
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static String ascii(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.append(cp < 0x80 ? (char) cp : '?'));
        return sb.toString();
    }

    /** The header section of a stored message, up to and including the empty line (or all of it if none). */
    private static byte[] headerOf(QueuedMessage m) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (InputStream in = m.content().openStream()) {
            int prev2 = -1;
            int prev = -1;
            int c;
            while ((c = in.read()) >= 0 && out.size() < 1024 * 1024) {
                out.write(c);
                if (c == '\n' && (prev == '\n' || (prev == '\r' && prev2 == '\n'))) {
                    break;
                }
                prev2 = prev;
                prev = c;
            }
        }
        return out.toByteArray();
    }

    /** Physical lines are folded from this many octets on, where a blank allows (RFC 5322 §2.1.1's 78). */
    private static final int FOLD_AT = 78;

    /** No run of octets without a blank is longer than this in a folded line: well inside RFC 5322's 998. */
    private static final int HARD_LIMIT = 900;

    /**
     * Folds one logical line (a report field, or a line of the text part) into physical lines of at most 998 octets:
     * a CRLF is put before a blank that precedes more text once a line reaches {@value #FOLD_AT} octets (never so as to
     * leave a line of blanks only), which unfolding (RFC 5322 §2.2.3, the
     * syntax RFC 3464's fields use) removes again; a run without blanks longer than {@value #HARD_LIMIT} octets is
     * broken with CRLF and a blank. A multi-line SMTP reply joined into one line (30 lines of a verbose server made
     * over 2,000 octets) would otherwise make the report one that relays enforcing the limit refuse.
     */
    static String fold(String line) {
        if (utf8Length(line) <= FOLD_AT) {
            return line;
        }
        StringBuilder out = new StringBuilder(line.length() + 64);
        int lineOctets = 0; // octets on the current physical line
        int i = 0;
        while (i < line.length()) {
            int blank = line.indexOf(' ', i + 1);
            int end = blank < 0 ? line.length() : blank; // the word [i, end), with its leading blank if any
            String word = line.substring(i, end);
            int octets = utf8Length(word);
            // never before a word that is only a blank (two blanks in a row, or one at the end): the fold would leave
            // a line of nothing but blanks, which RFC 5322 forbids generating and a reader of the report may take for
            // the blank line ending a recipient's fields; the blank stays on this line unless that breaks the limit
            boolean blankOnly = word.isBlank();
            if (lineOctets > 0 && lineOctets + octets > (blankOnly ? HARD_LIMIT : FOLD_AT) && word.startsWith(" ")) {
                out.append("\r\n");
                lineOctets = 0;
            }
            while (octets > HARD_LIMIT) {
                int cut = cutWithin(word, HARD_LIMIT - Math.min(lineOctets, HARD_LIMIT / 2));
                out.append(word, 0, cut).append("\r\n ");
                word = word.substring(cut);
                octets = utf8Length(word);
                lineOctets = 1;
            }
            out.append(word);
            lineOctets += octets;
            i = end;
        }
        return out.toString();
    }

    /** The number of leading chars of {@code s} that take at most {@code octets} octets in UTF-8 (at least one). */
    private static int cutWithin(String s, int octets) {
        int n = 0;
        int used = 0;
        while (n < s.length()) {
            int cp = s.codePointAt(n);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > octets && n > 0) {
                break;
            }
            used += len;
            n += Character.charCount(cp);
        }
        return n;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return sb.toString();
    }
}
