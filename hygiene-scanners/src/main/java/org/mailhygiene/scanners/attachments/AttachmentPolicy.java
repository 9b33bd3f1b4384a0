package org.mailhygiene.scanners.attachments;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.mailhygiene.internal.Checks;

/**
 * The rules of an {@link AttachmentPolicyScanner}: which file-name extensions and which media types are blocked or
 * allowed, which checks run, and the limits for looking inside archives.
 *
 * <p>A name or type is flagged when it is blocked and not allowed: an allow entry overrides a block entry. Types match
 * by base type ({@code application/x-msdownload} matches {@code application/x-msdownload; format=pe32}) and by Tika's
 * type hierarchy (a blocked supertype blocks its subtypes), except that JSON, which Tika files under JavaScript, is not
 * blocked by a JavaScript entry (only by a JSON one).
 *
 * <p>Defaults ({@link #defaults()}):
 *
 * <ul>
 *   <li>blocked extensions: {@value #DEFAULT_BLOCKED_EXTENSIONS};
 *   <li>blocked types: {@value #DEFAULT_BLOCKED_TYPES};
 *   <li>double-extension, type-mismatch, encrypted-archive, broken-MIME and S/MIME checks on; the Office macro check
 *       off;
 *   <li>archives: nesting depth {@value #DEFAULT_MAX_ARCHIVE_DEPTH}, {@value #DEFAULT_MAX_ARCHIVE_ENTRIES} entries,
 *       {@value #DEFAULT_MAX_EXPANDED_BYTES} expanded bytes (64 MiB) per attachment, expansion ratio
 *       {@value #DEFAULT_MAX_EXPANSION_RATIO} once more than 1 MiB has been expanded.
 * </ul>
 *
 * <p>Text format ({@link #parse(Reader)}): one directive per line, {@code #} starts a comment, words are separated by
 * blanks, extensions are given without the dot and compared case-insensitively:
 *
 * <pre>
 * # start from the defaults (omit this line to start from nothing)
 * defaults
 * block extension exe scr pif com bat cmd js vbs jar
 * allow extension js
 * block type application/x-msdownload application/x-elf
 * allow type application/x-sh
 * check double-extension on
 * check type-mismatch off
 * check encrypted-archive on
 * check broken-mime on
 * check smime on
 * check office-macros off
 * limit archive-depth 3
 * limit archive-entries 1000
 * limit expanded-bytes 67108864
 * limit expansion-ratio 1000
 * </pre>
 *
 * <p>{@code check encrypted-archive off} and {@code check broken-mime off} mean "do not flag this as suspicious",
 * never "treat it as inspected": content the scanner then cannot look into (an encrypted archive entry, a multipart
 * that cannot be split, a body that cannot be decoded) makes the scan an
 * {@link org.mailhygiene.api.ScanFailure.Kind#UNSCANNABLE} failure (or, next to other findings, a
 * {@value AttachmentPolicyScanner#NOT_INSPECTED} rule), which the pipeline's policy maps, for example to
 * accept-and-mark; see {@link AttachmentPolicyScanner}. A verdict is CLEAN only when everything was inspected.
 *
 * <p>Immutable and thread-safe.
 */
public final class AttachmentPolicy {

