#!/usr/bin/env bash
# End-to-end relay benchmark: the Mail Hygiene relay (RelayMain, built-in scanner, durable spool with fsync)
# against a private Postfix instance configured as a relay on loopback (never the system instance). Both are fed by
# Postfix's smtp-source (one message per connection) and deliver to the same smtp-sink. For each size and
# concurrency it reports: accept msg/s (smtp-source done), end-to-end msg/s (smtp-sink counted every message), and
# CPU milliseconds per message of the relay's processes (smtp-source and smtp-sink excluded), and how busy the whole
# machine's CPUs were during the cell (relay, source and sink together; 100% = every core busy: the machine's ceiling).
#
# Usage: benchmarks/scripts/relay-vs-postfix.sh [MESSAGES_PER_CELL] [SIZES_KB] [CONCURRENCIES]
#   defaults: 1000 "1 10 100" "1 10 50"
# Environment: WARMUP (default 20000) messages sent to our relay once before the first cell, unmeasured, so the JVM's
#   JIT has compiled the hot paths with C2 (steady state; Postfix is compiled ahead of time and gets 1000);
#   JAVA (default: java on the PATH) runs our relay, e.g. a JDK 21+ for virtual threads;
#   HYGIENE_SPOOL_DIR puts our spool elsewhere (e.g. /dev/shm/x to see the no-fsync ceiling; left in place at the
#   end, unlike the script's own work directory); SKIP_BUILD=1.
# Needs: java 17+, mvn (package only, never install), postfix (postfix, postconf, smtp-source, smtp-sink), python3; run as root (Postfix needs it).
set -euo pipefail
N=${1:-1000}
SIZES=${2:-"1 10 100"}
CONCS=${3:-"1 10 50"}
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
WORK="$(mktemp -d /var/tmp/relay-bench.XXXXXX)"   # on disk, so fsync is real for both
chmod 755 "$WORK"                                    # Postfix daemons run as the postfix user
PIDS=()
PF_ETC=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -n "$PF_ETC" ]]; then postfix -c "$PF_ETC" stop >/dev/null 2>&1 || true; fi
    sleep 1
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { # utime+stime+cutime+cstime of the given pids
    local t=0 p
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] || continue
        t=$((t + $(awk '{sub(/^.*\) /,""); print $12+$13+$14+$15}' /proc/$p/stat)))
    done
    echo "$t"
}
box_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }   # busy total
sink_count() { tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }

# Build in the reactor without installing anything into ~/.m2 (parallel builds share it): the shaded
# benchmarks.jar holds hygiene-smtp and every dependency; RelayMain is a test-side harness
# (hygiene-smtp/src/test/java), which -DskipTests still compiles to test-classes.
[[ -n "${SKIP_BUILD:-}" ]] || (cd "$ROOT" && mvn -B -q -o -pl benchmarks -am package -DskipTests \
    -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -Dspotless.check.skip=true -Djapicmp.skip=true >/dev/null)
CP="$ROOT/hygiene-smtp/target/test-classes:$ROOT/benchmarks/target/benchmarks.jar"
[[ -f $ROOT/benchmarks/target/benchmarks.jar && -d $ROOT/hygiene-smtp/target/test-classes ]] ||
    { echo "build first: mvn -B -o -pl benchmarks -am package -DskipTests" >&2; exit 2; }

SINK_PORT=$(free_port)
SINK_USER=(); [[ $EUID -eq 0 ]] && SINK_USER=(-u postfix)
smtp-sink "${SINK_USER[@]}" -c 127.0.0.1:"$SINK_PORT" 1000 >"$WORK/sink.out" 2>&1 &
PIDS+=($!)

# Our relay.
HSPOOL="${HYGIENE_SPOOL_DIR:-$WORK/hygiene}"   # set HYGIENE_SPOOL_DIR=/dev/shm/x to see the no-fsync ceiling
"${JAVA:-java}" -Xmx512m -cp "$CP" org.mailhygiene.smtp.RelayMain --spool "$HSPOOL/spool" \
    --quarantine "$HSPOOL/quarantine" --routes ":127.0.0.1:$SINK_PORT" --accept example.test \
    >"$WORK/relay.out" 2>"$WORK/relay.err" &
RELAY_PID=$!
PIDS+=($RELAY_PID)
for _ in $(seq 100); do grep -q LISTENING "$WORK/relay.out" 2>/dev/null && break; sleep 0.2; done
RELAY_PORT=$(awk '/LISTENING/{print $2}' "$WORK/relay.out")

