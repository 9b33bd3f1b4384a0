package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.dsn.DsnRequest;

/** The DSN extension (RFC 3461) as the server speaks it: EHLO, MAIL and RCPT parameters, replies to bad ones. */
class DsnServerTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    private int start() throws Exception {
        return start(true);
    }

    private int start(boolean dsn) throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .dsn(dsn)
                .build();
        server.start();
        return server.port();
    }

    @Test
    void switchedOffDsnIsNotOfferedAndItsParametersAreUnknown() throws Exception {
        int port = start(false);
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("EHLO client.example")).doesNotContain("DSN");
            assertThat(c.cmd("MAIL FROM:<a@example.net> RET=HDRS")).startsWith("555 5.5.4");
            assertThat(c.cmd("MAIL FROM:<a@example.net> ENVID=x")).startsWith("555 5.5.4");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=SUCCESS")).startsWith("555 5.5.4");
            assertThat(c.cmd("RCPT TO:<u@example.org> ORCPT=rfc822;u@example.org"))
                    .startsWith("555 5.5.4");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static DsnRequest.Recipient rcpt(String orcpt, DsnRequest.Notify... n) {
        return new DsnRequest.Recipient(
                Set.of(n), Optional.ofNullable(orcpt).map(a -> new DsnRequest.Orcpt("rfc822", a)));
    }

    @Test
    void ehloAdvertisesDsnAndTheParametersReachTheHandlerDecoded() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("EHLO client.example")).contains("\n250-DSN\n");
            assertThat(c.cmd("MAIL FROM:<a@example.net> RET=hdrs ENVID=QQ+2B314159"))
                    .startsWith("250 2.1.0");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=success,Failure ORCPT=RFC822;orig+2Bu@example.org"))
                    .startsWith("250 2.1.5");
            assertThat(c.cmd("RCPT TO:<v@example.org>")).startsWith("250 2.1.5");
            assertThat(c.cmd("RCPT TO:<w@example.org> NOTIFY=NEVER")).startsWith("250 2.1.5");
            // a recipient given again is one recipient and keeps the parameters it was first given
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=NEVER")).startsWith("250 2.1.5");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.cmd("Subject: x\r\n\r\nhi\r\n.")).startsWith("250");
        }
        assertThat(handler.dsn).hasSize(1);
        assertThat(handler.dsn.get(0))
                .isEqualTo(new DsnRequest(
                        Optional.of(DsnRequest.Ret.HDRS),
                        Optional.of("QQ+314159"),
                        List.of(
                                rcpt("orig+u@example.org", DsnRequest.Notify.SUCCESS, DsnRequest.Notify.FAILURE),
                                DsnRequest.Recipient.NONE,
                                rcpt(null, DsnRequest.Notify.NEVER))));
        assertThat(handler.messages.get(0).envelope().recipients())
                .containsExactly("u@example.org", "v@example.org", "w@example.org");
    }

    @Test
    void aTransactionWithoutParametersHandsOverNone() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.cmd("hi\r\n.")).startsWith("250");
            // the next transaction of the session starts without the last one's parameters
            assertThat(c.cmd("MAIL FROM:<a@example.net> RET=FULL")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.cmd("RSET")).startsWith("250");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.cmd("hi\r\n.")).startsWith("250");
        }
        assertThat(handler.dsn).containsExactly(DsnRequest.NONE, DsnRequest.NONE);
    }

    @Test
    void malformedOrRepeatedParametersGet501AndUnknownOnes555() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            for (String bad : List.of(
                    "RET=BOGUS",
                    "RET=FULL RET=HDRS",
                    "ret=full RET=FULL",
                    "ENVID=" + "a".repeat(101),
                    "ENVID=a+2",
                    "ENVID=a+0Ab",
                    "ENVID=a ENVID=b",
                    "RET")) {
                assertThat(c.cmd("MAIL FROM:<a@example.net> " + bad)).as(bad).startsWith("501 5.5.4");
            }
            assertThat(c.cmd("MAIL FROM:<a@example.net> FROB=1")).startsWith("555 5.5.4");
        }
        try (TestClient c = new TestClient(port).hello()) { // a new session: each refusal counts toward its error limit
            assertThat(c.cmd("MAIL FROM:<a@example.net> ENVID=" + "a".repeat(100)))
                    .startsWith("250 2.1.0");
            for (String bad : List.of(
                    "NOTIFY=NEVER,SUCCESS",
                    "NOTIFY=SUCCESS,SUCCESS",
                    "NOTIFY=",
                    "NOTIFY",
                    "NOTIFY=SOMETIMES",
                    "NOTIFY=SUCCESS NOTIFY=FAILURE",
                    "ORCPT=rfc822",
                    "ORCPT=rfc822;a+zz",
                    "ORCPT=rfc822;a@b ORCPT=rfc822;c@d",
                    "ORCPT=utf-8;j\\x{}rg@example.org")) {
                assertThat(c.cmd("RCPT TO:<u@example.org> " + bad)).as(bad).startsWith("501 5.5.4");
            }
            assertThat(c.cmd("RCPT TO:<u@example.org> SIZE=10")).startsWith("555 5.5.4");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=DELAY")).startsWith("250 2.1.5");
        }
    }

    @Test
    void parametersNeedEhlo() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("HELO client.example")).startsWith("250");
            assertThat(c.cmd("MAIL FROM:<a@example.net> RET=FULL")).startsWith("555 5.5.4");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=NEVER")).startsWith("555 5.5.4");
        }
    }

    @Test
    void anOrcptMayTakeARcptLineTo1012OctetsButOtherCommandsKeep512() throws Exception {
        int port = start();
        String orcpt = "rfc822;" + "x".repeat(480) + "@example.org"; // 499 characters
        String line = "RCPT TO:<" + "u".repeat(64) + "@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=" + orcpt;
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(line.length()).isGreaterThan(600).isLessThanOrEqualTo(1010);
            assertThat(c.cmd(line)).startsWith("250 2.1.5");
            assertThat(c.cmd("RCPT TO:<v@example.org> ORCPT=rfc822;" + "x".repeat(1000)))
                    .startsWith("500 5.5.0");
            assertThat(c.cmd("NOOP " + "x".repeat(506))).startsWith("500 5.5.0 Line too long");
            assertThat(c.cmd("NOOP " + "x".repeat(505))).startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.cmd("hi\r\n.")).startsWith("250");
        }
        assertThat(handler.dsn.get(0).recipient(0).orcpt().orElseThrow().address())
                .hasSize(492);
    }

    @Test
    void pipelinedParametersAndAnErrorAmongThemAnswerInOrder() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.send("MAIL FROM:<a@example.net> RET=HDRS\r\nRCPT TO:<u@example.org> NOTIFY=FAILURE\r\n"
                    + "RCPT TO:<v@example.org> NOTIFY=NEVER,DELAY\r\nRCPT TO:<w@example.org> ORCPT=rfc822;w@example.org\r\n"
                    + "DATA\r\n");
            assertThat(c.reply()).startsWith("250 2.1.0");
            assertThat(c.reply()).startsWith("250 2.1.5");
            assertThat(c.reply()).startsWith("501 5.5.4");
            assertThat(c.reply()).startsWith("250 2.1.5");
            assertThat(c.reply()).startsWith("354");
            c.send("hi\r\n.\r\n");
            assertThat(c.reply()).startsWith("250");
        }
        assertThat(handler.dsn.get(0))
                .isEqualTo(new DsnRequest(
                        Optional.of(DsnRequest.Ret.HDRS),
                        Optional.empty(),
                        List.of(rcpt(null, DsnRequest.Notify.FAILURE), rcpt("w@example.org"))));
    }

    @Test
    void bdatTransactionsCarryTheParametersToo() throws Exception {
        int port = start();
        String body = "Subject: chunks\r\n\r\nhi\r\n";
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net> ENVID=bdat-1")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=SUCCESS")).startsWith("250");
            c.send("BDAT " + body.length() + " LAST\r\n" + body);
            assertThat(c.reply()).startsWith("250");
        }
        assertThat(handler.dsn.get(0))
                .isEqualTo(new DsnRequest(
                        Optional.empty(), Optional.of("bdat-1"), List.of(rcpt(null, DsnRequest.Notify.SUCCESS))));
    }

    @Test
    void aUtf8OrcptNeedsSmtputf8ForRawCharactersAndAlwaysTakesTheEscapedForm() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org> ORCPT=utf-8;j\u00f6rg@example.org"))
                    .startsWith("501 5.5.4");
            assertThat(c.cmd("RCPT TO:<u@example.org> ORCPT=utf-8;j\\x{F6}rg@example.org"))
                    .startsWith("250");
            assertThat(c.cmd("RSET")).startsWith("250");
            assertThat(c.cmd("MAIL FROM:<a@example.net> SMTPUTF8")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<v@example.org> ORCPT=utf-8;j\u00f6rg@example.org"))
                    .startsWith("250");
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.cmd("hi\r\n.")).startsWith("250");
        }
        assertThat(handler.dsn.get(0).recipient(0).orcpt())
                .contains(new DsnRequest.Orcpt("utf-8", "j\u00f6rg@example.org"));
    }
}
