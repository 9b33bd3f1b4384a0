package org.mailhygiene.testkit.junit;

import java.io.IOException;
import java.util.Arrays;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.ScriptedScanner;
import org.mailhygiene.testkit.ScriptedScanner.Reply;

/** The scripted scanner, answering by content through its dispatcher, keeps the scanner contract. */
class ScriptedScannerContractTest implements ScannerContract {
    private final ScriptedScanner scanner = ScriptedScanner.builder()
            .name("scripted-contract")
            .dispatcher(ScriptedScannerContractTest::answer)
            .build();

    private static Reply answer(Message m) {
        byte[] bytes;
        try {
            bytes = m.content().readAllBytes();
        } catch (IOException e) {
            return Reply.failure(ScanFailure.Kind.UNSCANNABLE, "cannot read the message: " + e.getMessage());
        }
        if (Arrays.equals(bytes, SampleMessages.eicarAttachment())) {
            return Reply.infected("Eicar-Test-Signature");
        }
        if (Arrays.equals(bytes, SampleMessages.gtube())) {
            return Reply.spam(1000, 5, Rule.of("GTUBE", 1000));
        }
        return Reply.clean();
    }

    @Override
    public Scanner scanner() {
        return scanner;
    }

    @Override
    public boolean detectsSpam() {
        return true;
    }
}
