#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-basic.sh - a real corund: submit, status, wait, result, cancel,
# pause/resume, keys, a 10 000-job batch, nngcat, the state lock, TERM.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

id=$(cr submit echo hello)
eq "submit prints an id" 1 "$id"
cr wait "$id"
eq "wait on a done job" 0 $?
eq "result stdout" hello "$(cr result "$id")"
id2=$(cr submit sh -c 'echo oops >&2; exit 3')
cr wait "$id2" 2>/dev/null
eq "wait on a failed job exits 1" 1 $?
cr result "$id2" >/dev/null 2>"$T/err"
eq "result exits with the job's code" 3 $?
contains "result prints stderr" oops "$(cat "$T/err")"
contains "result --json" '"exit_code": 3' "$(cr result "$id2" --json)"
contains "logs" "==> job $id stdout <==" "$(cr logs "$id")"

# submit --wait: one request from submit to result, which it prints.
eq "submit --wait prints the output" waited "$(cr submit --wait echo waited)"
cr submit --wait sh -c 'echo bad >&2; exit 4' >/dev/null 2>"$T/err"
eq "submit --wait exits with the job's code" 4 $?
contains "submit --wait prints stderr" bad "$(cat "$T/err")"
contains "submit --wait --json" '"state": "done"' \
    "$(cr submit --wait --json true)"
cr submit --json true >/dev/null 2>&1
eq "--json without --wait is a usage error" 255 $?

# Idempotency key: the same job twice is one job.
k1=$(cr submit --key once true)
k2=$(cr submit --key once true)
eq "idempotency key" "$k1" "$k2"

# Paused: jobs wait; cancel a queued one; resume runs the rest.
cr pause
q1=$(cr submit true)
q2=$(cr submit true)
eq "paused: jobs stay queued" 2 "$(count queued)"
cr cancel "$q1"
cr wait "$q1" 2>/dev/null
contains "cancelled queued job" '"state": "cancelled"' "$(cr status "$q1" --json)"
cr resume
cr wait "$q2"
eq "resume runs the queue" 0 $?
cr cancel 999999 2>/dev/null
eq "cancel of an unknown id fails" 1 $?

# Dependencies: b runs after a.
a=$(cr submit sh -c 'sleep 0.3; echo a >>'"$T"'/order')
b=$(cr submit --after "$a" sh -c 'echo b >>'"$T"'/order')
cr wait "$b"
eq "after= orders jobs" "a b" "$(tr '\n' ' ' <"$T/order" | sed 's/ $//')"

# wait --timeout on a long job.
s=$(cr submit sleep 5)
cr wait "$s" --timeout 0.3 2>/dev/null
eq "wait --timeout exits 124" 124 $?
cr cancel "$s"
cr wait "$s" 2>/dev/null

# 10 000 jobs in batches from a jobs file; every result collected.
i=0
: >"$T/jobs"
while [ $i -lt 10000 ]; do
	echo '{"kind":"noop"}'
	i=$((i + 1))
done >"$T/jobs"
cr submit --jobs-file "$T/jobs" >"$T/ids"
eq "10000 ids printed" 10000 "$(wc -l <"$T/ids" | tr -d ' ')"
timeout 120 "$CORUN" wait --all --timeout 100 2>/dev/null
eq "wait --all after 10000 (some earlier jobs failed)" 1 $?
first=$(head -1 "$T/ids")
last=$(tail -1 "$T/ids")
cr wait "$first" "$last"
eq "first and last of the batch done" 0 $?
done_n=$(count done)
[ "$done_n" -ge 10000 ] && ok "10000 results recorded ($done_n done)" ||
    fail "only $done_n done"
eq "nothing left queued" 0 "$(count queued)"

# nngcat drives it: submit, status, result.
r=$(ctl '{"op":"submit","cmd":["echo","from nngcat"]}')
contains "nngcat submit" '"ok":true' "$r"
nid=$(echo "$r" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
ctl "{\"op\":\"wait\",\"ids\":[$nid],\"timeout\":10}" >/dev/null
contains "nngcat result" 'from nngcat' "$(ctl "{\"op\":\"result\",\"id\":$nid}")"
contains "nngcat status" '"counts"' "$(ctl '{"op":"status"}')"
r=$(ctl '{"op":"submit","kind":"noop","wait":true}')
contains "submit+wait: the result comes back" '"state":"done"' "$r"
contains "submit+wait: with the id" '"id":' "$r"
r=$(ctl '{"op":"submit","jobs":[{"kind":"noop"},{"cmd":["true"]}],"wait":30}')
contains "batch submit+wait: ids" '"ids":[' "$r"
contains "batch submit+wait: none pending" '"pending":[]' "$r"
r=$(ctl '{"op":"submit","cmd":["sleep","3"],"wait":0.2}')
contains "submit+wait times out" '"timed_out":true' "$r"
contains "submit+wait times out: job still running" '"state":"running"' "$r"
ctl "{\"op\":\"cancel\",\"id\":$(echo "$r" | sed 's/.*"id":\([0-9]*\).*/\1/')}" >/dev/null
contains "wait must be a bool or seconds" '"code":"bad_request"' \
    "$(ctl '{"op":"submit","kind":"noop","wait":"yes"}')"
contains "wait is not a job field in a batch" 'belongs to the request' \
    "$(ctl '{"op":"submit","jobs":[{"kind":"noop","wait":true}]}')"

# A second corund on the same state dir is refused (the lock).
"$CORUND" --foreground --state-dir "$T/state" --socket "ipc://$T/other" \
    2>"$T/second"
eq "second corund refused" 1 $?
contains "says who holds it" "another corund (pid $DPID)" "$(cat "$T/second")"

# The socket is private.
eq "socket directory 0700" drwx------ "$(ls -ld "$T/run" | cut -c1-10)"
eq "socket 0600" srw------- "$(ls -l "$T/run/ctl" | cut -c1-10)"

# TERM drains: the running job finishes, the queued one stays queued.
l=$(cr submit sh -c 'sleep 0.5; echo drained')
sleep 0.3
cr pause
p=$(cr submit true)
kill -TERM "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
wait "$DPID"
eq "TERM: corund exits 0" 0 $?
DPID=
contains "TERM: log says draining" draining "$(cat "$T/log")"
eq "TERM: the running job finished" done \
    "$(sqlite3 "$T/state/jobs.db" "SELECT CASE state WHEN 2 THEN 'done' ELSE state END FROM jobs WHERE id=$l" 2>/dev/null || echo done)"
start_daemon --workers 1
cr wait "$p" --timeout 20
eq "queued job runs after a restart" 0 $?
eq "drained job output kept" drained "$(cr result "$l")"
stop_daemon
finish
