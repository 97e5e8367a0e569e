#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-metrics.sh - a real corund with --http on a free loopback port:
# jobs done, failed and cancelled, a paused group, a bad request; then
# /metrics, parsed by prometheus_client's text parser, must count exactly
# that.  Also: the listener's errors (not loopback without a token, a
# port in use, a bad address) and that junk on the port harms nothing.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
. "${srcdir:-.}/tests/web/web-lib.sh"
[ -n "$PROM_PY" ] || { echo "skip: no python3-prometheus-client"; exit 77; }

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_daemon --workers 2 --http 127.0.0.1:$PORT

# 5 done, 2 failed, 1 cancelled (queued in a paused group), 1 in a
# paused group left queued.
for i in 1 2 3 4 5; do cr submit true >/dev/null; done
cr submit sh -c 'exit 3' >/dev/null
cr submit sh -c 'kill -9 $$' >/dev/null
cr pause g1
c=$(cr submit --group g1 true)
cr submit --group g1 true >/dev/null
cr cancel "$c"
ctl '{"op": "frob"}' >/dev/null
cr wait 1 2 3 4 5 >/dev/null 2>&1
cr wait 6 7 "$c" >/dev/null 2>&1

"$PROM_PY" "$srcdir/tests/web/metrics.py" "$URL/metrics" \
    'corund_jobs{state="done"}=5' 'corund_jobs{state="failed"}=2' \
    'corund_jobs{state="cancelled"}=1' 'corund_jobs{state="queued"}=1' \
    'corund_jobs{state="running"}=0' \
    'corund_jobs_by_group{group="g1",state="queued"}=1' \
    'corund_jobs_by_group{group="g1",state="cancelled"}=1' \
    'corund_jobs_by_group{group="",state="done"}=5' \
    'corund_jobs_submitted_total=9' \
    'corund_jobs_ended_total{state="done"}=5' \
    'corund_jobs_ended_total{state="failed"}=2' \
    'corund_jobs_ended_total{state="cancelled"}=1' \
    'corund_job_runtime_seconds_count=7' \
    'corund_job_runtime_seconds_bucket{le="+Inf"}=7' \
    'corund_job_queue_wait_seconds_count=7' \
    'corund_control_requests_total{op="submit",result="ok"}=9' \
    'corund_control_requests_total{op="cancel",result="ok"}=1' \
    'corund_control_requests_total{op="pause",result="ok"}=1' \
    'corund_control_requests_total{op="invalid",result="unknown_op"}=1' \
    'corund_workers{kind="alive"}=2' 'corund_workers{kind="target"}=2' \
    'corund_workers_lost_total=0' 'corund_jobs_in_pool=0' \
    'corund_store_bytes=>0' 'corund_uptime_seconds=>0'
eq "/metrics counts what ran" 0 $?

# One in-flight gauge per worker pid, as status lists them.
pids=$(cr status --json | tr -d ' \n' | sed 's/.*"pids":\[\([0-9,]*\)\].*/\1/' |
    tr ',' '\n' | sort | tr '\n' ' ')
mp=$(http_get "$URL/metrics" | sed -n 's/^corund_worker_inflight{pid="\([0-9]*\)"} 0$/\1/p' |
    sort | tr '\n' ' ')
eq "corund_worker_inflight per worker" "$pids" "$mp"

# A running job is counted as running and in flight on one worker.
s=$(cr submit sleep 30)
i=0
while [ $i -lt 100 ] && [ "$(count running)" != 1 ]; do sleep 0.1; i=$((i + 1)); done
"$PROM_PY" "$srcdir/tests/web/metrics.py" "$URL/metrics" \
    'corund_jobs{state="running"}=1' 'corund_jobs_in_pool=1' >/dev/null
eq "a running job is in the metrics" 0 $?
eq "one worker holds it" 1 "$(http_get "$URL/metrics" |
    grep -c '^corund_worker_inflight{pid="[0-9]*"} 1$')"
cr cancel "$s" >/dev/null
cr wait "$s" >/dev/null 2>&1

# Junk and errors on the port: answered, and corund goes on serving.
printf 'BLAH\r\n\r\n' | timeout 5 python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.stdin.buffer.read()); s.recv(100)' "$PORT" 2>/dev/null
contains "unknown path: 404 with the routes" "not found" \
    "$(http_get "$URL/nothing")"
contains "job detail" '"state":"done"' "$(http_get "$URL/api/job?id=1")"
contains "bad job id" "expected /api/job?id=N" "$(http_get "$URL/api/job?id=x")"
contains "control is refused without a token" "403" \
    "$(http_post "$URL/api/control?action=pause")"
eq "still 5 done after junk" 5 "$(count done)"
contains "the page is served" "<title>corun dashboard</title>" \
    "$(http_get "$URL/")"
stop_daemon
no_sanitizer_report "$T/log"

# The listener's errors, said at start.
"$CORUND" --foreground --state-dir "$T/s2" --socket "ipc://$T/s2.sock" \
    --http 0.0.0.0:$PORT >/dev/null 2>"$T/err"
eq "non-loopback without a token: refused" 1 $?
contains "... saying why" "not a loopback address" "$(cat "$T/err")"
"$CORUND" --foreground --state-dir "$T/s3" --socket "ipc://$T/s3.sock" \
    --http nonsense >/dev/null 2>"$T/err"
eq "bad --http value: refused (255, a bad option value)" 255 $?
contains "... naming the key" "http" "$(cat "$T/err")"
python3 -c 'import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(30)' "$PORT" "$T/held" & HOLD=$!
i=0
while [ ! -e "$T/held" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
timeout 20 "$CORUND" --foreground --state-dir "$T/s4" \
    --socket "ipc://$T/s4.sock" --http 127.0.0.1:$PORT >/dev/null 2>"$T/err"
eq "port in use: refused" 1 $?
contains "... saying so" "cannot listen on 127.0.0.1:$PORT" "$(cat "$T/err")"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
finish
