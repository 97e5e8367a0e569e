#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-signals.sh - what the other corund tests leave out: sd_notify
# readiness, USR1 reopening a log file, worker recycling
# (max-jobs-per-worker), INT and QUIT stopping at once with the running
# jobs re-queued and run by the next start, and purging finished jobs by
# count and by age.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

NPID=
stop_notify() {
	if [ -n "$NPID" ]; then
		kill "$NPID" 2>/dev/null
		wait "$NPID" 2>/dev/null
		NPID=
	fi
}
trap 'stop_notify; cleanup' EXIT

restarts() {
	cr status --json | sed -n 's/^    "restarts": \([0-9]*\),*$/\1/p'
}
# until SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
until_ok() {
	n=$(($1 * 10))
	shift
	i=0
	while ! "$@" && [ $i -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}
running_is() { [ "$(count running)" = "$1" ]; }
exited() { ! kill -0 "$DPID" 2>/dev/null; }

# ---- sd_notify: a datagram socket of our own as $NOTIFY_SOCKET --------
timeout 60 python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(4096) + b"\n--\n")
' "$T/notify" "$T/notify.out" &
NPID=$!
until_ok 5 test -S "$T/notify" || fail "notify socket not made"

NOTIFY_SOCKET=$T/notify
export NOTIFY_SOCKET
start_daemon --workers 1 --max-jobs-per-worker 5 --log "$T/dlog"
unset NOTIFY_SOCKET
until_ok 5 grep -q READY=1 "$T/notify.out"
contains "sd_notify READY=1" "READY=1" "$(cat "$T/notify.out")"
contains "sd_notify STATUS=" "STATUS=running, 1 workers" \
    "$(cat "$T/notify.out")"
contains "sd_notify MAINPID" "MAINPID=$DPID" "$(cat "$T/notify.out")"

# ---- recycling: 30 jobs, a new worker every 5 --------------------------
i=0
while [ $i -lt 30 ]; do
	echo '{"kind":"noop"}'
	i=$((i + 1))
done >"$T/jobs"
cr submit --jobs-file "$T/jobs" >/dev/null
timeout 60 "$CORUN" wait --all --timeout 50
eq "recycling: 30 jobs done" 0 $?
r=$(restarts)
[ "${r:-0}" -ge 4 ] && ok "workers recycled ($r restarts)" ||
    fail "only ${r:-0} restarts with max-jobs-per-worker 5"
case $(cat "$T/dlog") in
*"worker lost"*) fail "a recycled worker was logged as lost" ;;
*) ok "recycling is not logged as a loss" ;;
esac
eq "still running" running "$(cr status --json |
    sed -n 's/^  "state": "\([a-z]*\)",*$/\1/p')"

# ---- USR1: the renamed log is left alone, a new one is opened ----------
mv "$T/dlog" "$T/dlog.1"
kill -USR1 "$DPID"
until_ok 5 test -s "$T/dlog"
contains "USR1: new log file" "log reopened" "$(cat "$T/dlog" 2>/dev/null)"
case $(cat "$T/dlog.1") in
*"log reopened"*) fail "USR1: still writing the old file" ;;
*) ok "USR1: the old file is left alone" ;;
esac

# ---- INT and QUIT: stop now, running jobs run again at the next start --
for sig in INT QUIT; do
	: >"$T/runs"
	j=$(cr submit sh -c "echo run >>'$T/runs'; sleep 1.5; echo $sig-done")
	until_ok 10 running_is 1
	until_ok 5 test -s "$T/runs"
	t0=$(date +%s)
	kill -"$sig" "$DPID"
	until_ok 10 exited
	t1=$(date +%s)
	exited && ok "$sig: corund exited" || fail "$sig: corund still running"
	[ $((t1 - t0)) -le 4 ] && ok "$sig: promptly ($((t1 - t0)) s)" ||
	    fail "$sig: took $((t1 - t0)) s"
	wait "$DPID"
	eq "$sig: exit status" 0 $?
	DPID=
	if command -v sqlite3 >/dev/null 2>&1; then
		eq "$sig: the running job is queued again" 0 \
		    "$(sqlite3 "$T/state/jobs.db" \
		    "SELECT state FROM jobs WHERE id=$j")"
	fi
	start_daemon --workers 1 --log "$T/dlog"
	cr wait "$j" --timeout 20
	eq "$sig: the job ran after the restart" 0 $?
	eq "$sig: its output" "$sig-done" "$(cr result "$j")"
	eq "$sig: started twice" 2 "$(wc -l <"$T/runs" | tr -d ' ')"
done
stop_daemon

# ---- purge: by count, then by age (the first purge runs 1 s in) -------
done_n() {
	sqlite3 "$T/state/jobs.db" "SELECT count(*) FROM jobs WHERE state>=2"
}
if command -v sqlite3 >/dev/null 2>&1; then
	before=$(done_n)
	[ "$before" -gt 10 ] && ok "$before finished jobs to purge" ||
	    fail "only $before finished jobs"
	printf 'purge-count = 10\npurge-age = 0\n' >"$T/conf"
	start_daemon --config "$T/conf" --workers 1 --log "$T/dlog"
	cr pause held		# a paused group is kept across restarts
	q=$(cr submit --group held true)
	purged_to() { [ "$(done_n)" = "$1" ]; }
	until_ok 5 purged_to 10
	eq "purge-count keeps the newest 10" 10 "$(done_n)"
	stop_daemon
	sleep 1.1
	printf 'purge-count = 0\npurge-age = 1\n' >"$T/conf"
	start_daemon --config "$T/conf" --workers 1 --log "$T/dlog"
	until_ok 5 purged_to 0
	eq "purge-age removes jobs older than 1 s" 0 "$(done_n)"
	eq "a queued job is never purged" queued \
	    "$(sqlite3 "$T/state/jobs.db" "SELECT CASE state WHEN 0 THEN \
	    'queued' ELSE state END FROM jobs WHERE id=$q")"
	stop_daemon
else
	echo "skip: purge checks need sqlite3"
fi
stop_notify
finish
