package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BayesModelTest {

    private static BayesModel trained() {
        BayesModel m = BayesModel.empty();
        for (int i = 0; i < 20; i++) {
            m.learn(List.of("viagra", "free", "click", "common"), true);
            m.learn(List.of("meeting", "draft", "thanks", "common"), false);
        }
        return m;
    }

    @Test
    void chiSquareSurvivalMatchesClosedForms() {
        assertThat(BayesModel.chi2Q(0, 2)).isEqualTo(1.0);
        // with 2 degrees of freedom the survival function is exp(-x/2)
        qt().forAll(doubles().between(0, 200))
                .checkAssert(x -> assertThat(BayesModel.chi2Q(x, 2)).isCloseTo(Math.exp(-x / 2), within(1e-12)));
        // with 4: exp(-x/2) * (1 + x/2)
        assertThat(BayesModel.chi2Q(3.0, 4)).isCloseTo(Math.exp(-1.5) * 2.5, within(1e-12));
        qt().forAll(doubles().between(0, 2000), integers().between(1, 300))
                .checkAssert((x, k) -> assertThat(BayesModel.chi2Q(x, 2 * k)).isBetween(0.0, 1.0));
    }

    @Test
    void spammyTokensScoreHighAndHammyLow() {
        BayesModel m = trained();
        assertThat(m.classify(List.of("viagra", "free", "click")).score()).isGreaterThan(0.99);
        assertThat(m.classify(List.of("meeting", "draft", "thanks")).score()).isLessThan(0.01);
        Classification neutral = m.classify(List.of("common", "unknown"));
        assertThat(neutral.score()).isEqualTo(0.5);
        assertThat(neutral.clues()).isEmpty();
        assertThat(neutral.tokensSeen()).isEqualTo(2);
    }

    @Test
    void robinsonSmoothingOfARareToken() {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("once"), true);
        m.learn(List.of("other"), false);
        // p = 1, n = 1: f = (0.45 * 0.5 + 1) / 1.45
        assertThat(m.evidence("once").spamProbability()).isCloseTo((0.225 + 1) / 1.45, within(1e-12));
        assertThat(m.evidence("never").spamProbability()).isEqualTo(0.5);
    }

    @Test
    void forgetUndoesLearn() {
        BayesModel m = trained();
        String before = m.version();
        m.learn(List.of("oops", "free"), true);
        assertThat(m.version()).isNotEqualTo(before);
        m.forget(List.of("oops", "free"), true);
        assertThat(m.spamMessages()).isEqualTo(20);
        assertThat(m.evidence("oops").spamCount()).isZero();
        assertThat(m.evidence("free").spamCount()).isEqualTo(20);
        assertThatThrownBy(() -> BayesModel.empty().forget(List.of("x"), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no ham");
    }

    @Test
    void duplicatesInOneMessageCountOnce() {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("a", "a", "a"), true);
        assertThat(m.evidence("a").spamCount()).isEqualTo(1);
    }

    @Test
    void saveAndLoadRoundTrip(@TempDir Path dir) throws Exception {
        BayesModel m = trained();
        m.learn(List.of("出会", "subject:当選"), true);
        Path file = dir.resolve("model.bin");
        m.save(file);
        BayesModel loaded = BayesModel.load(file);
        assertThat(loaded.spamMessages()).isEqualTo(m.spamMessages());
        assertThat(loaded.hamMessages()).isEqualTo(m.hamMessages());
        assertThat(loaded.tokenCount()).isEqualTo(m.tokenCount());
        assertThat(loaded.evidence("出会")).isEqualTo(m.evidence("出会"));
        assertThat(loaded.classify(List.of("viagra", "meeting")).score())
                .isEqualTo(m.classify(List.of("viagra", "meeting")).score());
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("model.bin");
        }
    }

    @Test
    void aLockFileTakenByRootBelongsToTheModelFilesOwnerSoTheNodesUserCanLearnToo(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "a POSIX file system");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                "root".equals(System.getProperty("user.name")), "giving a file to another user needs root");
        var nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Path model = dir.resolve("site.model");
        trained().save(model);
        Files.setOwner(model, nobody);
        Files.setPosixFilePermissions(model, java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
        // root (an administrator's hygiene learn) takes the lock first: the file it creates must not shut the node's
        // user, who owns the model, out of every later learning (the quarantine tool runs as that user)
        try (java.io.Closeable held = BayesModels.lockModel(model)) {
            Path lock = dir.resolve("site.model.lock");
            assertThat(Files.getOwner(lock)).isEqualTo(nobody);
            assertThat(Files.readAttributes(model, java.nio.file.attribute.PosixFileAttributes.class)
                            .group())
                    .isEqualTo(Files.readAttributes(lock, java.nio.file.attribute.PosixFileAttributes.class)
                            .group());
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)))
                    .isEqualTo("rw-r-----");
        }
        // a lock file root made before the model was given to the node's user: brought in line at the next learning
        Path other = dir.resolve("other.model");
        trained().save(other);
        BayesModels.lockModel(other).close();
        Files.setOwner(other, nobody);
        BayesModels.lockModel(other).close();
        assertThat(Files.getOwner(dir.resolve("other.model.lock"))).isEqualTo(nobody);
    }

    @Test
    void aLockFileThatCannotBeOpenedSaysSoAndWhatToDo(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "a POSIX file system");
        org.junit.jupiter.api.Assumptions.assumeFalse(
                "root".equals(System.getProperty("user.name")), "root may write any file");
        Path model = dir.resolve("site.model");
        trained().save(model);
        Path lock = Files.createFile(dir.resolve("site.model.lock"));
        Files.setPosixFilePermissions(lock, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        assertThatThrownBy(() -> BayesModels.lockModel(model))
                .isInstanceOf(java.nio.file.AccessDeniedException.class)
                .hasMessageContaining("site.model.lock: permission denied")
                .hasMessageContaining("chown --reference=");
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsNamedInsteadOfALockFileThatDoesNotExist(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "a POSIX file system");
        org.junit.jupiter.api.Assumptions.assumeFalse(
                "root".equals(System.getProperty("user.name")), "root may write in any directory");
        Path models = Files.createDirectory(dir.resolve("models"));
        Path model = models.resolve("site.model");
        trained().save(model);
        Files.setPosixFilePermissions(models, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            // was "site.model.lock: permission denied ... chown --reference=..." for a lock file that does not exist
            assertThatThrownBy(() -> BayesModels.lockModel(model))
                    .isInstanceOf(java.nio.file.AccessDeniedException.class)
                    .hasMessageStartingWith(
                            models + ": permission denied: the model file site.model is saved as a new file")
                    .hasMessageEndingWith("nothing was changed")
                    .hasMessageNotContaining("chown");
        } finally {
            Files.setPosixFilePermissions(models, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void savingThroughASymbolicLinkReplacesTheFileItNamesAndKeepsTheLink(@TempDir Path dir) throws Exception {
        Path real = dir.resolve("site-2026.model");
        trained().save(real);
        Path link = Files.createSymbolicLink(dir.resolve("site.model"), real.getFileName());
        BayesModel more = BayesModel.load(link);
        more.learn(List.of("cheap", "pills"), true);
        more.save(link);
        // was: the link replaced by a file of its own, and the file it named left with the old model
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(BayesModel.load(real).spamMessages()).isEqualTo(more.spamMessages());
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("site-2026.model", "site.model");
        }
    }

    @Test
    void aReplacedModelKeepsItsPermissionsAndANewOneIsGroupReadable(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "a POSIX file system");
        BayesModel m = BayesModel.empty();
        m.learn(List.of("cheap", "pills"), true);
        m.learn(List.of("meeting", "agenda"), false);
        Path fresh = dir.resolve("fresh.model");
        m.save(fresh);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)))
                .isEqualTo("rw-r-----");
        Path shared = dir.resolve("shared.model");
        m.save(shared);
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-r--"));
        Object owner = Files.getOwner(shared);
        m.learn(List.of("cheap"), true);
        m.save(shared);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)))
                .isEqualTo("rw-rw-r--");
        assertThat(Files.getOwner(shared)).isEqualTo(owner);
        assertThat(BayesModel.load(shared).spamMessages()).isEqualTo(2);
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("fresh.model", "shared.model");
        }
    }

    @Test
    void aModelStartedFromTheDefaultSaysSoInItsFileAndOthersStayInVersionOne(@TempDir Path dir) throws Exception {
        BayesModel scratch = trained();
        assertThat(scratch.startedFromDefault()).isFalse();
        Path plain = dir.resolve("plain.model");
        scratch.save(plain);
        assertThat(versionOf(plain)).isEqualTo(1); // what builds before version 2 read
        assertThat(BayesModel.load(plain).startedFromDefault()).isFalse();

        BayesModel fromDefault = BayesModels.loadDefault();
        assertThat(fromDefault.startedFromDefault()).isTrue();
        fromDefault.learn(List.of("site", "word"), false);
        Path site = dir.resolve("site.model");
        fromDefault.save(site);
        // the default model has a logistic part: version 3 (a model started from it without one: version 2, below)
        assertThat(versionOf(site)).isEqualTo(BayesModel.FORMAT_VERSION).isEqualTo(3);
        BayesModel loaded = BayesModel.load(site);
        assertThat(loaded.startedFromDefault()).isTrue();
        assertThat(loaded.hamMessages()).isEqualTo(fromDefault.hamMessages());
        assertThat(loaded.tokenCount()).isEqualTo(fromDefault.tokenCount());
        assertThat(loaded.evidence("site")).isEqualTo(fromDefault.evidence("site"));

        // a flag this build does not know is refused, not ignored
        byte[] bytes = Files.readAllBytes(site);
        java.util.zip.Inflater inflater = new java.util.zip.Inflater();
        inflater.setInput(bytes, 12, bytes.length - 12);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!inflater.finished()) {
            body.write(buf, 0, inflater.inflate(buf));
        }
        byte[] raw = body.toByteArray();
        raw[19] = 7; // the flags int follows the two longs: bit 2 is unknown
        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        bad.write(bytes, 0, 12);
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(bad)) {
            z.write(raw);
        }
        assertThatThrownBy(() -> BayesModel.read(new ByteArrayInputStream(bad.toByteArray()), "flags"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("flags has model flags 7")
                .hasMessageContaining("a newer version of Mail Hygiene wrote it");

        BayesModel noLogistic = trained();
        noLogistic.markStartedFromDefault();
        Path v2 = dir.resolve("v2.model");
        noLogistic.save(v2);
        assertThat(versionOf(v2)).isEqualTo(2);
        assertThat(BayesModel.load(v2).startedFromDefault()).isTrue();
        assertThat(BayesModel.load(v2).hasLogistic()).isFalse();
    }

    @Test
    void aScannerOverTheDefaultModelOrOneLearnedOnTopOfItKeepsTheDefaultThreshold() throws Exception {
        assertThat(BayesScanner.builder(trained()).build().threshold()).isEqualTo(BayesScanner.DEFAULT_THRESHOLD);
        BayesModel site = BayesModels.loadDefault();
        site.learn(List.of("site"), true);
        assertThat(BayesScanner.builder(site).build().threshold()).isEqualTo(BayesModels.DEFAULT_MODEL_THRESHOLD);
        assertThat(BayesScanner.builder(site).threshold(0.95).build().threshold())
                .isEqualTo(0.95);
        assertThat(BayesScanner.builder(site).sureThreshold(0.5).build().sureThreshold())
                .isEqualTo(BayesModels.DEFAULT_MODEL_THRESHOLD);
    }

    private static int versionOf(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        return java.nio.ByteBuffer.wrap(b, 8, 4).getInt();
    }

    @Test
    void wrongFilesGiveClearErrors(@TempDir Path dir) throws Exception {
        Path notAModel = dir.resolve("x.txt");
        Files.writeString(notAModel, "hello, I am not a model");
        assertThatThrownBy(() -> BayesModel.load(notAModel))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not a Mail Hygiene Bayes model");

        ByteArrayOutputStream future = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(future);
        d.write(new byte[] {'M', 'H', 'B', 'A', 'Y', 'E', 'S', 0});
        d.writeInt(99);
        Path v99 = dir.resolve("v99.bin");
        Files.write(v99, future.toByteArray());
        assertThatThrownBy(() -> BayesModel.load(v99))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("format version 99")
                .hasMessageContaining("reads versions 1 to 3")
                // the file is whole: a newer build wrote it (until session 49 the advice was to retrain the model)
                .hasMessageContaining("a newer version of Mail Hygiene wrote it: use that version");

        ByteArrayOutputStream good = new ByteArrayOutputStream();
        trained().write(good);
        byte[] cut = java.util.Arrays.copyOf(good.toByteArray(), good.size() - 10);
        assertThatThrownBy(() -> BayesModel.read(new ByteArrayInputStream(cut), "cut"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cut is truncated or corrupt");
        assertThatThrownBy(() -> BayesModel.read(new ByteArrayInputStream(new byte[3]), "tiny"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("too short");

        // a directory: was "Is a directory", naming nothing
        Path folder = Files.createDirectory(dir.resolve("models"));
        assertThatThrownBy(() -> BayesModel.load(folder))
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(folder + ": a directory, not a model file");
        assertThatThrownBy(() -> BayesModels.carryJournal(folder))
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(folder.toAbsolutePath() + ": a directory, not a model file");
    }

    @Test
    void aTokenWhoseBytesAreDamagedNamesTheFileAsCorrupt(@TempDir Path dir) throws Exception {
        // one flipped bit of a real model file said only "malformed input around byte 5", naming no file
        ByteArrayOutputStream damaged = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(damaged);
        d.write(new byte[] {'M', 'H', 'B', 'A', 'Y', 'E', 'S', 0});
        d.writeInt(1);
        DataOutputStream body = new DataOutputStream(new java.util.zip.DeflaterOutputStream(damaged));
        body.writeLong(1);
        body.writeLong(1);
        body.writeInt(1);
        body.writeShort(2);
        body.write(new byte[] {(byte) 0xff, 'a'}); // no byte of modified UTF-8 is 0xff
        body.writeInt(1);
        body.writeInt(0);
        body.close();
        Path file = dir.resolve("site.model");
        Files.write(file, damaged.toByteArray());
        assertThatThrownBy(() -> BayesModel.load(file))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(file + " is truncated or corrupt");
    }

    @Test
    void aModelWhoseChecksumFailsIsRefusedWhereverItsLastValueEnds() throws Exception {
        // the compressed data's checksum (its last 4 bytes) was checked only when the reader happened to reach it:
        // when the model's last value ended in an earlier block of input than the checksum (the reader takes 512
        // bytes at a time from a file), a damaged file was taken. A source giving one byte a time ends every value
        // in an earlier block than the checksum.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        trained().write(out);
        byte[] bytes = out.toByteArray();
        bytes[bytes.length - 1] ^= 0x01;
        assertThatThrownBy(() -> BayesModel.read(new Trickle(bytes), "damaged"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("damaged is truncated or corrupt");
        bytes[bytes.length - 1] ^= 0x01;
        assertThat(BayesModel.read(new Trickle(bytes), "whole").tokenCount())
                .isEqualTo(trained().tokenCount());
    }

    /** A source that gives at most one byte per read, as a slow pipe or socket may. */
    private static final class Trickle extends java.io.InputStream {
        private final ByteArrayInputStream in;

        Trickle(byte[] bytes) {
            in = new ByteArrayInputStream(bytes);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, Math.min(len, 1));
        }
    }

    @Test
    void dataAfterTheModelsLastValueIsCorrupt() throws Exception {
        ByteArrayOutputStream good = new ByteArrayOutputStream();
        trained().write(good);
        byte[] bytes = good.toByteArray();
        // the same model with one more byte inside its compressed data
        ByteArrayOutputStream longer = new ByteArrayOutputStream();
        longer.write(bytes, 0, 12);
        java.util.zip.InflaterInputStream in =
                new java.util.zip.InflaterInputStream(new ByteArrayInputStream(bytes, 12, bytes.length - 12));
        byte[] body = in.readAllBytes();
        java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(longer);
        z.write(body);
        z.write(0);
        z.close();
        assertThatThrownBy(() -> BayesModel.read(new ByteArrayInputStream(longer.toByteArray()), "longer"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("longer is corrupt (data after the model's last value)");
        assertThat(BayesModel.read(new ByteArrayInputStream(bytes), "good").tokenCount())
                .isEqualTo(trained().tokenCount());
    }

    @Test
    void aWriteThatFailsWithoutAFileNameNamesTheModelFile() {
        // a full file system: the JDK's IOException says "No space left on device" and names nothing
        Path file = Path.of("/srv/models/site.model");
        java.io.IOException full = new java.io.IOException("No space left on device");
        java.io.IOException named = org.mailhygiene.internal.IoErrors.naming(
                file, full, "its new version was not written; the file is unchanged");
        assertThat(named)
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(file + ": No space left on device: its new version was not written; the file is unchanged")
                .hasCause(full);
        java.nio.file.AccessDeniedException denied =
                new java.nio.file.AccessDeniedException("/srv/models/site.model.123.tmp");
        assertThat(org.mailhygiene.internal.IoErrors.naming(file, denied, "x")).isSameAs(denied);
    }

    @Test
    void takingTheLockDeletesTheTemporaryFilesOfAWriterThatDied(@TempDir Path dir) throws Exception {
        // a hygiene learn killed (kill -9) while it wrote left site.model.NNN.tmp, as large as the model, for ever
        Path model = dir.resolve("site.model");
        trained().save(model);
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - BayesModels.LEFTOVER_AGE.toMillis() - 60_000);
        Path deadModel = Files.write(dir.resolve("site.model.12690970928570880869.tmp"), new byte[100]);
        Path deadJournal = Files.write(dir.resolve("site.model.learned.42.tmp"), new byte[10]);
        Path writing = Files.write(dir.resolve("site.model.77.tmp"), new byte[10]); // a writer at work, unlocked
        Path otherModel = Files.write(dir.resolve("other.model.99.tmp"), new byte[10]);
        Path notOurs = Files.write(dir.resolve("site.model.backup.tmp"), new byte[10]);
        for (Path p : List.of(deadModel, deadJournal, otherModel, notOurs)) {
            Files.setLastModifiedTime(p, old);
        }
        try (java.io.Closeable lock = BayesModels.lockModel(model)) {
            assertThat(deadModel).doesNotExist();
            assertThat(deadJournal).doesNotExist();
            assertThat(writing).exists();
            assertThat(otherModel).exists();
            assertThat(notOurs).exists();
        }
        assertThat(BayesModel.load(model).tokenCount()).isEqualTo(trained().tokenCount());
    }

    @Test
    void aFileClaimingBillionsOfTokensFailsWithoutAllocatingForThem() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                allocatedBytes() >= 0, "this JVM does not count a thread's allocations");
        // a valid header, then a deflated body that claims 2^31-1 tokens and holds one
        ByteArrayOutputStream hostile = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(hostile);
        d.write(new byte[] {'M', 'H', 'B', 'A', 'Y', 'E', 'S', 0});
        d.writeInt(1);
        DataOutputStream body = new DataOutputStream(new java.util.zip.DeflaterOutputStream(hostile));
        body.writeLong(1);
        body.writeLong(1);
        body.writeInt(Integer.MAX_VALUE);
        body.writeUTF("viagra");
        body.writeInt(1);
        body.writeInt(0);
        body.close();
        byte[] bytes = hostile.toByteArray();
        assertThat(bytes.length).isLessThan(64);

        long before = allocatedBytes();
        assertThatThrownBy(() -> BayesModel.read(new ByteArrayInputStream(bytes), "hostile"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("hostile is truncated or corrupt");
        long allocated = allocatedBytes() - before;
        // the reader's buffers, a table of 2^17 entries and one token (it was 64 MB or more: a table sized by the
        // claim)
        assertThat(allocated).as("bytes allocated").isLessThan(2L << 20);
    }

    /**
     * Bytes the current thread has allocated so far, or -1 where the JVM does not count them. Reflective: the tests
     * are compiled as part of the module, which does not read {@code jdk.management}; they run on the class path.
     */
    static long allocatedBytes() {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory")
                    .getMethod("getThreadMXBean")
                    .invoke(null);
            Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            if (!type.isInstance(bean)
                    || !(Boolean)
                            type.getMethod("isThreadAllocatedMemorySupported").invoke(bean)) {
                return -1;
            }
            return (Long) type.getMethod("getCurrentThreadAllocatedBytes").invoke(bean);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    @Test
    void classifyingWhileLearningIsSafe() throws Exception {
        BayesModel m = trained();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 2000; i++) {
                    m.learn(List.of("t" + i, "free"), i % 2 == 0);
                }
                return null;
            }));
            for (int r = 0; r < 3; r++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2000; i++) {
                        double s =
                                m.classify(List.of("viagra", "free", "t" + i)).score();
                        assertThat(s).isBetween(0.0, 1.0);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(m.spamMessages() + m.hamMessages()).isEqualTo(40 + 2000);
        assertThat(m.evidence("free").spamCount()).isEqualTo(20 + 1000);
    }
}
