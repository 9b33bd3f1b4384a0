#!/usr/bin/env bash
# Soak test of `hygiene relay`: private clamd, spamd and Redis, smtp-sink as the next hop, driver.py load for MINUTES,
# a reload (SIGHUP) every RELOAD_S seconds, clamd restarted at 1/4, spamd at 1/2, Redis flapped (stopped 20 s) at 3/4
# of the run; sample.sh every 30 s. Leaves WORK (printed) with samples.tsv, the relay's log, driver output.
#
# Usage: benchmarks/scripts/soak/soak-relay.sh [MINUTES] [BASE_PORT]      defaults: 25 44000
#   Ports used: BASE+25 sink, +310 clamd, +783 spamd, +379 redis, +525 relay, +580 admin.
# Environment: THREADS (driver threads, default 4), IPS (distinct client addresses, default 5000), JAVA, XMX
#   (default 256m), SKIP_BUILD=1 to use hygiene-examples/target/hygiene.jar as it is, NO_REDIS=1.
# Needs: clamd, spamd, redis-server, smtp-sink, openssl, python3, curl, jcmd. Run as root (spamd, clamd users).
set -euo pipefail
MIN=${1:-25}; BASE=${2:-44000}
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"; ROOT="$(cd "$HERE/../../.." && pwd)"
JAR="$ROOT/hygiene-examples/target/hygiene.jar"
[[ -n "${SKIP_BUILD:-}" ]] || (cd "$ROOT" && mvn -B -o -q -pl hygiene-examples -am package -DskipTests \
    -Dspotless.check.skip=true -Dmaven.javadoc.skip=true -Djapicmp.skip=true >/dev/null)
SINK=$((BASE+25)); CLP=$((BASE+310)); SAP=$((BASE+783)); RP=$((BASE+379)); SP=$((BASE+525)); AP=$((BASE+580))
WORK=${WORK:-$(mktemp -d /var/tmp/soak-relay.XXXXXX)}; mkdir -p "$WORK"; chmod 755 "$WORK"; echo "WORK $WORK"
PIDS=(); CLAMD_PID=""; SPAMD_PID=""; REDIS_PID=""
cleanup() {
    touch "$WORK/samples.tsv.stop"
    for p in "${PIDS[@]}" $CLAMD_PID $REDIS_PID; do kill "$p" 2>/dev/null || true; done
    [[ -f $WORK/spamd/spamd.pid ]] && kill "$(cat "$WORK/spamd/spamd.pid")" 2>/dev/null || true
    sleep 2
}
trap cleanup EXIT
log() { echo "$(date +%H:%M:%S) $*" | tee -a "$WORK/events"; }

smtp-sink -u postfix -c 127.0.0.1:$SINK 200 >"$WORK/sink.out" 2>&1 & PIDS+=($!)

mkdir -p "$WORK/clamd/db" "$WORK/clamd/tmp"
echo "44d88612fea8a8f36de82e1278abb02f:68:Test.EICAR.HDB" >"$WORK/clamd/db/soak.hdb"
cat >"$WORK/clamd/clamd.conf" <<CONF
DatabaseDirectory $WORK/clamd/db
TemporaryDirectory $WORK/clamd/tmp
TCPSocket $CLP
TCPAddr 127.0.0.1
Foreground yes
LogFile $WORK/clamd/clamd.log
MaxThreads 8
SelfCheck 0
AlertExceedsMax yes
CONF
chown -R clamav "$WORK/clamd"
start_clamd() { clamd -c "$WORK/clamd/clamd.conf" >>"$WORK/clamd/out" 2>&1 & CLAMD_PID=$!; }
start_clamd

