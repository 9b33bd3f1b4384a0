package org.mailhygiene.smtp.delivery;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.smtp.dsn.DsnParameters;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.smtp.dsn.Xtext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP mail transaction of an {@link SmtpClient} on an open {@link SmtpConnection}: MAIL FROM (with {@code SIZE=},
 * {@code BODY=8BITMIME} and {@code SMTPUTF8} as offered and needed), RCPT TO per recipient, DATA and the dot-stuffed
 * content (8-bit content converted to 7 bit by {@link SevenBitConverter} for a server without 8BITMIME, unless the
 * client's {@code mimeOutputConversion} is off; {@code SIZE=} then gives the converted size), pipelined when the server offers PIPELINING; with {@code RET}, {@code ENVID}, {@code NOTIFY} and
 * {@code ORCPT} (RFC 3461, xtext-encoded) as the message was received with them when the server offers DSN; and the reading of the replies into one
 * {@link RecipientResult} per recipient (see {@link SmtpClient} for the rules). Stateless; every call works on the
 * connection it is given.
 */
final class SmtpTransaction {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpTransaction.class);

    private SmtpTransaction() {}

    /**
     * Ends with RSET a transaction the server still holds open: MAIL was accepted but no message was taken (every
     * recipient refused, or DATA refused). Until session 41 such a connection was kept as it was, and the next
     * transaction on it got {@code 503 5.5.1 Error: nested MAIL command} from Postfix (and from the relay's own
     * server): a double bounce after a refused delivery was dropped so. The connection is in step, and may be kept,
     * only when RSET is answered 2xx; otherwise (another reply, a timeout, a closed connection) the pool closes it. The
     * transaction's results stand either way: nothing was handed over.
     */
    private static void reset(SmtpConnection c, SmtpTimeouts timeouts) {
        try {
            c.command("RSET", c.stage, timeouts.quit());
            c.inStep = c.read(c.stage, timeouts.quit()).isPositive();
        } catch (IOException e) {
            LOG.debug("{}: RSET after a transaction that took no message failed: {}", c.endpoint, e.toString());
            c.inStep = false;
        }
    }

    /**
     * Runs one mail transaction on a connection that has been greeted (its {@link SmtpConnection#extensions} are the
     * server's EHLO keywords): MAIL, RCPT, DATA, the data. Leaves the connection {@linkplain SmtpConnection#inStep in
     * step} when the server's last reply was read and nothing is outstanding, so that the pool can keep it or close it
     * with QUIT.
     *
     * @throws SmtpConnection.StaleConnection if a kept connection turned out closed before anything was handed over
     * @throws LocalReadFailed if the content could not be read
     * @throws IOException if the next hop failed ({@link HopFailedException} where the stage and reply are known)
     */
    static TransactionResult run(
            SmtpConnection c,
            SmtpTimeouts timeouts,
            String sender,
            List<String> rcpts,
            MessageContent content,
            DsnRequest dsnRequest,
            boolean mimeOutputConversion)
            throws IOException {
        Map<String, String> ext = c.extensions;
        boolean dsn = ext.containsKey("DSN");
        c.transactions++;
        c.inStep = false;
        String remote = c.endpoint.toString();
        boolean utf8 = !isAscii(sender) || rcpts.stream().anyMatch(r -> !isAscii(r));
        if (utf8 && !ext.containsKey("SMTPUTF8")) {
            c.inStep = true;
            return all(
                    c,
                    rcpts,
                    RecipientResult.Outcome.PERMANENT,
                    "5.6.7",
                    "554 5.6.7 next hop " + remote + " does not support SMTPUTF8, needed for a non-ASCII address",
                    ""); // the relay's own refusal to send: no server said it
        }
        // the content is read for 8-bit octets only when something depends on it: BODY=8BITMIME for a hop that offers
        // it, or the conversion for one that does not (off, such a hop gets the content as it is, unread here)
        boolean eightBit = (ext.containsKey("8BITMIME") || mimeOutputConversion) && hasEightBit(content);
        boolean bodyEightBit = eightBit && ext.containsKey("8BITMIME");
        SevenBitConverter.Plan plan = null;
        long size = content.size();
        if (eightBit && !bodyEightBit && mimeOutputConversion) {
            SevenBitConverter.Plan analysed = analyse(content);
            if (analysed.converted() > 0) {
                plan = analysed;
                if (ext.containsKey("SIZE")) {
                    size = convertedSize(content, plan); // a pass of its own: SIZE= and the hop's limit need it
                }
            }
            if (analysed.residual() != null) {
                LOG.info(
                        "{}: next hop does not offer 8BITMIME; {} part(s) converted to 7 bit; 8-bit data in {} is sent"
                                + " as it is",
                        remote,
                        analysed.converted(),
                        analysed.residual());
            } else {
                LOG.debug(
                        "{}: next hop does not offer 8BITMIME; {} part(s) converted to 7 bit",
                        remote,
                        analysed.converted());
            }
        }
        long limit = parseSize(ext.get("SIZE"));
        if (limit > 0 && size > limit) {
            c.inStep = true;
            return all(
                    c,
                    rcpts,
                    RecipientResult.Outcome.PERMANENT,
                    "5.3.4",
                    "552 5.3.4 message of " + size + " bytes exceeds the next hop's SIZE " + limit,
                    "");
        }
        StringBuilder mail = new StringBuilder("MAIL FROM:<").append(sender).append('>');
        if (ext.containsKey("SIZE")) {
            mail.append(" SIZE=").append(size);
        }
        if (bodyEightBit) {
            mail.append(" BODY=8BITMIME");
        }
        if (utf8) {
            mail.append(" SMTPUTF8");
        }
        if (dsn) {
            // RFC 3461 §4: passed on as received (values were decoded; encoded again as xtext)
            dsnRequest.ret().ifPresent(r -> mail.append(" RET=").append(r.name()));
            dsnRequest.envelopeId().ifPresent(e -> mail.append(" ENVID=").append(Xtext.encode(e)));
        }
        List<String> rcptCommands = new ArrayList<>(rcpts.size());
        for (int i = 0; i < rcpts.size(); i++) {
            StringBuilder rc =
                    new StringBuilder("RCPT TO:<").append(rcpts.get(i)).append('>');
            if (dsn) {
                DsnRequest.Recipient r = dsnRequest.recipient(i);
                r.notifyParameter().ifPresent(n -> rc.append(" NOTIFY=").append(n));
                // RFC 3461 4.2 caps ORCPT at 500 characters: a utf-8 address received as unitext can grow past that
                // as \x{HEX} xtext (up to ten characters each), and the next hop would refuse the whole RCPT for it
                r.orcpt()
                        .map(DsnRequest.Orcpt::parameter)
                        .filter(v -> v.length() <= DsnParameters.MAX_ORCPT)
                        .ifPresent(v -> rc.append(" ORCPT=").append(v));
            }
            rcptCommands.add(rc.toString());
        }
        boolean pipelining = ext.containsKey("PIPELINING");
        List<RecipientResult> results = new ArrayList<>();
        List<String> accepted = new ArrayList<>();
        if (pipelining) {
            StringBuilder batch = new StringBuilder(mail).append("\r\n");
            for (String rc : rcptCommands) {
                batch.append(rc).append("\r\n");
            }
            batch.append("DATA\r\n");
            byte[] b = batch.toString().getBytes(StandardCharsets.UTF_8);
            c.stage = HopFailedException.Stage.MAIL;
            c.sendFirst(b, b.length, timeouts.mail());
        } else {
            byte[] b = (mail + "\r\n").getBytes(StandardCharsets.UTF_8);
            c.stage = HopFailedException.Stage.MAIL;
            c.sendFirst(b, b.length, timeouts.mail());
        }
        SmtpResponse mailReply = c.readFirst(HopFailedException.Stage.MAIL, timeouts.mail());
        if ((mailReply.code() == 421 || mailReply.code() == 503) && c.transactions > 1) {
            // 503 (bad sequence) to MAIL on a kept connection says the server's view of the session is not ours (a
            // transaction it still holds open): a new connection is tried, as for a closed one, never a bounce
            throw new SmtpConnection.StaleConnection(
                    new IOException(mailReply.code() + " to MAIL on a kept connection: " + mailReply.oneLine()));
        }
        if (mailReply.isTransient() || (!mailReply.isPositive() && !mailReply.isPermanent())) {
            throw c.fail(mailReply, "MAIL refused: " + mailReply, null);
        }
        if (mailReply.isPermanent()) {
            // With PIPELINING the RCPT and DATA replies are still outstanding: the connection is not in step.
            c.inStep = !pipelining;
            return all(c, rcpts, RecipientResult.Outcome.PERMANENT, mailReply.status(), mailReply.oneLine(), remote);
        }
        for (int i = 0; i < rcpts.size(); i++) {
            String r = rcpts.get(i);
            if (!pipelining) {
                c.command(rcptCommands.get(i), HopFailedException.Stage.RCPT, timeouts.rcpt());
            }
            SmtpResponse rr = c.read(HopFailedException.Stage.RCPT, timeouts.rcpt());
            if (rr.code() == 421) {
                // RFC 5321 3.8: the server closes the session; the replies to the RCPTs pipelined behind it never
                // come. The transaction ends with the hop's own reply, as a 421 to MAIL or DATA does
                // A recipient this hop refused with a 5xx before it is refused for good (as without the 421): its
                // answer goes with the failure; until session 48 it was deferred with the 421 and retried for days.
                throw c.fail(rr, "RCPT refused: " + rr, null)
                        .afterRefusing(results.stream()
                                .filter(x -> x.outcome() == RecipientResult.Outcome.PERMANENT)
                                .toList());
            }
            if (rr.isPositive()) {
                accepted.add(r);
            } else {
                RecipientResult.Outcome o =
                        rr.isPermanent() ? RecipientResult.Outcome.PERMANENT : RecipientResult.Outcome.TEMPORARY;
                results.add(new RecipientResult(r, o, rr.status(), rr.oneLine(), remote));
            }
        }
        if (accepted.isEmpty()) {
            if (pipelining) {
                SmtpResponse d = c.read(HopFailedException.Stage.DATA, timeouts.dataInit());
                if (d.code() == 354) {
                    byte[] end = ".\r\n".getBytes(StandardCharsets.US_ASCII);
                    c.send(end, end.length, timeouts.dataBlock());
                    c.read(HopFailedException.Stage.DATA_END, timeouts.dataTermination());
                }
            }
            reset(c, timeouts);
            return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results), dsn);
        }
        if (!pipelining) {
            c.command("DATA", HopFailedException.Stage.DATA, timeouts.dataInit());
        }
        SmtpResponse dataReply = c.read(HopFailedException.Stage.DATA, timeouts.dataInit());
        if (dataReply.code() != 354) {
            if (dataReply.isPermanent()) {
                for (String r : accepted) {
                    results.add(new RecipientResult(
                            r, RecipientResult.Outcome.PERMANENT, dataReply.status(), dataReply.oneLine(), remote));
                }
                reset(c, timeouts);
                return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results), dsn);
            }
            throw c.fail(dataReply, "DATA refused: " + dataReply, null);
        }
        c.stage = HopFailedException.Stage.DATA;
        DotStuffer stuffer = new DotStuffer((buf, len) -> c.send(buf, len, timeouts.dataBlock()));
        byte[] buf = new byte[DotStuffer.BLOCK];
        try (InputStream body = content.openStream()) {
            int n;
            if (plan != null) {
                SevenBitConverter.convert(new LocalInput(body), plan, new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        stuffer.write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        stuffer.write(b, off, len);
                    }
                });
            }
            while (plan == null) {
                try {
                    n = body.read(buf);
                } catch (IOException e) {
                    throw new LocalReadFailed(e);
                }
                if (n < 0) {
                    break;
                }
                stuffer.write(buf, 0, n);
            }
        } catch (LocalReadFailed e) {
            throw e;
        } catch (IOException e) {
            if (e instanceof HopFailedException) {
                throw e;
            }
            throw c.fail(e);
        }
        stuffer.finish();
        SmtpResponse end = c.read(HopFailedException.Stage.DATA_END, timeouts.dataTermination());
        if (end.isPositive()) {
            for (String r : accepted) {
                results.add(
                        new RecipientResult(r, RecipientResult.Outcome.DELIVERED, end.status(), end.oneLine(), remote));
            }
        } else if (end.isPermanent()) {
            for (String r : accepted) {
                results.add(
                        new RecipientResult(r, RecipientResult.Outcome.PERMANENT, end.status(), end.oneLine(), remote));
            }
        } else {
            throw c.fail(end, "message refused after data: " + end, null);
        }
        c.inStep = true;
        return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results), dsn);
    }

    private static long parseSize(String v) {
        if (v == null || v.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static TransactionResult all(
            SmtpConnection c,
            List<String> rcpts,
            RecipientResult.Outcome o,
            String status,
            String diag,
            String remote) {
        List<RecipientResult> out = new ArrayList<>();
        for (String r : rcpts) {
            out.add(new RecipientResult(r, o, status, diag, remote));
        }
        return new TransactionResult(c.endpoint, c.secure, out, c.extensions.containsKey("DSN"));
    }

    private static List<RecipientResult> ordered(List<String> rcpts, List<RecipientResult> results) {
        List<RecipientResult> out = new ArrayList<>();
        List<RecipientResult> pool = new ArrayList<>(results);
        for (String r : rcpts) {
            for (int i = 0; i < pool.size(); i++) {
                if (pool.get(i).recipient().equals(r)) {
                    out.add(pool.remove(i));
                    break;
                }
            }
        }
        return out;
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Whether any octet of the content is 8-bit (0x80 and above). */
    static boolean hasEightBit(MessageContent content) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = content.openStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                int acc = 0;
                for (int i = 0; i < n; i++) {
                    acc |= buf[i]; // a byte >= 0x80 is negative: a branch-free loop the JIT can vectorise
                }
                if (acc < 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new LocalReadFailed(e);
        }
        return false;
    }

    private static SevenBitConverter.Plan analyse(MessageContent content) throws IOException {
        try (InputStream in = content.openStream()) {
            return SevenBitConverter.analyse(new LocalInput(in));
        } catch (IOException e) {
            throw e instanceof LocalReadFailed l ? l : new LocalReadFailed(e);
        }
    }

    private static long convertedSize(MessageContent content, SevenBitConverter.Plan plan) throws IOException {
        try (InputStream in = content.openStream()) {
            return SevenBitConverter.convert(new LocalInput(in), plan, OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw e instanceof LocalReadFailed l ? l : new LocalReadFailed(e);
        }
    }

    /** The content's stream, its read failures made {@link LocalReadFailed} (not the next hop's). */
    private static final class LocalInput extends FilterInputStream {
        LocalInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw e instanceof LocalReadFailed l ? l : new LocalReadFailed(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw e instanceof LocalReadFailed l ? l : new LocalReadFailed(e);
            }
        }
    }

    /** Thrown for a local content read failure, to tell it apart from the next hop's I/O errors. */
    static final class LocalReadFailed extends IOException {
        private static final long serialVersionUID = 1L;

        LocalReadFailed(IOException cause) {
            super("cannot read the message content: " + cause.getMessage(), cause);
        }
    }
}
