package org.mailhygiene.scanners.bayes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the administrator's corrections taught a model file ({@link BayesModels#correctInto}, {@link
 * BayesModels#learnInto}): one line per message, its label and how many times it was learned, in {@code
 * MODEL.learned} next to the model ({@link BayesModels#journalFile}); a second line, under {@link #countsOnlyKey},
 * for a message learned into the counts alone while the model already agreed with it (a message has one line or
 * both). It lets a later correction of the same message undo the earlier one exactly (a message reported as spam by
 * mistake and then released as ham ends as if only the ham had been learned) and makes a repeated report of the same
 * message a no-op.
 *
 * <p>A message is known by its tokens, not its bytes: the first 128 bits of the SHA-256 of its distinct tokens in
 * sorted order, so a copy with other envelope lines or line ends is the same message, and what is forgotten is
 * exactly what was learned (while the tokenizer is the same; after a tokenizer change the key differs and nothing is
 * undone). The journal names the model file it belongs to by the SHA-256 of its bytes as last saved with it: a model
 * file replaced by other means (a copy, a backup restored, another tool) no longer matches, and its journal is then
 * ignored instead of undoing learnings that model never had. The file is text:
 *
 * <pre>
 * # hygiene learn journal 1
 * model 9a0c...(64 hex digits)
 * 3f1c0a9e5b7d2c4e8f6a1b3c5d7e9f01 spam 4
 * </pre>
 *
 * <p>The journal is bounded: it keeps the {@value #MAX_ENTRIES} records learned or changed most recently (in
 * the file, oldest first; a record learned again moves to the end). When a learning would make it longer, the
 * oldest record is dropped: what it recorded stays learned in the model, but a later correction of that message is
 * learned as for a new one instead of undoing it first (of a message with two records, only what the one left
 * records is undone), and a repeated report of it is learned again. Reading keeps
 * the last {@value #MAX_ENTRIES} records of a longer file. At some 40 bytes a record the file stays under 8 MB, which
 * each learning call reads and rewrites (1,000,000 records, 39.5 MB, took 1-2 s to read and 0.3-1 s to write on a
 * 2-core machine; a fifth of that here).
 *
 * <p>Not thread-safe: used under the model file's lock.
 */
final class LearnJournal {
    /** The first line of every journal. */
    static final String HEADER = "# hygiene learn journal 1";

    /** The most records a journal keeps: 200,000 (the most recent; see the class comment). */
    static final int MAX_ENTRIES = 200_000;

    /**
     * One message's record.
     *
     * @param spam the label it was learned with
     * @param times how many times it was learned with that label, at least 1
     */
    record Entry(boolean spam, int times) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final int limit;

    private LearnJournal(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        this.limit = limit;
    }

    /** An empty journal of at most {@link #MAX_ENTRIES} records. */
    static LearnJournal empty() {
        return new LearnJournal(MAX_ENTRIES);
    }

    /**
     * An empty journal of at most {@code limit} records (tests use a small one).
     *
     * @param limit the most records it keeps, at least 1
     * @return the journal
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    static LearnJournal empty(int limit) {
        return new LearnJournal(limit);
    }

    /**
     * Reads the journal of a model file; an empty one when there is none, or when it belongs to another version of
     * the model file (its recorded digest is not {@code modelDigest}).
     *
     * @param file the journal file
     * @param modelDigest the SHA-256 of the model file's bytes as they are now ({@link #digest})
     * @return the journal
     * @throws IOException if it cannot be read, or a line is malformed (the message names the file and line)
     */
    static LearnJournal read(Path file, String modelDigest) throws IOException {
        return read(file, modelDigest, MAX_ENTRIES);
    }

    /**
     * What a damaged journal's error adds: every learner refuses it until it is repaired or moved aside, so say how
     * and what moving it aside costs.
     */
    static final String DAMAGED = "; nothing was changed: repair the line, or move the journal aside to learn without"
            + " it (the messages it records stay learned, but a correction no longer undoes them first and a report"
            + " again learns them again)";

    /**
     * {@link #read(Path, String)} keeping at most {@code limit} records: the last ones of the file.
     *
     * @param file the journal file
     * @param modelDigest the SHA-256 of the model file's bytes as they are now ({@link #digest})
     * @param limit the most records it keeps, at least 1
     * @return the journal
     * @throws IOException if it cannot be read (a directory, say), or a line is malformed (the message names the file
     *     and line)
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    static LearnJournal read(Path file, String modelDigest, int limit) throws IOException {
        LearnJournal journal = new LearnJournal(limit);
        if (Files.isDirectory(file)) {
            // reading one failed with the JDK's bare "Is a directory", naming no file
            throw new java.nio.file.FileSystemException(
                    file.toString(), null, "a directory, not a learn journal (move it away); nothing was changed");
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = in.readLine();
            if (line == null || !line.equals(HEADER)) {
                throw new IOException(
                        file + ":1: not a learn journal (the first line must be '" + HEADER + "')" + DAMAGED);
            }
            line = in.readLine();
            if (line == null || !line.startsWith("model ") || line.length() != 70 || !isLowerHex(line.substring(6))) {
                throw new IOException(file + ":2: expected 'model DIGEST' (64 hex digits), found '"
                        + abbreviate(String.valueOf(line)) + "'" + DAMAGED);
            }
            if (!line.substring(6).equals(modelDigest)) {
                return journal; // written with another version of the model file: not this model's learnings
            }
            int n = 2;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(" ", -1);
                int times = -1;
                if (f.length == 3
                        && f[0].length() == 32
                        && isLowerHex(f[0])
                        && (f[1].equals("spam") || f[1].equals("ham"))) {
                    try {
                        times = Integer.parseInt(f[2]);
                    } catch (NumberFormatException e) {
                        times = -1;
                    }
                }
                if (times < 1) {
                    throw new IOException(file + ":" + n + ": expected 'KEY spam|ham TIMES' (KEY 32 hex digits, TIMES"
                            + " at least 1), found '" + abbreviate(line) + "'" + DAMAGED);
                }
                journal.put(f[0], new Entry(f[1].equals("spam"), times));
            }
        } catch (NoSuchFileException e) {
            return new LearnJournal(limit);
        }
        return journal;
    }

    /**
     * The SHA-256 of a model file's bytes, as the journal records it.
     *
     * @param bytes the file's bytes
     * @return 64 lower-case hex digits
     */
    static String digest(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** A new SHA-256 digest. */
    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * The key a message's tokens are recorded under.
     *
     * @param tokens the message's tokens (duplicates count once)
     * @return 32 lower-case hex digits
     */
    static String key(Collection<String> tokens) {
        List<String> sorted = new ArrayList<>(new HashSet<>(tokens));
        sorted.sort(null);
        MessageDigest sha = sha256();
        for (String t : sorted) {
            sha.update(t.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
        }
        byte[] d = sha.digest();
        return HexFormat.of().formatHex(d, 0, 16);
    }

    /**
     * The token {@link #countsOnlyKey} adds: a control character no tokenizer output holds, and not the correction
     * tokens' prefix.
     */
    private static final String COUNTS_ONLY_MARK = "\u0002counts-only";

    /**
     * The key a message's learnings of its counts alone are recorded under (the model already agreed with it, so no
     * logistic weight moved; see {@link BayesModels#correctInto}): the {@link #key} of its tokens and one more that
     * no tokenizer gives, so that its learnings that moved weights, recorded under {@link #key}, have a record of their
     * own and each kind is undone with the tokens it was learned with.
     *
     * @param tokens the message's tokens (duplicates count once)
     * @return 32 lower-case hex digits
     */
    static String countsOnlyKey(Collection<String> tokens) {
        Set<String> marked = new HashSet<>(tokens);
        marked.add(COUNTS_ONLY_MARK);
        return key(marked);
    }

    /** The record of a message, if it was learned. */
    Optional<Entry> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /**
     * Records a message's learning, replacing its earlier record; it becomes the most recent record. If the journal
     * then holds more than its limit, the oldest record is dropped.
     */
    void put(String key, Entry entry) {
        entries.remove(key);
        entries.put(key, entry);
        if (entries.size() > limit) {
            Iterator<String> oldest = entries.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /** Forgets a message's record. */
    void remove(String key) {
        entries.remove(key);
    }

    /** How many messages it records. */
    int size() {
        return entries.size();
    }

    /**
     * Writes the journal to a temporary file next to {@code file}, flushed to the disk, with the attributes of the
     * journal it will replace or, for a new one, of the model file; {@link #commit} renames it into place.
     *
     * @param file the journal file
     * @param model the model file it belongs to
     * @param modelDigest the SHA-256 of the model file as saved ({@link #digest})
     * @return the temporary file
     * @throws IOException if writing fails (the temporary file is then deleted)
     */
    Path prepare(Path file, Path model, String modelDigest) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8)) {
                w.write(HEADER);
                w.write('\n');
                w.write("model " + modelDigest + "\n");
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    w.write(e.getKey() + (e.getValue().spam() ? " spam " : " ham ")
                            + e.getValue().times() + "\n");
                }
                w.flush();
                ch.force(true);
            }
            BayesModel.takeAttributes(Files.exists(abs) ? abs : model.toAbsolutePath(), tmp);
            done = true;
            return tmp;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Renames a file written by {@link #prepare} into place, atomically, and makes the rename durable (the directory
     * is flushed where the platform can).
     *
     * @param tmp the temporary file
     * @param file the journal file
     * @throws IOException if the rename fails (the temporary file is then deleted, the old journal stays)
     */
    static void commit(Path tmp, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        try {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        BayesModel.syncDirectory(abs.getParent());
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "...";
    }
}
