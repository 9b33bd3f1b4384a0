#!/usr/bin/env bash
# The relay AS AN ADMINISTRATOR RUNS IT (`hygiene relay --config FILE`, from hygiene-examples/target/hygiene.jar)
# against a private Postfix, in one run, side by side:
#   plain:  our relay with `scanner = builtin`             vs Postfix without a milter
#   clamd:  our relay with `scanner = clamd:127.0.0.1:P`   vs Postfix with clamav-milter, both on the same clamd
# Our relay's config sets `verdict-cache = off`, so every message is scanned (smtp-source sends one body over and
# over; Postfix's own Received header makes each copy unique for clamd, so clamd's cache does not help either side).
# Both deliver to one smtp-sink. Per cell: accept msg/s, end-to-end msg/s, CPU ms per message of the relay's processes
# (ours: the JVM; Postfix: master and its children, plus clamav-milter in the clamd rows), clamd's CPU ms per message
# (the same daemon for both), and how busy the whole machine was.
# No TLS rows: smtp-source cannot STARTTLS and the relay's tls-* node config keys were not in main yet.
#
# Usage: benchmarks/scripts/relay-config-vs-postfix-clamd.sh [MESSAGES_PER_CELL] [SIZES_KB] [CONCURRENCIES]
#   defaults: 1000 "10" "10"
# Environment: WARMUP (default 5000) unmeasured messages to our relay first (JIT); JAVA (default java).
# Needs: a built hygiene-examples/target/hygiene.jar (./hygiene builds it), postfix, smtp-source, smtp-sink, clamd,
# clamav-milter, python3; run as root (Postfix needs it).
set -euo pipefail
N=${1:-1000}
SIZES=${2:-"10"}
CONCS=${3:-"10"}
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
JAR="$ROOT/hygiene-examples/target/hygiene.jar"
[[ -f $JAR ]] || { echo "build $JAR first (./hygiene --version builds it)" >&2; exit 2; }
WORK="$(mktemp -d /var/tmp/relay-clamd-bench.XXXXXX)"
chmod 755 "$WORK"
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
cpu_ticks() {
    local t=0 p
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] || continue
        t=$((t + $(awk '{sub(/^.*\) /,""); print $12+$13+$14+$15}' /proc/$p/stat)))
    done
    echo "$t"
}
box_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
sink_count() { tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }

SINK_PORT=$(free_port)
SINK_USER=(); [[ $EUID -eq 0 ]] && SINK_USER=(-u postfix)
smtp-sink "${SINK_USER[@]}" -c 127.0.0.1:"$SINK_PORT" 1000 >"$WORK/sink.out" 2>&1 &
PIDS+=($!)

# clamd with a small database (EICAR by MD5 and by body signature; no network here for the full database).
CL="$WORK/clamd"; CLAMD_PORT=$(free_port); mkdir -p "$CL/db" "$CL/tmp"
echo "44d88612fea8a8f36de82e1278abb02f:68:Test.EICAR.HDB" >"$CL/db/bench.hdb"
echo "Test.EICAR.NDB:0:*:$(printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' | od -An -tx1 | tr -d ' \n')" >"$CL/db/bench.ndb"
cat >"$CL/clamd.conf" <<CONF
DatabaseDirectory $CL/db
TemporaryDirectory $CL/tmp
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
Foreground yes
LogFile $CL/clamd.log
StreamMaxLength 25M
MaxThreads 10
MaxConnectionQueueLength 200
SelfCheck 0
ScanMail yes
ScanArchive yes
CONF
clamd -c "$CL/clamd.conf" >"$CL/out" 2>&1 &
CLAMD_PID=$!; PIDS+=($CLAMD_PID)
for _ in $(seq 300); do
    python3 - "$CLAMD_PORT" <<'PY' 2>/dev/null && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
PY
    sleep 0.2
done

