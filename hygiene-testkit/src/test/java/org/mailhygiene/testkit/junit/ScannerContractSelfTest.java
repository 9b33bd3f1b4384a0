package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.FailingScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.ScriptedScanner;
import org.mailhygiene.testkit.ScriptedScanner.Reply;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The contract's tests fail for scanners that break it; each case breaks exactly one rule. */
class ScannerContractSelfTest {

    @Test
    void documentedDefaultsAreTheCode() throws Exception {
        ScannerContract c = () -> ScriptedScanner.always(Reply.clean());
        assertThat(c.detectsViruses()).isTrue();
        assertThat(c.detectsSpam()).isFalse();
        assertThat(c.concurrentScans()).isEqualTo(8);
        assertThat(c.readsContent()).isTrue();
        assertThat(c.callTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.cleanSample().content().readAllBytes()).isEqualTo(SampleMessages.clean());
        assertThat(c.infectedSample().content().readAllBytes()).isEqualTo(SampleMessages.eicarAttachment());
        assertThat(c.spamSample().content().readAllBytes()).isEqualTo(SampleMessages.gtube());
    }

    @Test
    void blankNameFails() {
        ScannerContract c = () -> new FixedScanner(" ", m -> Verdict.clean(" ", Duration.ZERO));
        assertThatThrownBy(c::nameIsNotBlank).isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void scannerThatFindsNothingFailsTheInfectedTest() {
        ScannerContract c = () -> ScriptedScanner.always(Reply.clean());
        assertThatCode(c::cleanSampleIsClean).doesNotThrowAnyException();
        assertThatThrownBy(c::infectedSampleIsInfectedWithAThreat)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("INFECTED");
    }

    @Test
    void scannerThatCallsEverythingInfectedFailsTheCleanTest() {
        ScannerContract c = () -> ScriptedScanner.always(Reply.infected("X"));
        assertThatThrownBy(c::cleanSampleIsClean).isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void failingScannerFailsTheCleanTest() {
        ScannerContract c = () -> FailingScanner.failingWith(ScanFailure.Kind.UNAVAILABLE);
        assertThatThrownBy(c::cleanSampleIsClean)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("UNAVAILABLE");
    }

    @Test
    void verdictNamingAnotherScannerFails() {
        ScannerContract c = () -> ScriptedScanner.always(Reply.verdict(Verdict.clean("other", Duration.ZERO)));
        assertThatThrownBy(c::cleanSampleIsClean)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("name the scanner");
    }

    @Test
    void elapsedLongerThanTheCallFails() {
        ScannerContract c = () -> ScriptedScanner.always(Reply.verdict(Verdict.clean("scripted", Duration.ofHours(1))));
        assertThatThrownBy(c::elapsedIsWithinTheCall)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("longer than the call");
    }

    @Test
    void runtimeExceptionOnAnEmptyMessageFails() {
        ScannerContract c = () -> new FixedScanner("npe", m -> {
            if (m.content().size() == 0) {
                throw new NullPointerException("no bytes");
            }
            return Verdict.clean("npe", Duration.ZERO);
        });
        assertThatThrownBy(c::emptyMessageGivesVerdictOrScanException)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("NullPointerException");
    }

    @Test
    void scanExceptionOnAnEmptyMessageIsAllowed() {
        ScannerContract c = () -> ScriptedScanner.builder()
                .dispatcher(m ->
                        m.content().size() == 0 ? Reply.failure(ScanFailure.Kind.UNSCANNABLE, "empty") : Reply.clean())
                .build();
        assertThatCode(c::emptyMessageGivesVerdictOrScanException).doesNotThrowAnyException();
    }

    @Test
    void scannerThatChangesItsMindUnderLoadFails() {
        AtomicInteger calls = new AtomicInteger();
        ScriptedScanner flaky = ScriptedScanner.builder()
                .dispatcher(m -> {
                    int n = calls.incrementAndGet();
                    boolean infected = m.content().size() > 0 && isEicarSample(m);
                    // right for the two sequential baseline scans, then wrong for the infected sample
                    return infected && n <= 2 ? Reply.infected("Eicar") : Reply.clean();
                })
                .build();
        ScannerContract c = () -> flaky;
        assertThatThrownBy(c::concurrentScansAreConsistent).isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void spamScoreBelowThresholdFails() {
        ScannerContract c = new ScannerContract() {
            @Override
            public Scanner scanner() {
                return ScriptedScanner.always(Reply.spam(1, 5));
            }

            @Override
            public boolean detectsSpam() {
                return true;
            }
        };
        assertThatThrownBy(c::spamSampleIsSpam)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("threshold");
    }

    @Test
    void scannerThatCallsUnreadableContentCleanFails() {
        ScannerContract c = () -> new FixedScanner("lenient", m -> {
            try {
                m.content().readAllBytes();
            } catch (IOException e) {
                return Verdict.clean("lenient", Duration.ZERO); // the bug: "could not read" taken for "found nothing"
            }
            return Verdict.clean("lenient", Duration.ZERO);
        });
        assertThatThrownBy(c::unreadableContentIsAScanExceptionNeverAVerdict)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("never a verdict")
                .hasMessageContaining("outcome=CLEAN");
    }

    @Test
    void runtimeExceptionOnUnreadableContentFails() {
        ScannerContract c = () -> new FixedScanner("unchecked", m -> {
            try {
                m.content().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Verdict.clean("unchecked", Duration.ZERO);
        });
        assertThatThrownBy(c::unreadableContentIsAScanExceptionNeverAVerdict)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("UncheckedIOException");
    }

    @Test
    void scanExceptionOnUnreadableContentPassesAndCanBeSkipped() {
        ScannerContract c = () -> ScriptedScanner.builder()
                .dispatcher(m -> {
                    try {
                        m.content().readAllBytes();
                        return Reply.clean();
                    } catch (IOException e) {
                        return Reply.failure(ScanFailure.Kind.UNSCANNABLE, e.getMessage());
                    }
                })
                .build();
        assertThatCode(c::unreadableContentIsAScanExceptionNeverAVerdict).doesNotThrowAnyException();
        ScannerContract envelopeOnly = new ScannerContract() {
            @Override
            public Scanner scanner() {
                return ScriptedScanner.always(Reply.clean());
            }

            @Override
            public boolean readsContent() {
                return false;
            }
        };
        assertThatThrownBy(envelopeOnly::unreadableContentIsAScanExceptionNeverAVerdict)
                .isInstanceOf(TestAbortedException.class);
    }

    @Test
    void scannerThatSwallowsTheInterruptFails() {
        ScannerContract c = () -> new FixedScanner("deaf", m -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                // the bug: the interrupt is neither thrown on nor restored
            }
            return Verdict.clean("deaf", Duration.ZERO);
        });
        assertThatThrownBy(c::interruptedScanKeepsTheInterruptAndTheScannerStillWorks)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("cleared the interrupt status");
    }

    @Test
    void scannerBrokenByAnInterruptFails() {
        AtomicInteger calls = new AtomicInteger();
        ScannerContract c = () -> new FixedScanner("fragile", m -> {
            if (calls.incrementAndGet() > 1) {
                throw new IllegalStateException("broken since the interrupt");
            }
            Thread.currentThread().interrupt();
            return Verdict.clean("fragile", Duration.ZERO);
        });
        assertThatThrownBy(c::interruptedScanKeepsTheInterruptAndTheScannerStillWorks)
                .hasMessageContaining("broken since the interrupt");
    }

    @Test
    void interruptThrownOnOrKeptPasses() {
        ScannerContract throwing = () -> ScriptedScanner.always(Reply.clean().after(Duration.ofMillis(1)));
        assertThatCode(throwing::interruptedScanKeepsTheInterruptAndTheScannerStillWorks)
                .doesNotThrowAnyException();
        ScannerContract keeping = () -> ScriptedScanner.always(Reply.clean());
        assertThatCode(keeping::interruptedScanKeepsTheInterruptAndTheScannerStillWorks)
                .doesNotThrowAnyException();
    }

    @Test
    void healthThatThrowsFails() {
        ScannerContract c = () -> new FixedScanner("sick", m -> Verdict.clean("sick", Duration.ZERO)) {
            @Override
            public Health health() {
                throw new IllegalStateException("probe crashed");
            }
        };
        assertThatThrownBy(c::healthDoesNotThrow).hasMessageContaining("probe crashed");
    }

    private static boolean isEicarSample(Message m) {
        try {
            return new String(m.content().readAllBytes(), StandardCharsets.US_ASCII).contains("eicar.com");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A scanner built from a name and a function, for breaking the contract in one specific way. */
    /**
     * A scanner that throws a runtime exception failed the contract's sample tests with a test error naming the
     * exception alone: they fail now, saying what the contract wants instead.
     */
    @Test
    void aScannerThatThrowsFailsSayingWhatTheContractWants() {
        ScannerContract c = () -> new FixedScanner("thrower", m -> {
            throw new IllegalStateException("parser bug");
        });
        for (org.junit.jupiter.api.function.Executable t : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                c::cleanSampleIsClean, c::interruptedScanKeepsTheInterruptAndTheScannerStillWorks)) {
            assertThatThrownBy(t::execute)
                    .isInstanceOf(AssertionFailedError.class)
                    .hasMessageContaining("verdict or a ScanException")
                    .hasMessageContaining("parser bug");
        }
        Thread.interrupted();
    }

    private static class FixedScanner implements Scanner {
        private final String name;
        private final Function<Message, Verdict> answer;

        FixedScanner(String name, Function<Message, Verdict> answer) {
            this.name = name;
            this.answer = answer;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Verdict scan(Message message) throws ScanException {
            return answer.apply(message);
        }
    }
}
