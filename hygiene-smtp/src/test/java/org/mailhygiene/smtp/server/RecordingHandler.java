package org.mailhygiene.smtp.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.dsn.DsnRequest;

/** Records every message (copied to heap) and answers with a scripted reply. */
final class RecordingHandler implements MessageHandler {
    record Received(Envelope envelope, byte[] bytes) {
        String text() {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }

        /** The message without the server's Received header (the first, folded header field). */
        String body() {
            String t = text();
            int i = 0;
            for (; ; ) {
                int crlf = t.indexOf("\r\n", i);
                if (crlf + 2 >= t.length() || (t.charAt(crlf + 2) != '\t' && t.charAt(crlf + 2) != ' ')) {
                    return t.substring(crlf + 2);
                }
                i = crlf + 2;
            }
        }

        /** The server's Received header field, unfolded. */
        String receivedHeader() {
            String t = text();
            return t.substring(0, t.length() - body().length())
                    .replace("\r\n\t", " ")
                    .trim();
        }
    }

    final List<Received> messages = new CopyOnWriteArrayList<>();
    volatile Function<Envelope, SmtpReply> reply = e -> new SmtpReply(250, "2.0.0", "Ok queued");

    @Override
    public SmtpReply handle(Envelope envelope, MessageContent content) throws Exception {
        messages.add(new Received(envelope, content.readAllBytes()));
        return reply.apply(envelope);
    }

    /** The DSN parameters of each message, in the order of {@link #messages}. */
    final List<DsnRequest> dsn = new CopyOnWriteArrayList<>();

    @Override
    public SmtpReply handle(Envelope envelope, MessageContent content, long traceHeaderLength, DsnRequest request)
            throws Exception {
        dsn.add(request);
        return handle(envelope, content, traceHeaderLength);
    }
}
