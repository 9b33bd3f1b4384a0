package org.mailhygiene.milter.protocol;

/**
 * The codes of the milter protocol: commands the MTA sends ({@code SMFIC_*}), replies the filter sends
 * ({@code SMFIR_*}), the actions a filter may ask for ({@code SMFIF_*}) and the protocol flags ({@code SMFIP_*}) with
 * which a filter skips steps it does not need or promises not to reply to them. Values as in Postfix's
 * {@code src/milter/milter8.c} and Sendmail's {@code include/libmilter/mfdef.h}.
 *
 * <p>Constants only; not instantiable.
 */
public final class MilterProtocol {
    private MilterProtocol() {}

    /** The highest protocol version this implementation speaks (Postfix 2.6+ and Sendmail 8.14+ offer it). */
    public static final int VERSION = 6;

    /** The lowest protocol version accepted from an MTA (Postfix 2.3-2.5 default). */
    public static final int MIN_VERSION = 2;

    // Commands, MTA to filter.

    /** {@code SMFIC_ABORT}: the current message is aborted; no reply. */
    public static final byte SMFIC_ABORT = 'A';
    /** {@code SMFIC_BODY}: a body chunk. */
    public static final byte SMFIC_BODY = 'B';
    /** {@code SMFIC_CONNECT}: client host name, address family, port and address. */
    public static final byte SMFIC_CONNECT = 'C';
    /** {@code SMFIC_MACRO}: macro definitions for the command named in the first byte; no reply. */
    public static final byte SMFIC_MACRO = 'D';
    /** {@code SMFIC_BODYEOB}: end of message (may carry a last body chunk). */
    public static final byte SMFIC_BODYEOB = 'E';
    /** {@code SMFIC_HELO}: the HELO/EHLO argument. */
    public static final byte SMFIC_HELO = 'H';
    /** {@code SMFIC_HEADER}: one header field, name and value. */
    public static final byte SMFIC_HEADER = 'L';
    /** {@code SMFIC_MAIL}: MAIL FROM, the reverse path and ESMTP arguments. */
    public static final byte SMFIC_MAIL = 'M';
    /** {@code SMFIC_EOH}: end of the header section. */
    public static final byte SMFIC_EOH = 'N';
    /** {@code SMFIC_OPTNEG}: option negotiation (version, actions, protocol flags). */
    public static final byte SMFIC_OPTNEG = 'O';
    /** {@code SMFIC_QUIT}: the MTA closes the connection; no reply. */
    public static final byte SMFIC_QUIT = 'Q';
    /** {@code SMFIC_RCPT}: RCPT TO, one forward path and ESMTP arguments. */
    public static final byte SMFIC_RCPT = 'R';
    /** {@code SMFIC_DATA}: the DATA command. */
    public static final byte SMFIC_DATA = 'T';
    /** {@code SMFIC_UNKNOWN}: an SMTP command the MTA does not know. */
    public static final byte SMFIC_UNKNOWN = 'U';
    /** {@code SMFIC_QUIT_NC}: end of this SMTP connection, a new one follows on the same filter connection. */
    public static final byte SMFIC_QUIT_NC = 'K';

    // Replies, filter to MTA.

