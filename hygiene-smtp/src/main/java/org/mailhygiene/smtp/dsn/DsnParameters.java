package org.mailhygiene.smtp.dsn;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Parses the values of the DSN extension's ESMTP parameters (RFC 3461 §4) as a server receives them. Each method checks
 * one value and throws {@link InvalidParameterException} with the reply to send ({@code 501 5.5.4}, RFC 3461 §4 and
 * RFC 5321 §4.2.3: a syntax error in a parameter) when it is malformed. Stateless and thread-safe; every method runs in
 * time linear in its input.
 */
public final class DsnParameters {

    /** The longest {@code ORCPT} value (type, {@code ;} and xtext) RFC 3461 §4.2 allows. */
    public static final int MAX_ORCPT = 500;

    private DsnParameters() {}

    /** A malformed DSN parameter value, with the SMTP reply it calls for. */
    public static final class InvalidParameterException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int code;
        private final String enhancedStatus;

        /**
         * Creates one.
         *
         * @param code the reply code
         * @param enhancedStatus the RFC 3463 status
         * @param message the reply text
         */
        public InvalidParameterException(int code, String enhancedStatus, String message) {
            super(message, null, false, false);
            this.code = code;
            this.enhancedStatus = enhancedStatus;
        }

        /**
         * The reply code to send.
         *
         * @return {@code 501}
         */
        public int code() {
            return code;
        }

        /**
         * The enhanced status code to send.
         *
         * @return {@code 5.5.4}
         */
        public String enhancedStatus() {
            return enhancedStatus;
        }
    }

    private static InvalidParameterException bad(String text) {
        return new InvalidParameterException(501, "5.5.4", text);
    }

    /**
     * Parses a {@code RET=} value: {@code FULL} or {@code HDRS}, in any case.
     *
     * @param value the value after {@code =}
     * @return the parsed value
     * @throws InvalidParameterException for anything else
     */
    public static DsnRequest.Ret ret(String value) throws InvalidParameterException {
        if (value.equalsIgnoreCase("FULL")) {
            return DsnRequest.Ret.FULL;
        }
        if (value.equalsIgnoreCase("HDRS")) {
            return DsnRequest.Ret.HDRS;
        }
        throw bad("RET must be FULL or HDRS");
    }

    /**
     * Parses an {@code ENVID=} value: xtext of at most {@value DsnRequest#MAX_ENVID} characters whose decoded form is
     * printable ASCII.
     *
     * @param value the value after {@code =}
     * @return the decoded envelope id
     * @throws InvalidParameterException if it is empty, too long, not xtext, or decodes to a non-printable character
     */
    public static String envelopeId(String value) throws InvalidParameterException {
        if (value.isEmpty()) {
            throw bad("ENVID needs a value");
        }
        if (value.length() > DsnRequest.MAX_ENVID) {
            throw bad("ENVID longer than " + DsnRequest.MAX_ENVID + " characters");
        }
        String id;
        try {
            id = Xtext.decode(value);
        } catch (IllegalArgumentException e) {
            throw bad("ENVID is not valid xtext");
        }
        if (!id.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw bad("ENVID must decode to printable ASCII");
        }
        return id;
    }

    /**
     * Parses a {@code NOTIFY=} value: {@code NEVER}, or a comma-separated list of distinct {@code SUCCESS},
     * {@code FAILURE} and {@code DELAY}, in any case.
     *
     * @param value the value after {@code =}
     * @return the conditions, never empty
     * @throws InvalidParameterException for an empty list or item, an unknown or repeated keyword, or {@code NEVER}
     *     with another
     */
    public static Set<DsnRequest.Notify> notifyConditions(String value) throws InvalidParameterException {
        Set<DsnRequest.Notify> out = EnumSet.noneOf(DsnRequest.Notify.class);
        int start = 0;
        int n = value.length();
        while (true) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? n : comma;
            String word = value.substring(start, end);
            DsnRequest.Notify k;
            if (word.equalsIgnoreCase("NEVER")) {
                k = DsnRequest.Notify.NEVER;
            } else if (word.equalsIgnoreCase("SUCCESS")) {
                k = DsnRequest.Notify.SUCCESS;
            } else if (word.equalsIgnoreCase("FAILURE")) {
                k = DsnRequest.Notify.FAILURE;
            } else if (word.equalsIgnoreCase("DELAY")) {
                k = DsnRequest.Notify.DELAY;
            } else {
                throw bad("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY");
            }
            if (!out.add(k)) {
                throw bad("NOTIFY names " + k + " twice");
            }
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        if (out.contains(DsnRequest.Notify.NEVER) && out.size() > 1) {
            throw bad("NOTIFY=NEVER cannot be combined with another condition");
        }
        return out;
    }

    /**
     * Parses an {@code ORCPT=} value: {@code addr-type;xtext} (RFC 3461 §4.2), at most {@value #MAX_ORCPT}
     * characters. The type is an atom, compared case-insensitively; {@code rfc822} and {@code utf-8} are kept in lower
     * case. For {@code utf-8} (RFC 6533 §3) the address is {@code utf-8-addr-xtext}, or with {@code utf8} (an SMTPUTF8
     * transaction) also {@code utf-8-addr-unitext}; for any other type it is xtext that must decode to printable
     * ASCII.
     *
     * @param value the value after {@code =}
     * @param utf8 whether the transaction is an SMTPUTF8 one (raw non-ASCII allowed in a {@code utf-8} address)
     * @return the decoded value
     * @throws InvalidParameterException for a missing type or address, a bad type, bad xtext, or a value too long
     */
    public static DsnRequest.Orcpt orcpt(String value, boolean utf8) throws InvalidParameterException {
        if (value.length() > MAX_ORCPT) {
            throw bad("ORCPT longer than " + MAX_ORCPT + " characters");
        }
        int semi = value.indexOf(';');
        if (semi <= 0 || semi == value.length() - 1) {
            throw bad("ORCPT must be addr-type;address");
        }
        String type = value.substring(0, semi);
        for (int i = 0; i < type.length(); i++) {
            if (!isAtext(type.charAt(i))) {
                throw bad("ORCPT address type is not an atom");
            }
        }
        String lower = type.toLowerCase(Locale.ROOT);
        if (lower.equals("rfc822") || lower.equals("utf-8")) {
            type = lower;
        }
        String raw = value.substring(semi + 1);
        String address;
        try {
            if (type.equals("utf-8")) {
                address = Xtext.decodeUtf8Address(raw, utf8);
                if (address.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))) {
                    throw bad("ORCPT address holds a control character");
                }
            } else {
                address = Xtext.decode(raw);
                if (!address.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                    throw bad("ORCPT address must decode to printable ASCII");
                }
            }
        } catch (IllegalArgumentException e) {
            throw bad("ORCPT address is not valid " + (type.equals("utf-8") ? "utf-8-addr-xtext" : "xtext"));
        }
        return new DsnRequest.Orcpt(type, address);
    }

    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }
}
