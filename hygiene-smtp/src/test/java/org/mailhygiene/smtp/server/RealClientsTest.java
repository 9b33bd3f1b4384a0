package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.testkit.junit.RealBinaries;

/** Real SMTP clients (swaks, curl, Python smtplib, Postfix smtp-source) against the server on an ephemeral port. */
class RealClientsTest {
    private static final Duration T = Duration.ofSeconds(60);
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();
    private int port;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void swaksWithPipelining() throws Exception {
        Path swaks = RealBinaries.require("swaks", "swaks");
        Processes.Result r = Processes.run(
                List.of(
                        swaks.toString(),
                        "--server",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--ehlo",
                        "swaks.example",
                        "--from",
                        "sender@example.net",
                        "--to",
                        "user@example.org,other@example.org",
                        "--pipeline",
                        "--header",
                        "Subject: from swaks",
                        "--body",
                        ".a line with a leading dot\nsecond line"),
                T);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("<-  250 2.0.0 Ok queued");
        assertThat(handler.messages).hasSize(1);
        RecordingHandler.Received m = handler.messages.get(0);
        assertThat(m.envelope().recipients()).containsExactly("user@example.org", "other@example.org");
        assertThat(m.body())
                .contains("Subject: from swaks\r\n")
                .contains("\r\n.a line with a leading dot\r\nsecond line\r\n");
        assertThat(m.receivedHeader()).startsWith("Received: from swaks.example ([127.0.0.1]) by mx.test.example");
    }

    @Test
    void swaksOpenRelayAttemptIsRefused() throws Exception {
        Path swaks = RealBinaries.require("swaks", "swaks");
        Processes.Result r = Processes.run(
                List.of(
                        swaks.toString(),
                        "--server",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--from",
                        "spammer@example.net",
                        "--to",
                        "victim@elsewhere.test"),
                T);
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("<** 554 5.7.1 Relay access denied");
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void curlUploadsAFile() throws Exception {
        Path curl = RealBinaries.require("curl", "curl");
        Path mail = dir.resolve("mail.eml");
        Files.writeString(mail, "From: a@example.net\r\nTo: u@example.org\r\nSubject: curl\r\n\r\n.dot\r\nbody\r\n");
        Processes.Result r = Processes.run(
                List.of(
                        curl.toString(),
                        "-sS",
                        "--max-time",
                        "30",
                        "smtp://127.0.0.1:" + port + "/curl.example",
                        "--mail-from",
                        "a@example.net",
                        "--mail-rcpt",
                        "u@example.org",
                        "--upload-file",
                        mail.toString()),
                T);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(handler.messages).hasSize(1);
        assertThat(handler.messages.get(0).body())
                .isEqualTo("From: a@example.net\r\nTo: u@example.org\r\nSubject: curl\r\n\r\n.dot\r\nbody\r\n");
        assertThat(handler.messages.get(0).envelope().heloName()).contains("curl.example");
    }

    @Test
    void pythonSmtplibSendsSeveralMessagesOnOneConnection() throws Exception {
        Path python = RealBinaries.require("python3", "python3");
        String script = String.join(
                "\n",
                "import smtplib, sys",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.example', timeout=30)",
                "code, caps = s.ehlo()",
                "assert s.has_extn('pipelining') and s.has_extn('size') and s.has_extn('8bitmime')",
                "assert s.has_extn('enhancedstatuscodes') and s.has_extn('smtputf8')",
                "assert s.verify('someone')[0] == 252",
                "for i in range(3):",
                "    refused = s.sendmail('a@example.net', ['u@example.org'],",
                "        'Subject: py %d\\r\\n\\r\\n.\\r\\n..\\r\\nend\\r\\n' % i)",
                "    assert refused == {}, refused",
                "try:",
                "    s.sendmail('a@example.net', ['x@elsewhere.test'], 'Subject: relay\\r\\n\\r\\nx\\r\\n')",
                "    print('RELAYED')",
                "except smtplib.SMTPRecipientsRefused as e:",
                "    print('REFUSED', e.recipients['x@elsewhere.test'][0])",
                "s.quit()",
                "");
        Processes.Result r = Processes.run(List.of(python.toString(), "-c", script, Integer.toString(port)), T);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("REFUSED 554");
        assertThat(handler.messages).hasSize(3);
        assertThat(handler.messages.get(2).body()).isEqualTo("Subject: py 2\r\n\r\n.\r\n..\r\nend\r\n");
    }

    /** Python's smtplib passes DSN parameters (RFC 3461) as given; it sees DSN advertised and gets them accepted. */
    @Test
    void pythonSmtplibSendsDsnParameters() throws Exception {
        Path python = RealBinaries.require("python3", "python3");
        String script = String.join(
                "\n",
                "import smtplib, sys",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.example', timeout=30)",
                "s.ehlo()",
                "assert s.has_extn('dsn')",
                "refused = s.sendmail('a@example.net', ['u@example.org', 'v@example.org'],",
                "    'Subject: dsn\\r\\n\\r\\nx\\r\\n',",
                "    mail_options=['RET=HDRS', 'ENVID=py+2B1'],",
                "    rcpt_options=['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;orig+2Bu@example.org'])",
                "assert refused == {}, refused",
                "try:",
                "    s.sendmail('a@example.net', ['u@example.org'], 'Subject: bad\\r\\n\\r\\nx\\r\\n',",
                "        rcpt_options=['NOTIFY=NEVER,SUCCESS'])",
                "except smtplib.SMTPRecipientsRefused as e:",
                "    print('REFUSED', e.recipients['u@example.org'][0])",
                "s.quit()",
                "");
        Processes.Result r = Processes.run(List.of(python.toString(), "-c", script, Integer.toString(port)), T);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("REFUSED 501");
        assertThat(handler.dsn).hasSize(1);
        DsnRequest.Recipient both = new DsnRequest.Recipient(
                java.util.Set.of(DsnRequest.Notify.SUCCESS, DsnRequest.Notify.FAILURE),
                java.util.Optional.of(new DsnRequest.Orcpt("rfc822", "orig+u@example.org")));
        assertThat(handler.dsn.get(0))
                .isEqualTo(new DsnRequest(
                        java.util.Optional.of(DsnRequest.Ret.HDRS),
                        java.util.Optional.of("py+1"),
                        List.of(both, both)));
    }

    @Test
    void postfixSmtpSourceWithConcurrentSessions() throws Exception {
        Path source = RealBinaries.require("smtp-source", "postfix");
        Processes.Result r = Processes.run(
                List.of(
                        source.toString(),
                        "-s",
                        "5",
                        "-m",
                        "50",
                        "-l",
                        "2048",
                        "-M",
                        "source.example",
                        "-f",
                        "a@example.net",
                        "-t",
                        "u@example.org",
                        "127.0.0.1:" + port),
                T);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(handler.messages).hasSize(50);
        assertThat(handler.messages).allSatisfy(m -> {
            assertThat(m.envelope().recipients()).containsExactly("u@example.org");
            assertThat(m.body().length()).isGreaterThanOrEqualTo(2048);
        });
    }
}
