package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.smtp.SmtpSink;
import org.mailhygiene.testkit.smtp.SmtpSinkExtension;

/**
 * The client's timers do not pile up: every command, data block and final dot arms a watchdog timer of minutes and
 * cancels it, and every idle spell of a kept connection arms an idle timer that a later transaction cancels; before
 * session 43 each cancelled timer stayed queued until its time would have come (seen in the session 43 soak,
 * benchmarks/scripts/soak, as thousands of live ScheduledFutureTask objects).
 */
@ExtendWith(SmtpSinkExtension.class)
class SmtpClientTimerTest {
    private static final int MESSAGES = 60;

    @Test
    void deliveriesOnAKeptConnectionLeaveNoTimersQueued(SmtpSink sink) throws Exception {
        // idle limit and step timeouts of minutes: a timer left queued stays there for the whole test
        SmtpClient client = SmtpClient.builder()
                .heloName("relay.test")
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofMinutes(5), 1000)
                .build();
        Endpoint at = SmtpClientTest.at(sink);
        MessageContent msg = MessageContent.ofString("Subject: t\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
        client.deliver(at, "a@x.org", List.of("b@y.org"), msg, SmtpClientTest.BUDGET); // the kept connection
        int before = SmtpConnection.WATCHDOG.getQueue().size();
        for (int i = 0; i < MESSAGES; i++) {
            TransactionResult r = client.deliver(at, "a@x.org", List.of("b@y.org"), msg, SmtpClientTest.BUDGET);
            assertThat(r.recipients())
                    .extracting(RecipientResult::outcome)
                    .containsOnly(RecipientResult.Outcome.DELIVERED);
        }
        assertThat(client.idleConnections()).isEqualTo(1);
        // one idle timer for the one kept connection, as before the loop; before the fix about six per message
        assertThat(SmtpConnection.WATCHDOG.getQueue().size()).isLessThanOrEqualTo(before);
        client.closeIdleConnections();
        assertThat(SmtpConnection.WATCHDOG.getQueue().size()).isLessThan(before);
    }

    @Test
    void aTimerOfAnEarlierIdleSpellDoesNotRetireTheConnection() {
        // park, claim, park again: the first spell's timer (its cancel raced with its run) must not count the second
        SmtpConnection c = new SmtpConnection(null, null, 0);
        java.util.List<Long> spells = new java.util.ArrayList<>();
        c.park(spells::add, Duration.ofHours(1).toMillis());
        int queued = SmtpConnection.WATCHDOG.getQueue().size();
        assertThat(c.claim()).isTrue();
        assertThat(SmtpConnection.WATCHDOG.getQueue().size()).isEqualTo(queued - 1); // the claim cancelled it
        c.park(spells::add, Duration.ofHours(1).toMillis());
        assertThat(c.expire(1)).isFalse(); // the first spell's timer
        assertThat(c.expire(2)).isTrue(); // the current one's
        assertThat(c.claim()).isFalse(); // retired by its timer
        assertThat(spells).isEmpty(); // neither timer ran: an hour
    }
}
