#!/usr/bin/env bash
# Soak test of `hygiene milter` behind a private Postfix (set up as hygiene-testkit's PrivatePostfix does): private
# clamd and spamd, smtp-sink as Postfix's next hop, driver.py load on Postfix for MINUTES, clamd restarted at 1/3 and
# spamd at 2/3 of the run, a SIGHUP to the milter every RELOAD_S seconds (it must log and ignore it); sample.sh every
# 30 s on the milter's JVM. Leaves WORK (printed) with samples.tsv, the milter's log, Postfix's maillog.
#
# Usage: benchmarks/scripts/soak/soak-milter.sh [MINUTES] [BASE_PORT]      defaults: 20 44100
#   Ports used: BASE+25 sink, +310 clamd, +783 spamd, +125 Postfix smtpd, +891 milter, +580 milter admin.
# Environment: THREADS (default 4), IPS (default 5000), JAVA, XMX (default 256m), SKIP_BUILD=1.
# Needs root (Postfix's master), postfix, clamd, spamd, smtp-sink, openssl, python3, curl, jcmd.
set -euo pipefail
MIN=${1:-20}; BASE=${2:-44100}
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"; ROOT="$(cd "$HERE/../../.." && pwd)"
JAR="$ROOT/hygiene-examples/target/hygiene.jar"
[[ -n "${SKIP_BUILD:-}" ]] || (cd "$ROOT" && mvn -B -o -q -pl hygiene-examples -am package -DskipTests \
    -Dspotless.check.skip=true -Dmaven.javadoc.skip=true -Djapicmp.skip=true >/dev/null)
SINK=$((BASE+25)); CLP=$((BASE+310)); SAP=$((BASE+783)); PFP=$((BASE+125)); MP=$((BASE+891)); AP=$((BASE+580))
WORK=${WORK:-$(mktemp -d /var/tmp/soak-milter.XXXXXX)}; mkdir -p "$WORK"; chmod 755 "$WORK"; echo "WORK $WORK"
PF="$WORK/pf"
PIDS=(); CLAMD_PID=""
cleanup() {
    touch "$WORK/samples.tsv.stop"
    postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
    for p in "${PIDS[@]}" $CLAMD_PID; do kill "$p" 2>/dev/null || true; done
    [[ -f $WORK/spamd/spamd.pid ]] && kill "$(cat "$WORK/spamd/spamd.pid")" 2>/dev/null || true
    sleep 2
}
trap cleanup EXIT
log() { echo "$(date +%H:%M:%S) $*" | tee -a "$WORK/events"; }

smtp-sink -u postfix -c 127.0.0.1:$SINK 200 >"$WORK/sink.out" 2>&1 & PIDS+=($!)
mkdir -p "$WORK/clamd/db" "$WORK/clamd/tmp"
echo "44d88612fea8a8f36de82e1278abb02f:68:Test.EICAR.HDB" >"$WORK/clamd/db/soak.hdb"
printf '%s\n' "DatabaseDirectory $WORK/clamd/db" "TemporaryDirectory $WORK/clamd/tmp" "TCPSocket $CLP" \
    "TCPAddr 127.0.0.1" "Foreground yes" "LogFile $WORK/clamd/clamd.log" "MaxThreads 8" "SelfCheck 0" \
    "AlertExceedsMax yes" >"$WORK/clamd/clamd.conf"
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
mkdir -p "$WORK/jtmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=soak.test -keyout "$WORK/key.pem" \
    -out "$WORK/cert.pem" 2>/dev/null
for _ in $(seq 300); do
    python3 -c "import socket;socket.create_connection(('127.0.0.1',$SAP),1)" 2>/dev/null && break; sleep 1
done
cat >"$WORK/milter.conf" <<CONF
name = soak-milter
scanner = clamd:127.0.0.1:$CLP
scanner = spamd:127.0.0.1:$SAP
spamd.on-failure.too-large = accept
spamd.on-failure.unavailable = accept
scanner = attachments
scanner = bayes:default
CONF
"${JAVA:-java}" -Xmx${XMX:-256m} -XX:+UseG1GC -Djava.io.tmpdir="$WORK/jtmp" -jar "$JAR" milter \
    --config "$WORK/milter.conf" --listen 127.0.0.1:$MP --admin 127.0.0.1:$AP --data "$WORK/data" \
    >"$WORK/milter.out" 2>"$WORK/milter.log" & MILTER=$!; PIDS+=($MILTER)
