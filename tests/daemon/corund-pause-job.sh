#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-pause-job.sh - a real corund: corun pause ID stops one running
# job (its process group, SIGSTOP) while corund, its worker and other
# jobs go on; corun resume ID continues it (SIGCONT); a paused job can be
# cancelled; a number is a job id, a name or --group NAME a group; bad
# targets are refused, by the client and by nngcat; after a kill -9 of
# corund a paused job does not stay behind stopped, and runs again.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

lines() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# wait_lines FILE N: until FILE has at least N lines (at most 20 s).
wait_lines() {
	i=0
	while [ $i -lt 200 ] && [ "$(lines "$1")" -lt "$2" ] 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(lines "$1")" -ge "$2" ] 2>/dev/null
}
# A job that writes a line every 50 ms (at most 300) to FILE.
ticker() {
	echo "echo \$\$ >>$1.pid; i=0; while [ \$i -lt 300 ]; do echo \$i >>$1; i=\$((i+1)); sleep 0.05; done"
}

j=$(cr submit sh -c "$(ticker "$T/ticks")")
wait_lines "$T/ticks" 3 && ok "the job runs" || fail "the job wrote no ticks"
eq "pause ID: exit 0" 0 "$(cr pause "$j" >/dev/null 2>&1; echo $?)"
sleep 0.3
c1=$(lines "$T/ticks")
sleep 0.8
c2=$(lines "$T/ticks")
eq "a paused job writes nothing" "$c1" "$c2"
contains "it is still running for corund" '"state": "running"' \
    "$(cr status "$j" --json)"
o=$(cr submit sh -c 'echo other')
cr wait "$o" --timeout 20 >/dev/null 2>&1
eq "another job runs meanwhile" other "$(cr result "$o" 2>/dev/null)"
eq "resume ID: exit 0" 0 "$(cr resume "$j" >/dev/null 2>&1; echo $?)"
wait_lines "$T/ticks" $((c2 + 3)) && ok "a resumed job goes on" ||
    fail "the resumed job wrote nothing more ($(lines "$T/ticks") lines)"
cr pause "$j" >/dev/null 2>&1
cr cancel "$j" >/dev/null 2>&1
cr wait "$j" --timeout 20 >/dev/null 2>&1
contains "a paused job can be cancelled" '"state": "cancelled"' \
    "$(cr status "$j" --json)"

# Targets: a number is a job id; --group NAME a group, even "7".
cr pause 999999 2>"$T/err"
eq "pause of an unknown job: exit 1" 1 $?
cr pause "$o" 2>"$T/err"
eq "pause of an ended job: exit 1" 1 $?
contains "and says why" "not running" "$(cat "$T/err")"
cr pause --group 7
g=$(cr submit --group 7 true)
sleep 0.5
contains "pause --group 7 pauses the group 7" '"state": "queued"' \
    "$(cr status "$g" --json)"
cr pause "$g" 2>/dev/null
eq "pause of a queued job (a number: an id): exit 1" 1 $?
cr resume --group 7
cr wait "$g" --timeout 20 >/dev/null 2>&1
contains "resume --group 7 lets it run" '"state": "done"' \
    "$(cr status "$g" --json)"
cr pause build
b=$(cr submit --group build true)
sleep 0.5
contains "pause NAME is still a group" '"state": "queued"' \
    "$(cr status "$b" --json)"
cr resume build
cr pause --group 2>/dev/null
eq "pause --group without a name: exit 255" 255 $?
cr pause 1 2 2>/dev/null
eq "pause with two ids: exit 255" 255 $?
contains "nngcat pause: a job not running" '"code":"bad_state"' \
    "$(ctl "{\"op\":\"pause\",\"id\":$o}")"
contains "nngcat pause: a bad id" '"code":"bad_request"' \
    "$(ctl '{"op":"pause","id":"x"}')"
contains "nngcat resume: id and group" '"code":"bad_request"' \
    "$(ctl "{\"op\":\"resume\",\"id\":$o,\"group\":\"g\"}")"

# kill -9 of corund with a job paused: it does not stay behind stopped.
k=$(cr submit sh -c "$(ticker "$T/k")")
wait_lines "$T/k" 2 || fail "the second job wrote no ticks"
cr pause "$k" >/dev/null 2>&1
pid1=$(head -1 "$T/k.pid")
[ -n "$pid1" ] || fail "no pid from the second job"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
i=0
while [ $i -lt 100 ] && kill -0 "$pid1" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
if kill -0 "$pid1" 2>/dev/null; then
	fail "the paused job ($pid1) stayed behind after kill -9 of corund"
	kill -9 "$pid1" 2>/dev/null
else
	ok "after kill -9 the paused job is gone"
fi
start_daemon --workers 2
wait_lines "$T/k.pid" 2 && ok "after restart the job runs again" ||
    fail "after restart the job did not start again"
cr cancel "$k" >/dev/null 2>&1
cr wait "$k" --timeout 20 >/dev/null 2>&1

stop_daemon
finish
