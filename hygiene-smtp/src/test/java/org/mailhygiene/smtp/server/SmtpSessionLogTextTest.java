package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The texts the session's log lines are built from. */
class SmtpSessionLogTextTest {

    /**
     * A stress cut of BDAT chunks sent without MAIL was logged {@code message data from <>}, the null sender's form:
     * it says there was no transaction now.
     */
    @Test
    void dataWithoutATransactionIsNotTheNullSenders() {
        assertThat(SmtpSession.dataOrigin(null)).isEqualTo("sent before any MAIL");
        assertThat(SmtpSession.dataOrigin("")).isEqualTo("from <>");
        assertThat(SmtpSession.dataOrigin("a@example.org")).isEqualTo("from <a@example.org>");
    }
}