for _ in $(seq 300); do grep -q "milter inet:" "$WORK/milter.out" 2>/dev/null && break; sleep 0.5; done
grep -q "milter inet:" "$WORK/milter.out" || { echo "milter did not start"; cat "$WORK/milter.log"; exit 1; }

mkdir -p "$PF/etc" "$PF/spool" "$PF/data"; : >"$PF/etc/main.cf"; cp /etc/postfix/master.cf "$PF/etc/"
postconf -c "$PF/etc" -e queue_directory="$PF/spool" data_directory="$PF/data" maillog_file="$PF/maillog" \
    maillog_file_prefixes="$WORK" myhostname=mta.example.test inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination= relay_domains=example.test mynetworks=127.0.0.0/8 alias_maps= alias_database= \
    "smtpd_relay_restrictions=permit_mynetworks reject_unauth_destination" \
    "transport_maps=inline:{example.test=smtp:[127.0.0.1]:$SINK}" relayhost="[127.0.0.1]:$SINK" \
    smtp_dns_support_level=disabled compatibility_level=3.6 message_size_limit=600000 \
    milter_default_action=tempfail milter_protocol=6 smtpd_milters=inet:127.0.0.1:$MP \
    smtpd_tls_cert_file="$WORK/cert.pem" smtpd_tls_key_file="$WORK/key.pem" smtpd_tls_security_level=may
postconf -c "$PF/etc" -M# smtp/inet
postconf -c "$PF/etc" -Me "127.0.0.1:$PFP/inet=127.0.0.1:$PFP inet n - n - - smtpd"
postconf -c "$PF/etc" -F '*/*/chroot = n'
chown postfix "$PF/data"
postfix -c "$PF/etc" start
sleep 3
log "milter pid $MILTER, postfix on $PFP"
"$HERE/sample.sh" "$MILTER" 30 "$WORK/samples.tsv" "$WORK/data" "http://127.0.0.1:$AP/metrics" "" \
    "$WORK/milter.log" "$WORK/jtmp" & PIDS+=($!)
python3 "$HERE/driver.py" 127.0.0.1:$PFP $((MIN*60)) --threads "${THREADS:-4}" --ips "${IPS:-5000}" \
    >"$WORK/driver.out" 2>&1 & DRIVER=$!; PIDS+=($DRIVER)
T0=$(date +%s); TOTAL=$((MIN*60)); done_cl=""; done_sa=""; next_hup=$((T0+${RELOAD_S:-240}))
while kill -0 "$DRIVER" 2>/dev/null; do
    sleep 5; now=$(date +%s); el=$((now-T0))
    if (( now >= next_hup )); then kill -HUP "$MILTER"; log "SIGHUP"; next_hup=$((now+${RELOAD_S:-240})); fi
    if [[ -z $done_cl ]] && (( el >= TOTAL/3 )); then
        kill "$CLAMD_PID"; wait "$CLAMD_PID" 2>/dev/null || true; sleep 10; start_clamd; log "clamd restarted"; done_cl=1; fi
    if [[ -z $done_sa ]] && (( el >= 2*TOTAL/3 )); then
        kill "$(cat "$WORK/spamd/spamd.pid")"; sleep 10; start_spamd; log "spamd restarted"; done_sa=1; fi
done
log "load ended; idle 90 s for the last samples"
sleep 90
touch "$WORK/samples.tsv.stop"
curl -s "http://127.0.0.1:$AP/metrics" >"$WORK/metrics.end"
python3 "$HERE/summarise.py" "$WORK/samples.tsv" | tee "$WORK/summary.txt"
tail -1 "$WORK/driver.out"
echo "most repeated log lines (time, thread, ids, addresses and numbers masked; one line per message is expected):"
cut -d' ' -f3- "$WORK/milter.log" | sed -E 's/id=[^ ]+/id=X/g; s/<[^>]*>/<X>/g; s/[0-9]+/N/g' | cut -c1-200 | sort | uniq -c \
    | sort -rn | head -15
echo "WARN and ERROR lines by kind:"
grep -E ' (WARN|ERROR) ' "$WORK/milter.log" | cut -d' ' -f3- | sed -E 's/[0-9]+/N/g' | cut -c1-200 | sort | uniq -c \
    | sort -rn | head -15
