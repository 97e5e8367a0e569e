#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-follow.sh - a real corund: corun follow ID and corun logs -f ID
# show a job's stdout and stderr while it runs (a line is seen before the
# job goes on), from the start, and end with the job's exit status; the
# follow op sent by nngcat from an offset; after a kill -9 of corund, or
# of the worker running the job, the job runs again and follow shows that
# attempt's output, once.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

# wait_for FILE TEXT: until FILE holds TEXT (at most 20 s).
wait_for() {
	i=0
	while [ $i -lt 200 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}
# A job that writes, then waits (bounded) for a file before it goes on.
gate() {	# FILE: the shell text that waits for FILE
	echo "n=0; while [ ! -e $1 ] && [ \$n -lt 400 ]; do sleep 0.05; n=\$((n+1)); done"
}

j=$(cr submit sh -c "echo one; echo e1 >&2; $(gate "$T/go"); echo two; echo e2 >&2; exit 3")
timeout 60 "$CORUN" follow "$j" >"$T/out" 2>"$T/err" &
fp=$!
if wait_for "$T/out" one; then
	ok "follow shows the first line while the job runs"
else
	fail "follow showed [$(cat "$T/out")] within 20 s"
fi
wait_for "$T/err" e1 && ok "and its stderr" || fail "stderr [$(cat "$T/err")]"
contains "the job is still running then" '"state": "running"' \
    "$(cr status "$j" --json)"
grep -q two "$T/out" && fail "follow showed what the job had not written"
touch "$T/go"
wait "$fp"
eq "follow exits with the job's exit status" 3 $?
eq "follow's stdout: all of it, once" "one
two" "$(cat "$T/out")"
contains "follow's stderr: e1" e1 "$(cat "$T/err")"
contains "follow's stderr: e2" e2 "$(cat "$T/err")"
contains "follow says the job failed" "job $j failed" "$(cat "$T/err")"

# The ended job: its whole output again, from the store.
eq "follow of an ended job" "one
two" "$(cr follow "$j" 2>/dev/null)"
eq "logs -f of an ended job" "one
two" "$(cr logs -f "$j" 2>/dev/null)"
d=$(cr submit sh -c 'echo fine')
cr wait "$d" --timeout 20 >/dev/null 2>&1
cr logs --follow "$d" >"$T/dout" 2>/dev/null
rc=$?
eq "logs --follow of a done job: exit 0" "fine|0" "$(cat "$T/dout")|$rc"

# The op itself, with nngcat: from byte offset 4 of stdout.
r=$(ctl "{\"op\":\"follow\",\"id\":$j,\"out\":4,\"err\":3}")
contains "nngcat follow: stdout from offset 4" '"stdout":"two\n"' "$r"
contains "nngcat follow: stderr from offset 3" '"stderr":"e2\n"' "$r"
contains "nngcat follow: the next offsets" '"out":8' "$r"
contains "nngcat follow: ended" '"ended":true' "$r"
contains "nngcat follow: no id" '"code":"bad_request"' \
    "$(ctl '{"op":"follow"}')"
contains "nngcat follow: a negative offset" '"code":"bad_request"' \
    "$(ctl "{\"op\":\"follow\",\"id\":$j,\"out\":-1}")"
contains "nngcat follow: an unknown job" '"code":"not_found"' \
    "$(ctl '{"op":"follow","id":999999}')"
cr follow 2>/dev/null
eq "follow without an id: exit 255" 255 $?
cr follow x1 2>/dev/null
eq "follow with a bad id: exit 255" 255 $?
contains "corund still answers" '"ok":true' "$(ctl '{"op":"ping"}')"

# A queued job: follow waits for it to start.
cr pause g
q=$(cr submit --group g sh -c 'echo later')
timeout 60 "$CORUN" follow "$q" >"$T/qout" 2>&1 &
fp=$!
sleep 0.5
kill -0 "$fp" 2>/dev/null && ok "follow of a queued job waits" ||
    fail "follow of a queued job returned [$(cat "$T/qout")]"
cr resume g
wait "$fp"
rc=$?
eq "then shows its output, exit 0" "later|0" "$(cat "$T/qout")|$rc"

# kill -9 of corund while a job runs: the job runs again from the start.
k=$(cr submit sh -c "echo a; $(gate "$T/go2"); echo b")
wait_for "$T/state/spool/$k.out" a &&
    ok "the running job's output is spooled" ||
    fail "no spool file with its output: $(ls "$T/state/spool")"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
timeout 60 "$CORUN" follow "$k" >"$T/kout" 2>"$T/kerr" &
fp=$!
wait_for "$T/kout" a && ok "after kill -9: follow shows the new attempt" ||
    fail "after kill -9: follow showed [$(cat "$T/kout")]"
touch "$T/go2"
wait "$fp"
eq "after kill -9: follow ends with the job, exit 0" 0 $?
eq "after kill -9: that attempt's output once" "a
b" "$(cat "$T/kout")"

# Its worker killed while the job ran: the pool runs it again in the same
# corund, and its spool starts anew (the first attempt's lines go).
w=$(cr submit sh -c "echo first-$$; echo \$PPID >$T/wpid; $(gate "$T/go3"); echo end")
wait_for "$T/state/spool/$w.out" "first-$$" && [ -s "$T/wpid" ] ||
    fail "the job did not start: $(ls "$T/state/spool")"
wpid=$(cat "$T/wpid")
rm -f "$T/wpid"
kill -9 "$wpid"
i=0
while [ $i -lt 200 ] && [ ! -s "$T/wpid" ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/wpid" ] && ok "the job runs again on another worker" ||
    fail "no second attempt; log: $(tail -5 "$T/log")"
contains "corund says the attempt was lost" "job $w re-queued: attempt 1 was lost" \
    "$(cat "$T/log")"
timeout 60 "$CORUN" follow "$w" >"$T/wout" 2>"$T/werr" &
fp=$!
wait_for "$T/wout" "first-$$" || fail "follow showed [$(cat "$T/wout")]"
touch "$T/go3"
wait "$fp"
eq "after a lost worker: follow shows the new attempt's output once" \
    "first-$$
end" "$(cat "$T/wout")"
sleep 0.2
eq "no spool file left for ended jobs" "" "$(ls "$T/state/spool")"

stop_daemon
finish