    /** {@code SMFIR_ACCEPT}: accept (the message, or at connect/HELO the whole connection). */
    public static final byte SMFIR_ACCEPT = 'a';
    /** {@code SMFIR_CONTINUE}: go on with the next step. */
    public static final byte SMFIR_CONTINUE = 'c';
    /** {@code SMFIR_DISCARD}: accept and silently drop the message. */
    public static final byte SMFIR_DISCARD = 'd';
    /** {@code SMFIR_REJECT}: reject with the MTA's generic 5xx reply. */
    public static final byte SMFIR_REJECT = 'r';
    /** {@code SMFIR_TEMPFAIL}: reject with the MTA's generic 4xx reply. */
    public static final byte SMFIR_TEMPFAIL = 't';
    /** {@code SMFIR_REPLYCODE}: reject with this SMTP reply ({@code "554 5.7.1 text"}, NUL-terminated). */
    public static final byte SMFIR_REPLYCODE = 'y';
    /** {@code SMFIR_PROGRESS}: still working; the MTA restarts its timer and keeps waiting. */
    public static final byte SMFIR_PROGRESS = 'p';
    /** {@code SMFIR_QUARANTINE}: put the message on hold (Postfix: the hold queue) with this reason; not final. */
    public static final byte SMFIR_QUARANTINE = 'q';
    /** {@code SMFIR_ADDHEADER}: append a header field (name, value). */
    public static final byte SMFIR_ADDHEADER = 'h';
    /** {@code SMFIR_INSHEADER}: insert a header field at an index (index, name, value). */
    public static final byte SMFIR_INSHEADER = 'i';
    /** {@code SMFIR_CHGHEADER}: change (or, with an empty value, delete) the n-th field of a name. */
    public static final byte SMFIR_CHGHEADER = 'm';
    /** {@code SMFIR_SKIP}: skip further events of this kind (body chunks). */
    public static final byte SMFIR_SKIP = 's';
    /** {@code SMFIR_SHUTDOWN}: 421, close the SMTP connection. */
    public static final byte SMFIR_SHUTDOWN = '4';
    /** {@code SMFIR_CONN_FAIL}: cause a connection failure. */
    public static final byte SMFIR_CONN_FAIL = 'f';
    /** {@code SMFIR_ADDRCPT}: add a recipient. */
    public static final byte SMFIR_ADDRCPT = '+';
    /** {@code SMFIR_DELRCPT}: delete a recipient. */
    public static final byte SMFIR_DELRCPT = '-';
    /** {@code SMFIR_REPLBODY}: a chunk of a replacement body. */
    public static final byte SMFIR_REPLBODY = 'b';
    /** {@code SMFIR_CHGFROM}: replace the sender. */
    public static final byte SMFIR_CHGFROM = 'e';
    /** {@code SMFIR_ADDRCPT_PAR}: add a recipient with ESMTP arguments. */
    public static final byte SMFIR_ADDRCPT_PAR = '2';
    /** {@code SMFIR_SETSYMLIST}: set the list of macros wanted per stage. */
    public static final byte SMFIR_SETSYMLIST = 'l';
    /** The option negotiation reply uses the command's code, {@code 'O'}. */
    public static final byte SMFIR_OPTNEG = 'O';

    // Actions (SMFIF_*): what a filter may do at end of message.

    /** {@code SMFIF_ADDHDRS}: add header fields. */
    public static final int SMFIF_ADDHDRS = 0x01;
    /** {@code SMFIF_CHGBODY}: replace the body. */
    public static final int SMFIF_CHGBODY = 0x02;
    /** {@code SMFIF_ADDRCPT}: add recipients. */
    public static final int SMFIF_ADDRCPT = 0x04;
    /** {@code SMFIF_DELRCPT}: delete recipients. */
    public static final int SMFIF_DELRCPT = 0x08;
    /** {@code SMFIF_CHGHDRS}: change or delete header fields. */
    public static final int SMFIF_CHGHDRS = 0x10;
    /** {@code SMFIF_QUARANTINE}: quarantine the message. */
    public static final int SMFIF_QUARANTINE = 0x20;
    /** {@code SMFIF_CHGFROM}: change the sender. */
    public static final int SMFIF_CHGFROM = 0x40;
    /** {@code SMFIF_ADDRCPT_PAR}: add recipients with arguments. */
    public static final int SMFIF_ADDRCPT_PAR = 0x80;
    /** {@code SMFIF_SETSYMLIST}: choose the macros per stage. */
    public static final int SMFIF_SETSYMLIST = 0x100;

    // Protocol flags (SMFIP_*): steps to skip, replies not sent.

