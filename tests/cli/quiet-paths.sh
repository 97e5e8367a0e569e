#!/bin/sh
# SPDX-License-Identifier: MIT
# quiet-paths.sh - the normal ways a corun run ends early print no alarm
# (issue 15, item 9).  Real processes and signals: a job retried after its
# worker was SIGKILLed, a job retried after it failed, stdout a pipe that
# head(1) closes (exit status compared with GNU parallel's), SIGTERM once
# to corun, SIGTERM to every process of the step at once (as Slurm's
# scancel does), SIGINT once.  In each, stderr holds none of the workers'
# old alarms ('Interrupt', 'again', 'Terminated', 'connection to the
# supervisor closed').  Also: a 200 KB command line that cannot start
# fails with a short, one-line reason; -j beyond 65536 runs, as corun(1)
# promises.  Only processes this script started are signalled.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
command -v pgrep >/dev/null 2>&1 || { echo "skip: no pgrep"; exit 77; }

# The workers of this script run as $T/bin/corun-worker (a link), so they
# can be found, and waited for, after their corun has gone.
mkdir bin && ln -s "$CORUN_WORKER" bin/corun-worker || exit 1
CORUN_WORKER=$T/bin/corun-worker
export CORUN_WORKER

ALARMS='Interrupt|again|Terminated|connection to the supervisor closed'

# Wait (up to 10 s) until no worker of this script is left; they write to
# the stderr files checked below until they exit.
wait_workers() {
	i=0
	while pgrep -f "$T/bin/corun-worker" >/dev/null 2>&1 && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	for p in $(pgrep -f "$T/bin/corun-worker"); do
		fail "worker $p still there 10 s after its corun"
		kill -9 "$p" 2>/dev/null
	done
}

# no_alarm NAME FILE
no_alarm() {
	if grep -E "$ALARMS" "$2" >/dev/null 2>&1; then
		fail "$1: alarm on stderr: $(grep -E "$ALARMS" "$2" | head -3)"
	else
		ok "$1: no alarm on stderr"
	fi
}

# $1 and every process under it.
tree() {
	echo "$1"
	for c in $(pgrep -P "$1"); do
		tree "$c"
	done
}

# --- a job retried after its worker was lost -------------------------
timeout 120 "$CORUN" run -q --model process -j3 sh -c 'sleep 0.3; echo job{}' \
    ::: $(seq 24) >out 2>err &
pid=$!
CR_BG_PIDS="$CR_BG_PIDS $pid"
wait_lines out 4
cpid=$(corun_pid $pid)
wpid=$(pgrep -P "$cpid" -f corun-worker | head -1)
if [ -n "$wpid" ]; then
	kill -9 "$wpid"
else
	fail "worker lost: no worker process found under corun ($cpid)"
fi
wait $pid
eq "worker lost: exit status" 0 $?
eq "worker lost: every job once" "$(seq 24 | sed 's/^/job/' | sort)" "$(sort out)"
wait_workers
no_alarm "worker lost" err

# --- a job retried after it failed ------------------------------------
timeout 60 "$CORUN" run -q -j2 --retries 2 \
    sh -c 'if [ -f m{} ]; then echo job{}; else : >m{}; exit 1; fi' \
    ::: 1 2 3 >out 2>err
eq "failed once, retried: exit status" 0 $?
eq "failed once, retried: output" "job1 job2 job3" "$(sort out | tr '\n' ' ' | sed 's/ $//')"
wait_workers
no_alarm "failed once, retried" err

# --- stdout a pipe closed early: as GNU parallel ----------------------
{ seq 300 | timeout 60 "$CORUN" run echo 2>err; echo $? >rc; } | head -3 >out
wait_workers
eq "| head -3: three lines" 3 "$(wc -l <out)"
no_alarm "| head -3" err
if command -v parallel >/dev/null 2>&1 &&
    parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	{ seq 300 | timeout 60 parallel echo 2>perr; echo $? >prc; } |
	    head -3 >pout
	eq "| head -3: exit status as GNU parallel's" "$(cat prc)" "$(cat rc)"
	eq "| head -3: stderr as empty as GNU parallel's" \
	    "$(wc -c <perr)" "$(wc -c <err)"
else
	# GNU parallel, measured: killed by SIGPIPE (141), nothing on stderr.
	echo "note: no GNU parallel; comparing with its recorded status 141"
	eq "| head -3: exit status (SIGPIPE, as GNU parallel)" 141 "$(cat rc)"
	eq "| head -3: stderr empty" 0 "$(wc -c <err)"
fi

# --- signals --------------------------------------------------------------
# signal_case NAME SIGNAL WHOM WANT: WHOM is "corun" (corun alone) or
# "step" (corun, its workers and their jobs, all at once).
signal_case() {
	rm -f pids
	timeout 60 "$CORUN" run -q -j2 sh -c 'echo $$ >>pids; sleep 60' \
	    ::: 1 2 3 4 5 6 >out 2>err &
	pid=$!
	CR_BG_PIDS="$CR_BG_PIDS $pid"
	wait_lines pids 2
	cpid=$(corun_pid $pid)
	if [ "$3" = step ]; then
		kill -"$2" $(tree "$cpid") 2>/dev/null
	else
		kill -"$2" "$cpid"
	fi
	wait $pid
	eq "$1: exit status" "$4" $?
	wait_workers
	no_alarm "$1" err
	eq "$1: stderr empty" "" "$(cat err)"
	for p in $(cat pids); do
		i=0
		while group_alive "$p" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		for q in $(pgrep -g "$p" 2>/dev/null); do
			alive "$q" || continue
			fail "$1: process $q of job group $p survived"
			kill -9 "$q" 2>/dev/null
		done
	done
}
signal_case "SIGTERM to corun" TERM corun 143
signal_case "SIGTERM to the whole step" TERM step 143
signal_case "SIGINT to corun" INT corun 130
signal_case "SIGINT to the whole step" INT step 130

# --- a command line the system refuses --------------------------------
# (The line corun prints for it is tests/quiet-e2big.sh's business; here
# the reason the worker gives, in --json's "error".)
head -c 200000 /dev/zero | tr '\0' x >big && echo >>big
timeout 60 "$CORUN" run --json echo <big >out 2>err
why=$(sed -n 's/.*"error":"\([^"]*\)".*/\1/p' out)
contains "E2BIG: the reason" "Argument list too long" "$why"
[ "${#why}" -lt 300 ] && ok "E2BIG: reason under 300 bytes (${#why})" ||
    fail "E2BIG: reason of ${#why} bytes"
case $why in *xxxxxxxxxxxxxxxxxxxx*) fail "E2BIG: reason repeats the arguments" ;; esac
wait_workers
no_alarm "E2BIG" err

# --- -j past 65536, toward the manual's 1000000 ------------------------
# (-j 1000000 runs too, but corun's window then takes half a gigabyte.)
for j in 65537; do
	timeout 60 "$CORUN" run -j $j echo ::: a b >out 2>err
	eq "-j $j: exit status" 0 $?
	eq "-j $j: output" "a b" "$(sort out | tr '\n' ' ' | sed 's/ $//')"
	# Nothing, or (as GNU parallel's "Only enough file handles to run N
	# jobs in parallel") one line fitting -j to the descriptor limit.
	case $(cat err) in
	"" | "corun: -j $j needs about "*"the limit (ulimit -n) is "*)
		ok "-j $j: stderr empty or the one descriptor line" ;;
	*) fail "-j $j: stderr: [$(cat err)]" ;;
	esac
	eq "-j $j: at most one line on stderr" 1 \
	    "$(( $(wc -l <err) <= 1 ))"
done
wait_workers

finish
