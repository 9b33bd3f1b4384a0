package org.mailhygiene.internal;

/**
 * Text from the wire (an envelope address, a reply of another server) made safe for a log line read in a terminal.
 *
 * <p>Internal: not part of the stable API. Stateless and thread-safe.
 */
public final class LogText {
    private LogText() {}

    /**
     * The text with each character a terminal or a log viewer would act on or reorder written as {@code ?}: control
     * characters (C0, DEL, C1: an escape sequence, a line break that forges a log line) and the Unicode bidirectional
     * formatting characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), by which an address under
     * SMTPUTF8 shows as another ({@code <x\u202Eexe.fdp@b.example>} reads {@code <xpdf.exe@b.example>}), and the
     * noncharacters U+FFFE and U+FFFF. Every other character, non-ASCII letters included ({@code jörg@bücher.example}),
     * is kept. Linear in the text.
     *
     * @param text the text
     * @return the text itself when nothing is replaced, else a copy with the replacements
     * @throws NullPointerException if {@code text} is {@code null}
     */
    public static String printable(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (unsafe(c)) {
                if (b == null) {
                    b = new StringBuilder(text.length()).append(text, 0, i);
                }
                b.append('?');
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? text : b.toString();
    }

    private static boolean unsafe(char c) {
        return Character.isISOControl(c)
                || c == '\u061c'
                || c == '\u200e'
                || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069')
                || c == '\ufffe'
                || c == '\uffff';
    }
}
