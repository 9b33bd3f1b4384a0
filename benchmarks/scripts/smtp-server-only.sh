#!/usr/bin/env bash
# The SMTP server alone (no scanning, no spool, no delivery): a MessageHandler that reads the content and answers
# 250, fed by smtp-source. Shows what the server's own protocol handling costs.
# Usage: benchmarks/scripts/smtp-server-only.sh [MESSAGES] [SIZE_KB] [CONCURRENCY]   (defaults 3000 10 10)
# Environment: WARMUP (default 2000) unmeasured messages first; SKIP_BUILD=1 uses the jars already built.
set -euo pipefail
N=${1:-3000}; KB=${2:-10}; C=${3:-10}
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
WORK="$(mktemp -d)"
PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
# Build in the reactor without installing anything into ~/.m2 (other builds share it): the shaded benchmarks.jar
# holds hygiene-smtp and every dependency, so no classpath is resolved from ~/.m2 either.
[[ -n "${SKIP_BUILD:-}" ]] || (cd "$ROOT" && mvn -B -q -o -pl benchmarks -am package -DskipTests \
    -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -Dspotless.check.skip=true -Djapicmp.skip=true >/dev/null)
CP="$ROOT/hygiene-smtp/target/classes:$ROOT/benchmarks/target/benchmarks.jar"
[[ -f $ROOT/benchmarks/target/benchmarks.jar ]] ||
    { echo "build first: mvn -B -o -pl benchmarks -am package -DskipTests" >&2; exit 2; }
cat >"$WORK/ServerOnly.java" <<'JAVA'
import java.time.Duration;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.server.SmtpLimits;
import org.mailhygiene.smtp.server.SmtpServer;

public class ServerOnly {
    public static void main(String[] a) throws Exception {
        SmtpServer s = SmtpServer.builder().port(0).acceptedDomains(AcceptedDomains.of("example.org"))
                .limits(SmtpLimits.builder().maxConnectionsPerIp(200)
                        .connectionRatePerIp(1_000_000, Duration.ofMinutes(1))
                        .messageRatePerIp(1_000_000, Duration.ofMinutes(1)).build())
                .handler((e, c) -> {
                    try (var in = c.openStream()) {
                        in.transferTo(java.io.OutputStream.nullOutputStream());
                    }
                    return SmtpReply.OK;
                })
                .build();
        s.start();
        System.out.println("LISTENING " + s.port());
        Thread.sleep(Long.MAX_VALUE);
    }
}
JAVA
javac -d "$WORK" -cp "$CP" "$WORK/ServerOnly.java"
java -cp "$CP:$WORK" ServerOnly >"$WORK/out.txt" 2>"$WORK/err.txt" &
PID=$!
for _ in $(seq 100); do grep -q LISTENING "$WORK/out.txt" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/LISTENING/{print $2}' "$WORK/out.txt")
smtp-source -s "$C" -m "${WARMUP:-2000}" -l $((KB * 1024)) -f a@example.net -t u@example.org 127.0.0.1:"$PORT"   # warm-up
ticks() { awk '{sub(/^.*\) /,""); print $12+$13}' /proc/"$PID"/stat; }
c0=$(ticks); t0=$(date +%s.%N)
smtp-source -s "$C" -m "$N" -l $((KB * 1024)) -f a@example.net -t u@example.org 127.0.0.1:"$PORT"
t1=$(date +%s.%N); c1=$(ticks)
python3 -c "import sys; n,t0,t1,c0,c1,hz=map(float,sys.argv[1:]); print(f'{n/(t1-t0):.0f} msg/s, {(c1-c0)*1000/hz/n:.2f} ms CPU/msg')" \
    "$N" "$t0" "$t1" "$c0" "$c1" "$(getconf CLK_TCK)"
