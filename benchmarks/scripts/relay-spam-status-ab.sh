#!/usr/bin/env bash
# A/B on one jar: the relay with `scanner = builtin` (the classifier judges every message) and `spam-status = all`
# (clean mail gets X-Spam-Flag: NO and its X-Spam-Status, so every message is rewritten) against `spam-status = spam`
# (only spam is). Postfix's smtp-source sends N messages of 10 KB over 10 connections to each relay in turn, ROUNDS
# rounds after WARM unmeasured messages each; both relays deliver to one smtp-sink. Prints accepted msg/s and the
# relay JVM's CPU milliseconds per message (utime+stime from /proc/PID/stat).
# Usage: benchmarks/scripts/relay-spam-status-ab.sh   (env: JAR, N=2000, WARM=4000, ROUNDS=3)
# Build first (never mvn install): mvn -B -o -q -pl hygiene-examples -am package -DskipTests
# Needs: java 17+, smtp-source, smtp-sink (Postfix), python3; binds 127.0.0.1 only; stops everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
JAR=${JAR:-$ROOT/hygiene-examples/target/hygiene.jar}
N=${N:-2000}; WARM=${WARM:-4000}; ROUNDS=${ROUNDS:-3}
W=$(mktemp -d /var/tmp/ab.XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done; sleep 1; rm -rf "$W"; }
trap cleanup EXIT
SINK_PORT=$(free_port)
smtp-sink -c -u nobody 127.0.0.1:$SINK_PORT 500 > "$W/sink.out" 2>&1 &
PIDS+=($!)
start() { local name=$1 status=$2 port; port=$(free_port); mkdir -p "$W/$name"
cat > "$W/$name/node.conf" <<CONF
role = edge
name = $name
listen = 127.0.0.1:$port
data = data
accept-domain = example.test
route = :127.0.0.1:$SINK_PORT
scanner = builtin
verdict-cache = off
spam-status = $status
max-connections = 500
max-connections-per-ip = 400
connection-rate = 1000000/1m
message-rate = 1000000/1m
stress-sessions = 450
stress-connections-per-ip = 400
CONF
java -Xmx512m -jar "$JAR" relay --config "$W/$name/node.conf" > "$W/$name/out" 2> "$W/$name/err" &
local pid=$!; PIDS+=($pid)
for _ in $(seq 600); do grep -q "smtp://" "$W/$name/out" 2>/dev/null && break; sleep 0.2; done
eval "${name}_PID=$pid; ${name}_PORT=$port"
}
start all all; start spam spam
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
tick=$(getconf CLK_TCK)
send() { local port=$1 n=$2; smtp-source -s 10 -l 10240 -m $n -f a@example.org -t u@example.test 127.0.0.1:$port; }
send $all_PORT $WARM; send $spam_PORT $WARM
for r in $(seq $ROUNDS); do for name in all spam; do
  pid=$(eval echo \$${name}_PID); port=$(eval echo \$${name}_PORT)
  c0=$(cpu $pid); t0=$(date +%s.%N); send $port $N; t1=$(date +%s.%N); c1=$(cpu $pid)
  python3 -c "print('$name round $r: %.0f msg/s accepted, %.2f CPU ms/msg' % ($N/($t1-$t0), ($c1-$c0)*1000.0/$tick/$N))"
done; done
