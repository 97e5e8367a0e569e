#!/bin/sh
# SPDX-License-Identifier: MIT
# run-http.sh - corun run --http: while a real run goes (one job held
# until the test lets it go), /metrics parsed by prometheus_client counts
# what ended, /api/state and corun top --once show the run, the page is
# served; when the run ends the listener is gone; a bad or busy address
# stops the run before any job with a clear error.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
. "${srcdir:-.}/tests/web/web-lib.sh"
[ -n "$PROM_PY" ] || { echo "skip: no python3-prometheus-client"; exit 77; }

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# 4 done, 1 failed (exit 3), then one that waits for $T/go.
timeout 60 "$CORUN" run --http 127.0.0.1:$PORT -j2 -q sh -c \
    'case {} in w) while [ ! -e '"$T"'/go ]; do sleep 0.05; done ;;
     3) exit 3 ;; esac' ::: 0 0 3 0 0 w >"$T/out" 2>"$T/err" &
RPID=$!
i=0
while [ $i -lt 150 ]; do
	http_get "$URL/metrics" 2>/dev/null |
	    grep -q '^corun_run_jobs_ended_total{state="done"} 4$' && break
	sleep 0.1
	i=$((i + 1))
done
"$PROM_PY" "$srcdir/tests/web/metrics.py" "$URL/metrics" \
    'corun_run_jobs_submitted_total=6' 'corun_run_jobs{state="running"}=1' \
    'corun_run_jobs_ended_total{state="done"}=4' \
    'corun_run_jobs_ended_total{state="failed"}=1' \
    'corun_run_jobs_ended_total{state="cancelled"}=0' \
    'corun_run_job_runtime_seconds_count=5' \
    'corun_run_job_queue_wait_seconds_count=5' \
    'corun_run_workers_lost_total=0'
eq "run /metrics counts what ended" 0 $?
st=$(http_get "$URL/api/state")
contains "state names the run" '"source":"corun run"' "$st"
contains "state lists the failure" '"message":"exit 3"' "$st"
contains "top --once reads the run" "done 4  failed 1" \
    "$(timeout 20 "$CORUN" top --once 127.0.0.1:$PORT)"
contains "the page is served" "<title>corun dashboard</title>" \
    "$(http_get "$URL/")"
contains "read-only: no control" "403" \
    "$(http_post "$URL/api/control?action=pause")"
touch "$T/go"
wait "$RPID"
eq "the run exits 1 (one failed job)" 1 $?
eq "its output is untouched by --http" "" "$(cat "$T/out")"
http_get "$URL/metrics" >/dev/null 2>&1
eq "the listener is gone with the run" 1 $?

# A held job: /metrics while it runs shows it in flight on a worker.
timeout 60 "$CORUN" run --http 127.0.0.1:$PORT -q sh -c \
    'while [ ! -e '"$T"'/go2 ]; do sleep 0.05; done' ::: 1 >/dev/null 2>&1 &
RPID=$!
i=0
while [ $i -lt 150 ] && ! http_get "$URL/metrics" 2>/dev/null |
    grep -q '^corun_run_jobs{state="running"} 1$'; do
	sleep 0.1
	i=$((i + 1))
done
eq "a running job is in flight on one worker" 1 "$(http_get "$URL/metrics" |
    grep -c '^corun_run_worker_inflight{pid="[0-9]*"} 1$')"
touch "$T/go2"
wait "$RPID"
eq "that run ends well" 0 $?

"$CORUN" run --http 0.0.0.0:$PORT true ::: 1 >"$T/out" 2>"$T/err"
eq "non-loopback: the run does not start" 255 $?
contains "... saying why" "not a loopback address" "$(cat "$T/err")"
"$CORUN" run --http nonsense true ::: 1 >"$T/out" 2>"$T/err"
eq "bad address: refused" 255 $?
contains "... saying what is expected" "expected HOST:PORT" "$(cat "$T/err")"
eq "no job ran" "" "$(cat "$T/out")"
finish
