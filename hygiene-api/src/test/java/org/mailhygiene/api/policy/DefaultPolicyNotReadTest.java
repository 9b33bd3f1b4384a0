package org.mailhygiene.api.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;

/** What a clean verdict naming what its scanner could not search ({@code NOT_READ}) becomes. */
class DefaultPolicyNotReadTest {
    private static final String SAID =
            "not searched: MIME part '2' (application/octet-stream, c.rar): RAR file \"a.txt\" (compressed (RAR5 method 3))";

    private static Verdict notRead() {
        return Verdict.builder("builtin", Outcome.CLEAN)
                .rule(new Rule(DefaultPolicy.NOT_READ_RULE, OptionalDouble.empty(), SAID))
                .build();
    }

    private static final Header MARK = new Header(DefaultPolicy.NOT_READ_HEADER, "builtin: " + SAID);

    @Test
    void byDefaultAMessageNotAllSearchedIsDeliveredAsToday() {
        Disposition d = DefaultPolicy.defaults().decide(List.of(notRead()));
        assertThat(d.action()).isEqualTo(Action.ACCEPT);
        assertThat(d.headers()).isEmpty();
        assertThat(d.reason()).isEqualTo("clean");
    }

    @Test
    void acceptDeliversItMarkedWithWhatWasNotSearched() {
        DefaultPolicy p = DefaultPolicy.builder().onNotRead(Action.ACCEPT).build();
        Disposition d = p.decide(List.of(notRead(), Verdict.clean("clamd", Duration.ZERO)));
        assertThat(d.action()).isEqualTo(Action.ACCEPT);
        assertThat(d.reply()).isEqualTo(SmtpReply.OK);
        assertThat(d.headers()).containsExactly(MARK);
        assertThat(d.reason()).isEqualTo("accepted although part of it was not searched");
        // a message searched completely is not marked
        assertThat(p.decide(List.of(Verdict.clean("builtin", Duration.ZERO))).headers())
                .isEmpty();
    }

    @Test
    void theMarkStaysOnSpamAndSuspiciousMail() {
        DefaultPolicy p = DefaultPolicy.builder().onNotRead(Action.ACCEPT).build();
        Verdict spam =
                Verdict.builder("bayes", Outcome.SPAM).score(0.9).threshold(0.8).build();
        Disposition tagged = p.decide(List.of(notRead(), spam));
        assertThat(tagged.action()).isEqualTo(Action.TAG);
        assertThat(tagged.headers()).contains(MARK);
        Verdict exe = Verdict.builder("attachments", Outcome.SUSPICIOUS)
                .rule(Rule.of("EXECUTABLE_ATTACHMENT"))
                .build();
        Disposition held = p.decide(List.of(notRead(), exe));
        assertThat(held.action()).isEqualTo(Action.QUARANTINE);
        assertThat(held.headers()).contains(MARK);
    }

    @Test
    void quarantineHoldsItWithTheMark() {
        Disposition d =
                DefaultPolicy.builder().onNotRead(Action.QUARANTINE).build().decide(List.of(notRead()));
        assertThat(d.action()).isEqualTo(Action.QUARANTINE);
        assertThat(d.headers()).containsExactly(MARK);
        assertThat(d.reason()).isEqualTo("builtin: " + SAID);
    }

    @Test
    void rejectAndTempfailRefuseItSayingWhy() {
        Disposition rejected =
                DefaultPolicy.builder().onNotRead(Action.REJECT).build().decide(List.of(notRead()));
        assertThat(rejected.action()).isEqualTo(Action.REJECT);
        assertThat(rejected.reply())
                .isEqualTo(new SmtpReply(554, "5.7.1", "Message holds content that could not be searched"));
        assertThat(rejected.headers()).isEmpty();
        Disposition deferred =
                DefaultPolicy.builder().onNotRead(Action.TEMPFAIL).build().decide(List.of(notRead()));
        assertThat(deferred.action()).isEqualTo(Action.TEMPFAIL);
        assertThat(deferred.reply().code()).isEqualTo(451);
        assertThat(deferred.reply().text())
                .isEqualTo("Message holds content that could not be searched: every retry fails the same way until"
                        + " it is sent in a form this site can search");
    }

    @Test
    void aVirusStillWinsAndTheMoreSevereOfFailureAndNotReadDecides() {
        DefaultPolicy p = DefaultPolicy.builder()
                .onNotRead(Action.QUARANTINE)
                .onFailureOf("spamd", Action.ACCEPT)
                .build();
        List<ScanResult> virus =
                List.of(notRead(), Verdict.infected("clamd", List.of("Eicar-Signature"), Duration.ZERO));
        assertThat(p.decide(virus).action()).isEqualTo(Action.REJECT);
        ScanFailure down = new ScanFailure("spamd", ScanFailure.Kind.UNAVAILABLE, "refused", Duration.ZERO);
        Disposition held = p.decide(List.of(notRead(), down));
        assertThat(held.action()).isEqualTo(Action.QUARANTINE);
        assertThat(held.headers())
                .containsExactly(new Header(DefaultPolicy.UNSCANNED_HEADER, "spamd (unavailable)"), MARK);
        ScanFailure slow = new ScanFailure("clamd", ScanFailure.Kind.TIMED_OUT, "slow", Duration.ZERO);
        Disposition deferred = p.decide(List.of(notRead(), slow));
        assertThat(deferred.action()).isEqualTo(Action.TEMPFAIL);
        assertThat(deferred.reply().text()).isEqualTo("Message could not be scanned, try again later");
    }

    @Test
    void aLongListIsCutToAHeaderLine() {
        Verdict many = Verdict.builder("builtin", Outcome.CLEAN)
                .rule(new Rule(DefaultPolicy.NOT_READ_RULE, OptionalDouble.empty(), "x".repeat(5000) + "\u00e9"))
                .build();
        Disposition d = DefaultPolicy.builder().onNotRead(Action.ACCEPT).build().decide(List.of(many));
        String value = d.headers().get(0).value();
        assertThat(value).hasSize(400).startsWith("builtin: xxx").endsWith("...");
    }

    @Test
    void tagAndAnUnallowedDiscardAreRefused() {
        assertThatThrownBy(() -> DefaultPolicy.builder().onNotRead(Action.TAG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use ACCEPT");
        assertThatThrownBy(
                        () -> DefaultPolicy.builder().onNotRead(Action.DISCARD).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("onNotRead set to DISCARD");
        assertThat(DefaultPolicy.builder()
                        .onNotRead(Action.DISCARD)
                        .allowDiscard()
                        .build()
                        .decide(List.of(notRead()))
                        .action())
                .isEqualTo(Action.DISCARD);
    }
}
