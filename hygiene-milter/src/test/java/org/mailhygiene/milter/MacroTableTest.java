package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The macros of one connection, by the command they were sent for. */
class MacroTableTest {

    @Test
    void theLatestCommandsValueWinsAndEachLastsAsLongAsItsCommand() {
        MacroTable t = new MacroTable(100, 10_000);
        t.put((byte) 'C', Map.of("j", "mta.example.test", "i", "stale"));
        t.startConnection();
        assertThat(t.get("j")).contains("mta.example.test"); // sent just before CONNECT: kept
        t.put((byte) 'M', Map.of("i", "Q1", "{mail_addr}", "s@example.net"));
        t.startTransaction();
        assertThat(t.get("i")).contains("Q1"); // MAIL's own, over CONNECT's
        t.put((byte) 'E', Map.of("i", "Q1-END"));
        assertThat(t.get("i")).contains("Q1-END"); // the latest command's first
        t.endTransaction();
        assertThat(t.get("i")).contains("stale"); // only CONNECT's is left
        assertThat(t.get("{mail_addr}")).isEmpty();
        assertThat(t.get("j")).contains("mta.example.test");
        // a transaction the MTA did not end: RCPT's macros go at the next MAIL, MAIL's new ones stay
        t.put((byte) 'M', Map.of("i", "Q2"));
        t.put((byte) 'R', Map.of("{rcpt_addr}", "a@example.test"));
        t.put((byte) 'M', Map.of("i", "Q3"));
        t.startTransaction();
        assertThat(t.get("i")).contains("Q3");
        assertThat(t.get("{rcpt_addr}")).isEmpty();
        t.clear();
        assertThat(t.get("j")).isEmpty();
        assertThat(t.size()).isZero();
    }

    @Test
    void aCommandsPacketReplacesItsEarlierOne() {
        MacroTable t = new MacroTable(100, 10_000);
        t.put((byte) 'R', Map.of("{rcpt_addr}", "a@example.test", "{rcpt_host}", "example.test"));
        t.put((byte) 'R', Map.of("{rcpt_addr}", "b@example.test"));
        assertThat(t.get("{rcpt_addr}")).contains("b@example.test");
        assertThat(t.get("{rcpt_host}")).isEmpty();
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void anUnknownCommandsMacrosAreFoundAfterTheKnownOnesAndForgottenWithTheTransaction() {
        MacroTable t = new MacroTable(100, 10_000);
        t.put((byte) 'U', Map.of("x", "unknown"));
        t.put((byte) 'H', Map.of("{tls_version}", "TLSv1.3"));
        assertThat(t.get("x")).contains("unknown");
        t.endTransaction();
        assertThat(t.get("x")).isEmpty();
        assertThat(t.get("{tls_version}")).contains("TLSv1.3");
    }

    /**
     * Whatever packets arrive, in whatever order, the bounds hold and the counts match what is kept: replacing and
     * forgetting never leak a count (which would refuse macros for the rest of a long connection) or go below zero.
     */
    @Test
    void theBoundsHoldAndTheCountsStayExactWhateverArrives() {
        byte[] commands = {'C', 'H', 'M', 'R', 'T', 'L', 'N', 'B', 'E', 'U'};
        qt().withExamples(500)
                .forAll(lists().of(integers().between(0, 10_000)).ofSizeBetween(1, 60))
                .checkAssert(ops -> {
                    MacroTable t = new MacroTable(12, 200);
                    for (int op : ops) {
                        int kind = op % 14;
                        if (kind < 10) {
                            Map<String, String> m = new LinkedHashMap<>();
                            int n = op / 14 % 6;
                            for (int i = 0; i < n; i++) {
                                m.put("m" + ((op / 100 + i) % 9), "v".repeat((op / 7 + i * 13) % 40));
                            }
                            t.put(commands[kind], m);
                        } else if (kind == 10) {
                            t.startConnection();
                        } else if (kind == 11) {
                            t.startTransaction();
                        } else if (kind == 12) {
                            t.endTransaction();
                        } else {
                            t.clear();
                        }
                        assertThat(t.size()).isBetween(0, 12);
                    }
                    // forgetting by the protocol's rules leaks nothing: a full packet for CONNECT fits whole
                    t.endTransaction();
                    t.startConnection();
                    Map<String, String> full = new LinkedHashMap<>();
                    for (int i = 0; i < 12; i++) {
                        full.put("f" + i, "v");
                    }
                    t.put((byte) 'C', full);
                    assertThat(t.size()).isEqualTo(12);
                    for (int i = 0; i < 12; i++) {
                        assertThat(t.get("f" + i)).contains("v");
                    }
                });
    }
}
