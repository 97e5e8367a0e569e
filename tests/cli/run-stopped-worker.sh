#!/bin/sh
# SPDX-License-Identifier: MIT
# run-stopped-worker.sh - a worker stopped with SIGSTOP does not stall
# corun run: with --heartbeat-timeout 2 the silent worker is killed and
# replaced, its jobs run elsewhere, and every job has its result once; a
# SIGTERM to a run with a stopped worker ends it within about a second,
# and leaves no worker behind.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

# Worker processes of corun $1 (its children running corun-worker).
workers() {
	for k in $(pgrep -P "$1" 2>/dev/null); do
		case $(cat /proc/"$k"/comm 2>/dev/null) in
		corun-worker) echo "$k" ;;
		esac
	done
}

# Alive and not a zombie.
alive() {
	st=$(sed 's/^.*) //' /proc/"$1"/stat 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Wait (up to $2 tenths of a second) for pid $1 to end; the tenths in
# $waited.
wait_gone() {
	waited=0
	while kill -0 "$1" 2>/dev/null && [ "$waited" -lt "$2" ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
}

# Start `corun run ARGS {}` on 1..$1, stop one of its workers once it
# has one; sets pid, victim.
start_and_stop() {
	n=$1
	shift
	seq "$n" >in
	"$CORUN" run -q "$@" {} <in >out 2>err &
	pid=$!
	CR_BG_PIDS="$pid"
	victim=
	i=0
	while [ -z "$victim" ] && [ $i -lt 100 ]; do
		sleep 0.1
		set -- $(workers "$pid")
		if [ $# -gt 0 ]; then
			victim=$1
			kill -STOP "$victim"
		fi
		i=$((i + 1))
	done
	CR_BG_PIDS="$pid $victim"
}

# 1. The heartbeat: the stopped worker (the only one of the default
# model) is killed after 2 s of silence and replaced; every job runs once.
start_and_stop 2000 --heartbeat-timeout 2 sh -c 'sleep 0.001; echo $0'
wait_gone "$pid" 300
kill -0 "$pid" 2>/dev/null && fail "corun still runs after 30 s"
wait "$pid"
rc=$?
got=$(wc -l <out | tr -d ' ')
uniq=$(sort -u out | wc -l | tr -d ' ')
echo "figures stopped worker, --heartbeat-timeout 2: jobs 2000, stops 1," \
    "results $got, lost $((2000 - uniq)), doubled $((got - uniq)), exit $rc"
eq "heartbeat: exit status" 0 "$rc"
eq "heartbeat: every result" 2000 "$uniq"
eq "heartbeat: none twice" "$uniq" "$got"
contains "heartbeat: the silent worker was found" "no heartbeat for" \
    "$(cat err)"
alive "$victim" && fail "heartbeat: the stopped worker is still there"

# 2. SIGTERM with a stopped worker: the run ends within ~1 s (it took 33 s:
# the pool waited for the stopped worker to answer its cancels).
start_and_stop 400 --model process -j 4 sh -c 'sleep 0.05; echo $0'
sleep 0.3
kill -TERM "$pid"
wait_gone "$pid" 100
kill -0 "$pid" 2>/dev/null && fail "SIGTERM: corun still runs after 10 s"
wait "$pid"
rc=$?
echo "figures SIGTERM with a stopped worker: ended in $waited tenths of" \
    "a second, exit $rc"
[ "$waited" -le 15 ] && ok "SIGTERM: ended in $waited tenths of a second" ||
    fail "SIGTERM: took $waited tenths of a second"
eq "SIGTERM: exit status" 143 "$rc"
sleep 0.5
alive "$victim" && fail "SIGTERM: the stopped worker is still there"
finish
