package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;

/**
 * Whether a message the classifier scored as spam holds anything a spam message is carried by. Spam is written to make
 * its reader act: it says so in words, links somewhere, or carries an attachment or a picture that does (image spam, a
 * QR code, a PDF). A short message whose words include none the model has seen in spam more than in ham, with no
 * link, no form, no attachment and at most a few icons, can only have been scored on its header and MIME structure: a
 * mobile phone's "test" decoration mail with one animated 20 x 20 GIF, or a mail client's one-line message with a
 * 1 x 1 transparent GIF, whose shapes (an image-only HTML part, a GIF, a display name unlike the address) the model
 * learned from image spam. {@link BayesScanner} calls such a message clean, with the rule {@value #RULE}. A message
 * without a single word of text or Subject is not one of them: with nothing to judge but its header, the header's
 * score stands (an empty message from a spam run is spam).
 *
 * <p>The test, in order, each step read only if the ones before did not decide:
 *
 * <ul>
 *   <li>a link ({@code url:}, {@code url-} tokens), an HTML form ({@code html:form}), or a MIME fault that shows a
 *       reader other words than were read (an encoded container, a conflicting header field): spam content possible;
 *   <li>a part that is neither text, a container, an encapsulated message nor an image (a PDF, an archive, an
 *       unknown type; {@code type:} tokens, {@link Tokenizer#isAttachedType}): possible, unless the message is a DMARC
 *       or SMTP TLS aggregate report and nothing else ({@link AggregateReport}: its Subject names a report domain and a
 *       submitter, its one file is named as the RFCs prescribe and starts as its name says, beside at most short
 *       plain-text notes, and the tokenizer found no MIME fault; checked last, after the words, by one more walk).
 *       Reporters send these from ordinary addresses with a zip attached, which the model learned from spam; the file
 *       is the antivirus's and the attachment policy's to judge;
 *   <li>no word of text ({@link Tokenizer#isTextWord}) or Subject, or more than {@value #MAX_TEXT_WORDS} distinct ones
 *       (whatever the model knows of them: an attacker's new words are no evidence of innocence): possible;
 *   <li>a word of the text or Subject that the model counts as a spam clue (spam probability at least
 *       {@value #SPAM_CLUE}, the classifier's own bar), or one spelled to hide from the model ({@link #disguised}: an
 *       invisible character inside, look-alike letters): possible; for an aggregate report also a telephone number
 *       among them, or a From display name word that is a spam clue;
 *   <li>an image part: read as far as its header; one that is not a GIF or PNG of at most {@value #ICON_PIXELS} x
 *       {@value #ICON_PIXELS} pixels, or more than {@value #MAX_ICONS} such icons: possible (a picture can hold a
 *       spam's text or a QR code, icons enough can tile one).
 * </ul>
 *
 * <p>Linear in the message: one look at its tokens and, only when it has image parts and passed every other step, one
 * MIME walk reading at most 24 bytes of each image. Stateless and thread-safe.
 */
final class NoSpamContent {

    /**
     * The version of this test, part of {@link BayesScanner}'s cache identity: 2 since an aggregate report's file may
     * stand where no attachment was allowed; 3 since a gzip-compressed report is read to its end (what follows the
     * report in it is no report).
     */
    static final int VERSION = 3;

    /** The rule a verdict freed by this test carries. */
    static final String RULE = "BAYES_NO_SPAM_CONTENT";

    /** Distinct words of text and Subject above which a message has something to read: 20. */
    static final int MAX_TEXT_WORDS = 20;

    /** A word's spam probability from which it is a spam clue: 0.6 (0.5 plus {@link BayesModel#MINIMUM_STRENGTH}). */
    static final double SPAM_CLUE = 0.6;

    /** The largest width and height of an icon, in pixels: 32 (decoration-mail pictograms are 20 x 20). */
    static final int ICON_PIXELS = 32;

    /** The most icons a message without spam content holds: 10 (more could tile a picture). */
    static final int MAX_ICONS = 10;

    private NoSpamContent() {}

