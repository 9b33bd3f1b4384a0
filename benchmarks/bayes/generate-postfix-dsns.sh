#!/bin/bash
# Generates real delivery status notifications with a private Postfix on loopback (its own config directory and
# queue, never the system's) into OUT (default: a new temporary directory) and prints OUT. Each original is sent to a
# recipient that fails in one way; Postfix's bounce/defer/trace notices to the sender are caught by an smtp-sink that
# writes one file per message. Originals: the first N (default 40) files of SPAM_DIR and HAM_DIR (e.g. the SpamAssassin
# corpus from fetch-spamassassin-corpus.sh), so that the notices quote real spam and ham.
# Needs: postfix, postconf, smtp-sink, swaks, python3; run as root (Postfix needs it). Nothing goes into the repository.
#   generate-postfix-dsns.sh SPAM_DIR HAM_DIR [OUT] [N]
set -euo pipefail
SPAM=$1; HAM=$2; OUT=${3:-$(mktemp -d /tmp/postfix-dsns.XXXXXX)}; N=${4:-40}
mkdir -p "$OUT"
WORK=$(mktemp -d /var/tmp/pf-dsn.XXXXXX); chmod 755 "$WORK"
PF="$WORK/postfix"; PF_ETC="$PF/etc"; PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    postfix -c "$PF_ETC" stop >/dev/null 2>&1 || true
    sleep 1; rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HARD=$(free_port); SOFT=$(free_port); CATCH=$(free_port); CLOSED=$(free_port); PORT=$(free_port)
mkdir -p "$WORK/catch"; chown postfix "$WORK/catch"
smtp-sink -u postfix -f RCPT 127.0.0.1:$HARD 100 >/dev/null 2>&1 & PIDS+=($!)    # 5xx on RCPT TO
smtp-sink -u postfix -f DATA 127.0.0.1:$SOFT 100 >/dev/null 2>&1 & PIDS+=($!)    # 5xx after DATA
smtp-sink -u postfix -d "$WORK/catch/%H%M%S" 127.0.0.1:$CATCH 100 >/dev/null 2>&1 & PIDS+=($!)
mkdir -p "$PF_ETC" "$PF/spool" "$PF/data"
: >"$PF_ETC/main.cf"; cp /etc/postfix/master.cf "$PF_ETC/master.cf"
postconf -c "$PF_ETC" -e "queue_directory=$PF/spool" "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$WORK" myhostname=mx.relay.test mydomain=relay.test inet_interfaces=127.0.0.1 \
    inet_protocols=ipv4 mydestination=local.test local_recipient_maps= alias_maps= alias_database= \
    relay_domains=hard.test,data.test,closed.test mynetworks=127.0.0.0/8 \
    "transport_maps=inline:{hard.test=smtp:[127.0.0.1]:$HARD, data.test=smtp:[127.0.0.1]:$SOFT, closed.test=smtp:[127.0.0.1]:$CLOSED, sender.test=smtp:[127.0.0.1]:$CATCH}" \
    smtp_dns_support_level=disabled compatibility_level=3.6 maximal_queue_lifetime=0 bounce_queue_lifetime=0 \
    queue_run_delay=1s minimal_backoff_time=1s maximal_backoff_time=2s notify_classes= \
    "default_privs=nobody" local_transport=local
postconf -c "$PF_ETC" -M# smtp/inet
postconf -c "$PF_ETC" -Me "127.0.0.1:$PORT/inet = 127.0.0.1:$PORT inet n - n - - smtpd"
postconf -c "$PF_ETC" -F '*/*/chroot = n'
chown postfix "$PF/data"
postfix -c "$PF_ETC" check
postfix -c "$PF_ETC" start >/dev/null
sleep 2
i=0
send() { # file recipient [swaks options]
    local f=$1 rcpt=$2; shift 2
    i=$((i + 1))
    # the original keeps its own header; the envelope sender is ours so that the notice comes back to the sink
    swaks -s 127.0.0.1 -p "$PORT" -f "sender$i@sender.test" -t "$rcpt" --data "$f" "$@" >/dev/null 2>&1 || true
}
k=0
for f in $(ls "$SPAM" | head -n "$N") ; do
    k=$((k + 1))
    case $((k % 5)) in
        0) send "$SPAM/$f" "nobody$k@hard.test" ;;
        1) send "$SPAM/$f" "nobody$k@data.test" ;;
        2) send "$SPAM/$f" "nobody$k@closed.test" ;;
        3) send "$SPAM/$f" "nobody$k@hard.test" --dsn-ret hdrs --dsn-rcpt failure ;;
        4) send "$SPAM/$f" "user$k@local.test" --dsn-rcpt success ;;  # local delivery fails (no such user, no mailbox)
    esac
done
k=0
for f in $(ls "$HAM" | head -n "$N") ; do
    k=$((k + 1))
    case $((k % 4)) in
        0) send "$HAM/$f" "nobody$k@hard.test" --dsn-ret hdrs ;;
        1) send "$HAM/$f" "nobody$k@data.test" ;;
        2) send "$HAM/$f" "nobody$k@closed.test" --dsn-rcpt failure,delay ;;
        3) send "$HAM/$f" "nobody$k@hard.test" ;;
    esac
done
for _ in $(seq 60); do
    sleep 2
    [ -z "$(postqueue -c "$PF_ETC" -j 2>/dev/null | head -1)" ] && break
done
sleep 2
n=0
for f in "$WORK"/catch/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    # the sink's dump starts with its envelope lines (X-Mail-Args, X-Rcpt-Args, ...): drop them
    python3 - "$f" "$OUT/postfix-$n.eml" <<'PY'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
i = 0
while i < len(lines) and lines[i].startswith((b'X-Mail-Args:', b'X-Rcpt-Args:', b'X-Client-', b'X-Helo-')):
    i += 1
open(sys.argv[2], 'wb').write(b'\n'.join(lines[i:]))
PY
done
echo "$OUT"
