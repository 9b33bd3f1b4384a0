package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;
import org.mailhygiene.testkit.junit.ScannerContract;

/** The Bayes scanner keeps the contract every scanner keeps, with a model trained on generated mail. */
class BayesScannerContractTest implements ScannerContract {
    private static final BayesScanner SCANNER = BayesScanner.create(model());

    private static BayesModel model() {
        BayesModel m = BayesModel.empty();
        Tokenizer t = Tokenizer.create();
        SyntheticCorpus c = SyntheticCorpus.seeded(21);
        try {
            for (boolean spam : new boolean[] {true, false}) {
                for (SyntheticCorpus.Sample s : c.generate(60, spam)) {
                    m.learn(t.tokenize(MessageContent.ofBytes(s.bytes())), spam);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    @Override
    public Scanner scanner() {
        return SCANNER;
    }

    @Override
    public boolean detectsViruses() {
        return false;
    }

    @Override
    public boolean detectsSpam() {
        return true;
    }

    @Override
    public Message spamSample() {
        return Message.of(SyntheticCorpus.seeded(22)
                .japanese(true, SyntheticCorpus.Encoding.SHIFT_JIS)
                .bytes());
    }
}