    /**
     * Decides whether a message holds no spam content.
     *
     * @param tokens the message's tokens as the tokenizer made them
     * @param model the model that scored it
     * @param content the message
     * @param walker the MIME walker the tokenizer used (its limits apply)
     * @param subject the message's decoded Subject ({@code ""} when none)
     * @return the description for the {@value #RULE} rule if the message holds no spam content, else empty
     * @throws IOException if the content cannot be read
     */
    static Optional<String> test(
            Set<String> tokens, BayesModel model, MessageContent content, MimeWalker walker, String subject)
            throws IOException {
        boolean images = false;
        boolean attached = false;
        List<String> words = new ArrayList<>();
        List<String> sender = new ArrayList<>();
        for (String t : tokens) {
            if (t.startsWith("url:") || t.startsWith("url-") || t.equals("html:form") || HIDING_FAULTS.contains(t)) {
                return Optional.empty();
            }
            if (t.startsWith("from-name:")) {
                sender.add(t);
            }
            if (Tokenizer.isAttachedType(t)) {
                if (!t.startsWith("type:image/")) {
                    // only an aggregate report's file may be attached (checked below, after the cheaper steps)
                    if (!AggregateReport.namedBy(subject)) {
                        return Optional.empty();
                    }
                    attached = true;
                } else {
                    images = true;
                }
            }
            if (Tokenizer.isTextWord(t) || t.startsWith("subject:")) {
                words.add(t);
                if (words.size() > MAX_TEXT_WORDS) {
                    return Optional.empty();
                }
            }
        }
        if (words.isEmpty()) {
            return Optional.empty();
        }
        for (String w : words) {
            if (model.evidence(w).spamProbability() >= SPAM_CLUE || disguised(w, model)) {
                return Optional.empty();
            }
        }
        if (attached) {
            // a report's words are its Subject and a line of boilerplate: a number to call, or a From name the model
            // reads as spam's, is a pitch
            for (String w : words) {
                if (phoneLike(w.startsWith("subject:") ? w.substring(8) : w)) {
                    return Optional.empty();
                }
            }
            for (String w : sender) {
                if (model.evidence(w).spamProbability() >= SPAM_CLUE
                        || disguised(w, model)
                        || phoneLike(w.substring(w.indexOf(':') + 1))) {
                    return Optional.empty();
                }
            }
        }
        // an aggregate report holds no picture (AggregateReport.file refuses every other part)
        Optional<String> report = attached ? AggregateReport.file(tokens, content, walker) : Optional.empty();
        if (attached && report.isEmpty()) {
            return Optional.empty();
        }
        int icons = images ? icons(content, walker) : 0;
        if (icons < 0) {
            return Optional.empty();
        }
        return Optional.of((words.size() == 1
                        ? "its one word of text and Subject is"
                        : "its " + words.size() + " words of text and Subject hold")
                + " no spam clue"
                + (report.isPresent()
                        ? ", and it has no link, form or picture and no attachment but a DMARC or SMTP TLS aggregate"
                                + " report (" + report.get() + ")"
                        : ", and it has no link, form, attachment or picture")
                + (icons == 0 ? "" : " (" + icons + (icons == 1 ? " icon)" : " icons)"))
                + ": the score rests on its header and structure alone");
    }

    /**
     * MIME faults that show a reader other words than the tokenizer read: an encoded message or multipart (some
     * readers ignore the encoding), a header field given twice with different meanings (readers take either).
     */
    private static final Set<String> HIDING_FAULTS = Set.of("mime:encoded_container", "mime:conflicting_header");

    /**
     * Whether a word is spelled to hide from the model while a reader sees an ordinary word: it holds an invisible
     * character (a soft hyphen, a zero-width space or joiner, a word joiner, a byte order mark), mixes Latin letters
     * with Cyrillic or Greek ones drawn like them ({@link Tokenizer#mixedScript}), or is written only in such letters
     * (and Latin ones) and the model has never seen it ("рау" drawn as "pay"); a word of Russian or Greek as such is
     * none. Such words are unknown to the model, so no spam clue, and would pass the test.
     */
    static boolean disguised(String word, BayesModel model) {
        boolean lookalike = false;
        boolean onlyLatinLooking = true;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (Tokenizer.isInvisible(c)) {
                return true;
            }
            if (Tokenizer.isLookalike(c)) {
                lookalike = true;
            } else if (Character.isLetter(c) && !(c < 128)) {
                onlyLatinLooking = false; // a Cyrillic or Greek word as such, not one drawn to look Latin
            }
        }
        if (Tokenizer.mixedScript(word)) {
            return true;
        }
        if (lookalike && onlyLatinLooking) {
            TokenEvidence e = model.evidence(word);
            return e.spamCount() + e.hamCount() == 0;
        }
        return false;
    }

    /**
     * Whether a word is a telephone number: 7 to 15 digits, with at most {@code + - . ( )} between them
     * ({@code 1-888-555-0147}, {@code 18885550147}). A report's identifiers are longer or hold letters.
     */
    static boolean phoneLike(String word) {
        int digits = 0;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if ("+-.()".indexOf(c) < 0) {
                return false;
            }
        }
        return digits >= 7 && digits <= 15;
    }

    /** The number of image parts, all of them icons; -1 if one is not an icon or there are too many. */
    private static int icons(MessageContent content, MimeWalker walker) throws IOException {
        int[] icons = {0};
        walker.walk(content, new PartVisitor() {
            @Override
            public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                if (!part.mimeType().startsWith("image/")) {
                    return true;
                }
                if (!isIcon(decoded.readNBytes(24)) || ++icons[0] > MAX_ICONS) {
                    icons[0] = -1;
                    return false;
                }
                return true;
            }
        });
        return icons[0];
    }

    /**
     * Whether an image's first bytes are a GIF's or PNG's header declaring at most {@value #ICON_PIXELS} pixels each
     * way (and at least one).
     */
    static boolean isIcon(byte[] head) {
        int width;
        int height;
        if (head.length >= 10 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F') {
            width = (head[6] & 0xff) | (head[7] & 0xff) << 8;
            height = (head[8] & 0xff) | (head[9] & 0xff) << 8;
        } else if (head.length >= 24
                && (head[0] & 0xff) == 0x89
                && head[1] == 'P'
                && head[2] == 'N'
                && head[3] == 'G'
                && head[12] == 'I'
                && head[13] == 'H'
                && head[14] == 'D'
                && head[15] == 'R') {
            width = bigEndian(head, 16);
            height = bigEndian(head, 20);
        } else {
            return false;
        }
        return width >= 1 && width <= ICON_PIXELS && height >= 1 && height <= ICON_PIXELS;
    }

    private static int bigEndian(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
