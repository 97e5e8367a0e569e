#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-log.sh - corund's log: every line, from corund, from the pool
# inside it and from its workers, is "TIME PROGRAM[PID] LEVEL: message";
# each job event has its line with the job's id (accepted, started,
# done, failed, re-queued after its worker was killed, started again),
# written before the reply that follows it;
# --log-level warn drops the info lines and keeps the warnings; corun
# run's workers log in the same format.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

LINE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} (corund|corun-worker|corun)\[[0-9]+\] (error|warn|info|debug): '

start_daemon --workers 1
ok=$(cr submit --wait sh -c 'echo fine')
eq "a job that succeeds" fine "$ok"
# corund writes a step's lines at once, before that step's answers: the
# reply to a wait comes after the job's lines, in their order.
eq "the job's lines are written before its reply, in order" \
    "job 1 accepted|job 1 started (attempt 1)|job 1 done (exit 0, 1 attempt(s))" \
    "$(grep -o 'job 1 .*' "$T/log" | paste -sd '|' -)"
cr submit --wait sh -c 'exit 3' >/dev/null 2>&1
eq "a job that fails: its exit status" 3 $?
# A job whose worker is killed while it runs: re-queued, started again.
id=$(cr submit sh -c 'sleep 1; echo again')
i=0
until grep -q "job $id started" "$T/log" || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
w=$(pgrep -P "$DPID" -f corun-worker | head -1)
if [ -n "$w" ]; then kill -9 "$w"; else fail "no worker under corund"; fi
cr wait --timeout 30 "$id" >/dev/null
eq "the killed job ends done" 0 $?
stop_daemon

bad=$(grep -Ev "$LINE" "$T/log")
eq "every line in the one format" "" "$bad"
for e in "job 1 accepted" "job 1 started (attempt 1)" "job 1 done" \
    "job 2 accepted" "job 2 started" "job 2 failed: " "(exit 3" \
    "job $id accepted" "job $id re-queued: attempt 1 was lost" \
    "job $id started (attempt 2)" "job $id done (exit 0, 2 attempt(s))"; do
	grep -qF "$e" "$T/log" || fail "no [$e] in the log"
done
grep -Eq "corund\[$DPID\]|corund\[[0-9]+\] warn: worker [0-9]+: worker lost: signal 9" \
    "$T/log" || fail "the lost worker is not logged as a warning"
ok "job events logged"

# --log-level warn: the warning stays, the info lines go.
: >"$T/log"
start_daemon --workers 1 --log-level warn
id=$(cr submit sh -c 'sleep 1')
sleep 0.5
w=$(pgrep -P "$DPID" -f corun-worker | head -1)
[ -n "$w" ] && kill -9 "$w"
cr wait --timeout 30 "$id" >/dev/null
stop_daemon
grep -q " info: " "$T/log" && fail "--log-level warn: info lines: $(grep ' info: ' "$T/log" | head -2)"
grep -q " warn: .*worker lost" "$T/log" || fail "--log-level warn: no warning"
ok "--log-level warn"
"$CORUND" --log-level loud --foreground 2>"$T/err"
eq "--log-level loud: refused (255)" 255 $?
contains "--log-level loud: says what" "log-level" "$(cat "$T/err")"

# corun run's workers and pool: the same format.
timeout 30 "$CORUN" run --load "$T/none.so" true ::: 1 2>"$T/run-err"
grep -q "corun-worker\[[0-9]*\] warn: " "$T/run-err" ||
    fail "corun run's worker line: $(head -2 "$T/run-err")"
bad=$(grep -Ev "$LINE" "$T/run-err")
eq "corun run's log lines in the one format" "" "$bad"
finish
