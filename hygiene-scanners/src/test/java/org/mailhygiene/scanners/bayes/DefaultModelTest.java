package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

/** The shipped default model loads and judges the project's own sample messages sensibly. */
class DefaultModelTest {

    @Test
    void loadsWithBothClassesAndAReasonableSize() throws Exception {
        BayesModel m = BayesModels.loadDefault();
        assertThat(m.spamMessages()).isGreaterThan(1000);
        assertThat(m.hamMessages()).isGreaterThan(1000);
        assertThat(m.tokenCount()).isBetween(10_000, 1_000_000);
        assertThat(BayesModels.loadDefault()).as("a fresh copy per call").isNotSameAs(m);
    }

    /**
     * A node's start line and its health say which model it classifies with (session 43: a start with the shipped
     * model could not be told from one with another model held in memory).
     */
    @Test
    void healthSaysWhetherTheModelIsTheShippedOneOrLearnedOnTopOfIt() throws Exception {
        BayesModel shipped = BayesModels.loadDefault();
        assertThat(BayesModels.relationToDefault(shipped)).contains("the shipped default model");
        assertThat(BayesScanner.create(shipped).health().detail()).endsWith(", the shipped default model");

        BayesModel learned = BayesModels.loadDefault();
        learned.learn(List.of("session43-token"), true);
        assertThat(BayesScanner.create(learned).health().detail())
                .endsWith(", learned on top of the shipped default model");
        learned.forget(List.of("session43-token"), true);
        assertThat(BayesModels.relationToDefault(learned))
                .as("as much forgotten as learned: the shipped counts again")
                .contains("the shipped default model");

        BayesModel scratch = BayesModel.empty();
        scratch.learn(List.of("a"), true);
        scratch.learn(List.of("b"), false);
        assertThat(BayesModels.relationToDefault(scratch)).isEmpty();
        assertThat(BayesScanner.create(scratch).health().detail()).doesNotContain("shipped");
    }

    @Test
    void theTrainingCollectionsOwnRelaysAndAddressesAreNotInTheModel() throws Exception {
        // what the collections' routing taught (benchmarks/README.md, session 19): TREC 2007's relay and domain, the
        // SpamAssassin corpus's collector, Nazario's relays. A rebuild must --ignore them (or --drop them after)
        BayesModel m = BayesModels.loadDefault();
        for (String t : List.of(
                "received-ip:129.97",
                "received-ip:129.97.186",
                "received:uwaterloo.ca",
                "received:netnoteinc.com",
                "received:zzzzason.org",
                "received:efi.ie",
                "received-ip:213.105",
                "received-ip:65.23",
                "received-ip:204.181",
                "received-ip:10.23",
                "received-ip:10.0.2",
                "received:domain.com")) {
            TokenEvidence e = m.evidence(t);
            assertThat(e.spamCount() + e.hamCount()).as(t).isZero();
            assertThat(m.weight(t)).as(t).isZero();
        }
        assertThat(m.evidence("received-ip:10.0").spamCount())
                .as("only the collections' own ranges went, not every private address")
                .isPositive();
    }

