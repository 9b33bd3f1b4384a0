#!/usr/bin/env bash
# The relay AS AN ADMINISTRATOR RUNS IT (`hygiene relay --config FILE`, hygiene-examples/target/hygiene.jar) against a
# private Postfix, side by side in one run:
#   plain:  our relay with `scanner = builtin`            vs Postfix without a milter          (smtp-source)
#   tls:    the same two, every session with STARTTLS                                        (SmtpLoad --tls)
#   clamd:  our relay with `scanner = clamd:127.0.0.1:P`  vs Postfix + clamav-milter, the same clamd (smtp-source)
# Both relays offer STARTTLS with the same openssl-made certificate (tls-certificate/tls-key; smtpd_tls_cert_file),
# have their client limits raised so the one-address load generator is not refused (our relay: max-connections,
# per-IP and rate keys; Postfix: default_process_limit), and deliver to one smtp-sink in plaintext.
# Our relays set `verdict-cache = off`, so every message is scanned (the load generators send one body over and over;
# each relay's own Received header makes the copies differ for clamd, so clamd's cache does not help either side).
# Per cell: accept msg/s, end-to-end msg/s (the sink counted all N), CPU ms per message of the relay's processes
# (utime+stime from /proc/PID/stat; ours: the JVM; Postfix: master and its children incl. reaped ones, plus
# clamav-milter in the clamd rows), clamd's CPU ms per message (separately, the same daemon for both), and how busy
# the whole machine was (100% = every core). The load average is printed before and after.
#
# Usage: benchmarks/scripts/relay-config-vs-postfix-clamd.sh [MESSAGES_PER_CELL] [SIZE_KB] [CONCURRENCY]
#   defaults: 2000 10 10
# Environment: WARMUP (default 6000) unmeasured messages to each of our relays first (C2 compiles after ~10,000
#   invocations of a hot method; half of them with TLS), Postfix gets 1000 per listener; JAVA (default java);
#   SKIP_BUILD=1 uses the jars already built; JFR_DIR=/some/dir records each of our relays with Java Flight Recorder
#   (settings=profile) into DIR/plain.jfr and DIR/clamd.jfr, written when the script stops them
#   (`jfr print --events jdk.ExecutionSample FILE` or `jfr summary FILE` to read them).
# Build (never `mvn install`): mvn -B -o -q -pl hygiene-examples,benchmarks -am package -DskipTests
# Needs: postfix, smtp-source, smtp-sink, clamd, clamav-milter, openssl, python3; run as root (Postfix needs it).
set -euo pipefail
N=${1:-2000}
KB=${2:-10}
CONC=${3:-10}
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
JAR="$ROOT/hygiene-examples/target/hygiene.jar"
BJAR="$ROOT/benchmarks/target/benchmarks.jar"
if [[ -z "${SKIP_BUILD:-}" ]]; then
    (cd "$ROOT" && mvn -B -o -q -pl hygiene-examples,benchmarks -am package -DskipTests -Dspotless.check.skip=true \
        -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -Djapicmp.skip=true >/dev/null)
fi
[[ -f $JAR && -f $BJAR ]] || { echo "build $JAR and $BJAR first (see the header)" >&2; exit 2; }
JAVA=${JAVA:-java}
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
cpu_ticks() { # utime+stime (+ reaped children's cutime+cstime) of the given pids
    local t=0 p
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] || continue
        t=$((t + $(awk '{sub(/^.*\) /,""); print $12+$13+$14+$15}' /proc/$p/stat)))
    done
    echo "$t"
}
box_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
sink_count() { tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }
echo "load before: $(uptime)"

# One certificate for both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -subj /CN=localhost -days 2 -addext subjectAltName=DNS:localhost >/dev/null 2>&1
chmod 644 "$WORK/key.pem"

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
MaxThreads 12
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

# Our relays: one node config file each, as an administrator writes it.
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
tls-certificate = $WORK/cert.pem
tls-key = $WORK/key.pem
# the load generator is one address sending as fast as it can: lift the per-client limits
max-connections = 500
max-connections-per-ip = 400
connection-rate = 1000000/1m
message-rate = 1000000/1m
stress-sessions = 450
stress-connections-per-ip = 400
CONF
    local jfr=()
    [[ -n "${JFR_DIR:-}" ]] && jfr=("-XX:StartFlightRecording=filename=$JFR_DIR/$name.jfr,settings=profile")
    "$JAVA" -Xmx512m "${jfr[@]}" -jar "$JAR" relay --config "$WORK/$name/node.conf" >"$WORK/$name/out" 2>"$WORK/$name/err" &
    RELAY_PID=$!; PIDS+=($RELAY_PID)
    for _ in $(seq 600); do grep -q "smtp://" "$WORK/$name/out" 2>/dev/null && break; sleep 0.2; done
    grep -q "smtp://" "$WORK/$name/out" || { echo "relay $name did not start:"; cat "$WORK/$name/err"; exit 1; }
    RELAY_PORT=$port
}
start_relay plain builtin; PLAIN_PID=$RELAY_PID; PLAIN_PORT=$RELAY_PORT
start_relay clamd "clamd:127.0.0.1:$CLAMD_PORT"; CLAMD_RELAY_PID=$RELAY_PID; CLAMD_RELAY_PORT=$RELAY_PORT

