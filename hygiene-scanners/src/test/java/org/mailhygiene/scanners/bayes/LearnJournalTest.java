package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.SampleMessages;

class LearnJournalTest {

    private static final String PAYMENT_MAIL = """
            From: Bob <bob@partner.example>
            To: alice@example.org
            Subject: Re: invoice and payment details
            Date: Tue, 1 Dec 2026 10:00:00 +0000
            MIME-Version: 1.0
            Content-Type: text/plain; charset=us-ascii

            Hi Alice, please find the payment details below. Kindly confirm your account and verify
            the transfer as soon as possible. Click the link to view the invoice and sign in.
            """.replace("\n", "\r\n");

    @Test
    void theKeyDependsOnTheSetOfTokensOnly() {
        qt().forAll(lists().of(strings().allPossible().ofLengthBetween(0, 12)).ofSizeBetween(0, 40))
                .checkAssert(tokens -> {
                    List<String> shuffled = new ArrayList<>(tokens);
                    Collections.shuffle(shuffled, new Random(tokens.size()));
                    shuffled.addAll(tokens); // duplicates count once
                    assertThat(LearnJournal.key(shuffled)).isEqualTo(LearnJournal.key(tokens));
                    assertThat(LearnJournal.key(tokens)).matches("[0-9a-f]{32}");
                    Set<String> more = new HashSet<>(tokens);
                    if (more.add("an-extra-token")) {
                        assertThat(LearnJournal.key(more)).isNotEqualTo(LearnJournal.key(tokens));
                    }
                });
        // tokens are separated: ["ab", "c"] is not ["a", "bc"]
        assertThat(LearnJournal.key(List.of("ab", "c"))).isNotEqualTo(LearnJournal.key(List.of("a", "bc")));
    }

    @Test
    void writesAndReadsBackAndNamesTheLineOfAMalformedEntry(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.model.learned");
        String digest = LearnJournal.digest(new byte[] {1, 2, 3});
        assertThat(LearnJournal.read(file, digest).size()).isZero(); // none yet
        LearnJournal j = LearnJournal.empty();
        String a = LearnJournal.key(List.of("a"));
        String b = LearnJournal.key(List.of("b"));
        j.put(a, new LearnJournal.Entry(true, 3));
        j.put(b, new LearnJournal.Entry(false, 1));
        LearnJournal.commit(j.prepare(file, dir.resolve("m.model"), digest), file);
        LearnJournal back = LearnJournal.read(file, digest);
        assertThat(back.get(a)).contains(new LearnJournal.Entry(true, 3));
        assertThat(back.get(b)).contains(new LearnJournal.Entry(false, 1));
        assertThat(Files.readString(file)).startsWith(LearnJournal.HEADER + "\nmodel " + digest + "\n");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("m.model.learned"); // no temp left
        }
        // another version of the model file: not its journal
        assertThat(LearnJournal.read(file, LearnJournal.digest(new byte[] {9})).size())
                .isZero();

        String head = LearnJournal.HEADER + "\nmodel " + digest + "\n";
        Files.writeString(file, head + a + " spam 3\n\n" + b + " maybe 1\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LearnJournal.read(file, digest))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file + ":5: expected 'KEY spam|ham TIMES'")
                .hasMessageContaining("maybe")
                // every learner refuses it until it is repaired or moved aside: the message says so
                .hasMessageEndingWith(LearnJournal.DAMAGED)
                .hasMessageContaining("move the journal aside");
        Files.writeString(file, head + a + " spam 0\n");
        assertThatThrownBy(() -> LearnJournal.read(file, digest)).hasMessageContaining(file + ":3:");
        Files.writeString(file, LearnJournal.HEADER + "\n" + a + " spam 1\n");
        assertThatThrownBy(() -> LearnJournal.read(file, digest))
                .hasMessageContaining(file + ":2: expected 'model")
                .hasMessageEndingWith(LearnJournal.DAMAGED);
        Files.writeString(file, "something else\n");
        assertThatThrownBy(() -> LearnJournal.read(file, digest))
                .hasMessageContaining(file + ":1: not a learn journal");
    }

