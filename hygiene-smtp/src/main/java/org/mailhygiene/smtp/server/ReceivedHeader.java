package org.mailhygiene.smtp.server;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Formats the trace header a relay prepends for each hop (RFC 5321 §4.4):
 *
 * <pre>
 * Received: from HELO ([IP])
 *         (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)
 *         by HOSTNAME (mail-hygiene) with PROTOCOL id ID
 *         for &lt;RCPT&gt;; DATE
 * </pre>
 *
 * The {@code from} clause carries the HELO name and, in parentheses, the client's address literal from the TCP
 * connection (no reverse DNS is looked up); over TLS a comment names the protocol and cipher suite the session
 * negotiated (as Postfix's {@code (using TLSv1.3 with cipher ...)}; RFC 5321 allows a comment before {@code by}), so a
 * reader of the message sees how the hop was protected, not only {@code ESMTPS}; the {@code for} clause appears only when the transaction has exactly one
 * recipient, since it may name exactly one path; the date is RFC 5322 with a numeric zone offset. Folded with CRLF and
 * a tab. Package-private; stateless and thread-safe.
 */
final class ReceivedHeader {
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private ReceivedHeader() {}

    /**
     * The header field with its final CRLF.
     *
     * @param helo the HELO/EHLO argument (already validated as a domain or address literal)
     * @param client the client's address
     * @param hostname this server's name
     * @param tls the TLS protocol and cipher suite of the session, {@code TLSv1.3 with cipher TLS_AES_128_GCM_SHA256},
     *     or {@code null} without TLS
     * @param protocol {@code SMTP}, {@code ESMTP}, {@code ESMTPS}, {@code UTF8SMTP}, ...
     * @param id the transaction id (an atom)
     * @param recipients the forward paths; a {@code for} clause is written only when there is exactly one
     * @param when the time of receipt
     * @return the header field
     */
    static String format(
            String helo,
            InetAddress client,
            String hostname,
            String tls,
            String protocol,
            String id,
            List<String> recipients,
            ZonedDateTime when) {
        StringBuilder sb = new StringBuilder(200);
        sb.append("Received: from ")
                .append(helo)
                .append(" (")
                .append(addressLiteral(client))
                .append(")\r\n");
        if (tls != null) {
            sb.append("\t(using ").append(tls).append(")\r\n");
        }
        sb.append("\tby ").append(hostname).append(" (mail-hygiene) with ").append(protocol);
        sb.append(" id ").append(id);
        if (recipients.size() == 1) {
            sb.append("\r\n\tfor <").append(recipients.get(0)).append(">");
        }
        sb.append("; ").append(DATE.format(when)).append("\r\n");
        return sb.toString();
    }

    /**
     * The text of the TLS comment: {@code TLSv1.3 with cipher TLS_AES_128_GCM_SHA256}. Any character other than a
     * letter, digit, {@code .}, {@code _} or {@code -} becomes {@code ?}, so the comment cannot end early or break the
     * field.
     *
     * @param protocol the negotiated protocol, {@code TLSv1.3}
     * @param cipherSuite the negotiated cipher suite
     * @return the comment's text, without parentheses
     */
    static String tlsComment(String protocol, String cipherSuite) {
        return safe(protocol) + " with cipher " + safe(cipherSuite);
    }

    private static String safe(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '_'
                    || c == '-';
            sb.append(ok ? c : '?');
        }
        return sb.toString();
    }

    /**
     * The RFC 5321 address literal of an address: {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}.
     *
     * @param a the address
     * @return the literal
     */
    static String addressLiteral(InetAddress a) {
        if (a instanceof Inet6Address) {
            String s = org.mailhygiene.internal.HostPorts.address(a);
            int pct = s.indexOf('%');
            return "[IPv6:" + (pct >= 0 ? s.substring(0, pct) : s) + "]";
        }
        return "[" + a.getHostAddress() + "]";
    }
}
