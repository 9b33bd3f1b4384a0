#!/usr/bin/env bash
# Postfix alone, Postfix + clamav-milter, Postfix + our milter with clamd, Postfix + our milter with the built-in
# scanners: one private Postfix (one smtpd listener per variant), one private clamd, smtp-sink as the next hop, all on
# 127.0.0.1. smtp-source sends N clean messages per cell; the script reports accept and end-to-end messages/s and the
# CPU milliseconds per message of the milter process (clamav-milter, or our JVM) and of clamd.
#
# usage: benchmarks/scripts/milter-vs-clamav-milter.sh [N] [SIZES_KB] [CONCURRENCIES]
#   defaults: N=1000, SIZES_KB="1 100", CONCURRENCIES="1 10"
# environment: WARMUP (messages per JVM variant before measuring, default 24000: HotSpot compiles a method that runs
#   once per message with C2 only after some 10,000 calls, and after a 6000-message warm-up its compiler threads still
#   used 0.49 ms CPU per measured message; the "JIT" column shows what is left of that in each cell),
#   WARMUP_C (per C variant, default 300), JAR (default hygiene-examples/target/hygiene.jar),
#   PROFILE_DIR (if set: after the warm-up, record JFR on both JVMs while PROFILE_N messages (default 3000, 4 KB,
#   10 parallel) go through each, write ours-*.jfr there, then measure as usual without JFR; JFR leaves a busy
#   "JFR Periodic Tasks" thread behind in JDK 17, so do not compare CPU numbers of a profiled run),
#   BASELINE_JAR (if set: one more variant, before-clamd, our milter with clamd from that jar: before/after in one run),
#   OTHER_JAVA (if set, e.g. a JDK 21+ java with virtual threads: one more variant, other-java-clamd, our milter with
#   clamd on that runtime), JAVA (the java of the other JVM variants).
# needs: postfix, smtp-source, smtp-sink (postfix), clamd (clamav-daemon), clamav-milter, java 17+,
#        hygiene-examples/target/hygiene.jar (built by: mvn -B -q -pl hygiene-examples -am package -DskipTests)
set -euo pipefail
N=${1:-1000}
SIZES=${2:-"1 100"}
CONCS=${3:-"1 10"}
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
JAR="${JAR:-$ROOT/hygiene-examples/target/hygiene.jar}"
[[ -f "$JAR" ]] || { echo "build $JAR first: mvn -B -q -pl hygiene-examples -am package -DskipTests" >&2; exit 2; }
WORK="$(mktemp -d /var/tmp/milter-bench.XXXXXX)"
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

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { local t=0 p; for p in "$@"; do [[ -r /proc/$p/stat ]] || continue
    t=$((t + $(awk '{sub(/^.*\) /,""); print $12+$13}' /proc/$p/stat))); done; echo "$t"; }