    /**
     * A pitch sent with no header of its own (the relay's {@code Received} field on top of it) is judged by its words,
     * as a reader shows them: its text was taken for header lines, and the message was clean at 0.58 through a relay
     * and 0.81 (unsure, tagged) as here, on its header alone; 1.0 now, 0.9999 with a header of its own.
     */
    @Test
    void aPitchWithoutAHeaderIsReadAsText() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String pitch = "Congratulations! You have won the international lottery prize of 5,000,000 USD.\r\n"
                + "To claim your prize money send your full name, bank account details and a copy of your passport\r\n"
                + "to our claims agent immediately. This offer expires in 48 hours. Act now, winner!\r\n"
                + "Dear beneficiary, your fund release requires a small processing fee of $250 by Western Union.\r\n";
        String received = "Received: from vm ([127.0.0.1])\r\n\tby edge-1 (mail-hygiene) with ESMTP id MXDR19WQ-K\r\n"
                + "\tfor <kenji@ourcorp.org>; Mon, 7 Dec 2026 21:13:52 +0000\r\n";
        Verdict v = scanner.scan(Message.of((received + pitch).getBytes(StandardCharsets.US_ASCII)));
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.score().orElseThrow()).isGreaterThanOrEqualTo(0.99);
        assertThat(v.rules()).extracting(Rule::name).contains("lottery").doesNotContain("BAYES_UNSURE");
    }

    /**
     * The relay writes its {@code Received} field on top of a message before it scans: the classifier reads the message
     * without it, so a file an administrator tries with {@code hygiene scan} scores as it will through the relay.
     * Session 52: a 2FA notice scored 0.94 as a file and 0.55 through a relay ({@code received-count:2} for 1, the
     * node's host and the client's address as tokens). Another MTA's field naming the client (a milter behind Postfix
     * sees the sending client's own fields, never Postfix's) and our relay's field for another address are hops
     * before ours, and count.
     */
    @Test
    void theRelaysOwnTraceFieldDoesNotMoveTheScore() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String text = "Your verification code is 482913.\n\nEnter this code to finish signing in. It expires in 10"
                + " minutes.\nIf you did not try to sign in, you can ignore this message; someone may have typed your"
                + " address by mistake.\n\nThe Accounts team\n";
        String file = "Received: from mail-out.accounts-example.net (mail-out.accounts-example.net [198.51.100.44])\r\n"
                + "\tby mx.accounts-example.net with ESMTPS; Mon, 7 Dec 2026 20:01:02 +0000\r\n"
                + "From: Accounts <no-reply@accounts-example.net>\r\nTo: alice@ourcorp.org\r\n"
                + "Subject: Your verification code\r\nDate: Mon, 7 Dec 2026 20:01:00 +0000\r\n"
                + "Message-ID: <2fa-482913@accounts-example.net>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + java.util.Base64.getMimeEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8))
                + "\r\n";
        String relayLine = "Received: from mail-out.accounts-example.net ([203.0.113.7])\r\n"
                + "\tby mx1.ourcorp.org (mail-hygiene) with ESMTP id 0A1B2C3D\r\n"
                + "\tfor <alice@ourcorp.org>; Mon, 7 Dec 2026 20:01:03 +0000\r\n";
        String postfixLine = "Received: from mail-out.accounts-example.net (mail-out.accounts-example.net"
                + " [203.0.113.7])\r\n\tby mx1.ourcorp.org (Postfix) with ESMTP id 4ZqK2X0abcz1\r\n"
                + "\tfor <alice@ourcorp.org>; Mon,  7 Dec 2026 20:01:03 +0000 (UTC)\r\n";
        org.mailhygiene.api.Envelope onTheMailPath = new org.mailhygiene.api.Envelope(
                java.util.Optional.of(java.net.InetAddress.getByName("203.0.113.7")),
                java.util.Optional.of("mail-out.accounts-example.net"),
                "no-reply@accounts-example.net",
                List.of("alice@ourcorp.org"),
                java.time.Instant.parse("2026-12-07T20:01:03Z"));

        // saved from a mailbox, as the final delivery wrote it (the relay's classifier reads the envelope's sender so)
        String delivered = "Return-Path: <no-reply@accounts-example.net>\r\n" + file;
        Verdict asFile = scanner.scan(Message.of(delivered.getBytes(StandardCharsets.US_ASCII)));
        Verdict throughRelay = scanner.scan(new Message(
                onTheMailPath, MessageContent.ofBytes((relayLine + file).getBytes(StandardCharsets.US_ASCII))));
        assertThat(throughRelay.score()).isEqualTo(asFile.score());
        assertThat(throughRelay.outcome()).isEqualTo(asFile.outcome());
        for (String before : List.of(postfixLine, relayLine.replace("203.0.113.7", "203.0.113.8"))) {
            Verdict v = scanner.scan(new Message(
                    onTheMailPath, MessageContent.ofBytes((before + file).getBytes(StandardCharsets.US_ASCII))));
            assertThat(v.score()).as("a hop before ours counts: " + before).isNotEqualTo(asFile.score());
        }
    }

    /**
     * A message saved from a mailbox carries the {@code Return-Path} its final delivery wrote from the envelope; on the
     * mail path the message has none (Postfix drops a sender's own and never shows a milter the one it adds), so the
     * classifier reads the envelope's sender as that field: the milter's verdict is the file's (session 53: 14 of the
     * SpamAssassin corpus's spam had another verdict behind Postfix). A {@code Return-Path} field the sender wrote
     * counts neither instead of the envelope's nor beside it.
     */
    @Test
    void onTheMailPathTheEnvelopeSenderIsTheReturnPathAndTheSendersOwnFieldIsNotRead() throws Exception {
        BayesModel model = BayesModels.loadDefault();
        // a site that learned mail from this sender as spam
        new ModelTrainer(model)
                .learn(
                        List.of("return-path:offers@bulk-sender.example", "return-path-domain:bulk-sender.example"),
                        true,
                        100);
        BayesScanner scanner = BayesScanner.create(model);
        String message = "From: Offers <offers@bulk-sender.example>\r\nTo: alice@ourcorp.org\r\n"
                + "Subject: Your account summary\r\nDate: Mon, 7 Dec 2026 20:01:00 +0000\r\n"
                + "Message-ID: <summary-1@bulk-sender.example>\r\n\r\n"
                + "Here is the summary of your account for December. Reply to this message with any question.\r\n";
        String returnPath = "Return-Path: <offers@bulk-sender.example>\r\n";
        org.mailhygiene.api.Envelope fromBulk = new org.mailhygiene.api.Envelope(
                java.util.Optional.of(java.net.InetAddress.getByName("203.0.113.7")),
                java.util.Optional.of("mail.bulk-sender.example"),
                "offers@bulk-sender.example",
                List.of("alice@ourcorp.org"),
                java.time.Instant.parse("2026-12-07T20:01:03Z"));
        org.mailhygiene.api.Envelope fromOther = new org.mailhygiene.api.Envelope(
                fromBulk.clientAddress(),
                fromBulk.heloName(),
                "news@other-sender.example",
                fromBulk.recipients(),
                fromBulk.receivedAt());

        Verdict asFile = scanner.scan(Message.of((returnPath + message).getBytes(StandardCharsets.US_ASCII)));
        Verdict withoutField = scanner.scan(Message.of(message.getBytes(StandardCharsets.US_ASCII)));
        assertThat(asFile.score()).as("the learned sender counts").isNotEqualTo(withoutField.score());
        Verdict throughMilter = scanner.scan(
                new Message(fromBulk, MessageContent.ofBytes(message.getBytes(StandardCharsets.US_ASCII))));
        assertThat(throughMilter.score()).isEqualTo(asFile.score());
        assertThat(throughMilter.outcome()).isEqualTo(asFile.outcome());

        Verdict other = scanner.scan(
                new Message(fromOther, MessageContent.ofBytes(message.getBytes(StandardCharsets.US_ASCII))));
        Verdict forged = scanner.scan(new Message(
                fromOther, MessageContent.ofBytes((returnPath + message).getBytes(StandardCharsets.US_ASCII))));
        assertThat(forged.score())
                .as("the sender's own Return-Path is not read")
                .isEqualTo(other.score());
        assertThat(scanner.cacheIdentity(fromBulk)).isNotEqualTo(scanner.cacheIdentity(fromOther));
    }

    /**
     * An advance-fee letter with no link, under {@code Auto-Submitted: auto-replied}, was {@code BAYES_AUTO_REPLY} and
     * clean (issue 15); its own text is longer than any automatic reply's, so it is classified like any mail.
     */
    @Test
    void aLongLetterCallingItselfAnAutomaticReplyIsClassified() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String letter = "From: James Okafor <j.okafor@chambers.example>\r\nTo: alice@ours.example\r\n"
                + "Auto-Submitted: auto-replied\r\nSubject: Confidential\r\n\r\n"
                + BounceDetectorTest.ADVANCE_FEE_LETTER;
        Verdict v = scanner.scan(Message.of(letter.getBytes(StandardCharsets.US_ASCII)));
        assertThat(v.rules()).extracting(Rule::name).doesNotContain("BAYES_AUTO_REPLY");
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
    }

    /**
     * Hiding text never lowers a score (session 29): spam that hides innocent chatter is read without it, and spam
     * that hides its pitch by a trick the tokenizer takes for hiding while a browser shows it (found by review: an
     * escaped semicolon in a style) is read with it. The rule {@code BAYES_HIDDEN_TEXT} says which reading decided.
     */
    @Test
    void hidingTextNeverLowersTheScore() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String pitch = "Buy cheap viagra cialis pills online now, lowest prices guaranteed, no prescription needed. "
                + "Best online pharmacy, save money on generic medications, order now.";
        String chatter = "Thanks for the notes from Tuesday, the meeting went well and I will send the agenda for the"
                + " project review before Monday, let me know if the draft needs changes.";
        String head = "From: Anna Berg <anna.berg@gmail.com>\r\nTo: user@example.org\r\nSubject: Re: notes\r\n"
                + "Date: Mon, 1 Jun 2026 10:00:00 +0000\r\nMessage-ID: <CAF1x9@mail.gmail.com>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n\r\n";
        Verdict visible = scanner.scan(Message.of((head + "<p>" + pitch + "</p>").getBytes(StandardCharsets.UTF_8)));
        assertThat(visible.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(visible.rules()).extracting(Rule::name).doesNotContain(BayesScanner.HIDDEN_TEXT_RULE);
        // the pitch in an element the tokenizer takes for hidden (a browser shows it: "\;" is no separator in CSS)
        Verdict hiddenPitch = scanner.scan(
                Message.of((head + "<p>" + chatter + "</p><p style=\"color:red\\;display:none\">" + pitch + "</p>")
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(hiddenPitch.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(hiddenPitch.rules())
                .filteredOn(r -> r.name().equals(BayesScanner.HIDDEN_TEXT_RULE))
                .singleElement()
                .satisfies(r -> assertThat(r.description()).startsWith("read with the"));
        // chatter hidden behind a visible pitch: the visible reading decides
        Verdict hiddenChatter = scanner.scan(
                Message.of((head + "<p>" + pitch + "</p><div style=\"display:none\">" + chatter.repeat(3) + "</div>")
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(hiddenChatter.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(hiddenChatter.rules())
                .filteredOn(r -> r.name().equals(BayesScanner.HIDDEN_TEXT_RULE))
                .singleElement()
                .satisfies(r -> assertThat(r.description()).contains("are not read"));
    }

    @Test
    void sampleHamIsCleanAndExplained() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        for (Message m : List.of(
                SampleMessages.cleanMessage(),
                SampleMessages.japaneseIso2022jpMessage(),
                SampleMessages.emptySubjectMessage(),
                SampleMessages.noSubjectMessage())) {
            Verdict v = scanner.scan(m);
            assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
            assertThat(v.rules())
                    .as("the rules name the indicator and the tokens")
                    .hasSizeGreaterThan(1);
        }
    }

    @Test
    void generatedSpamIsCaughtInBothLanguages() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        // a seed the default model was not trained with (it learned seed 3)
        SyntheticCorpus corpus = SyntheticCorpus.seeded(99);
        int caught = 0;
        List<SyntheticCorpus.Sample> spam = corpus.generate(40, true);
        for (SyntheticCorpus.Sample s : spam) {
            caught += scanner.scan(Message.of(s.bytes())).outcome() == Outcome.SPAM ? 1 : 0;
        }
        assertThat(caught).isGreaterThanOrEqualTo(36);
        int flagged = 0;
        for (SyntheticCorpus.Sample s : corpus.generate(40, false)) {
            flagged += scanner.scan(Message.of(s.bytes())).outcome() == Outcome.SPAM ? 1 : 0;
        }
        assertThat(flagged).isZero();
    }

    private static Message resource(String name) throws java.io.IOException {
        try (java.io.InputStream in = DefaultModelTest.class.getResourceAsStream(name)) {
            return Message.of(in.readAllBytes());
        }
    }

    @Test
    void europeanLanguageHamIsNotSpamForItsWordsWhileGermanPhishingStillIs() throws Exception {
        // the default model learned German and French words almost only from spam (benchmarks/README.md, session 25):
        // before, these letters scored 0.96 to 1.0 on "ich", "wird", "votre", "nous", "usted", "você", "czy"
        BayesScanner scanner = BayesScanner.builder(BayesModels.loadDefault())
                .brandCheck(false) // the phishing below must be caught by the classifier itself
                .build();
        for (String ham : List.of(
                "language-de-ham.eml",
                "language-fr-ham.eml",
                "language-es-ham.eml",
                "language-pt-ham.eml",
                "language-pl-ham.eml")) {
            Verdict v = scanner.scan(resource(ham));
            assertThat(v.outcome()).as(ham + " " + v).isEqualTo(Outcome.CLEAN);
            assertThat(v.rules())
                    .as(ham)
                    .anyMatch(r -> r.name().equals(BayesScanner.LANGUAGE_RULE)
                            && r.description().contains("the words alone do not make it spam"));
        }
        Verdict phish = scanner.scan(resource("language-de-phish.eml"));
        assertThat(phish.outcome()).as(phish.toString()).isEqualTo(Outcome.SPAM);
        assertThat(phish.rules())
                .anyMatch(r -> r.name().equals(BayesScanner.LANGUAGE_RULE)
                        && r.description().contains("lean spam too"));
    }

    /**
     * Session 48: the default model learned Korean and Russian words from spam alone (Hangul 184 counts in spam, 0 in
     * ham; Cyrillic 309 and 0), and the language rule told only languages of the Latin alphabet, so a Korean note
     * from the mail gem's fixtures (MIT; src/test/resources/mime-torture/SOURCE.txt) scored 0.94 on {@code 습니},
     * {@code 니다}, {@code 입니}, the endings of every formal Korean sentence, under a header that reads ham (0.45).
     */
    @Test
    void koreanHamIsNotSpamForItsWords() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        Message korean;
        try (java.io.InputStream in = DefaultModelTest.class.getResourceAsStream(
                "/mime-torture/rubymail/plain_emails/raw_email_string_in_date_field.eml")) {
            korean = Message.of(in.readAllBytes());
        }
        Verdict v = scanner.scan(korean);
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(v.rules())
                .anyMatch(r -> r.name().equals(BayesScanner.LANGUAGE_RULE)
                        && r.description().startsWith("text in Hangul script")
                        && r.description().contains("the words alone do not make it spam"));
    }

    /**
     * An audit (session 31): spam sent from {@code MAIL FROM:<>} under an automatic reply's Subject was exempt from
     * classification and delivered; now it is classified. A real out-of-office reply that links is an automatic reply
     * by its {@code Auto-Submitted} field, and without it is classified, which the default model calls clean.
     */
    @Test
    void mailFromTheNullSenderOverLinksIsClassified() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        org.mailhygiene.api.Envelope nullSender = org.mailhygiene.api.Envelope.of("", List.of("bob@ours.example"));
        String spam = "From: \"Prize Department\" <winner@prize-center.example>\r\nTo: bob@ours.example\r\n"
                + "Subject: Out of Office: CLAIM your $1,000,000 prize NOW\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/html\r\n\r\n<p>You have WON a CASH PRIZE of $1,000,000! Act now, this offer"
                + " expires in 24 hours. Click below to claim your free money, 100% guaranteed, risk free.</p>"
                + "<p><a href=\"http://prize-center.example/claim?id=7\">CLAIM YOUR PRIZE NOW</a></p>\r\n";
        Verdict v =
                scanner.scan(new Message(nullSender, MessageContent.ofBytes(spam.getBytes(StandardCharsets.US_ASCII))));
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.SPAM);
        String reply = "From: Ann Lee <ann.lee@corp.example>\r\nTo: bob@ours.example\r\n"
                + "Subject: Automatic reply: budget figures\r\nAuto-Submitted: auto-replied\r\n"
                + "Message-ID: <oof-1@corp.example>\r\nDate: Tue, 3 Mar 2026 10:11:58 +0100\r\n\r\n"
                + "Thank you for your message. I am out of the office until Monday 9 March with limited access to"
                + " email.\r\nFor urgent matters please contact my colleague Tom Berg, or see\r\n"
                + "https://www.corp.example/contact\r\n\r\nBest regards,\r\nAnn\r\n";
        Verdict r = scanner.scan(
                new Message(nullSender, MessageContent.ofBytes(reply.getBytes(StandardCharsets.US_ASCII))));
        assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(r.rules().get(0).name()).isEqualTo("BAYES_AUTO_REPLY"); // its Auto-Submitted field counts
        byte[] bare = reply.replace("Auto-Submitted: auto-replied\r\n", "").getBytes(StandardCharsets.US_ASCII);
        Verdict classified = scanner.scan(new Message(nullSender, MessageContent.ofBytes(bare)));
        assertThat(classified.outcome()).as(classified.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(classified.rules().get(0).name()).startsWith("BAYES_").isNotEqualTo("BAYES_AUTO_REPLY");
    }

    /**
     * An audit (session 31): a German club's newsletter was refused for one word of its Subject ({@code subject:und},
     * 8 spam and 0 ham), which lifted the second reading over the language rule's bar; the Subject's function words of
     * the text's language are left out of that reading as the body's are.
     */
    @Test
    void aGermanSubjectsFunctionWordsDoNotMakeItsNewsletterSpam() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String letter = "Return-Path: <info@ruderclub-seeblick.example>\r\n"
                + "Received: from mail.ruderclub-seeblick.example (mail.ruderclub-seeblick.example [198.51.100.30])\r\n"
                + "\tby mx.ours.example with ESMTPS; Tue, 3 Mar 2026 10:12:01 +0100\r\n"
                + "Received: from localhost (localhost [127.0.0.1])\r\n"
                + "\tby mail.ruderclub-seeblick.example with ESMTP; Tue, 3 Mar 2026 10:11:58 +0100\r\n"
                + "From: Ruderclub Seeblick <info@ruderclub-seeblick.example>\r\nTo: bob@ours.example\r\n"
                + "Subject: Mitteilungen: Anrudern und Arbeitsdienst\r\n"
                + "Date: Tue, 3 Mar 2026 10:11:58 +0100\r\nMessage-ID: <m-2026-03@ruderclub-seeblick.example>\r\n"
                + "List-Id: <mitteilungen.ruderclub-seeblick.example>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Liebe Mitglieder,\r\n\r\ndas Anrudern findet am Sonntag, den 22. März um 10 Uhr am Bootshaus"
                + " statt. Wir bitten alle, die ein Boot benutzen möchten, sich bis Freitag beim Bootswart zu"
                + " melden.\r\nAm Samstag davor ist Arbeitsdienst: die Stege werden gereinigt und die Boote für"
                + " die Saison vorbereitet. Bitte bringt Handschuhe mit; für Kaffee und Kuchen ist gesorgt.\r\n\r\n"
                + "Viele Grüße\r\nder Vorstand\r\n";
        Verdict v = scanner.scan(Message.of(letter.getBytes(StandardCharsets.UTF_8)));
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void bounceQuotingSpamIsABounceNotSpam() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        Verdict v = scanner.scan(Message.of(BounceDetectorTest.rfc3464("sales@cheap-pills.example")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.rules().get(0).name()).isEqualTo("BAYES_BOUNCE");
    }

    @Test
    void spamWithAForgedBounceSenderAndSubjectIsStillClassified() throws Exception {
        BayesScanner scanner = BayesScanner.create(BayesModels.loadDefault());
        String forged = "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.remote.example>\r\n"
                + "Subject: Undelivered Mail Returned to Sender\r\n\r\n"
                + BounceDetectorTest.SPAMMY_ORIGINAL.substring(BounceDetectorTest.SPAMMY_ORIGINAL.indexOf("Buy"));
        Verdict v = scanner.scan(Message.of(forged.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertThat(v.rules().get(0).name()).startsWith("BAYES_").isNotIn("BAYES_BOUNCE", "BAYES_AUTO_REPLY");
    }

    @Test
    void backscatterIsItsOwnVerdict() throws Exception {
        BayesScanner scanner = BayesScanner.builder(BayesModels.loadDefault())
                .detector(BounceDetector.withLocalDomains(List.of("dept-a.example")))
                .build();
        Verdict v = scanner.scan(Message.of(BounceDetectorTest.rfc3464("sales@cheap-pills.example")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.threats()).containsExactly(BayesScanner.BACKSCATTER);
        assertThat(v.rules().get(0).name()).isEqualTo("BAYES_BACKSCATTER");
    }

    @Test
    void learningIntoAMissingFileStartsFromTheDefault(@TempDir Path dir) throws Exception {
        BayesModel base = BayesModels.loadDefault();
        BayesModel saved = BayesModels.learnInto(
                dir.resolve("site.model"),
                false,
                List.of(MessageContent.ofBytes(SampleMessages.clean())),
                Tokenizer.create());
        assertThat(saved.hamMessages()).isEqualTo(base.hamMessages() + 1);
        assertThat(BayesModel.load(dir.resolve("site.model")).hamMessages()).isEqualTo(base.hamMessages() + 1);
    }

    @Test
    void resolveNamesTheDefaultOrAFile(@TempDir Path dir) throws Exception {
        assertThat(BayesModels.resolve("default").current().spamMessages()).isGreaterThan(1000);
        BayesModel m = BayesModel.empty();
        m.learn(List.of("a"), true);
        m.learn(List.of("b"), false);
        m.save(dir.resolve("x.model"));
        assertThat(BayesModels.resolve(dir.resolve("x.model").toString())).isInstanceOf(WatchedModelFile.class);
    }
}