    @Test
    void keepsTheMostRecentRecordsWithinItsLimit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.model.learned");
        Path model = dir.resolve("m.model");
        String digest = LearnJournal.digest(new byte[] {4});
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(LearnJournal.key(List.of("token-" + i)));
        }
        LearnJournal j = LearnJournal.empty(3);
        j.put(keys.get(0), new LearnJournal.Entry(true, 1));
        j.put(keys.get(1), new LearnJournal.Entry(true, 2));
        j.put(keys.get(2), new LearnJournal.Entry(false, 3));
        j.put(keys.get(0), new LearnJournal.Entry(true, 4)); // learned again: now the most recent
        j.put(keys.get(3), new LearnJournal.Entry(false, 5)); // over the limit: the oldest (1) goes
        assertThat(j.size()).isEqualTo(3);
        assertThat(j.get(keys.get(1))).isEmpty();
        assertThat(j.get(keys.get(0))).contains(new LearnJournal.Entry(true, 4));
        assertThat(j.get(keys.get(2))).contains(new LearnJournal.Entry(false, 3));
        assertThat(j.get(keys.get(3))).contains(new LearnJournal.Entry(false, 5));
        LearnJournal.commit(j.prepare(file, model, digest), file);
        // written oldest first
        assertThat(Files.readAllLines(file).subList(2, 5))
                .containsExactly(keys.get(2) + " ham 3", keys.get(0) + " spam 4", keys.get(3) + " ham 5");

        // a longer file (an older build had no limit): the last records are kept, and stay in order
        StringBuilder longer = new StringBuilder(LearnJournal.HEADER + "\nmodel " + digest + "\n");
        for (int i = 0; i < 6; i++) {
            longer.append(keys.get(i)).append(" spam ").append(i + 1).append('\n');
        }
        Files.writeString(file, longer);
        LearnJournal back = LearnJournal.read(file, digest, 2);
        assertThat(back.size()).isEqualTo(2);
        assertThat(back.get(keys.get(3))).isEmpty();
        assertThat(back.get(keys.get(4))).contains(new LearnJournal.Entry(true, 5));
        assertThat(back.get(keys.get(5))).contains(new LearnJournal.Entry(true, 6));
        assertThat(LearnJournal.read(file, digest).size()).isEqualTo(6); // the real limit is far above
        assertThat(LearnJournal.MAX_ENTRIES).isEqualTo(200_000);
        assertThatThrownBy(() -> LearnJournal.empty(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSymbolicLinkAndTheFileItNamesShareOneLockAndOneJournal(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        Path real = dir.resolve("site-2026.model");
        BayesModels.Correction wrong = BayesModels.correctInto(real, true, List.of(msg), tokenizer);
        Path link = Files.createSymbolicLink(dir.resolve("site.model"), real.getFileName());
        assertThat(BayesModels.journalFile(link)).isEqualTo(BayesModels.journalFile(real));
        // the correction through the link finds the report made through the target, and undoes it
        BayesModels.Correction fixed = BayesModels.correctInto(link, false, List.of(msg), tokenizer);
        assertThat(fixed.undone()).isOne();
        assertThat(BayesModel.load(real).spamMessages()).isEqualTo(wrong.model().spamMessages() - wrong.learned());
        assertThat(Files.isSymbolicLink(link)).isTrue();
        try (var left = Files.list(dir)) {
            // was: site.model.lock and site.model.learned beside the link, a second lock and a second journal
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "site-2026.model", "site-2026.model.lock", "site-2026.model.learned", "site.model");
        }
    }

    @Test
    void aMistakeIsUndoneExactlyAndARepeatIsANoOp(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        Set<String> tokens = tokenizer.tokenize(msg);
        BayesModel base = BayesModels.loadDefault();

        // reported as spam by mistake, reported again, then released as ham
        Path wrong = dir.resolve("wrong.model");
        BayesModels.Correction first = BayesModels.correctInto(wrong, true, List.of(msg), tokenizer);
        assertThat(first.learned()).isPositive();
        assertThat(first.undone()).isZero();
        BayesModels.Correction again = BayesModels.correctInto(wrong, true, List.of(msg), tokenizer);
        assertThat(again.learned()).isZero();
        assertThat(again.alreadyLearned()).isOne();
        assertThat(again.model().spamMessages()).isEqualTo(base.spamMessages() + first.learned());
        BayesModels.Correction fixed = BayesModels.correctInto(wrong, false, List.of(msg), tokenizer);
        assertThat(fixed.undone()).isOne();

        // the same as if only the ham had been learned
        Path right = dir.resolve("right.model");
        BayesModels.Correction only = BayesModels.correctInto(right, false, List.of(msg), tokenizer);
        assertThat(fixed.learned()).isEqualTo(only.learned());
        BayesModel a = BayesModel.load(wrong);
        BayesModel b = BayesModel.load(right);
        assertThat(a.spamMessages()).isEqualTo(b.spamMessages()).isEqualTo(base.spamMessages());
        assertThat(a.hamMessages()).isEqualTo(b.hamMessages()).isEqualTo(base.hamMessages() + only.learned());
        assertThat(a.tokenCount()).isEqualTo(b.tokenCount());
        assertThat(a.hasLogistic()).isTrue(); // the default model's logistic part: corrections move its weights too
        for (String t : tokens) {
            assertThat(a.evidence(t)).isEqualTo(b.evidence(t));
            assertThat(a.weight(t)).isEqualTo(b.weight(t));
        }
        assertThat(a.classify(tokens)).isEqualTo(b.classify(tokens));
        assertThat(Files.readString(BayesModels.journalFile(wrong)))
                .isEqualTo(Files.readString(BayesModels.journalFile(right)))
                .contains(LearnJournal.key(tokens) + " ham " + only.learned());

        // learned once: a second time is skipped, the other label undoes it
        Path once = dir.resolve("once.model");
        assertThat(BayesModels.learnOnceInto(once, true, List.of(msg, msg), tokenizer))
                .satisfies(c -> assertThat(c.learned()).isOne())
                .satisfies(c -> assertThat(c.alreadyLearned()).isOne());
        BayesModels.Correction back = BayesModels.learnOnceInto(once, false, List.of(msg), tokenizer);
        assertThat(back.undone()).isOne();
        assertThat(back.model().spamMessages()).isEqualTo(base.spamMessages());
        assertThat(back.model().hamMessages()).isEqualTo(base.hamMessages() + 1);
    }

    @Test
    void aMessageTheModelAlreadyAgreesWithIsCountedWithoutMovingAnyWeight(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(SampleMessages.clean()); // a short note: the model scores it 0.003
        Set<String> tokens = tokenizer.tokenize(msg);
        BayesModel base = BayesModels.loadDefault();
        assertThat(base.classify(tokens).score()).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
        assertThat(tokens).anyMatch(t -> base.weight(t) != 0.0); // it has weighted tokens that a correction moves

        // released as ham, as the model already judges it: counted once, no weight moved, recorded as counts only
        Path file = dir.resolve("m.model");
        BayesModels.Correction ham = BayesModels.correctInto(file, false, List.of(msg), tokenizer);
        assertThat(ham.learned()).isOne();
        assertThat(ham.countedOnly()).isOne();
        BayesModel model = BayesModel.load(file);
        assertThat(model.hamMessages()).isEqualTo(base.hamMessages() + 1);
        for (String t : tokens) {
            assertThat(model.weight(t)).as(t).isEqualTo(base.weight(t));
            assertThat(model.evidence(t).hamCount())
                    .as(t)
                    .isEqualTo(base.evidence(t).hamCount() + 1);
            assertThat(model.correctionTokens(List.of(t)))
                    .filteredOn(c -> !c.equals(t))
                    .allMatch(c -> model.evidence(c).hamCount() == 0
                            && model.evidence(c).spamCount() == 0);
        }
        assertThat(Files.readString(BayesModels.journalFile(file)))
                .contains(LearnJournal.countsOnlyKey(tokens) + " ham 1")
                .doesNotContain(LearnJournal.key(tokens));
        // a repeat is a no-op, as for any learning; learned once (--once) it is counted the same way
        assertThat(BayesModels.correctInto(file, false, List.of(msg), tokenizer).alreadyLearned())
                .isOne();
        Path once = dir.resolve("once.model");
        assertThat(BayesModels.learnOnceInto(once, false, List.of(msg), tokenizer)
                        .countedOnly())
                .isOne();

        // reported as spam after all: the counts-only learning is undone, then it is learned as spam until it scores
        // so, moving weights: as if only the spam report had been made
        BayesModels.Correction spam = BayesModels.correctInto(file, true, List.of(msg), tokenizer);
        assertThat(spam.undone()).isOne();
        assertThat(spam.countedOnly()).isZero();
        Path right = dir.resolve("right.model");
        BayesModels.Correction only = BayesModels.correctInto(right, true, List.of(msg), tokenizer);
        assertThat(spam.learned()).isEqualTo(only.learned()).isPositive();
        BayesModel a = BayesModel.load(file);
        BayesModel b = BayesModel.load(right);
        assertThat(a.hamMessages()).isEqualTo(b.hamMessages()).isEqualTo(base.hamMessages());
        assertThat(a.spamMessages()).isEqualTo(b.spamMessages());
        assertThat(a.tokenCount()).isEqualTo(b.tokenCount());
        for (String t : a.correctionTokens(tokens)) {
            assertThat(a.evidence(t)).as(t).isEqualTo(b.evidence(t));
            assertThat(a.weight(t)).as(t).isEqualTo(b.weight(t));
        }
        assertThat(a.classify(tokens)).isEqualTo(b.classify(tokens));
        assertThat(Files.readString(BayesModels.journalFile(file)))
                .isEqualTo(Files.readString(BayesModels.journalFile(right)));

        // a counts-only record is found even when the message no longer has a weighted token ('train --update
        // --drop' took them): a spam report still undoes the release first
        Path dropped = dir.resolve("dropped.model");
        BayesModels.correctInto(dropped, false, List.of(msg), tokenizer);
        BayesModels.JournalCarry change = BayesModels.carryJournal(dropped);
        Set<String> weightedTokens = new HashSet<>(tokens);
        weightedTokens.removeIf(t -> change.model().correctionTokens(List.of(t)).size() == 1);
        change.model().drop(weightedTokens::contains);
        change.save();
        assertThat(BayesModel.load(dropped).correctionTokens(tokens)).isEqualTo(tokens);
        BayesModels.Correction afterDrop = BayesModels.correctInto(dropped, true, List.of(msg), tokenizer);
        assertThat(afterDrop.undone()).isOne();
        assertThat(afterDrop.model().hamMessages()).isEqualTo(base.hamMessages());
        assertThat(Files.readString(BayesModels.journalFile(dropped)))
                .doesNotContain(LearnJournal.countsOnlyKey(tokens))
                .contains(LearnJournal.key(tokens) + " spam ");

        // and 'train --forget --ham' of the message counted once takes the journal's record with it
        Path counted = dir.resolve("counted.model");
        BayesModels.learnOnceInto(counted, false, List.of(msg), tokenizer);
        BayesModels.JournalCarry carry = BayesModels.carryJournal(counted);
        assertThat(carry.forgotten(tokens, false, 2)).isEqualTo(new BayesModels.JournalCarry.Forgotten(0, 1));
        assertThat(carry.dropped()).isOne();
        assertThat(carry.kept()).isZero();
    }

    @Test
    void aJournalWithoutItsModelIsIgnoredAndABrokenOneChangesNothing(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        Path model = dir.resolve("m.model");
        BayesModels.correctInto(model, true, List.of(msg), tokenizer);
        // the model is deleted, its journal left: a new model from the default must not "undo" anything
        Files.delete(model);
        BayesModels.Correction fresh = BayesModels.correctInto(model, false, List.of(msg), tokenizer);
        assertThat(fresh.undone()).isZero();
        assertThat(fresh.model().spamMessages())
                .isEqualTo(BayesModels.loadDefault().spamMessages());

        // the model file replaced by other means (a copy, a backup): its journal no longer matches and is ignored
        BayesModels.correctInto(model, true, List.of(msg), tokenizer);
        BayesModels.loadDefault().save(model);
        BayesModels.Correction afterCopy = BayesModels.correctInto(model, false, List.of(msg), tokenizer);
        assertThat(afterCopy.undone()).isZero();
        assertThat(afterCopy.model().spamMessages())
                .isEqualTo(BayesModels.loadDefault().spamMessages());

        byte[] before = Files.readAllBytes(model);
        Files.writeString(
                BayesModels.journalFile(model),
                LearnJournal.HEADER + "\nmodel " + LearnJournal.digest(before) + "\nnot a line\n");
        assertThatThrownBy(() -> BayesModels.correctInto(model, true, List.of(msg), tokenizer))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("m.model.learned:3:");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
    }

    @Test
    void aTrainChangeKeepsTheJournalAndAForgettingTakesOnlyWhatItsLabelRecords(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        Set<String> tokens = tokenizer.tokenize(msg);
        String key = LearnJournal.key(tokens);
        BayesModel base = BayesModels.loadDefault();
        Path file = dir.resolve("m.model");

        // a training collection held the message as spam; the administrator released it as ham
        BayesModel trained = BayesModels.loadDefault();
        new ModelTrainer(trained).learn(tokens, true, 1);
        trained.save(file);
        BayesModels.Correction ham = BayesModels.learnOnceInto(file, false, List.of(msg), tokenizer);
        assertThat(ham.learned()).isOne();
        // the collection was wrong: 'train --forget --spam' takes its learning out; the ham release is still learned
        BayesModels.JournalCarry carry = BayesModels.carryJournal(file);
        BayesModel model = carry.model();
        model.forget(tokens, true);
        assertThat(carry.forgotten(tokens, true, 1).total())
                .isZero(); // recorded as ham: none of the journal's learnings
        assertThat(carry.kept()).isOne();
        assertThat(carry.dropped()).isZero();
        carry.save();
        // so reporting it as spam after all undoes the release
        BayesModels.Correction spam = BayesModels.learnOnceInto(file, true, List.of(msg), tokenizer);
        assertThat(spam.undone()).isOne();
        assertThat(spam.model().hamMessages()).isEqualTo(base.hamMessages());
        assertThat(spam.model().spamMessages()).isEqualTo(base.spamMessages() + 1);

        // recorded 3 times as ham: forgetting it once as ham leaves 2 recorded, twice more none
        Path journalFile = BayesModels.journalFile(file);
        LearnJournal three = LearnJournal.empty();
        three.put(key, new LearnJournal.Entry(false, 3));
        LearnJournal.commit(
                three.prepare(journalFile, file, LearnJournal.digest(Files.readAllBytes(file))), journalFile);
        carry = BayesModels.carryJournal(file);
        assertThat(carry.forgotten(tokens, false, 1).moved()).isOne();
        assertThat(carry.kept()).isOne();
        assertThat(carry.dropped()).isZero();
        carry.save();
        assertThat(LearnJournal.read(journalFile, LearnJournal.digest(Files.readAllBytes(file)))
                        .get(key))
                .contains(new LearnJournal.Entry(false, 2));
        carry = BayesModels.carryJournal(file);
        assertThat(carry.forgotten(tokens, false, 5).moved())
                .isEqualTo(2); // forgotten 5 times: the 2 recorded were among them
        assertThat(carry.kept()).isZero();
        assertThat(carry.dropped()).isOne();
        carry.save();
        assertThat(LearnJournal.read(journalFile, LearnJournal.digest(Files.readAllBytes(file)))
                        .size())
                .isZero();
        assertThatThrownBy(() -> BayesModels.carryJournal(file).forgotten(tokens, false, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aJournalThatCannotBeWrittenLeavesTheModelAndTheOldJournalAsTheyWere(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        // a name whose journal's temporary file ("NAME.learned.DIGITS.tmp") is longer than a file name may be (255
        // bytes) while the model's ("NAME.DIGITS.tmp") is not: the journal cannot be written, as on a full disk, where
        // the journal (up to 8 MB) fails after the smaller model was written
        Path file = dir.resolve("m".repeat(222) + ".model");
        BayesModel before = BayesModels.loadDefault();
        before.save(file);
        byte[] modelBytes = Files.readAllBytes(file);
        Path journalFile = BayesModels.journalFile(file);
        String record = "0123456789abcdef0123456789abcdef ham 2\n";
        String journal = LearnJournal.HEADER + "\nmodel " + LearnJournal.digest(modelBytes) + "\n" + record;
        Files.writeString(journalFile, journal, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> BayesModels.correctInto(file, true, List.of(msg), tokenizer))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("the learn journal " + journalFile + " could not be written (")
                .hasMessageEndingWith("nothing was changed");
        // was: the model saved without it, so that the old journal no longer matched and its records were lost
        assertThat(Files.readAllBytes(file)).isEqualTo(modelBytes);
        assertThat(Files.readString(journalFile)).isEqualTo(journal);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp")); // no temp left
        }
    }

    @Test
    void aJournalThatCannotBeWrittenAfterTheModelIsSavedSaysSo(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        Path file = dir.resolve("m.model");
        BayesModels.learnOnceInto(file, true, List.of(msg), tokenizer);
        BayesModels.JournalCarry carry = BayesModels.carryJournal(file);
        BayesModel model = carry.model();
        model.learn(tokenizer.tokenize(msg), false);
        // the journal's place is taken (a directory that is not empty): it cannot be renamed into place
        Path journalFile = BayesModels.journalFile(file);
        Files.delete(journalFile);
        Files.createDirectories(journalFile.resolve("in-the-way"));
        assertThatThrownBy(carry::save)
                .isInstanceOf(IOException.class)
                .hasMessageContaining(
                        file + " was saved, but its learn journal " + journalFile + " could not be written")
                .hasMessageContaining("a later correction of the messages it records will not undo the earlier one");
        assertThat(BayesModel.load(file).hamMessages()).isEqualTo(model.hamMessages()); // the model was saved
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp")); // no temp left
        }
    }

    /**
     * The crash audit (session 42): a learner killed between renaming the new model into place and renaming its
     * journal (a {@code kill -9} or power loss in that moment) left the new model beside the old journal, whose digest
     * no longer matched: every record in it was ignored from then on, so a later correction no longer undid an
     * earlier learning. The journal written for that model was on the disk under its temporary name; the next learner
     * now puts it in place. A temporary journal written for another model (a learner killed before its model's
     * rename) is not taken.
     */
    @Test
    void aJournalWhoseRenameACrashCutShortIsPutInPlaceByTheNextLearner(@TempDir Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.create();
        MessageContent msg = MessageContent.ofBytes(PAYMENT_MAIL.getBytes(StandardCharsets.US_ASCII));
        MessageContent other = MessageContent.ofBytes(
                "From: a@x.example\r\nSubject: cheap watches\r\n\r\nBuy cheap replica watches now\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
        Path file = dir.resolve("m.model");
        Path journal = BayesModels.journalFile(file);
        BayesModels.learnOnceInto(file, true, List.of(msg), tokenizer);
        // a second learning, made on a copy, stands for the learner that was killed: its model renamed into place,
        // its journal still under its temporary name, the old journal left
        Path copy = Files.createDirectories(dir.resolve("copy"));
        Files.copy(file, copy.resolve("m.model"));
        Files.copy(journal, copy.resolve("m.model.learned"));
        BayesModels.learnOnceInto(copy.resolve("m.model"), true, List.of(other), tokenizer);
        // a learner killed before its model's rename left a temporary journal that belongs to no saved model
        Path stale = dir.resolve("m.model.learned.111.tmp");
        Files.copy(journal, stale);
        Files.copy(copy.resolve("m.model"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path cutShort = dir.resolve("m.model.learned.222.tmp");
        Files.copy(copy.resolve("m.model.learned"), cutShort);

        BayesModels.Correction back = BayesModels.learnOnceInto(file, false, List.of(msg), tokenizer);
        assertThat(back.undone())
                .as("the spam learning recorded before the crash is undone")
                .isOne();
        String text = Files.readString(journal);
        assertThat(text).contains(LearnJournal.key(tokenizer.tokenize(msg)) + " ham 1");
        assertThat(text.lines().filter(l -> l.endsWith(" spam 1")))
                .as("the record of the learning the crash cut short is kept")
                .hasSize(1);
        assertThat(cutShort).doesNotExist();
        assertThat(stale)
                .as("another model's journal is not taken (removed once 10 minutes old)")
                .exists();
    }
}