jit_ticks() { local t=0 f; for f in /proc/"$1"/task/*; do
    [[ "$(cat "$f/comm" 2>/dev/null)" == C[12]\ CompilerThre* ]] || continue
    t=$((t + $(awk '{sub(/^.*\) /,""); print $12+$13}' "$f/stat"))); done; echo "$t"; }
box_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
sink_count() { tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }

# The next hop.
SINK_PORT=$(free_port)
SINK_USER=(); [[ $EUID -eq 0 ]] && SINK_USER=(-u postfix)
smtp-sink "${SINK_USER[@]}" -c 127.0.0.1:"$SINK_PORT" 1000 >"$WORK/sink.out" 2>&1 &
PIDS+=($!)

# One clamd for both milters: a local signature database (EICAR body signature), no freshclam needed.
CLAMD_PORT=$(free_port)
mkdir -p "$WORK/clamd/db" "$WORK/clamd/tmp"
printf 'Bench.Eicar.NDB:0:*:%s\n' "$(printf 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | od -An -tx1 | tr -d ' \n')" \
    >"$WORK/clamd/db/bench.ndb"
cat >"$WORK/clamd/clamd.conf" <<CONF
Foreground yes
DatabaseDirectory $WORK/clamd/db
TemporaryDirectory $WORK/clamd/tmp
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
LogFile $WORK/clamd/clamd.log
MaxThreads 12
StreamMaxLength 25M
MaxFileSize 25M
ScanMail yes
ScanArchive yes
SelfCheck 0
CONF
chmod -R a+rwX "$WORK/clamd"
clamd -c "$WORK/clamd/clamd.conf" >"$WORK/clamd/console.log" 2>&1 &
CLAMD_PID=$!
PIDS+=($CLAMD_PID)
wait_port "$CLAMD_PORT" || { echo "clamd did not start"; cat "$WORK/clamd/console.log"; exit 1; }

# clamav-milter (Debian package) with a private config, socket and clamd.
CM_PORT=$(free_port)
cat >"$WORK/clamav-milter.conf" <<CONF
MilterSocket inet:$CM_PORT@127.0.0.1
ClamdSocket tcp:127.0.0.1:$CLAMD_PORT
Foreground yes
LogFile $WORK/clamav-milter.log
OnInfected Reject
OnFail Defer
AddHeader Replace
MaxFileSize 25M
CONF
clamav-milter -c "$WORK/clamav-milter.conf" >"$WORK/clamav-milter.out" 2>&1 &
CM_PID=$!
PIDS+=($CM_PID)
wait_port "$CM_PORT" || { echo "clamav-milter did not start"; cat "$WORK/clamav-milter.out"; exit 1; }

# Our milter, twice: with clamd, and with the built-in set.
start_ours() { # name args...
    local name=$1; shift
    local jar=${JAR:-}
    "${JAVA:-java}" -Xmx512m -jar "$jar" milter --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=($pid)
    for _ in $(seq 300); do grep -q '^milter inet:' "$WORK/$name.out" 2>/dev/null && break; sleep 0.2; done
    grep -q '^milter inet:' "$WORK/$name.out" || { echo "$name did not start"; cat "$WORK/$name.err"; exit 1; }
    echo "$pid $(sed -n 's/^milter inet:127.0.0.1://p' "$WORK/$name.out")"
}
read -r OURS_CLAMD_PID OURS_CLAMD_PORT < <(start_ours ours-clamd --clamd 127.0.0.1:"$CLAMD_PORT")
read -r OURS_BUILTIN_PID OURS_BUILTIN_PORT < <(start_ours ours-builtin --builtin)
PIDS+=("$OURS_CLAMD_PID" "$OURS_BUILTIN_PID")
VARIANTS="postfix clamav-milter ours-clamd ours-builtin"
BEFORE_PID=""
if [[ -n "${BASELINE_JAR:-}" ]]; then
    read -r BEFORE_PID BEFORE_PORT < <(JAR="$BASELINE_JAR" start_ours before-clamd --clamd 127.0.0.1:"$CLAMD_PORT")
    PIDS+=("$BEFORE_PID")
    VARIANTS="postfix clamav-milter before-clamd ours-clamd ours-builtin"
fi
OTHER_PID=""
if [[ -n "${OTHER_JAVA:-}" ]]; then
    read -r OTHER_PID OTHER_PORT < <(JAVA="$OTHER_JAVA" start_ours other-java-clamd --clamd 127.0.0.1:"$CLAMD_PORT")
    PIDS+=("$OTHER_PID")
    VARIANTS="$VARIANTS other-java-clamd"
fi

# One private Postfix, one smtpd listener per variant.
PF="$WORK/postfix"; PF_ETC="$PF/etc"
mkdir -p "$PF_ETC" "$PF/spool" "$PF/data"
: >"$PF_ETC/main.cf"
cp /etc/postfix/master.cf "$PF_ETC/master.cf"
postconf -c "$PF_ETC" -e "queue_directory=$PF/spool" "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$WORK" myhostname=relay.example.test inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination= relay_domains=example.test mynetworks=127.0.0.0/8 alias_maps= alias_database= \
    "smtpd_relay_restrictions=permit_mynetworks reject_unauth_destination" \
    "transport_maps=inline:{example.test=smtp:[127.0.0.1]:$SINK_PORT}" "relayhost=[127.0.0.1]:$SINK_PORT" \
    smtp_dns_support_level=disabled compatibility_level=3.6 milter_default_action=tempfail message_size_limit=60000000
postconf -c "$PF_ETC" -M# smtp/inet
declare -A PORT
add_listener() { # name milter-spec-or-empty
    local port; port=$(free_port); PORT[$1]=$port
    local o=""; [[ -n "$2" ]] && o=" -o smtpd_milters=$2"
    postconf -c "$PF_ETC" -Me "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd$o"
}
add_listener postfix ""
add_listener clamav-milter "inet:127.0.0.1:$CM_PORT"
add_listener ours-clamd "inet:127.0.0.1:$OURS_CLAMD_PORT"
add_listener ours-builtin "inet:127.0.0.1:$OURS_BUILTIN_PORT"
[[ -n "$BEFORE_PID" ]] && add_listener before-clamd "inet:127.0.0.1:$BEFORE_PORT"
[[ -n "$OTHER_PID" ]] && add_listener other-java-clamd "inet:127.0.0.1:$OTHER_PORT"
postconf -c "$PF_ETC" -F '*/*/chroot = n'
chown postfix "$PF/data"
postfix -c "$PF_ETC" check
postfix -c "$PF_ETC" start >/dev/null || { echo "postfix start failed"; tail "$PF/maillog"; exit 1; }
for v in $VARIANTS; do wait_port "${PORT[$v]}"; done

# Sanity: EICAR is refused through every milter variant (swaks if present).
if command -v swaks >/dev/null; then
    printf 'Subject: eicar\r\n\r\nX5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n' >"$WORK/eicar.eml"
    for v in $VARIANTS; do
        [[ $v == postfix ]] && continue
        printf '%-14s EICAR: %s\n' "$v" "$(swaks -s 127.0.0.1 -p "${PORT[$v]}" -f a@example.net -t u@example.test \
            --data @"$WORK/eicar.eml" 2>&1 | grep -E '^<\*\* ' | tail -1)"
    done
fi

milter_pid() { case $1 in clamav-milter) echo "$CM_PID";; ours-clamd) echo "$OURS_CLAMD_PID";;
    ours-builtin) echo "$OURS_BUILTIN_PID";; before-clamd) echo "$BEFORE_PID";;
    other-java-clamd) echo "$OTHER_PID";; *) echo "";; esac; }

