package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import org.junit.jupiter.api.Test;
import org.mailhygiene.scanners.clamd.ClamdScanReply.Status;
import org.quicktheories.core.Gen;

class ClamdScanReplyTest {

    @Test
    void exactReplies() {
        assertThat(ClamdScanReply.parse("stream: OK\0").status()).isEqualTo(Status.CLEAN);
        assertThat(ClamdScanReply.parse("stream: OK\n").status()).isEqualTo(Status.CLEAN);
        ClamdScanReply found = ClamdScanReply.parse("stream: Local.Eicar.NDB.UNOFFICIAL FOUND\0");
        assertThat(found.status()).isEqualTo(Status.FOUND);
        assertThat(found.detail()).isEqualTo("Local.Eicar.NDB.UNOFFICIAL");
        assertThat(ClamdScanReply.parse("stream: Heuristics.Encrypted.Zip FOUND")
                        .status())
                .isEqualTo(Status.FOUND);
        ClamdScanReply lim = ClamdScanReply.parse("stream: Heuristics.Limits.Exceeded.MaxScanSize FOUND");
        assertThat(lim.status()).isEqualTo(Status.LIMITS_EXCEEDED);
        assertThat(lim.detail()).isEqualTo("Heuristics.Limits.Exceeded.MaxScanSize");
        assertThat(ClamdScanReply.parse("INSTREAM size limit exceeded. ERROR\0").status())
                .isEqualTo(Status.SIZE_LIMIT);
        assertThat(ClamdScanReply.parse("COMMAND READ TIMED OUT\n").status()).isEqualTo(Status.TIMED_OUT);
        assertThat(ClamdScanReply.parse("stream: Can't allocate memory ERROR").status())
                .isEqualTo(Status.ERROR);
        for (String g : new String[] {
            "",
            "OK",
            "stream: ok",
            " stream: OK",
            "stream: OK.",
            "stream:  FOUND",
            "stream: FOUND",
            "stream:  X FOUND",
            "PONG",
            "UNKNOWN COMMAND",
            " ERROR",
            "1: stream: OK"
        }) {
            assertThat(ClamdScanReply.parse(g).status()).as("'%s'", g).isEqualTo(Status.GARBAGE);
        }
    }

    @Test
    void onlyTheExactOkTextIsEverClean() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 40)).checkAssert(s -> {
            Status st = ClamdScanReply.parse(s).status();
            String stripped = ClamdScanReply.stripTerminators(s);
            assertThat(st == Status.CLEAN).isEqualTo(stripped.equals("stream: OK"));
        });
    }

    @Test
    void parseIsTotalOverPrefixedNoise() {
        Gen<String> prefixes = integers()
                .between(0, 5)
                .map(i ->
                        new String[] {"", "stream: ", "stream: Heuristics.", "INSTREAM ", "stream: OK", "COMMAND "}[i]);
        qt().forAll(
                        prefixes,
                        strings().allPossible().ofLengthBetween(0, 30),
                        integers().between(0, 3))
                .checkAssert((p, body, t) -> {
                    String suffix = new String[] {"", " FOUND", " ERROR", "\0"}[t];
                    ClamdScanReply r = ClamdScanReply.parse(p + body + suffix);
                    assertThat(r.status()).isNotNull();
                    assertThat(r.raw()).isEqualTo(ClamdScanReply.stripTerminators(p + body + suffix));
                });
    }

    @Test
    void foundNamesRoundTrip() {
        Gen<String> names = strings().betweenCodePoints(33, 126).ofLengthBetween(1, 60);
        qt().forAll(names).checkAssert(n -> {
            ClamdScanReply r = ClamdScanReply.parse("stream: " + n + " FOUND\0");
            assertThat(r.status()).isIn(Status.FOUND, Status.LIMITS_EXCEEDED);
            assertThat(r.detail()).isEqualTo(n);
            assertThat(r.status() == Status.LIMITS_EXCEEDED).isEqualTo(n.startsWith("Heuristics.Limits.Exceeded"));
        });
    }

    @Test
    void versionWithAndWithoutDatabase() {
        ClamdVersion local = ClamdVersion.parse("ClamAV 1.4.6\0");
        assertThat(local.engine()).isEqualTo("ClamAV 1.4.6");
        assertThat(local.databaseVersion()).isEmpty();
        ClamdVersion full = ClamdVersion.parse("ClamAV 1.4.6/27000/Thu Nov 26 09:27:01 2026");
        assertThat(full.engine()).isEqualTo("ClamAV 1.4.6");
        assertThat(full.databaseVersion()).contains("27000");
        assertThat(full.databaseDate()).contains("Thu Nov 26 09:27:01 2026");
        assertThatThrownBy(() -> ClamdVersion.parse("PONG")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClamdVersion.parse("ClamAV ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statsParsedDefensively() {
        ClamdStats s =
                ClamdStats.parse("POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 2  idle 0 max 10 idle-timeout 30\n"
                        + "QUEUE: 3 items\n\tSTATS 0.000002 \n\nMEMSTATS: heap N/A\nEND\0");
        assertThat(s.liveThreads()).hasValue(2);
        assertThat(s.idleThreads()).hasValue(0);
        assertThat(s.maxThreads()).hasValue(10);
        assertThat(s.queuedItems()).hasValue(3);
        ClamdStats odd = ClamdStats.parse("POOLS: 1\nTHREADS: something new\nEND");
        assertThat(odd.liveThreads()).isEmpty();
        assertThat(odd.queuedItems()).isEmpty();
        assertThatThrownBy(() -> ClamdStats.parse("POOLS: 1")).hasMessageContaining("END");
        qt().forAll(strings().allPossible().ofLengthBetween(0, 60)).checkAssert(t -> {
            try {
                ClamdStats.parse(t);
            } catch (IllegalArgumentException expected) {
                // the only failure allowed
            }
        });
    }
}