    /**
     * Extensions blocked by default: every extension Gmail refuses in mail (its help page "Some file types are
     * blocked", support.google.com/mail/answer/6590, read in December 2026: programs, scripts, installers, shortcuts
     * and the disk images {@code iso}, {@code img}, {@code vhd} that droppers were shipped in from 2022 on), plus
     * {@code reg}, {@code scf} and {@code vhdx}.
     */
    public static final String DEFAULT_BLOCKED_EXTENSIONS =
            "exe scr pif com bat cmd cpl dll js jse vbs vbe wsf wsh hta jar msi msp lnk ps1 reg scf chm vb"
                    + " ade adp apk appx appxbundle cab diagcab diagcfg diagpkg dmg ex ex_ img ins iso isp jnlp lib mde"
                    + " mjs msc msix msixbundle mst nsh sct shb sys vhd vhdx vxd wsc xll";
    /** Media types blocked by default. */
    public static final String DEFAULT_BLOCKED_TYPES = "application/x-msdownload application/x-dosexec"
            + " application/x-msdos-program application/x-ms-installer application/x-elf application/x-executable"
            + " application/x-sh application/x-bat application/java-vm application/java-archive"
            + " application/javascript text/javascript text/x-vbscript application/hta";
    /** Default maximum nesting depth of archives inside archives (the attachment itself is depth 1). */
    public static final int DEFAULT_MAX_ARCHIVE_DEPTH = 3;
    /** Default maximum number of entries looked at per attachment, over all nesting levels. */
    public static final int DEFAULT_MAX_ARCHIVE_ENTRIES = 1000;
    /** Default maximum number of bytes expanded from archives per attachment, 64 MiB. */
    public static final long DEFAULT_MAX_EXPANDED_BYTES = 64L * 1024 * 1024;
    /**
     * Default maximum ratio of expanded to compressed bytes of one archive, checked once more than 1 MiB has been
     * expanded. Deflate expands at most about 1,032 times, so this leaves out what nears that (a run of zeros); the
     * expanded-bytes limit stops the rest. It was 100 until session 47: Office documents with an embedded PDF (whose
     * page preview Word and Excel store as an uncompressed picture) expand 54 to 98 times, and one was quarantined as
     * a possible zip bomb.
     */
    public static final int DEFAULT_MAX_EXPANSION_RATIO = 1000;

    private final Set<String> blockedExtensions;
    private final Set<String> allowedExtensions;
    private final Set<String> blockedTypes;
    private final Set<String> allowedTypes;
    private final boolean doubleExtensionCheck;
    private final boolean typeMismatchCheck;
    private final boolean encryptedArchiveCheck;
    private final boolean brokenMimeCheck;
    private final boolean smimeCheck;
    private final boolean officeMacroCheck;
    private final int maxArchiveDepth;
    private final int maxArchiveEntries;
    private final long maxExpandedBytes;
    private final int maxExpansionRatio;

    private AttachmentPolicy(Builder b) {
        blockedExtensions = Collections.unmodifiableSet(new LinkedHashSet<>(b.blockedExtensions));
        allowedExtensions = Collections.unmodifiableSet(new LinkedHashSet<>(b.allowedExtensions));
        blockedTypes = Collections.unmodifiableSet(new LinkedHashSet<>(b.blockedTypes));
        allowedTypes = Collections.unmodifiableSet(new LinkedHashSet<>(b.allowedTypes));
        doubleExtensionCheck = b.doubleExtensionCheck;
        typeMismatchCheck = b.typeMismatchCheck;
        encryptedArchiveCheck = b.encryptedArchiveCheck;
        brokenMimeCheck = b.brokenMimeCheck;
        smimeCheck = b.smimeCheck;
        officeMacroCheck = b.officeMacroCheck;
        maxArchiveDepth = b.maxArchiveDepth;
        maxArchiveEntries = b.maxArchiveEntries;
        maxExpandedBytes = b.maxExpandedBytes;
        maxExpansionRatio = b.maxExpansionRatio;
    }

    /**
     * The default policy described in the class comment.
     *
     * @return the defaults
     */
    public static AttachmentPolicy defaults() {
        return builder().build();
    }

    /**
     * A builder that starts from the {@linkplain #defaults() defaults}; call {@link Builder#clearRules()} to start
     * from nothing.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses the text format described in the class comment. Without a {@code defaults} line the policy starts with no
     * blocked extensions or types (checks and limits keep their defaults).
     *
     * @param in the text; read to its end, not closed
     * @return the policy
     * @throws PolicySyntaxException if a line is not understood; the message names the line number
     * @throws IOException if reading fails
     */
    public static AttachmentPolicy parse(Reader in) throws IOException {
        Builder b = builder().clearRules();
        BufferedReader r = in instanceof BufferedReader br ? br : new BufferedReader(in);
        String line;
        int number = 0;
        while ((line = r.readLine()) != null) {
            number++;
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (text.isEmpty()) {
                continue;
            }
            String[] w = text.split("\\s+");
            try {
                directive(b, w);
            } catch (IllegalArgumentException e) {
                throw new PolicySyntaxException("line " + number + ": " + e.getMessage() + ": " + line.strip());
            }
        }
        return b.build();
    }