run_cell() { # variant size_kb conc
    local v=$1 kb=$2 conc=$3 hz; hz=$(getconf CLK_TCK)
    local port=${PORT[$v]} mpid; mpid=$(milter_pid "$v")
    local base m0 m1 c0 c1 b0 b1 j0=0 j1=0 start accept_end end
    base=$(sink_count); base=${base:-0}
    m0=$(cpu_ticks $mpid); c0=$(cpu_ticks $CLAMD_PID); b0=$(box_ticks); [[ -n "$mpid" ]] && j0=$(jit_ticks "$mpid")
    start=$(date +%s.%N)
    smtp-source -s "$conc" -m "$N" -l $((kb * 1024)) -f bench@example.net -t user@example.test \
        127.0.0.1:"$port" >/dev/null 2>&1
    accept_end=$(date +%s.%N)
    for _ in $(seq 12000); do [[ $(( $(sink_count) - base )) -ge $N ]] && break; sleep 0.05; done
    end=$(date +%s.%N)
    local got=$(( $(sink_count) - base ))
    m1=$(cpu_ticks $mpid); c1=$(cpu_ticks $CLAMD_PID); b1=$(box_ticks); [[ -n "$mpid" ]] && j1=$(jit_ticks "$mpid")
    /usr/bin/python3 - "$v" "$kb" "$conc" "$N" "$got" "$start" "$accept_end" "$end" "$m0" "$m1" "$c0" "$c1" "$hz" \
        "$b0" "$b1" "${mpid:-none}" "$j0" "$j1" <<'PY'
import sys
v, kb, conc, n, got, s, a, e, m0, m1, c0, c1, hz, b0, b1, mpid, j0, j1 = sys.argv[1:]
n, got, hz = int(n), int(got), int(hz)
s, a, e = float(s), float(a), float(e)
milter = "-" if mpid == "none" else f"{(int(m1) - int(m0)) * 1000.0 / hz / n:.2f}"
jit = "-" if mpid == "none" or v == "clamav-milter" else f"{(int(j1) - int(j0)) * 1000.0 / hz / n:.2f}"
clamd = f"{(int(c1) - int(c0)) * 1000.0 / hz / n:.2f}"
busy0, total0 = map(int, b0.split()); busy1, total1 = map(int, b1.split())
box = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
note = "" if got >= n else f" (only {got} of {n} delivered)"
print(f"| {v} | {kb} KB | {conc} | {n / (a - s):.0f} | {n / (e - s):.0f} | {milter} | {jit} | {clamd} | {box:.0f}%{note} |")
PY
}

# Warm-up: every path, so the JVMs have compiled their hot loops (thousands of messages; the C daemons need little).
for v in $VARIANTS; do
    w=${WARMUP_C:-300}; [[ $v == *-clamd || $v == ours-* ]] && w=${WARMUP:-24000}
    for kb in 1 4 100; do
        smtp-source -s 10 -m $((w / 3)) -l $((kb * 1024)) -f bench@example.net -t user@example.test \
            127.0.0.1:"${PORT[$v]}" >/dev/null 2>&1
    done
done
sleep 2

if [[ -n "${PROFILE_DIR:-}" ]]; then
    mkdir -p "$PROFILE_DIR"
    for v in ours-clamd ours-builtin; do
        pid=$(milter_pid "$v")
        jcmd "$pid" JFR.start name=bench settings=profile filename="$PROFILE_DIR/$v.jfr" >/dev/null
        m0=$(cpu_ticks "$pid")
        smtp-source -s 10 -m "${PROFILE_N:-3000}" -l 4096 -f bench@example.net -t user@example.test \
            127.0.0.1:"${PORT[$v]}" >/dev/null 2>&1
        m1=$(cpu_ticks "$pid")
        jcmd "$pid" JFR.stop name=bench >/dev/null
        echo "profiled $v: $(( (m1 - m0) * 1000 / $(getconf CLK_TCK) )) ms CPU for ${PROFILE_N:-3000} messages -> $PROFILE_DIR/$v.jfr"
    done
fi

echo "uptime before: $(uptime), $(nproc) CPUs"
echo "| variant | size | conc | accept msg/s | e2e msg/s | milter CPU ms/msg | of which JIT | clamd CPU ms/msg | machine CPU busy |"
echo "|---|---|---|---|---|---|---|---|---|"
for kb in $SIZES; do
    for c in $CONCS; do
        for v in $VARIANTS; do
            run_cell "$v" "$kb" "$c"
        done
    done
    echo "(uptime after the $kb KB rows: $(uptime))"
done
echo "uptime after: $(uptime)"
