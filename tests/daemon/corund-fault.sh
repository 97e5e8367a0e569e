#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-fault.sh - a real corund started with CORUN_FAULT: the Nth
# allocation, file I/O or control-socket message after it is ready fails,
# once or forever.  Under every fault: clients get a reply ({"ok":false}
# is fine) or time out on a message the daemon logged as lost; corund
# never dies of a signal, stops within the bound on SIGTERM, and after a
# restart without faults every job it acknowledged runs and is recorded
# done, each key once.
#
# N goes up until corund reports that no failure was injected.  Each run
# costs seconds (a daemon, a restart, replies waited out), so make check
# samples: once, N = 1, 3, 12, 48, ... (x4); forever, N = 3, 192, ...
# (x64): the forever runs are the slow ones.
# FAULT_FULL=1 runs every N (minutes to an hour; see the figures in
# RELIABILITY.md); FAULT_CLASSES and FAULT_MODES pick the loops.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

NJOBS=4
FULL=${FAULT_FULL:-0}
# A client waits this long for a reply corund dropped (net faults);
# on loopback a reply takes milliseconds.
CALL=2
points=

call() { timeout $CALL "$CORUN" "$@"; }

# one CLASS N MODE: one daemon run under CORUN_FAULT=CLASS:N:MODE.
# Sets hit to the failures corund says it injected.
one() {
	cls=$1 n=$2 mode=$3
	rm -rf "$T/state" "$T/ran"
	: >"$T/log"
	CORUN_FAULT=$cls:$n:$mode "$CORUND" --foreground --state-dir \
	    "$T/state" --socket "$SOCK" --workers 1 --window 8 \
	    --graceful-timeout 5 2>>"$T/log" &
	DPID=$!
	i=0
	while ! grep -q "ready:" "$T/log" && [ $i -lt 100 ]; do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "ready:" "$T/log" || {
		fail "$cls:$n:$mode: corund did not start"
		return
	}
	acked=
	k=1
	while [ $k -le $NJOBS ]; do
		# Once, a failed submit is retried with the same key.
		for try in 1 2; do
			if id=$(call submit --key "k$k" -- \
			    sh -c "echo k$k >>$T/ran" 2>>"$T/client"); then
				acked="$acked k$k=$id"
				break
			fi
			[ "$mode" = once ] || break
		done
		k=$((k + 1))
	done
	if [ "$mode" = once ]; then
		# The acknowledged jobs run now, not only after a restart
		# (asked twice: the fault may have dropped the first wait).
		timeout 8 "$CORUN" wait --all --timeout 6 >/dev/null 2>&1 ||
		    timeout 20 "$CORUN" wait --all --timeout 15 \
		    >/dev/null 2>&1 ||
		    fail "$cls:$n:once: jobs do not finish (a result lost?)"
	else
		timeout 3 "$CORUN" wait --all --timeout 1 >/dev/null 2>&1
	fi
	if [ "$mode" = once ]; then
		# One fault at most: it serves the next requests.
		if ! call status >/dev/null 2>&1 &&
		    ! call status >/dev/null 2>&1; then
			fail "$cls:$n:once: corund no longer serves"
		fi
	else
		call status >/dev/null 2>&1
	fi
	if kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		i=0
		while kill -0 "$DPID" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$DPID" 2>/dev/null; then
			fail "$cls:$n:$mode: corund hangs after SIGTERM"
			kill -KILL "$DPID"
		fi
	fi
	wait "$DPID"
	rc=$?
	DPID=
	if [ $rc -ge 128 ]; then
		fail "$cls:$n:$mode: corund died of signal $((rc - 128))"
		cat "$T/log"
	elif [ $rc -ne 0 ] && ! grep -q "corund\[" "$T/log"; then
		fail "$cls:$n:$mode: corund exited $rc without a word"
	fi
	hit=$(sed -n "s/.*CORUN_FAULT=[^ ]*: \([0-9]*\) alloc, \([0-9]*\) io, \([0-9]*\) net.*/\1 \2 \3/p" "$T/log")
	case $cls in
	alloc) hit=$(echo "$hit" | cut -d' ' -f1) ;;
	io) hit=$(echo "$hit" | cut -d' ' -f2) ;;
	net) hit=$(echo "$hit" | cut -d' ' -f3) ;;
	esac
	# Exited before its last words (a fatal error, logged): count it
	# as hit, so N goes on.
	[ -n "$hit" ] || hit=1

	# Restart without faults: every acknowledged job runs, once done.
	start_daemon --workers 1
	timeout 70 "$CORUN" wait --all --timeout 60 >/dev/null 2>&1 ||
	    fail "$cls:$n:$mode: jobs do not finish after the restart"
	for a in $acked; do
		key=${a%%=*} id=${a#*=}
		s=$(cr status "$id" --json 2>/dev/null |
		    sed -n 's/.*"state": "\(.*\)".*/\1/p')
		[ "$s" = done ] ||
		    fail "$cls:$n:$mode: acknowledged $key (id $id) is '$s'"
		# The key names that job and no other.
		again=$(cr submit --key "$key" -- true 2>/dev/null)
		[ "$again" = "$id" ] ||
		    fail "$cls:$n:$mode: key $key is job $again, not $id"
		grep -qx "$key" "$T/ran" 2>/dev/null ||
		    fail "$cls:$n:$mode: acknowledged $key never ran"
	done
	stop_daemon
}

# loop CLASS MODE: N upward until nothing was injected.
loop() {
	n=1 runs=0
	# Forever from the first call is much like from the third: skip it.
	[ "$FULL" = 1 ] || [ $2 = once ] || n=3
	while [ $n -lt 100000 ]; do
		t0=$(date +%s)
		one "$1" "$n" "$2"
		echo "run $1:$n:$2: hit $hit, $(($(date +%s) - t0)) s"
		runs=$((runs + 1))
		[ "$hit" -gt 0 ] || break
		if [ "$FULL" = 1 ]; then
			n=$((n + 1))
		elif [ $n -eq 1 ]; then
			n=3
		elif [ $2 = once ]; then
			n=$((n * 4))
		else
			n=$((n * 64))
		fi
	done
	ok "$1 $2: $runs runs; N=$n hit nothing"
	points="$points $1:$2:$runs"
}

for cls in ${FAULT_CLASSES:-net io alloc}; do
	for mode in ${FAULT_MODES:-once forever}; do
		loop $cls $mode
	done
done
echo "fault points covered (class:mode:runs):$points"
finish
