package org.mailhygiene.smtp.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Converts 8-bit message content to 7 bit for a next hop that does not offer 8BITMIME (RFC 6152 §3, RFC 1652's
 * downgrade), as Postfix does unless {@code disable_mime_output_conversion = yes}.
 *
 * <p>What changes: every leaf part whose body holds 8-bit octets (or NUL octets, which 7bit data must not hold either;
 * RFC 2045 §2.7) and whose {@code Content-Transfer-Encoding} is absent,
 * {@code 7bit}, {@code 8bit} or {@code binary} is encoded: {@code text/*} and {@code message/*} leaves (such as
 * {@code message/global}, which RFC 6532 lets be encoded) as quoted-printable, a text holding NUL octets and every
 * other type as base64. Its {@code Content-Transfer-Encoding} field is removed and the new one added as the last field
 * of its header. {@code multipart/*} and {@code message/rfc822} are never encoded (RFC 2045 §6.4): the converter
 * recurses into their parts and, when the whole entity is 7 bit afterwards, relabels an {@code 8bit} or {@code binary}
 * one {@code 7bit}. A message without any MIME field ({@code MIME-Version}, {@code Content-Type},
 * {@code Content-Transfer-Encoding}) and an 8-bit body becomes a MIME message as RFC 1428 describes (sendmail's
 * {@code EightBitMode=m}; Postfix leaves such a message unchanged): {@code MIME-Version: 1.0},
 * {@code Content-Type: text/plain; charset=unknown-8bit} and quoted-printable; so does such a message encapsulated in
 * {@code message/rfc822}. A message (or encapsulated message) with something converted inside, a {@code Content-Type}
 * but no {@code MIME-Version} gets {@code MIME-Version: 1.0}. Everything else passes
 * byte-identical apart from line ends, which become CRLF as {@link DotStuffer} makes them anyway (CR, LF and CRLF each
 * end a line).
 *
 * <p>What stays 8-bit (and is sent as it is, as before this converter existed): 8-bit octets in header fields (they
 * need SMTPUTF8, RFC 6532; no transfer encoding can carry them), in a multipart preamble or epilogue, in a part
 * already labelled {@code base64}, {@code quoted-printable} or an unknown encoding (encoding it again would change
 * what it decodes to), in {@code message/partial} and {@code message/external-body} (RFC 2046 §5.2.2 and §5.2.3 forbid
 * encoding them), in a multipart without a usable {@code boundary}, in a part whose header ends without its empty line,
 * and beyond {@value #MAX_DEPTH} levels of nesting. {@link Plan#residual()} names the first such place.
 *
 * <p>Malformed structure loses nothing: a missing close delimiter ends the parts at the enclosing boundary or at the
 * end of the message (as Postfix's MIME parser does), and every octet outside a converted part is copied.
 *
 * <p>Two passes over the content, each linear in its size and in bounded memory (one line piece of {@value #PIECE}
 * octets, the {@code Content-Type}, {@code Content-Transfer-Encoding} and {@code MIME-Version} values of the current
 * header up to {@value #FIELD_LIMIT} characters each, one decision octet per entity): {@link #analyse} reads the
 * structure and decides per entity, {@link #convert} writes the result. Not thread-safe per call; the static methods
 * may run concurrently on different streams.
 */
final class SevenBitConverter {
    /** MIME nesting deeper than this is copied unchanged (Postfix's {@code mime_nesting_limit} is 100 as well). */
    static final int MAX_DEPTH = 100;

    /** Lines longer than this are handled in pieces of this size. */
    static final int PIECE = 8192;

    /** The longest {@code Content-Type} (or other parsed field) value kept; the rest is ignored. */
    static final int FIELD_LIMIT = 16 * 1024;

    static final byte KEEP = 0;
    static final byte QP = 1;
    static final byte BASE64 = 2;
    static final byte RELABEL_7BIT = 3;
    static final byte ADD_MIME_VERSION = 8;
    static final byte ADD_CONTENT_TYPE = 16;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] B64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);

    private SevenBitConverter() {}

    /** What {@link #analyse} found: one decision per MIME entity, in the order the entities start. */
    static final class Plan {
        private byte[] decisions = new byte[16];
        private int entities;
        private int converted;
        private String residual;

        /**
         * How many leaf parts the conversion encodes.
         *
         * @return the count; 0 when {@link #convert} would change nothing
         */
        int converted() {
            return converted;
        }

        /**
         * Where 8-bit data stays after conversion (the first such place), or {@code null} when the converted message is
         * 7 bit throughout.
         *
         * @return a short description, or {@code null}
         */
        String residual() {
            return residual;
        }

        byte decision(int index) {
            return index < entities ? decisions[index] : KEEP;
        }

        private int add() {
            if (entities == decisions.length) {
                decisions = Arrays.copyOf(decisions, decisions.length * 2);
            }
            return entities++;
        }

        private void residual(String where) {
            if (residual == null) {
                residual = where;
            }
        }
    }

    /**
     * Reads the content and decides what {@link #convert} does with it.
     *
     * @param in the message (header and body); read to its end, not closed
     * @return the plan
     * @throws IOException if reading fails
     */
    static Plan analyse(InputStream in) throws IOException {
        Plan plan = new Plan();
        new Walker(in, plan, null).run();
        return plan;
    }

    /**
     * Writes the content converted by {@code plan}, which must come from {@link #analyse} of the same bytes.
     *
     * @param in the message, from its start; read to its end, not closed
     * @param plan the plan of these bytes
     * @param out where the result goes; not closed
     * @return how many octets were written
     * @throws IOException if reading or writing fails
     */
    static long convert(InputStream in, Plan plan, OutputStream out) throws IOException {
        Walker w = new Walker(in, plan, out);
        w.run();
        return w.written;
    }

    private enum Kind {
        HEADER,
        LEAF,
        MULTIPART,
        MESSAGE,
        OPAQUE
    }

    private static final class Entity {
        final int index;
        final Entity parent;
        final int depth;
        final boolean digestChild;
        Kind kind = Kind.HEADER;
        final StringBuilder contentType = new StringBuilder();
        final StringBuilder encoding = new StringBuilder();
        boolean sawType;
        boolean sawEncoding;
        boolean sawVersion;
        int field; // 0 none/other, 1 Content-Type, 2 Content-Transfer-Encoding, 3 MIME-Version
        boolean dropping;
        String cte = "";
        String boundary;
        boolean digest;
        boolean convertible;
        boolean textual;
        boolean nonMime;
        boolean eight;
        boolean nul;
        boolean residual;
        boolean convertedInside;
        final boolean messageStart;
        byte decision;

        Entity(int index, Entity parent, boolean digestChild) {
            this.index = index;
            this.parent = parent;
            this.messageStart = parent == null || parent.kind == Kind.MESSAGE;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.digestChild = digestChild;
        }
    }

    /** One pass: analysis when {@code out} is null, output otherwise. */
    private static final class Walker {
        private final InputStream in;
        private final Plan plan;
        private final OutputStream out;
        private final boolean emit;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int lim;
        private boolean eof;
        private final byte[] piece = new byte[PIECE];
        private int len;
        private boolean ended;
        private boolean first = true;
        private final List<Entity> frames = new ArrayList<>();
        private Entity cur;
        private int nextIndex;
        private Entity passOwner; // the multipart whose boundary line goes on in the next pieces: copied
        private final byte[] obuf = new byte[64 * 1024];
        private int on;
        long written;
        // encoder state of the current converted leaf
        private int lineLen;
        private int pendingWs = -1;
        private boolean afterSoftBreak;
        private int b64Count;
        private int b64Acc;
        private boolean pendingCrlf;

        Walker(InputStream in, Plan plan, OutputStream out) {
            this.in = in;
            this.plan = plan;
            this.out = out;
            this.emit = out != null;
        }

        void run() throws IOException {
            cur = newEntity(null, false);
            while (readPiece()) {
                boolean f = first;
                onPiece(f);
                first = ended;
            }
            endUpTo(null, true);
            if (emit && on > 0) {
                out.write(obuf, 0, on);
                on = 0;
            }
        }

        private Entity newEntity(Entity parent, boolean digestChild) {
            int index = emit ? nextIndex++ : plan.add();
            Entity e = new Entity(index, parent, digestChild);
            startedField = false;
            if (emit) {
                e.decision = plan.decision(index);
            }
            return e;
        }

        // ---- input -------------------------------------------------------------------------------------------

        private int next() throws IOException {
            if (pos == lim) {
                if (eof) {
                    return -1;
                }
                int n = in.read(buf);
                while (n == 0) {
                    n = in.read(buf);
                }
                if (n < 0) {
                    eof = true;
                    return -1;
                }
                pos = 0;
                lim = n;
            }
            return buf[pos++] & 0xff;
        }

        private int peek() throws IOException {
            int c = next();
            if (c >= 0) {
                pos--;
            }
            return c;
        }

        /** Reads the next piece of a line: at most PIECE octets, {@code ended} when its line end was read. */
        private boolean readPiece() throws IOException {
            len = 0;
            ended = false;
            while (len < PIECE) {
                if (pos == lim && next() >= 0) {
                    pos--; // refilled: the byte is read below
                }
                if (pos == lim) {
                    return len > 0;
                }
                int max = Math.min(lim, pos + (PIECE - len));
                int i = pos;
                while (i < max && buf[i] != '\r' && buf[i] != '\n') {
                    i++;
                }
                System.arraycopy(buf, pos, piece, len, i - pos);
                len += i - pos;
                pos = i;
                if (i < max) {
                    pos++;
                    if (buf[i] == '\r' && peek() == '\n') {
                        next();
                    }
                    ended = true;
                    return true;
                }
            }
            return true;
        }

        // ---- structure ---------------------------------------------------------------------------------------

        private void onPiece(boolean firstPiece) throws IOException {
            if (!firstPiece && passOwner != null) {
                asIs(passOwner, "a multipart boundary line");
                return;
            }
            passOwner = null;
            if (firstPiece && len >= 2 && piece[0] == '-' && piece[1] == '-' && !frames.isEmpty()) {
                for (int k = frames.size() - 1; k >= 0; k--) {
                    Entity m = frames.get(k);
                    int r = matchBoundary(m.boundary);
                    if (r != 0) {
                        boundary(k, m, r);
                        return;
                    }
                }
            }
            switch (cur.kind) {
                case HEADER -> headerPiece(firstPiece);
                case LEAF -> leafPiece(firstPiece);
                case MULTIPART -> asIs(cur, "a multipart preamble or epilogue");
                default -> asIs(cur, null); // described only when 8-bit data is found: once, not per line
            }
        }

        private String describe(Entity e) {
            String type = mediaType(e);
            return e.cte.isEmpty() ? type : type + ", Content-Transfer-Encoding " + e.cte;
        }

        /** 0: no boundary of {@code b}; 1: a delimiter; 2: the close delimiter. */
        private int matchBoundary(String b) {
            int bl = b.length();
            if (len < 2 + bl) {
                return 0;
            }
            for (int i = 0; i < bl; i++) {
                if (piece[2 + i] != (byte) b.charAt(i)) {
                    return 0;
                }
            }
            int i = 2 + bl;
            if (len >= i + 2 && piece[i] == '-' && piece[i + 1] == '-') {
                return 2;
            }
            for (; i < len; i++) {
                if (piece[i] != ' ' && piece[i] != '\t') {
                    return 0;
                }
            }
            return 1;
        }

        private void boundary(int k, Entity m, int kind) throws IOException {
            endUpTo(m, false);
            while (frames.size() > k + 1) {
                frames.remove(frames.size() - 1);
            }
            cur = m;
            asIs(m, "a multipart boundary line");
            passOwner = ended ? null : m;
            if (kind == 1) {
                cur = newEntity(m, m.digest);
            } else {
                frames.remove(k);
                // m stays current: its epilogue follows
            }
        }

        /** Ends the current entity and its ancestors up to (not including) {@code stop}; null ends every one. */
        private void endUpTo(Entity stop, boolean atEnd) throws IOException {
            for (Entity e = cur; e != null && e != stop; e = e.parent) {
                finish(e, atEnd);
            }
        }

        private void finish(Entity e, boolean atEnd) throws IOException {
            if (e.kind == Kind.HEADER) {
                // the header never ended (end of input or a boundary in it): nothing to convert
                e.kind = Kind.OPAQUE;
            }
            if (emit) {
                if (e.kind == Kind.LEAF) {
                    endEncoding(e, atEnd);
                }
                return;
            }
            byte d = KEEP;
            if (e.kind == Kind.LEAF && (e.eight || e.nul)) {
                if (e.convertible) {
                    d = e.textual && !e.nul ? QP : BASE64;
                    plan.converted++;
                    e.convertedInside = true;
                    if (e.nonMime) {
                        d |= ADD_MIME_VERSION | ADD_CONTENT_TYPE;
                    }
                } else {
                    markResidual(e, "a part left unconverted (" + describe(e) + ")");
                }
            } else if ((e.kind == Kind.MULTIPART || e.kind == Kind.MESSAGE)
                    && (e.cte.equals("8bit") || e.cte.equals("binary"))
                    && !e.residual) {
                d = RELABEL_7BIT;
            }
            if (e.messageStart && e.convertedInside && !e.sawVersion) {
                d |= ADD_MIME_VERSION;
            }
            if (e.parent != null) {
                e.parent.residual |= e.residual;
                e.parent.convertedInside |= e.convertedInside;
            }
            plan.decisions[e.index] = d;
        }

        private void markResidual(Entity e, String where) {
            e.residual = true;
            plan.residual(where);
        }

        // ---- header ------------------------------------------------------------------------------------------

        private void headerPiece(boolean firstPiece) throws IOException {
            Entity e = cur;
            if (firstPiece) {
                if (len == 0 && ended) {
                    endHeader(e);
                    return;
                }
                if (piece[0] == ' ' || piece[0] == '\t') {
                    if (e.field == 0 && !e.dropping && !startedField) {
                        garbage(e);
                        return;
                    }
                    fieldText(e, 0);
                    return;
                }
                int colon = fieldName();
                if (colon < 0) {
                    garbage(e);
                    return;
                }
                startedField = true;
                String name = new String(piece, 0, colon, StandardCharsets.US_ASCII)
                        .trim()
                        .toLowerCase(Locale.ROOT);
                e.field = switch (name) {
                    case "content-type" -> 1;
                    case "content-transfer-encoding" -> 2;
                    case "mime-version" -> 3;
                    default -> 0;
                };
                if (e.field == 1) {
                    e.sawType = true;
                    e.contentType.setLength(0);
                } else if (e.field == 2) {
                    e.sawEncoding = true;
                    e.encoding.setLength(0);
                } else if (e.field == 3) {
                    e.sawVersion = true;
                }
                byte d = (byte) (e.decision & 7);
                e.dropping = emit && e.field == 2 && d != KEEP;
                fieldText(e, colon + 1);
                return;
            }
            fieldText(e, 0);
        }

        private boolean startedField;

        /** The index of the colon ending a field name ({@code name:} or the obsolete {@code name :}), or -1. */
        private int fieldName() {
            int i = 0;
            while (i < len && piece[i] > 32 && piece[i] < 127 && piece[i] != ':') {
                i++;
            }
            if (i == 0) {
                return -1;
            }
            int j = i;
            while (j < len && (piece[j] == ' ' || piece[j] == '\t')) {
                j++;
            }
            return j < len && piece[j] == ':' ? j : -1;
        }

        private void fieldText(Entity e, int from) throws IOException {
            if (!emit) {
                for (int i = 0; i < len; i++) {
                    if (piece[i] < 0) {
                        markResidual(e, "a header field (8-bit header fields need SMTPUTF8)");
                        break;
                    }
                }
                StringBuilder sb = e.field == 1 ? e.contentType : e.field == 2 ? e.encoding : null;
                if (sb != null) {
                    appendValue(sb, from);
                }
            } else {
                StringBuilder sb = e.field == 1 ? e.contentType : e.field == 2 ? e.encoding : null;
                if (sb != null) {
                    appendValue(sb, from);
                }
                if (!e.dropping) {
                    write(piece, 0, len);
                    if (ended) {
                        write(CRLF, 0, 2);
                    }
                }
            }
        }

        private void appendValue(StringBuilder sb, int from) {
            if (from == 0 && first && sb.length() > 0) {
                sb.append(' ');
            }
            for (int i = from; i < len && sb.length() < FIELD_LIMIT; i++) {
                sb.append((char) (piece[i] & 0xff));
            }
        }

        /** A line in a header that is neither a field nor a continuation: the header ends without its empty line. */
        private void garbage(Entity e) throws IOException {
            startedField = false;
            e.kind = Kind.OPAQUE;
            e.dropping = false;
            asIs(e, "a part whose header has no empty line after it");
        }

        private void endHeader(Entity e) throws IOException {
            startedField = false;
            e.dropping = false;
            e.cte = token(e.encoding);
            String type = mediaType(e);
            boolean identity =
                    e.cte.isEmpty() || e.cte.equals("7bit") || e.cte.equals("8bit") || e.cte.equals("binary");
            if (e.messageStart && !e.sawType && !e.sawEncoding && !e.sawVersion) {
                e.kind = Kind.LEAF;
                e.nonMime = true;
                e.textual = true;
                e.convertible = true;
            } else if (type.startsWith("multipart/")) {
                String b = parameter(e.contentType, "boundary");
                if (b != null && !b.isEmpty() && b.length() <= 200 && identity && e.depth < MAX_DEPTH) {
                    e.kind = Kind.MULTIPART;
                    e.boundary = b;
                    e.digest = type.equals("multipart/digest");
                    frames.add(e);
                } else {
                    e.kind = Kind.OPAQUE;
                }
            } else if (type.equals("message/rfc822") && identity && e.depth < MAX_DEPTH) {
                e.kind = Kind.MESSAGE;
            } else if (type.equals("message/partial") || type.equals("message/external-body")) {
                e.kind = Kind.OPAQUE;
            } else {
                e.kind = Kind.LEAF;
                e.convertible = identity;
                e.textual = type.startsWith("text/") || type.startsWith("message/");
            }
            if (emit) {
                byte d = e.decision;
                if ((d & ADD_MIME_VERSION) != 0) {
                    writeAscii("MIME-Version: 1.0\r\n");
                }
                if ((d & ADD_CONTENT_TYPE) != 0) {
                    writeAscii("Content-Type: text/plain; charset=unknown-8bit\r\n");
                }
                switch (d & 7) {
                    case QP -> writeAscii("Content-Transfer-Encoding: quoted-printable\r\n");
                    case BASE64 -> writeAscii("Content-Transfer-Encoding: base64\r\n");
                    case RELABEL_7BIT -> writeAscii("Content-Transfer-Encoding: 7bit\r\n");
                    default -> {}
                }
                write(CRLF, 0, 2);
                lineLen = 0;
                pendingWs = -1;
                b64Count = 0;
                b64Acc = 0;
                pendingCrlf = false;
            }
            if (e.kind == Kind.MESSAGE) {
                cur = newEntity(e, false);
            }
        }

        private String mediaType(Entity e) {
            String def = e.digestChild ? "message/rfc822" : "text/plain";
            if (!e.sawType) {
                return def;
            }
            String t = token(e.contentType);
            int slash = t.indexOf('/');
            return slash > 0 && slash < t.length() - 1 ? t : def;
        }

        // ---- bodies ------------------------------------------------------------------------------------------

        /**
         * Copies the piece (output) or notes 8-bit data in it (analysis); {@code where} null: "a part left
         * unconverted" with the entity's type and encoding, worked out only for the first such place.
         */
        private void asIs(Entity e, String where) throws IOException {
            if (emit) {
                write(piece, 0, len);
                if (ended) {
                    write(CRLF, 0, 2);
                }
                return;
            }
            for (int i = 0; i < len; i++) {
                if (piece[i] < 0) {
                    if (where == null && plan.residual() == null) {
                        where = "a part left unconverted (" + describe(e) + ")";
                    }
                    markResidual(e, where);
                    return;
                }
            }
        }

        private void leafPiece(boolean firstPiece) throws IOException {
            Entity e = cur;
            if (!emit) {
                int acc = 0;
                boolean nul = false;
                for (int i = 0; i < len; i++) {
                    byte b = piece[i];
                    acc |= b;
                    nul |= b == 0;
                }
                e.eight |= acc < 0;
                e.nul |= nul;
                return;
            }
            switch (e.decision & 7) {
                case QP -> {
                    for (int i = 0; i < len; i++) {
                        qp(piece[i] & 0xff);
                    }
                    if (ended) {
                        qpLineEnd();
                        write(CRLF, 0, 2);
                    }
                }
                case BASE64 -> {
                    if (firstPiece && pendingCrlf) {
                        b64('\r');
                        b64('\n');
                    }
                    pendingCrlf = false;
                    int i = 0;
                    while (b64Count != 0 && i < len) {
                        b64(piece[i++] & 0xff);
                    }
                    for (; i + 3 <= len; i += 3) {
                        int v = (piece[i] & 0xff) << 16 | (piece[i + 1] & 0xff) << 8 | piece[i + 2] & 0xff;
                        room(6);
                        obuf[on] = B64[v >> 18];
                        obuf[on + 1] = B64[(v >> 12) & 63];
                        obuf[on + 2] = B64[(v >> 6) & 63];
                        obuf[on + 3] = B64[v & 63];
                        on += 4;
                        written += 4;
                        lineLen += 4;
                        if (lineLen >= 76) {
                            obuf[on++] = '\r';
                            obuf[on++] = '\n';
                            written += 2;
                            lineLen = 0;
                        }
                    }
                    while (i < len) {
                        b64(piece[i++] & 0xff);
                    }
                    pendingCrlf = ended;
                }
                default -> {
                    write(piece, 0, len);
                    if (ended) {
                        write(CRLF, 0, 2);
                    }
                }
            }
        }

        /** Ends a converted leaf; {@code atEnd}: at the end of the input (a pending line end is content then). */
        private void endEncoding(Entity e, boolean atEnd) throws IOException {
            switch (e.decision & 7) {
                case QP -> qpLineEnd();
                case BASE64 -> {
                    if (pendingCrlf && atEnd) {
                        b64('\r');
                        b64('\n');
                    }
                    pendingCrlf = false;
                    if (b64Count == 1) {
                        b64Out(B64[(b64Acc >> 2) & 63], B64[(b64Acc << 4) & 63], '=', '=');
                    } else if (b64Count == 2) {
                        b64Out(B64[(b64Acc >> 10) & 63], B64[(b64Acc >> 4) & 63], B64[(b64Acc << 2) & 63], '=');
                    }
                    b64Count = 0;
                    b64Acc = 0;
                    if (lineLen > 0) {
                        write(CRLF, 0, 2);
                        lineLen = 0;
                    }
                }
                default -> {}
            }
        }

        private void qp(int c) throws IOException {
            if (pendingWs >= 0) {
                int w = pendingWs;
                pendingWs = -1;
                qpLiteral(w);
            }
            if (c == ' ' || c == '\t') {
                pendingWs = c;
            } else if (c >= 33 && c <= 126 && c != '=') {
                qpLiteral(c);
            } else {
                qpEncoded(c);
            }
        }

        private void qpLineEnd() throws IOException {
            if (pendingWs >= 0) {
                int w = pendingWs;
                pendingWs = -1;
                qpEncoded(w);
            }
            lineLen = 0;
        }

        private void qpLiteral(int c) throws IOException {
            if (lineLen + 1 > 75) {
                softBreak();
            }
            if (c == '-' && lineLen == 0 && afterSoftBreak) {
                // a soft break must not make a line that starts like a boundary ("--XX" in the middle of a line)
                qpEncoded(c);
                return;
            }
            afterSoftBreak = false;
            room(1);
            obuf[on++] = (byte) c;
            written++;
            lineLen++;
        }

        private void qpEncoded(int c) throws IOException {
            if (lineLen + 3 > 75) {
                softBreak();
            }
            afterSoftBreak = false;
            room(3);
            obuf[on] = '=';
            obuf[on + 1] = HEX[c >> 4];
            obuf[on + 2] = HEX[c & 15];
            on += 3;
            written += 3;
            lineLen += 3;
        }

        /** Makes room for {@code n} more octets in the output buffer. */
        private void room(int n) throws IOException {
            if (on + n > obuf.length) {
                out.write(obuf, 0, on);
                on = 0;
            }
        }

        private void softBreak() throws IOException {
            writeByte('=');
            write(CRLF, 0, 2);
            lineLen = 0;
            afterSoftBreak = true;
        }

        private void b64(int c) throws IOException {
            b64Acc = (b64Acc << 8) | c;
            if (++b64Count == 3) {
                b64Out(B64[(b64Acc >> 18) & 63], B64[(b64Acc >> 12) & 63], B64[(b64Acc >> 6) & 63], B64[b64Acc & 63]);
                b64Count = 0;
                b64Acc = 0;
            }
        }

        private void b64Out(int a, int b, int c, int d) throws IOException {
            writeByte(a);
            writeByte(b);
            writeByte(c);
            writeByte(d);
            lineLen += 4;
            if (lineLen >= 76) {
                write(CRLF, 0, 2);
                lineLen = 0;
            }
        }

        // ---- output ------------------------------------------------------------------------------------------

        private void write(byte[] b, int off, int n) throws IOException {
            if (n > obuf.length - on) {
                out.write(obuf, 0, on);
                on = 0;
                if (n > obuf.length) {
                    out.write(b, off, n);
                    written += n;
                    return;
                }
            }
            System.arraycopy(b, off, obuf, on, n);
            on += n;
            written += n;
        }

        private void writeByte(int b) throws IOException {
            if (on == obuf.length) {
                out.write(obuf, 0, on);
                on = 0;
            }
            obuf[on++] = (byte) b;
            written++;
        }

        private void writeAscii(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            write(b, 0, b.length);
        }
    }

    // ---- field values ------------------------------------------------------------------------------------------

    /** The first token of a field value (comments and white space skipped), lower case. */
    static String token(CharSequence value) {
        String v = stripComments(value).trim();
        int end = 0;
        while (end < v.length()) {
            char c = v.charAt(end);
            if (c == ';' || c == ' ' || c == '\t' || c == '"') {
                break;
            }
            end++;
        }
        return v.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /** A parameter of a {@code Content-Type} value (quoted or not), or null. */
    static String parameter(CharSequence value, String name) {
        String v = stripComments(value);
        int i = 0;
        int n = v.length();
        // skip the type/subtype
        while (i < n && v.charAt(i) != ';') {
            if (v.charAt(i) == '"') {
                return null;
            }
            i++;
        }
        while (i < n) {
            i++; // the ';'
            while (i < n && (v.charAt(i) == ' ' || v.charAt(i) == '\t')) {
                i++;
            }
            int ns = i;
            while (i < n && v.charAt(i) != '=' && v.charAt(i) != ';') {
                i++;
            }
            String pn = v.substring(ns, i).trim().toLowerCase(Locale.ROOT);
            if (i >= n || v.charAt(i) == ';') {
                continue;
            }
            i++; // '='
            while (i < n && (v.charAt(i) == ' ' || v.charAt(i) == '\t')) {
                i++;
            }
            StringBuilder pv = new StringBuilder();
            if (i < n && v.charAt(i) == '"') {
                i++;
                while (i < n && v.charAt(i) != '"') {
                    char c = v.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        i++;
                        c = v.charAt(i);
                    }
                    pv.append(c);
                    i++;
                }
                i++; // closing quote
                while (i < n && v.charAt(i) != ';') {
                    i++;
                }
            } else {
                while (i < n && v.charAt(i) != ';') {
                    pv.append(v.charAt(i));
                    i++;
                }
                String t = pv.toString().trim();
                pv.setLength(0);
                pv.append(t);
            }
            if (pn.equals(name)) {
                return pv.toString();
            }
        }
        return null;
    }

    /** Removes RFC 5322 comments outside quoted strings (nesting and quoted pairs honoured). */
    static String stripComments(CharSequence value) {
        StringBuilder sb = new StringBuilder(value.length());
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && (quoted || depth > 0) && i + 1 < value.length()) {
                if (depth == 0) {
                    sb.append(c).append(value.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (quoted) {
                if (c == '"') {
                    quoted = false;
                }
                sb.append(c);
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                if (c == '"') {
                    quoted = true;
                }
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
