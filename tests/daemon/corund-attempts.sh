#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-attempts.sh - an attempt is counted when a job starts on a
# worker, not when corund takes it into the pool's window.  One worker,
# 8 acknowledged jobs of 1 s each, corund killed with SIGKILL three times
# 0.5 s after it came up: only the jobs that started used attempts; none
# fails "lost", every one runs and succeeds, and each job's attempts are
# the times it started.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

N=8
# Before the fix every job in the window used an attempt at each kill:
# with 3 kills and --max-attempts 3 all 8 failed "lost".  Now only the
# job that started at each kill did, so 4 leaves room for it to finish.
echo "max-attempts = 4" >"$T/conf"
start_daemon --workers 1 --config "$T/conf"
python3 - "$T" "$N" >"$T/jobs" <<'PY'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    print(json.dumps({"cmd": ["sh", "-c",
        "echo %d >> %s/started; sleep 1" % (i, t)]}))
PY
cr submit --jobs-file "$T/jobs" >"$T/ids"
eq "$N acknowledged" "$N" "$(wc -l <"$T/ids" | tr -d ' ')"
kills=0
while [ $kills -lt 3 ]; do
	sleep 0.5
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	kills=$((kills + 1))
	start_daemon --workers 1 --config "$T/conf"
done
timeout 60 "$CORUN" wait --all --timeout 50
eq "every job finishes after $kills kills" 0 $?
eq "$N done" "$N" "$(count done)"
eq "none failed" 0 "$(count failed)"
case $(cat "$T/log") in
*"lost: corund stopped"*) fail "a job failed as lost" ;;
*) ok "no job failed as lost" ;;
esac
# attempts == the times the job started (its line in $T/started).
i=0
bad=0
total=0
for id in $(cat "$T/ids"); do
	a=$(cr status "$id" --json | sed -n 's/.*"attempts": \([0-9]*\).*/\1/p')
	s=$(grep -cx "$i" "$T/started")
	total=$((total + s))
	if [ "$a" != "$s" ]; then
		fail "job $id: $a attempt(s) recorded, started $s time(s)"
		bad=$((bad + 1))
	fi
	i=$((i + 1))
done
eq "attempts counted only for starts" 0 "$bad"
# One worker, killed 3 times 0.5 s after each start: at most one start
# per kill before the final run, so at most N + 3 starts.
[ "$total" -le $((N + kills)) ] && ok "$total starts for $N jobs and $kills kills" ||
    fail "$total starts for $N jobs and $kills kills"
stop_daemon
finish