mkdir -p "$WORK/spamd/home"; chown -R debian-spamd "$WORK/spamd"
start_spamd() {
    spamd --ipv4-only --listen=127.0.0.1:$SAP --local --nouser-config --configpath=/usr/share/spamassassin \
        --max-children=3 --min-children=1 --pidfile="$WORK/spamd/spamd.pid" --syslog="$WORK/spamd/spamd.log" \
        --helper-home-dir="$WORK/spamd/home" --username=debian-spamd --cf='use_bayes 0' --cf='bayes_auto_learn 0' \
        --cf='skip_rbl_checks 1' --cf='use_razor2 0' --cf='use_pyzor 0' >>"$WORK/spamd/out" 2>&1 &
}
start_spamd
start_redis() { redis-server --port $RP --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" & REDIS_PID=$!; }
[[ -n "${NO_REDIS:-}" ]] || start_redis

mkdir -p "$WORK/jtmp"
# TLS certificate (self-signed, PKCS#8 key)
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=soak.test -keyout "$WORK/key1.pem" \
    -out "$WORK/cert.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$WORK/key1.pem" -out "$WORK/key.pem"

REDIS_LINE="redis = redis://127.0.0.1:$RP/0"; [[ -n "${NO_REDIS:-}" ]] && REDIS_LINE=""
write_conf() { # $1: spam-tag variant, so each reload changes something
cat >"$WORK/node.conf" <<CONF
role = edge
name = soak
listen = 127.0.0.1:$SP
admin-listen = 127.0.0.1:$AP
data = $WORK/data
accept-domain = example.test
route = :127.0.0.1:$SINK
scanner = clamd:127.0.0.1:$CLP
scanner = spamd:127.0.0.1:$SAP
spamd.on-failure.too-large = accept
spamd.on-failure.unavailable = accept
scanner = attachments
scanner = bayes:default
$REDIS_LINE
tls-certificate = $WORK/cert.pem
tls-key = $WORK/key.pem
max-message-size = 512k
max-connections = 300
max-connections-per-ip = 50
connection-rate = 1000000/1m
message-rate = 1000000/1m
stress-sessions = 280
spam-tag = $1
CONF
}
write_conf "[SPAM]"
for _ in $(seq 300); do
    python3 -c "import socket;socket.create_connection(('127.0.0.1',$SAP),1)" 2>/dev/null && break; sleep 1
done
"${JAVA:-java}" -Xmx${XMX:-256m} -XX:+UseG1GC -Djava.io.tmpdir="$WORK/jtmp" -jar "$JAR" relay --config "$WORK/node.conf" \
    >"$WORK/relay.out" 2>"$WORK/relay.log" & RELAY=$!; PIDS+=($RELAY)
for _ in $(seq 300); do grep -q "smtp://" "$WORK/relay.out" 2>/dev/null && break; sleep 0.5; done
grep -q "smtp://" "$WORK/relay.out" || { echo "relay did not start"; cat "$WORK/relay.log"; exit 1; }
log "relay pid $RELAY up"
R=""; [[ -n "${NO_REDIS:-}" ]] || R=$RP
"$HERE/sample.sh" "$RELAY" 30 "$WORK/samples.tsv" "$WORK/data" "http://127.0.0.1:$AP/metrics" "$R" \
    "$WORK/relay.log" "$WORK/jtmp" & PIDS+=($!)
python3 "$HERE/driver.py" 127.0.0.1:$SP $((MIN*60)) --threads "${THREADS:-4}" --ips "${IPS:-5000}" \
    >"$WORK/driver.out" 2>&1 & DRIVER=$!; PIDS+=($DRIVER)

T0=$(date +%s); TOTAL=$((MIN*60)); done_cl=""; done_sa=""; done_r=""; next_reload=$((T0+${RELOAD_S:-240}))
while kill -0 "$DRIVER" 2>/dev/null; do
    sleep 5; now=$(date +%s); el=$((now-T0))
    if (( now >= next_reload )); then
        write_conf "[SPAM-$el]"; kill -HUP "$RELAY"; log "SIGHUP"; next_reload=$((now+${RELOAD_S:-240})); fi
    if [[ -z $done_cl ]] && (( el >= TOTAL/4 )); then
        kill "$CLAMD_PID"; wait "$CLAMD_PID" 2>/dev/null || true; sleep 10; start_clamd; log "clamd restarted"; done_cl=1; fi
    if [[ -z $done_sa ]] && (( el >= TOTAL/2 )); then
        kill "$(cat "$WORK/spamd/spamd.pid")"; sleep 10; start_spamd; log "spamd restarted"; done_sa=1; fi
    if [[ -z $done_r && -z "${NO_REDIS:-}" ]] && (( el >= 3*TOTAL/4 )); then
        kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; log "redis down"; sleep 20; start_redis
        log "redis up"; done_r=1; fi
done
log "load ended; idle 90 s for the last samples"
sleep 90
touch "$WORK/samples.tsv.stop"
curl -s "http://127.0.0.1:$AP/metrics" >"$WORK/metrics.end"
python3 "$HERE/summarise.py" "$WORK/samples.tsv" | tee "$WORK/summary.txt"
tail -1 "$WORK/driver.out"
echo "most repeated log lines (time, thread, ids, addresses and numbers masked; one line per message is expected):"
cut -d' ' -f3- "$WORK/relay.log" | sed -E 's/id=[^ ]+/id=X/g; s/<[^>]*>/<X>/g; s/[0-9]+/N/g' | cut -c1-200 | sort | uniq -c \
    | sort -rn | head -15
echo "WARN and ERROR lines by kind:"
grep -E ' (WARN|ERROR) ' "$WORK/relay.log" | cut -d' ' -f3- | sed -E 's/[0-9]+/N/g' | cut -c1-200 | sort | uniq -c \
    | sort -rn | head -15
