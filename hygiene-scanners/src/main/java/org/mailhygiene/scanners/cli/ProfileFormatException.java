package org.mailhygiene.scanners.cli;

/**
 * A profile text could not be parsed. The message starts with the source and the line number, e.g.
 * {@code sophos.profile:7: unknown key 'exit.cleen'}.
 */
public final class ProfileFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The 1-based line number, or 0 when the problem concerns the whole text (a missing key). */
    private final int line;

    /**
     * Creates an exception.
     *
     * @param source where the text came from, e.g. a file name
     * @param line the 1-based line number, or 0 for the whole text
     * @param problem what is wrong
     */
    public ProfileFormatException(String source, int line, String problem) {
        super(source + ":" + (line > 0 ? line + ": " : " ") + problem);
        this.line = line;
    }

    /**
     * The line the problem is on.
     *
     * @return the 1-based line number, or 0 when the problem concerns the whole text
     */
    public int line() {
        return line;
    }
}
