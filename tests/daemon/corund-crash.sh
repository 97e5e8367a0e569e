#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-crash.sh - kill -9 corund mid-run, restart it on the same state
# directory: every acknowledged job finishes and is recorded once.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

start_daemon --workers 2 --window 64

# 300 jobs of 20 ms each: about 3 s of work on 2 workers.  Each appends
# its id to a file, so runs can be counted (at-least-once: a job killed
# mid-run may run twice; its result is still recorded once).
python3 - "$T" >"$T/jobs" <<'PY'
import json, sys
t = sys.argv[1]
for i in range(300):
    print(json.dumps({"cmd": ["sh", "-c", "sleep 0.02; echo %d >> %s/ran" % (i, t)]}))
PY
cr submit --jobs-file "$T/jobs" >"$T/ids"
eq "300 acknowledged" 300 "$(wc -l <"$T/ids" | tr -d ' ')"
sleep 1
before=$(count done)
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
[ "$before" -gt 0 ] && [ "$before" -lt 300 ] && ok "killed mid-run ($before done)" ||
    fail "not mid-run: $before done"
# Its workers notice their supervisor is gone and exit by themselves.
start_daemon --workers 2
contains "recovery logged" "re-queued" "$(cat "$T/log")"
timeout 120 "$CORUN" wait --all --timeout 100
eq "every job finishes after the restart" 0 $?
eq "300 done" 300 "$(count done)"
eq "none failed" 0 "$(count failed)"
# Every acknowledged id is done, once (one row each, state done).
n=0
for id in $(cat "$T/ids"); do
	s=$(cr status "$id" --json | sed -n 's/.*"state": "\(.*\)".*/\1/p')
	[ "$s" = done ] && n=$((n + 1))
done
eq "each acknowledged id is done" 300 "$n"
ran=$(sort -u "$T/ran" | wc -l | tr -d ' ')
eq "every job ran" 300 "$ran"
if command -v sqlite3 >/dev/null 2>&1; then
	stop_daemon
	eq "one row per job" 300 \
	    "$(sqlite3 "$T/state/jobs.db" 'SELECT count(*) FROM jobs')"
	eq "every row recorded with an end time" 300 \
	    "$(sqlite3 "$T/state/jobs.db" 'SELECT count(*) FROM jobs WHERE state = 2 AND end_ns IS NOT NULL')"
fi
stop_daemon
finish