    private static void directive(Builder b, String[] w) {
        String verb = w[0].toLowerCase(Locale.ROOT);
        switch (verb) {
            case "defaults" -> {
                requireWords(w, 1, 1);
                Builder d = builder();
                b.blockedExtensions.addAll(d.blockedExtensions);
                b.blockedTypes.addAll(d.blockedTypes);
            }
            case "block", "allow" -> {
                requireWords(w, 3, Integer.MAX_VALUE);
                String[] values = java.util.Arrays.copyOfRange(w, 2, w.length);
                boolean block = verb.equals("block");
                switch (w[1].toLowerCase(Locale.ROOT)) {
                    case "extension" -> {
                        if (block) {
                            b.blockExtensions(values);
                        } else {
                            b.allowExtensions(values);
                        }
                    }
                    case "type" -> {
                        if (block) {
                            b.blockTypes(values);
                        } else {
                            b.allowTypes(values);
                        }
                    }
                    default -> throw new IllegalArgumentException("expected 'extension' or 'type' after " + verb);
                }
            }
            case "check" -> {
                requireWords(w, 3, 3);
                boolean on = switch (w[2].toLowerCase(Locale.ROOT)) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("expected 'on' or 'off'");
                };
                switch (w[1].toLowerCase(Locale.ROOT)) {
                    case "double-extension" -> b.doubleExtensionCheck(on);
                    case "type-mismatch" -> b.typeMismatchCheck(on);
                    case "encrypted-archive" -> b.encryptedArchiveCheck(on);
                    case "broken-mime" -> b.brokenMimeCheck(on);
                    case "smime" -> b.smimeCheck(on);
                    case "office-macros" -> b.officeMacroCheck(on);
                    default -> throw new IllegalArgumentException("unknown check '" + w[1] + "'");
                }
            }
            case "limit" -> {
                requireWords(w, 3, 3);
                long value;
                try {
                    value = Long.parseLong(w[2]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + w[2] + "' is not a whole number");
                }
                switch (w[1].toLowerCase(Locale.ROOT)) {
                    case "archive-depth" -> b.maxArchiveDepth(toInt(value));
                    case "archive-entries" -> b.maxArchiveEntries(toInt(value));
                    case "expanded-bytes" -> b.maxExpandedBytes(value);
                    case "expansion-ratio" -> b.maxExpansionRatio(toInt(value));
                    default -> throw new IllegalArgumentException("unknown limit '" + w[1] + "'");
                }
            }
            default -> throw new IllegalArgumentException("unknown directive '" + w[0] + "'");
        }
    }

    private static int toInt(long v) {
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException(v + " is too large");
        }
        return (int) v;
    }

    private static void requireWords(String[] w, int min, int max) {
        if (w.length < min || w.length > max) {
            throw new IllegalArgumentException("wrong number of words for '" + w[0] + "'");
        }
    }

    /**
     * Whether a file-name extension is blocked (and not allowed).
     *
     * @param extension the extension without dot, any case
     * @return {@code true} if blocked
     */
    public boolean isBlockedExtension(String extension) {
        String e = extension.toLowerCase(Locale.ROOT);
        return blockedExtensions.contains(e) && !allowedExtensions.contains(e);
    }

    /**
     * Blocked extensions, lower case, in the order added.
     *
     * @return an unmodifiable set
     */
    public Set<String> blockedExtensions() {
        return blockedExtensions;
    }

    /**
     * Allowed extensions (overriding blocks), lower case.
     *
     * @return an unmodifiable set
     */
    public Set<String> allowedExtensions() {
        return allowedExtensions;
    }

    /**
     * Blocked media types (base types, lower case).
     *
     * @return an unmodifiable set
     */
    public Set<String> blockedTypes() {
        return blockedTypes;
    }

    /**
     * Allowed media types (overriding blocks), base types, lower case.
     *
     * @return an unmodifiable set
     */
    public Set<String> allowedTypes() {
        return allowedTypes;
    }

    /**
     * Whether names like {@code invoice.pdf.exe} are flagged.
     *
     * @return the setting, default {@code true}
     */
    public boolean doubleExtensionCheck() {
        return doubleExtensionCheck;
    }

    /**
     * Whether a declared type or extension that contradicts the content is flagged.
     *
     * @return the setting, default {@code true}
     */
    public boolean typeMismatchCheck() {
        return typeMismatchCheck;
    }

    /**
     * Whether encrypted archive entries are flagged as suspicious (their content cannot be checked). When off, such
     * an archive is reported as not inspected ({@link org.mailhygiene.api.ScanFailure.Kind#UNSCANNABLE}), not clean.
     *
     * @return the setting, default {@code true}
     */
    public boolean encryptedArchiveCheck() {
        return encryptedArchiveCheck;
    }

    /**
     * Whether broken MIME structure is flagged as suspicious (see {@link AttachmentPolicyScanner#MIME_BROKEN}). When
     * off, structure that kept content from being inspected is reported as not inspected
     * ({@link org.mailhygiene.api.ScanFailure.Kind#UNSCANNABLE}), not clean.
     *
     * @return the setting, default {@code true}
     */
    public boolean brokenMimeCheck() {
        return brokenMimeCheck;
    }

    /**
     * Whether S/MIME is flagged as suspicious for being S/MIME: an encrypted message ({@code enveloped-data}) as
     * {@link AttachmentPolicyScanner#ENCRYPTED}, an opaque signature as {@link AttachmentPolicyScanner#MIME_BROKEN}
     * (its content, which the MIME walker opens for this scanner, the classifier and the clamd scanner, is hidden from
     * SpamAssassin and from command-line scanners given the whole message). When off (a site
     * whose users use S/MIME): an encrypted message is reported as not inspected
     * ({@link org.mailhygiene.api.ScanFailure.Kind#UNSCANNABLE}, for the pipeline's policy to decide), never clean;
     * an opaque signature is judged by its content alone. Other checks are not affected.
     *
     * @return the setting, default {@code true}
     */
    public boolean smimeCheck() {
        return smimeCheck;
    }

    /**
     * Whether an Office document carrying macros is flagged as suspicious
     * ({@link AttachmentPolicyScanner#OFFICE_MACRO}): a binary Word or Excel file (OLE2) holding a VBA project, a
     * binary Excel file (BIFF8, or BIFF5 of Excel 5.0 and 95) listing an Excel 4.0 macro sheet or a VBA module sheet or naming an {@code Auto_Open}
     * macro, or holding a macro sheet's records (its BOF, wherever it is), a binary PowerPoint file whose VBA information says its project holds macros, an Office Open XML file
     * holding a VBA project ({@code vbaProject.bin}) or Excel 4.0 macro sheets, an OpenDocument file holding Basic
     * modules or scripts; at any depth, in archives too. The binary files are read by their allocation tables (their
     * bytes kept meanwhile: 4 MiB in heap, the rest in a private temporary file); one whose tables cannot be followed,
     * or a binary Excel file whose sheet list cannot be read to its end, is
     * {@link AttachmentPolicyScanner#NOT_INSPECTED}. Off by default: macro-enabled documents are ordinary in
     * many businesses (Microsoft's default attachment filter lets them through); a site that does not use them turns
     * it on. Not found: macros in a Word 2003 XML or MHTML file, or behind encryption.
     *
     * @return the setting, default {@code false}
     */
    public boolean officeMacroCheck() {
        return officeMacroCheck;
    }

    /**
     * Maximum archive nesting depth.
     *
     * @return the limit, default {@value #DEFAULT_MAX_ARCHIVE_DEPTH}
     */
    public int maxArchiveDepth() {
        return maxArchiveDepth;
    }

    /**
     * Maximum archive entries per attachment.
     *
     * @return the limit, default {@value #DEFAULT_MAX_ARCHIVE_ENTRIES}
     */
    public int maxArchiveEntries() {
        return maxArchiveEntries;
    }

    /**
     * Maximum bytes expanded from archives per attachment.
     *
     * @return the limit, default {@value #DEFAULT_MAX_EXPANDED_BYTES}
     */
    public long maxExpandedBytes() {
        return maxExpandedBytes;
    }

    /**
     * Maximum expansion ratio.
     *
     * @return the limit, default {@value #DEFAULT_MAX_EXPANSION_RATIO}
     */
    public int maxExpansionRatio() {
        return maxExpansionRatio;
    }

    /**
     * The policy in the text format, such that {@code parse(new StringReader(p.toText()))} equals {@code p} in effect.
     *
     * @return the text
     */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        if (!blockedExtensions.isEmpty()) {
            sb.append("block extension ")
                    .append(String.join(" ", blockedExtensions))
                    .append('\n');
        }
        if (!allowedExtensions.isEmpty()) {
            sb.append("allow extension ")
                    .append(String.join(" ", allowedExtensions))
                    .append('\n');
        }
        if (!blockedTypes.isEmpty()) {
            sb.append("block type ").append(String.join(" ", blockedTypes)).append('\n');
        }
        if (!allowedTypes.isEmpty()) {
            sb.append("allow type ").append(String.join(" ", allowedTypes)).append('\n');
        }
        sb.append("check double-extension ")
                .append(doubleExtensionCheck ? "on" : "off")
                .append('\n');
        sb.append("check type-mismatch ")
                .append(typeMismatchCheck ? "on" : "off")
                .append('\n');
        sb.append("check encrypted-archive ")
                .append(encryptedArchiveCheck ? "on" : "off")
                .append('\n');
        sb.append("check broken-mime ").append(brokenMimeCheck ? "on" : "off").append('\n');
        sb.append("check smime ").append(smimeCheck ? "on" : "off").append('\n');
        sb.append("check office-macros ")
                .append(officeMacroCheck ? "on" : "off")
                .append('\n');
        sb.append("limit archive-depth ").append(maxArchiveDepth).append('\n');
        sb.append("limit archive-entries ").append(maxArchiveEntries).append('\n');
        sb.append("limit expanded-bytes ").append(maxExpandedBytes).append('\n');
        sb.append("limit expansion-ratio ").append(maxExpansionRatio).append('\n');
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttachmentPolicy p && toText().equals(p.toText());
    }

    @Override
    public int hashCode() {
        return toText().hashCode();
    }

    @Override
    public String toString() {
        return "AttachmentPolicy[" + toText().replace('\n', ';') + "]";
    }

    /** Builds an {@link AttachmentPolicy}. Each setter validates at once and names the problem. Not thread-safe. */
    public static final class Builder {
        private final Set<String> blockedExtensions = new LinkedHashSet<>();
        private final Set<String> allowedExtensions = new LinkedHashSet<>();
        private final Set<String> blockedTypes = new LinkedHashSet<>();
        private final Set<String> allowedTypes = new LinkedHashSet<>();
        private boolean doubleExtensionCheck = true;
        private boolean typeMismatchCheck = true;
        private boolean encryptedArchiveCheck = true;
        private boolean brokenMimeCheck = true;
        private boolean smimeCheck = true;
        private boolean officeMacroCheck;
        private int maxArchiveDepth = DEFAULT_MAX_ARCHIVE_DEPTH;
        private int maxArchiveEntries = DEFAULT_MAX_ARCHIVE_ENTRIES;
        private long maxExpandedBytes = DEFAULT_MAX_EXPANDED_BYTES;
        private int maxExpansionRatio = DEFAULT_MAX_EXPANSION_RATIO;

        private Builder() {
            blockExtensions(DEFAULT_BLOCKED_EXTENSIONS.split(" "));
            blockTypes(DEFAULT_BLOCKED_TYPES.split(" "));
        }

        /**
         * Removes every block and allow entry (checks and limits are kept).
         *
         * @return this builder
         */
        public Builder clearRules() {
            blockedExtensions.clear();
            allowedExtensions.clear();
            blockedTypes.clear();
            allowedTypes.clear();
            return this;
        }

        /**
         * Blocks file-name extensions.
         *
         * @param extensions extensions without the dot, e.g. {@code exe}
         * @return this builder
         * @throws IllegalArgumentException if an extension is blank or contains a dot or blank
         */
        public Builder blockExtensions(String... extensions) {
            for (String e : extensions) {
                blockedExtensions.add(extension(e));
            }
            return this;
        }

        /**
         * Allows file-name extensions, overriding blocks.
         *
         * @param extensions extensions without the dot
         * @return this builder
         * @throws IllegalArgumentException if an extension is blank or contains a dot or blank
         */
        public Builder allowExtensions(String... extensions) {
            for (String e : extensions) {
                allowedExtensions.add(extension(e));
            }
            return this;
        }

        /**
         * Blocks media types (and, through Tika's hierarchy, their subtypes).
         *
         * @param types types like {@code application/x-msdownload}; parameters are not allowed
         * @return this builder
         * @throws IllegalArgumentException if a type is not {@code type/subtype}
         */
        public Builder blockTypes(String... types) {
            for (String t : types) {
                blockedTypes.add(type(t));
            }
            return this;
        }

        /**
         * Allows media types, overriding blocks.
         *
         * @param types types like {@code application/x-sh}
         * @return this builder
         * @throws IllegalArgumentException if a type is not {@code type/subtype}
         */
        public Builder allowTypes(String... types) {
            for (String t : types) {
                allowedTypes.add(type(t));
            }
            return this;
        }

        /**
         * Turns the double-extension check on or off. Default on.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder doubleExtensionCheck(boolean on) {
            doubleExtensionCheck = on;
            return this;
        }

        /**
         * Turns the declared-versus-true type check on or off. Default on.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder typeMismatchCheck(boolean on) {
            typeMismatchCheck = on;
            return this;
        }

        /**
         * Turns the encrypted-archive check on or off. Default on. Off: an encrypted entry is not suspicious, but it is
         * reported as not inspected, never clean ({@link AttachmentPolicy#encryptedArchiveCheck()}).
         *
         * @param on the setting
         * @return this builder
         */
        public Builder encryptedArchiveCheck(boolean on) {
            encryptedArchiveCheck = on;
            return this;
        }

        /**
         * Turns the broken-MIME-structure check on or off. Default on. Off: broken structure is not suspicious, but
         * content it kept from being inspected is reported as not inspected, never clean
         * ({@link AttachmentPolicy#brokenMimeCheck()}).
         *
         * @param on the setting
         * @return this builder
         */
        public Builder brokenMimeCheck(boolean on) {
            brokenMimeCheck = on;
            return this;
        }

        /**
         * Turns the S/MIME check on or off ({@link AttachmentPolicy#smimeCheck()}). Default on.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder smimeCheck(boolean on) {
            smimeCheck = on;
            return this;
        }

        /**
         * Turns the Office macro check on or off ({@link AttachmentPolicy#officeMacroCheck()}). Default off.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder officeMacroCheck(boolean on) {
            officeMacroCheck = on;
            return this;
        }

        /**
         * Maximum nesting depth of archives; 0 means archives are not opened at all. Default
         * {@value AttachmentPolicy#DEFAULT_MAX_ARCHIVE_DEPTH}.
         *
         * @param value {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxArchiveDepth(int value) {
            Checks.requireAtLeast(value, 0, "archive depth");
            maxArchiveDepth = value;
            return this;
        }

        /**
         * Maximum number of archive entries looked at per attachment. Default
         * {@value AttachmentPolicy#DEFAULT_MAX_ARCHIVE_ENTRIES}.
         *
         * @param value {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxArchiveEntries(int value) {
            Checks.requireAtLeast(value, 1, "archive entries");
            maxArchiveEntries = value;
            return this;
        }

        /**
         * Maximum bytes expanded from archives per attachment. Default
         * {@value AttachmentPolicy#DEFAULT_MAX_EXPANDED_BYTES}.
         *
         * @param value {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxExpandedBytes(long value) {
            Checks.requireAtLeast(value, 1, "expanded bytes");
            maxExpandedBytes = value;
            return this;
        }

        /**
         * Maximum ratio of expanded to compressed bytes, checked once more than 1 MiB has been expanded. Default
         * {@value AttachmentPolicy#DEFAULT_MAX_EXPANSION_RATIO}.
         *
         * @param value {@code >= 2}
         * @return this builder
         * @throws IllegalArgumentException if below 2
         */
        public Builder maxExpansionRatio(int value) {
            Checks.requireAtLeast(value, 2, "expansion ratio");
            maxExpansionRatio = value;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return a new immutable policy
         */
        public AttachmentPolicy build() {
            return new AttachmentPolicy(this);
        }

        private static String extension(String e) {
            Objects.requireNonNull(e, "extension");
            String x = e.strip().toLowerCase(Locale.ROOT);
            if (x.startsWith(".")) {
                x = x.substring(1);
            }
            if (x.isEmpty() || x.contains(".") || x.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("not a file-name extension: '" + e + "'");
            }
            return x;
        }

        private static String type(String t) {
            Objects.requireNonNull(t, "type");
            String x = t.strip().toLowerCase(Locale.ROOT);
            int slash = x.indexOf('/');
            if (slash <= 0
                    || slash == x.length() - 1
                    || x.indexOf('/', slash + 1) >= 0
                    || x.contains(";")
                    || x.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("not a media type (type/subtype): '" + t + "'");
            }
            return x;
        }
    }
}