    /** {@code SMFIP_NOCONNECT}: do not send CONNECT. */
    public static final int SMFIP_NOCONNECT = 0x01;
    /** {@code SMFIP_NOHELO}: do not send HELO. */
    public static final int SMFIP_NOHELO = 0x02;
    /** {@code SMFIP_NOMAIL}: do not send MAIL. */
    public static final int SMFIP_NOMAIL = 0x04;
    /** {@code SMFIP_NORCPT}: do not send RCPT. */
    public static final int SMFIP_NORCPT = 0x08;
    /** {@code SMFIP_NOBODY}: do not send the body. */
    public static final int SMFIP_NOBODY = 0x10;
    /** {@code SMFIP_NOHDRS}: do not send header fields. */
    public static final int SMFIP_NOHDRS = 0x20;
    /** {@code SMFIP_NOEOH}: do not send end of headers. */
    public static final int SMFIP_NOEOH = 0x40;
    /** {@code SMFIP_NR_HDR} (also {@code SMFIP_NOHREPL}): the filter does not reply to header fields. */
    public static final int SMFIP_NR_HDR = 0x80;
    /** {@code SMFIP_NOUNKNOWN}: do not send unknown commands. */
    public static final int SMFIP_NOUNKNOWN = 0x100;
    /** {@code SMFIP_NODATA}: do not send DATA. */
    public static final int SMFIP_NODATA = 0x200;
    /** {@code SMFIP_SKIP}: the MTA understands {@link #SMFIR_SKIP}. */
    public static final int SMFIP_SKIP = 0x400;
    /** {@code SMFIP_RCPT_REJ}: also send recipients the MTA rejected. */
    public static final int SMFIP_RCPT_REJ = 0x800;
    /** {@code SMFIP_NR_CONN}: no reply to CONNECT. */
    public static final int SMFIP_NR_CONN = 0x1000;
    /** {@code SMFIP_NR_HELO}: no reply to HELO. */
    public static final int SMFIP_NR_HELO = 0x2000;
    /** {@code SMFIP_NR_MAIL}: no reply to MAIL. */
    public static final int SMFIP_NR_MAIL = 0x4000;
    /** {@code SMFIP_NR_RCPT}: no reply to RCPT. */
    public static final int SMFIP_NR_RCPT = 0x8000;
    /** {@code SMFIP_NR_DATA}: no reply to DATA. */
    public static final int SMFIP_NR_DATA = 0x10000;
    /** {@code SMFIP_NR_UNKN}: no reply to unknown commands. */
    public static final int SMFIP_NR_UNKN = 0x20000;
    /** {@code SMFIP_NR_EOH}: no reply to end of headers. */
    public static final int SMFIP_NR_EOH = 0x40000;
    /** {@code SMFIP_NR_BODY}: no reply to body chunks. */
    public static final int SMFIP_NR_BODY = 0x80000;
    /** {@code SMFIP_HDR_LEADSPC}: header values keep (and edits must carry) their leading white space. */
    public static final int SMFIP_HDR_LEADSPC = 0x100000;

    /** The largest body chunk Postfix and libmilter send ({@code MILTER_CHUNK_SIZE}): 65535 bytes. */
    public static final int CHUNK_SIZE = 65535;

    /**
     * The {@code SMFIP_NR_*} flag that lets a filter stay silent after this command, or 0 when the command always
     * needs a reply (end of message, option negotiation) or never gets one (macros, abort, quit).
     *
     * @param command an {@code SMFIC_*} code
     * @return the flag, or 0
     */
    public static int noReplyFlag(byte command) {
        return switch (command) {
            case SMFIC_CONNECT -> SMFIP_NR_CONN;
            case SMFIC_HELO -> SMFIP_NR_HELO;
            case SMFIC_MAIL -> SMFIP_NR_MAIL;
            case SMFIC_RCPT -> SMFIP_NR_RCPT;
            case SMFIC_DATA -> SMFIP_NR_DATA;
            case SMFIC_UNKNOWN -> SMFIP_NR_UNKN;
            case SMFIC_HEADER -> SMFIP_NR_HDR;
            case SMFIC_EOH -> SMFIP_NR_EOH;
            case SMFIC_BODY -> SMFIP_NR_BODY;
            default -> 0;
        };
    }