# Private Postfix: one plain smtpd listener, one with clamav-milter; both offer STARTTLS.
PF="$WORK/postfix"; PF_ETC="$PF/etc"; PF_PORT=$(free_port); PFM_PORT=$(free_port)
mkdir -p "$PF_ETC" "$PF/spool" "$PF/data"
: >"$PF_ETC/main.cf"
cp /etc/postfix/master.cf "$PF_ETC/master.cf"
postconf -c "$PF_ETC" -e "queue_directory=$PF/spool" "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$WORK" myhostname=relay.example.test inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination= relay_domains=example.test mynetworks=127.0.0.0/8 alias_maps= alias_database= \
    "smtpd_relay_restrictions=permit_mynetworks reject_unauth_destination" \
    "transport_maps=inline:{example.test=smtp:[127.0.0.1]:$SINK_PORT}" "relayhost=[127.0.0.1]:$SINK_PORT" \
    smtp_dns_support_level=disabled compatibility_level=3.6 milter_default_action=tempfail \
    default_process_limit=200 smtpd_client_connection_count_limit=0 smtpd_client_connection_rate_limit=0 \
    "smtpd_tls_cert_file=$WORK/cert.pem" "smtpd_tls_key_file=$WORK/key.pem" smtpd_tls_security_level=may \
    smtpd_tls_loglevel=0
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

load() { # tool port messages -> runs the load generator
    local tool=$1 port=$2 m=$3
    if [[ $tool == tls ]]; then
        "$JAVA" -cp "$BJAR" org.mailhygiene.benchmarks.relay.SmtpLoad --tls -s "$CONC" -m "$m" -l $((KB * 1024)) \
            127.0.0.1:"$port" >/dev/null 2>"$WORK/load.err" || echo "SmtpLoad to $port: $(cat "$WORK/load.err")" >&2
    else
        smtp-source -s "$CONC" -m "$m" -l $((KB * 1024)) -f bench@example.net -t user@example.test \
            127.0.0.1:"$port" >/dev/null 2>&1 || echo "smtp-source to $port failed (exit $?)" >&2
    fi
}

run_cell() { # label tool port who -> a table row
    local name=$1 tool=$2 port=$3 who=$4 pids base start accept_end end c0 c1 k0 k1 b0 b1 hz
    hz=$(getconf CLK_TCK)
    base=$(sink_count); base=${base:-0}
    case $who in postfix) pids=$(pf_pids) ;; postfix+milter) pids="$(pf_pids) $MILTER_PID" ;; *) pids=$who ;; esac
    c0=$(cpu_ticks $pids); k0=$(cpu_ticks $CLAMD_PID); b0=$(box_ticks)
    start=$(date +%s.%N)
    load "$tool" "$port" "$N"
    accept_end=$(date +%s.%N)
    for _ in $(seq 12000); do
        [[ $(( $(sink_count) - base )) -ge $N ]] && break
        sleep 0.05
    done
    end=$(date +%s.%N)
    local got=$(( $(sink_count) - base ))
    case $who in postfix) pids=$(pf_pids) ;; postfix+milter) pids="$(pf_pids) $MILTER_PID" ;; esac
    c1=$(cpu_ticks $pids); k1=$(cpu_ticks $CLAMD_PID); b1=$(box_ticks)
    python3 - "$name" "$KB" "$CONC" "$N" "$got" "$start" "$accept_end" "$end" "$c0" "$c1" "$k0" "$k1" "$hz" "$b0" "$b1" <<'PY'
import sys
name, kb, conc, n, got, s, a, e, c0, c1, k0, k1, hz, b0, b1 = sys.argv[1:]
n = int(n); got = int(got); s, a, e = float(s), float(a), float(e); hz = int(hz)
cpu_ms = (int(c1) - int(c0)) * 1000.0 / hz / max(1, got)
clamd_ms = (int(k1) - int(k0)) * 1000.0 / hz / max(1, got)
busy0, total0 = map(int, b0.split()); busy1, total1 = map(int, b1.split())
box = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
note = "" if got >= n else f" (only {got} of {n} delivered)"
print(f"| {name}{note} | {kb} KB | {conc} | {n / (a - s):.0f} | {got / (e - s):.0f} | {cpu_ms:.2f} | {clamd_ms:.2f} | {box:.0f}% |", flush=True)
PY
}

WARMUP=${WARMUP:-6000}
T0=$(date +%s)
for p in $PLAIN_PORT $CLAMD_RELAY_PORT; do
    load plain "$p" $((WARMUP / 2))
    load tls "$p" $((WARMUP / 2))
done
load plain "$PF_PORT" 500; load tls "$PF_PORT" 500; load plain "$PFM_PORT" 500
for _ in $(seq 2400); do [[ $(sink_count) -ge $((2 * WARMUP + 1500)) ]] && break; sleep 0.1; done
echo "warm-up: $(( $(date +%s) - T0 )) s, $(sink_count) messages at the sink"

echo "| relay | size | conc | accept msg/s | e2e msg/s | relay CPU ms/msg | clamd CPU ms/msg | machine CPU busy |"
echo "|---|---|---|---|---|---|---|---|"
run_cell "hygiene (builtin)" plain "$PLAIN_PORT" "$PLAIN_PID"
run_cell "postfix" plain "$PF_PORT" postfix
run_cell "hygiene (builtin), STARTTLS" tls "$PLAIN_PORT" "$PLAIN_PID"
run_cell "postfix, STARTTLS" tls "$PF_PORT" postfix
run_cell "hygiene (clamd)" plain "$CLAMD_RELAY_PORT" "$CLAMD_RELAY_PID"
run_cell "postfix + clamav-milter" plain "$PFM_PORT" postfix+milter
echo "total: $(( $(date +%s) - T0 )) s; load after: $(uptime)"
{ grep -h -i -c 'error\|warn' "$WORK/plain/err" "$WORK/clamd/err" 2>/dev/null || true; } | paste -sd' ' | sed 's/^/relay stderr error\/warn lines (plain clamd): /'