# clamav-milter on that clamd.
MILTER_PORT=$(free_port)
cat >"$CL/milter.conf" <<CONF
MilterSocket inet:$MILTER_PORT@127.0.0.1
ClamdSocket tcp:127.0.0.1:$CLAMD_PORT
Foreground yes
LogFile $CL/milter.log
OnInfected Reject
OnFail Defer
AddHeader Replace
MaxFileSize 25M
CONF
clamav-milter -c "$CL/milter.conf" >"$CL/milter.out" 2>&1 &
MILTER_PID=$!; PIDS+=($MILTER_PID)

# Our relays: one node config file each.
start_relay() { # name scanner -> sets RELAY_PID and RELAY_PORT
    local name=$1 scanner=$2 port; port=$(free_port)
    mkdir -p "$WORK/$name"
    cat >"$WORK/$name/node.conf" <<CONF
role = edge
name = $name
listen = 127.0.0.1:$port
data = data
accept-domain = example.test
route = :127.0.0.1:$SINK_PORT
scanner = $scanner
verdict-cache = off
CONF
    "${JAVA:-java}" -Xmx512m -jar "$JAR" relay --config "$WORK/$name/node.conf" >"$WORK/$name/out" 2>"$WORK/$name/err" &
    RELAY_PID=$!; PIDS+=($RELAY_PID)
    for _ in $(seq 300); do grep -q "smtp://" "$WORK/$name/out" 2>/dev/null && break; sleep 0.2; done
    RELAY_PORT=$port
}
start_relay plain builtin; PLAIN_PID=$RELAY_PID; PLAIN_PORT=$RELAY_PORT
start_relay clamd "clamd:127.0.0.1:$CLAMD_PORT"; CLAMD_RELAY_PID=$RELAY_PID; CLAMD_RELAY_PORT=$RELAY_PORT

# Private Postfix with two smtpd listeners: one plain, one with clamav-milter.
PF="$WORK/postfix"; PF_ETC="$PF/etc"; PF_PORT=$(free_port); PFM_PORT=$(free_port)
mkdir -p "$PF_ETC" "$PF/spool" "$PF/data"
: >"$PF_ETC/main.cf"
cp /etc/postfix/master.cf "$PF_ETC/master.cf"
postconf -c "$PF_ETC" -e "queue_directory=$PF/spool" "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$WORK" myhostname=relay.example.test inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination= relay_domains=example.test mynetworks=127.0.0.0/8 alias_maps= alias_database= \
    "smtpd_relay_restrictions=permit_mynetworks reject_unauth_destination" \
    "transport_maps=inline:{example.test=smtp:[127.0.0.1]:$SINK_PORT}" "relayhost=[127.0.0.1]:$SINK_PORT" \
    smtp_dns_support_level=disabled compatibility_level=3.6 milter_default_action=tempfail
postconf -c "$PF_ETC" -M# smtp/inet
postconf -c "$PF_ETC" -Me "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd"
postconf -c "$PF_ETC" -Me "127.0.0.1:$PFM_PORT/inet = 127.0.0.1:$PFM_PORT inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$MILTER_PORT"
postconf -c "$PF_ETC" -F '*/*/chroot = n'
chown postfix "$PF/data"
postfix -c "$PF_ETC" check
postfix -c "$PF_ETC" start || { echo "postfix start failed"; tail "$PF/maillog"; exit 1; }
for _ in $(seq 50); do [[ -s "$PF/spool/pid/master.pid" ]] && break; sleep 0.2; done
PF_MASTER=$(tr -d ' ' <"$PF/spool/pid/master.pid")
pf_pids() { echo "$PF_MASTER $(pgrep -P "$PF_MASTER" | tr '\n' ' ')"; }

