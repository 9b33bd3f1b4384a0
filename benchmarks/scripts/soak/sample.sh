#!/usr/bin/env bash
# One sample line every INTERVAL seconds of a JVM's resources, until the JVM exits or the file STOP exists.
# Usage: sample.sh PID INTERVAL OUT [DATA_DIR] [METRICS_URL] [REDIS_PORT] [LOG_FILE] [JAVA_TMPDIR]
# Columns (tab-separated): epoch, rss_kb, live_kb (bytes of live objects: the Total of jcmd GC.class_histogram, which
#   runs a full GC first), timers (live ScheduledFutureTask objects: queued timers, cancelled ones
#   included), heap_used_kb (G1's used right after that GC), threads, fds, data_files (regular files
#   under DATA_DIR but outside quarantine/), quarantine_files, tmp_files (files under JAVA_TMPDIR, the JVM's
#   java.io.tmpdir), metrics_lines (non-comment lines of
#   the scrape), redis_dbsize, redis_no_ttl (keys without an expiry), log_lines.
PID=$1; INTERVAL=$2; OUT=$3; DATA=${4:-}; METRICS=${5:-}; RPORT=${6:-}; LOG=${7:-}; JTMP=${8:-}
printf 'epoch\trss_kb\tlive_kb\ttimers\theap_used_kb\tthreads\tfds\tdata_files\tquarantine_files\ttmp_files\tmetrics_lines\tredis_dbsize\tredis_no_ttl\tlog_lines\n' >"$OUT"
while kill -0 "$PID" 2>/dev/null && [[ ! -e "$OUT.stop" ]]; do
    histo=$(jcmd "$PID" GC.class_histogram 2>/dev/null)
    live=$(awk '$1=="Total"{print int($3/1024)}' <<<"$histo")
    timers=$(awk '/ScheduledThreadPoolExecutor\$ScheduledFutureTask/{n=$2} END{print n+0}' <<<"$histo")
    heap=$(jcmd "$PID" GC.heap_info 2>/dev/null | sed -n 's/.*total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1)
    rss=$(awk '/VmRSS/{print $2}' /proc/"$PID"/status 2>/dev/null)
    thr=$(awk '/Threads/{print $2}' /proc/"$PID"/status 2>/dev/null)
    fds=$(ls /proc/"$PID"/fd 2>/dev/null | wc -l)
    files=-; quar=-
    if [[ -n $DATA ]]; then
        files=$(find "$DATA" -path "$DATA/quarantine" -prune -o -type f -print 2>/dev/null | wc -l)
        quar=$(find "$DATA/quarantine" -type f 2>/dev/null | wc -l)
    fi
    tmpf=-; [[ -n $JTMP ]] && tmpf=$(find "$JTMP" -type f 2>/dev/null | wc -l)
    mlines=-; [[ -n $METRICS ]] && mlines=$(curl -s -m 10 "$METRICS" | grep -vc '^#')
    dbs=-; nottl=-
    if [[ -n $RPORT ]]; then
        dbs=$(redis-cli -p "$RPORT" dbsize 2>/dev/null) || dbs=-
        nottl=$(redis-cli -p "$RPORT" eval "local n=0 for _,k in ipairs(redis.call('keys','*')) do if redis.call('ttl',k)==-1 then n=n+1 end end return n" 0 2>/dev/null) || nottl=-
    fi
    logl=-; [[ -n $LOG ]] && logl=$(wc -l <"$LOG")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%s)" "$rss" "$live" "$timers" "$heap" "$thr" "$fds" "$files" "$quar" "$tmpf" \
        "$mlines" "$dbs" "$nottl" "$logl" >>"$OUT"
    sleep "$INTERVAL"
done