    /**
     * The protocol flags an MTA may offer at a protocol version (Postfix's {@code MILTER8_V*_PROTO_MASK}): version 2
     * knows the seven "no" flags, 3 adds {@link #SMFIP_NOUNKNOWN}, 4 and 5 add {@link #SMFIP_NODATA}, 6 adds skip,
     * rejected recipients, every "no reply" flag and {@link #SMFIP_HDR_LEADSPC}.
     *
     * @param version a protocol version, 2 or higher
     * @return the mask of flags defined at that version
     */
    public static int protocolMask(int version) {
        int v2 = SMFIP_NOCONNECT
                | SMFIP_NOHELO
                | SMFIP_NOMAIL
                | SMFIP_NORCPT
                | SMFIP_NOBODY
                | SMFIP_NOHDRS
                | SMFIP_NOEOH;
        if (version <= 2) {
            return v2;
        }
        int v3 = v2 | SMFIP_NOUNKNOWN;
        if (version == 3) {
            return v3;
        }
        int v4 = v3 | SMFIP_NODATA;
        if (version < 6) {
            return v4;
        }
        return v4
                | SMFIP_SKIP
                | SMFIP_RCPT_REJ
                | SMFIP_NR_CONN
                | SMFIP_NR_HELO
                | SMFIP_NR_MAIL
                | SMFIP_NR_RCPT
                | SMFIP_NR_DATA
                | SMFIP_NR_UNKN
                | SMFIP_NR_HDR
                | SMFIP_NR_EOH
                | SMFIP_NR_BODY
                | SMFIP_HDR_LEADSPC;
    }

    /**
     * A readable name for a command or reply code, for logs and errors.
     *
     * @param code a packet code
     * @return e.g. {@code SMFIC_BODY 'B'}, or {@code 0x07} for a code outside the protocol
     */
    public static String name(byte code) {
        String n = switch (code) {
            case SMFIC_ABORT -> "SMFIC_ABORT";
            case SMFIC_BODY -> "SMFIC_BODY";
            case SMFIC_CONNECT -> "SMFIC_CONNECT";
            case SMFIC_MACRO -> "SMFIC_MACRO";
            case SMFIC_BODYEOB -> "SMFIC_BODYEOB";
            case SMFIC_HELO -> "SMFIC_HELO";
            case SMFIC_HEADER -> "SMFIC_HEADER";
            case SMFIC_MAIL -> "SMFIC_MAIL";
            case SMFIC_EOH -> "SMFIC_EOH";
            case SMFIC_OPTNEG -> "SMFIC_OPTNEG";
            case SMFIC_QUIT -> "SMFIC_QUIT";
            case SMFIC_RCPT -> "SMFIC_RCPT";
            case SMFIC_DATA -> "SMFIC_DATA";
            case SMFIC_UNKNOWN -> "SMFIC_UNKNOWN";
            case SMFIC_QUIT_NC -> "SMFIC_QUIT_NC";
            case SMFIR_ACCEPT -> "SMFIR_ACCEPT";
            case SMFIR_CONTINUE -> "SMFIR_CONTINUE";
            case SMFIR_DISCARD -> "SMFIR_DISCARD";
            case SMFIR_REJECT -> "SMFIR_REJECT";
            case SMFIR_TEMPFAIL -> "SMFIR_TEMPFAIL";
            case SMFIR_REPLYCODE -> "SMFIR_REPLYCODE";
            case SMFIR_PROGRESS -> "SMFIR_PROGRESS";
            case SMFIR_QUARANTINE -> "SMFIR_QUARANTINE";
            case SMFIR_ADDHEADER -> "SMFIR_ADDHEADER";
            case SMFIR_INSHEADER -> "SMFIR_INSHEADER";
            case SMFIR_CHGHEADER -> "SMFIR_CHGHEADER";
            case SMFIR_SKIP -> "SMFIR_SKIP";
            case SMFIR_SHUTDOWN -> "SMFIR_SHUTDOWN";
            case SMFIR_CONN_FAIL -> "SMFIR_CONN_FAIL";
            case SMFIR_ADDRCPT -> "SMFIR_ADDRCPT";
            case SMFIR_DELRCPT -> "SMFIR_DELRCPT";
            case SMFIR_REPLBODY -> "SMFIR_REPLBODY";
            case SMFIR_CHGFROM -> "SMFIR_CHGFROM";
            case SMFIR_ADDRCPT_PAR -> "SMFIR_ADDRCPT_PAR";
            case SMFIR_SETSYMLIST -> "SMFIR_SETSYMLIST";
            default -> null;
        };
        if (n == null) {
            return String.format("0x%02x", code & 0xff);
        }
        return n + " '" + (char) code + "'";
    }
}