run_cell() { # label port size_kb conc pidsource clamd? -> a table row
    local name=$1 port=$2 kb=$3 conc=$4 who=$5 pids base start accept_end end c0 c1 k0 k1 hz=$(getconf CLK_TCK)
    smtp-source -s "$conc" -m $((conc * 4)) -l $((kb * 1024)) -f bench@example.net -t user@example.test \
        127.0.0.1:"$port" >/dev/null 2>&1 || echo "smtp-source to $port failed (exit $?)" >&2
    sleep 2
    base=$(sink_count); base=${base:-0}
    case $who in
        postfix) pids=$(pf_pids) ;;
        postfix+milter) pids="$(pf_pids) $MILTER_PID" ;;
        *) pids=$who ;;
    esac
    c0=$(cpu_ticks $pids); k0=$(cpu_ticks $CLAMD_PID); b0=$(box_ticks)
    start=$(date +%s.%N)
    smtp-source -s "$conc" -m "$N" -l $((kb * 1024)) -f bench@example.net -t user@example.test \
        127.0.0.1:"$port" >/dev/null 2>&1 || echo "smtp-source to $port failed (exit $?)" >&2
    accept_end=$(date +%s.%N)
    for _ in $(seq 6000); do
        [[ $(( $(sink_count) - base )) -ge $N ]] && break
        sleep 0.05
    done
    end=$(date +%s.%N)
    local got=$(( $(sink_count) - base ))
    case $who in postfix) pids=$(pf_pids) ;; postfix+milter) pids="$(pf_pids) $MILTER_PID" ;; esac
    c1=$(cpu_ticks $pids); k1=$(cpu_ticks $CLAMD_PID); b1=$(box_ticks)
    python3 - "$name" "$kb" "$conc" "$N" "$got" "$start" "$accept_end" "$end" "$c0" "$c1" "$k0" "$k1" "$hz" "$b0" "$b1" <<'PY'
import sys
name, kb, conc, n, got, s, a, e, c0, c1, k0, k1, hz, b0, b1 = sys.argv[1:]
n = int(n); got = int(got); s, a, e = float(s), float(a), float(e); hz = int(hz)
cpu_ms = (int(c1) - int(c0)) * 1000.0 / hz / n
clamd_ms = (int(k1) - int(k0)) * 1000.0 / hz / n
busy0, total0 = map(int, b0.split()); busy1, total1 = map(int, b1.split())
box = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
note = "" if got >= n else f" (only {got} of {n} delivered)"
print(f"| {name}{note} | {kb} KB | {conc} | {n / (a - s):.0f} | {got / (e - s):.0f} | {cpu_ms:.2f} | {clamd_ms:.2f} | {box:.0f}% |")
PY
}

WARMUP=${WARMUP:-5000}
for p in $PLAIN_PORT $CLAMD_RELAY_PORT; do
    smtp-source -s 10 -m "$WARMUP" -l 4096 -f bench@example.net -t user@example.test 127.0.0.1:"$p" >/dev/null 2>&1 || echo "warm-up smtp-source failed (exit $?)" >&2
done
smtp-source -s 10 -m 500 -l 4096 -f bench@example.net -t user@example.test 127.0.0.1:"$PF_PORT" >/dev/null 2>&1 || true
smtp-source -s 10 -m 500 -l 4096 -f bench@example.net -t user@example.test 127.0.0.1:"$PFM_PORT" >/dev/null 2>&1 || true
for _ in $(seq 1200); do [[ $(sink_count) -ge $((2 * WARMUP + 1000)) ]] && break; sleep 0.1; done

echo "| relay | size | conc | accept msg/s | e2e msg/s | relay CPU ms/msg | clamd CPU ms/msg | machine CPU busy |"
echo "|---|---|---|---|---|---|---|---|"
for kb in $SIZES; do
    for c in $CONCS; do
        run_cell "hygiene (builtin)" "$PLAIN_PORT" "$kb" "$c" "$PLAIN_PID"
        run_cell "postfix" "$PF_PORT" "$kb" "$c" postfix
        run_cell "hygiene (clamd)" "$CLAMD_RELAY_PORT" "$kb" "$c" "$CLAMD_RELAY_PID"
        run_cell "postfix + clamav-milter" "$PFM_PORT" "$kb" "$c" postfix+milter
    done
done
grep -c "Test.EICAR" "$CL/clamd.log" >/dev/null 2>&1 || true
