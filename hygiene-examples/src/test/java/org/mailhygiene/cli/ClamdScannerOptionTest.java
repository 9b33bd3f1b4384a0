package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.clamd.Eicar;
import org.mailhygiene.testkit.clamd.FakeClamd;

/** {@code hygiene scan --clamd ADDR...} end to end against {@link FakeClamd}. */
class ClamdScannerOptionTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.US_ASCII);
        return f;
    }

    @Test
    void repeatedClamdFormsAFailoverGroup() throws Exception {
        Path sock = dir.resolve("c.sock");
        try (FakeClamd dead = FakeClamd.start();
                FakeClamd live = FakeClamd.builder().unixSocket(sock).start()) {
            String deadAddress = dead.tcpAddress();
            dead.close();
            Path virus = file("v.eml", "Subject: x\r\n\r\n" + Eicar.string() + "\r\n");
            Path clean = file("c.eml", "Subject: y\r\n\r\nhello\r\n");
            Run r = Run.main(
                    "scan",
                    "--clamd",
                    deadAddress,
                    "--clamd=" + live.unixAddress(),
                    virus.toString(),
                    clean.toString());
            assertThat(r.err()).isEmpty();
            assertThat(r.outLines()).containsExactly(virus + ": Eicar-Test-Signature FOUND", clean + ": OK");
            assertThat(r.status()).isEqualTo(1);
            assertThat(live.requests()).extracting(FakeClamd.Request::transport).containsOnly("unix");
        }
    }

    /**
     * {@code --clamd A,B}, as {@code --spamd A,B} and the node's {@code scanner = clamd:A,B} take it, said "clamd
     * address 'A,B': write IPv6 literals in brackets" (exit 2). Now it is the failover group of A then B, and the live
     * member answers when the first is down.
     */
    @Test
    void aCommaListIsAFailoverGroupAsTheNodesSpec() throws Exception {
        try (FakeClamd dead = FakeClamd.start();
                FakeClamd live = FakeClamd.start()) {
            String deadAddress = dead.tcpAddress();
            dead.close();
            Path virus = file("v.eml", "Subject: x\r\n\r\n" + Eicar.string() + "\r\n");
            Run r = Run.main("scan", "--clamd", deadAddress + "," + live.tcpAddress(), virus.toString());
            assertThat(r.err()).isEmpty();
            assertThat(r.outLines()).containsExactly(virus + ": Eicar-Test-Signature FOUND");
            assertThat(r.status()).isEqualTo(1);
        }
        Run twice = Run.main("scan", "--clamd", "127.0.0.1:3310,127.0.0.1:3310", dir.toString());
        assertThat(twice.err()).contains("--clamd: address 127.0.0.1:3310 is given twice");
    }

    @Test
    void unreachableClamdIsAnErrorNeverOk() throws Exception {
        String address;
        try (FakeClamd f = FakeClamd.start()) {
            address = f.tcpAddress();
        }
        Path clean = file("c.eml", "Subject: y\r\n\r\nhello\r\n");
        Run r = Run.main("scan", "--clamd", address, clean.toString());
        assertThat(r.out()).startsWith(clean + ": ERROR ").contains("UNAVAILABLE");
        assertThat(r.status()).isEqualTo(2);
    }

    /**
     * One file that clamd garbles (or times out on) is that file's error; the next file is scanned. With the adapter's
     * back-off a lone clamd was skipped for 30 s after it, and every later file of the run said "all members are down".
     */
    @Test
    void aLoneClamdIsTriedAgainForTheNextFile() throws Exception {
        try (FakeClamd clamd = FakeClamd.start()) {
            clamd.enqueue(FakeClamd.Command.INSTREAM, org.mailhygiene.testkit.server.Fault.reply("garbage"));
            Path first = file("a.eml", "Subject: a\r\n\r\nhello\r\n");
            Path second = file("b.eml", "Subject: b\r\n\r\nhello again\r\n");
            Run r = Run.main("scan", "--clamd", clamd.tcpAddress(), first.toString(), second.toString());
            assertThat(r.outLines()).hasSize(2);
            assertThat(r.outLines().get(0)).startsWith(first + ": ERROR ");
            assertThat(r.outLines().get(1)).isEqualTo(second + ": OK");
            assertThat(r.status()).isEqualTo(2);
        }
    }

    @Test
    void badAddressesAreUsageErrorsNamingTheFlag() throws Exception {
        Path clean = file("c.eml", "Subject: y\r\n\r\nhello\r\n");
        Run r = Run.main("scan", "--clamd", "localhost", clean.toString());
        assertThat(r.err()).contains("--clamd").contains("HOST:PORT");
        assertThat(r.status()).isEqualTo(2);
        Run twice = Run.main("scan", "--clamd", "127.0.0.1:3310", "--clamd", "127.0.0.1:3310", clean.toString());
        assertThat(twice.err()).contains("given twice");
        Run help = Run.main("scan", "--help");
        assertThat(help.out()).contains("--clamd ADDR").contains("failover group");
    }
}
