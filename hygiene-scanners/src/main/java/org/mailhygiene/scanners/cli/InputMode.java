package org.mailhygiene.scanners.cli;

/** What a {@link CommandLineScanner} writes into its private directory for the scanner to read. */
public enum InputMode {
    /** The raw message as one file ({@code message.eml}). Right for scanners that decode MIME themselves (ClamAV). */
    MESSAGE,
    /**
     * The raw message plus every decoded MIME leaf part as its own file. Right for scanners that expect plain files
     * (Vexira: MIMEDefang and amavisd-new hand it decoded parts).
     */
    PARTS
}