# Private Postfix: its own config directory, queue and port; never the system instance.
PF="$WORK/postfix"; PF_ETC="$PF/etc"; PF_PORT=$(free_port)
mkdir -p "$PF_ETC" "$PF/spool" "$PF/data"
: >"$PF_ETC/main.cf"
cp /etc/postfix/master.cf "$PF_ETC/master.cf"
postconf -c "$PF_ETC" -e "queue_directory=$PF/spool" "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$WORK" myhostname=relay.example.test inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination= relay_domains=example.test mynetworks=127.0.0.0/8 alias_maps= alias_database= \
    "smtpd_relay_restrictions=permit_mynetworks reject_unauth_destination" \
    "transport_maps=inline:{example.test=smtp:[127.0.0.1]:$SINK_PORT}" "relayhost=[127.0.0.1]:$SINK_PORT" \
    smtp_dns_support_level=disabled compatibility_level=3.6
postconf -c "$PF_ETC" -M# smtp/inet
postconf -c "$PF_ETC" -Me "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd"
postconf -c "$PF_ETC" -F '*/*/chroot = n'
chown postfix "$PF/data"
postfix -c "$PF_ETC" check
postfix -c "$PF_ETC" start || { echo "postfix start failed"; tail "$PF/maillog"; exit 1; }
for _ in $(seq 50); do [[ -s "$PF/spool/pid/master.pid" ]] && break; sleep 0.2; done
PF_MASTER=$(tr -d ' ' <"$PF/spool/pid/master.pid")

pf_pids() { echo "$PF_MASTER $(pgrep -P "$PF_MASTER" | tr '\n' ' ')"; }

run_cell() { # name port size_kb conc -> prints a table row
    local name=$1 port=$2 kb=$3 conc=$4 pids base start accept_end end c0 c1 hz=$(getconf CLK_TCK)
    # warm-up (JIT, Postfix process start), not measured
    smtp-source -s "$conc" -m $((conc * 4)) -l $((kb * 1024)) -f bench@example.net -t user@example.test \
        127.0.0.1:"$port" >/dev/null 2>&1
    sleep 2
    base=$(sink_count); base=${base:-0}
    if [[ $name == postfix ]]; then pids=$(pf_pids); else pids=$RELAY_PID; fi
    c0=$(cpu_ticks $pids)
    b0=$(box_ticks)
    start=$(date +%s.%N)
    smtp-source -s "$conc" -m "$N" -l $((kb * 1024)) -f bench@example.net -t user@example.test \
        127.0.0.1:"$port" >/dev/null 2>&1
    accept_end=$(date +%s.%N)
    for _ in $(seq 6000); do
        [[ $(( $(sink_count) - base )) -ge $N ]] && break
        sleep 0.05
    done
    end=$(date +%s.%N)
    if [[ $(( $(sink_count) - base )) -lt $N ]]; then   # not everything arrived: keep the evidence
        echo "WARNING: $name $kb KB c=$conc: only $(( $(sink_count) - base )) of $N reached the sink" >&2
        cp "$WORK/relay.err" "/tmp/relay-bench-$$.err" 2>/dev/null || true
    fi
    if [[ $name == postfix ]]; then pids=$(pf_pids); fi
    c1=$(cpu_ticks $pids)
    b1=$(box_ticks)
    python3 - "$name" "$kb" "$conc" "$N" "$start" "$accept_end" "$end" "$c0" "$c1" "$hz" "$b0" "$b1" <<'PY'
import sys
name, kb, conc, n, s, a, e, c0, c1, hz, b0, b1 = sys.argv[1:]
n = int(n); s, a, e = float(s), float(a), float(e)
cpu_ms = (int(c1) - int(c0)) * 1000.0 / int(hz) / n
busy0, total0 = map(int, b0.split()); busy1, total1 = map(int, b1.split())
box = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
print(f"| {name} | {kb} KB | {conc} | {n / (a - s):.0f} | {n / (e - s):.0f} | {cpu_ms:.2f} | {box:.0f}% |")
PY
}

WARMUP=${WARMUP:-20000}
# Steady state before measuring (see the header): HotSpot compiles a per-message method with C2 only after ~15,000
# calls, so our relay gets WARMUP messages; Postfix is compiled ahead of time and gets 1000 (process start-up, caches).
smtp-source -s 10 -m "$WARMUP" -l 4096 -f bench@example.net -t user@example.test 127.0.0.1:"$RELAY_PORT" >/dev/null 2>&1
smtp-source -s 10 -m 1000 -l 4096 -f bench@example.net -t user@example.test 127.0.0.1:"$PF_PORT" >/dev/null 2>&1
for _ in $(seq 1200); do [[ $(sink_count) -ge $((WARMUP + 1000)) ]] && break; sleep 0.1; done

echo "| relay | size | conc | accept msg/s | e2e msg/s | relay CPU ms/msg | machine CPU busy |"
echo "|---|---|---|---|---|---|---|"
for kb in $SIZES; do
    for c in $CONCS; do
        run_cell hygiene "$RELAY_PORT" "$kb" "$c"
        run_cell postfix "$PF_PORT" "$kb" "$c"
    done
done
