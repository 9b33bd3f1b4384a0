package org.mailhygiene.smtp.server;

import java.util.Locale;

/**
 * One parsed command line: the verb and the argument text after it. Package-private; the session interprets it.
 *
 * @param verb the command, {@link Verb#UNKNOWN} when not recognised
 * @param name the verb as the client wrote it, upper-cased (for replies and logs)
 * @param argument the text after the verb and one space, with trailing spaces removed; {@code ""} when none
 */
record SmtpCommand(Verb verb, String name, String argument) {

    /** The commands the server knows. */
    enum Verb {
        HELO,
        EHLO,
        MAIL,
        RCPT,
        DATA,
        BDAT,
        RSET,
        NOOP,
        QUIT,
        VRFY,
        EXPN,
        HELP,
        STARTTLS,
        UNKNOWN
    }

    /**
     * Parses a command line without its CRLF. Never throws: anything unrecognised is {@link Verb#UNKNOWN}.
     *
     * @param line the line
     * @return the command
     */
    static SmtpCommand parse(String line) {
        int sp = line.indexOf(' ');
        String raw = sp < 0 ? line : line.substring(0, sp);
        // ASCII letters before case folding: Unicode's upper case of a dotless i or a long s is I or S, which made
        // "MAıL" and "ſTARTTLS" commands
        boolean ascii = raw.chars().allMatch(c -> c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z');
        String word = raw.toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : stripTrailing(line.substring(sp + 1));
        Verb verb;
        try {
            verb = word.isEmpty() || word.length() > 8 || !ascii ? Verb.UNKNOWN : Verb.valueOf(word);
        } catch (IllegalArgumentException e) {
            verb = Verb.UNKNOWN;
        }
        if (verb == Verb.UNKNOWN) {
            word = word.length() > 16 ? word.substring(0, 16) : word;
        }
        return new SmtpCommand(verb, word, arg);
    }

    private static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }
}
