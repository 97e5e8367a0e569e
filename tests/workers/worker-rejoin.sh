#!/bin/sh
# SPDX-License-Identifier: MIT
# worker-rejoin.sh - remote workers on loopback, as a batch system treats
# them (no Slurm needed; tests/slurm runs the same on a real cluster):
#
#  1. --listen tcp://127.0.0.1:0: --url-file holds the real port and the
#     token, and a worker given only that file attaches.
#  2. SIGTERM to a worker and to its jobs' processes (what scancel -s
#     TERM or a time limit does): the running jobs are handed back and
#     run on another worker, not recorded failed, not counted as an
#     attempt (--json attempts 1).
#     Again, with the signal coming once more as the worker exits (its
#     --procs parent passing it on): still exit 0.
#  3. A worker with --rejoin whose supervisor is killed (-9) keeps its
#     pid, reads --url-file again and joins the next run, which it
#     finishes; it then exits 0.
#  4. --halt soon,fail=1: a remote worker (which holds a job ahead while
#     jobs are short) starts nothing after the failed job.
: "${srcdir:=.}"
. "$srcdir/tests/cli/cli-lib.sh"
[ -n "$PY" ] || { echo "skip: no python3"; exit 77; }

# ---- 0. bad input: said clearly, before anything runs -----------------
printf 'notaurl\n' > "$T/bad1"
printf 'tcp://127.0.0.1:1\nbogus\n' > "$T/bad2"
err=$("$CORUN_WORKER" --url-file "$T/bad1" 2>&1)
eq "a --url-file without a URL: exit 255 (a bad argument)" 255 $?
contains "... says where" "--url-file $T/bad1: the first line is not a URL" "$err"
err=$("$CORUN_WORKER" --url-file "$T/bad2" 2>&1)
contains "a bad token line says so" "neither 'token T' nor 'token-file F'" "$err"
err=$("$CORUN_WORKER" --url-file "$T/none" 2>&1)
eq "a missing --url-file: no supervisor, exit 3" 3 $?
contains "... and why" "the run has not started, or is over" "$err"
err=$("$CORUN" run --slurm-workers 2 true 2>&1)
contains "--slurm-workers alone is refused" "need --slurm" "$err"

# ---- 1. the real port in --url-file ---------------------------------
crun --listen tcp://127.0.0.1:0 --token t0k3n --remote-only \
    --url-file "$T/u1" --json -q sh -c 'echo {}' ::: a b c > "$T/o1" 2>"$T/e1" &
r1=$!
CR_BG_PIDS="$CR_BG_PIDS $r1"
i=0
while [ ! -s "$T/u1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(head -1 "$T/u1")
case $url in
tcp://127.0.0.1:0 | "") fail "--url-file URL: [$url]" ;;
tcp://127.0.0.1:[1-9]*) ok "--url-file has the real port ($url)" ;;
*) fail "--url-file URL: [$url]" ;;
esac
eq "--url-file: the token on line 2" "token t0k3n" "$(sed -n 2p "$T/u1")"
eq "--url-file is the user's alone" "600" "$(stat -c %a "$T/u1")"
timeout 20 "$CORUN_WORKER" --url-file "$T/u1" -j1 2>"$T/w1.err"
eq "the worker from --url-file ends 0" 0 $?
wait "$r1"
eq "run 1: exit 0" 0 $?
eq "run 1: every result" "a b c" "$(grep -o '"stdout":"[a-z]' "$T/o1" |
    cut -c11 | sort | tr '\n' ' ' | sed 's/ $//')"
[ ! -e "$T/u1" ] && ok "--url-file removed at the end" ||
    fail "--url-file left behind"

# ---- 2. SIGTERM hands the running jobs back --------------------------
crun --listen tcp://127.0.0.1:0 --token t0k3n --remote-only \
    --url-file "$T/u2" --json --joblog "$T/jl2" \
    -q sh -c 'echo {} >> '"$T/started"'; sleep 0.8; echo {}' ::: 1 2 3 4 5 6 \
    > "$T/o2" 2>"$T/e2" &
r2=$!
CR_BG_PIDS="$CR_BG_PIDS $r2"
i=0
while [ ! -s "$T/u2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CORUN_WORKER" --url-file "$T/u2" -j2 2>"$T/wa.err" &
wa=$!
CR_BG_PIDS="$CR_BG_PIDS $wa"
wait_lines "$T/started" 2
# As Slurm does: the signal to every process of the step at once.
kids=$(pgrep -P "$wa" | tr '\n' ' ')
kill -TERM $wa $kids $(for k in $kids; do pgrep -P "$k"; done) 2>/dev/null
wait "$wa"
st=$?
eq "the signalled worker exits 0" 0 "$st"
[ "$st" -eq 0 ] || sed 's/^/  worker: /' "$T/wa.err"
timeout 20 "$CORUN_WORKER" --url-file "$T/u2" -j2 2>"$T/wb.err"
wait "$r2"
eq "run 2: exit 0" 0 $?
eq "run 2: every result once" "1 2 3 4 5 6" "$(grep -o '"stdout":"[0-9]' \
    "$T/o2" | cut -c11 | sort | tr '\n' ' ' | sed 's/ $//')"
eq "run 2: every job ok" 6 "$(grep -c '"status":"ok"' "$T/o2")"
eq "handed back, not an attempt" 6 "$(grep -c '"attempts":1' "$T/o2")"
dup=$(sort -n "$T/started" | uniq -d | tr '\n' ' ')
[ -n "$dup" ] && ok "jobs started on the signalled worker ran again ($dup)" ||
    fail "no job ran again: $(tr '\n' ' ' < "$T/started")"
eq "nothing alarming from corun" "" "$(grep -iv 'listening\|remote worker\|let in' "$T/e2")"

# ---- 2b. the signal again as the worker exits -------------------------
# Slurm signals every process of the step, and a worker with --procs (-j2
# is two processes) hears the signal once more from its parent passing
# it on, which may come as the worker exits.  The plugin has each process
# send itself SIGTERM then, every time: it still exits 0, not killed by
# it (its parent reports that as 3, a lost supervisor).
plug=$PWD/workers/plugins/.libs/exit_term_plugin.so
if [ -f "$plug" ]; then
	crun --listen tcp://127.0.0.1:0 --token t0k3n --remote-only \
	    --url-file "$T/u5" -q sh -c 'echo {} >> '"$T/started5"'; sleep 0.8' \
	    ::: 1 2 3 > "$T/o5" 2>"$T/e5" &
	r5=$!
	CR_BG_PIDS="$CR_BG_PIDS $r5"
	i=0
	while [ ! -s "$T/u5" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	"$CORUN_WORKER" --url-file "$T/u5" -j2 --load "$plug" 2>"$T/we.err" &
	we=$!
	CR_BG_PIDS="$CR_BG_PIDS $we"
	wait_lines "$T/started5" 2
	kill -TERM "$we"	# its parent, which passes it on
	wait "$we"
	st=$?
	eq "a late SIGTERM as it exits: the worker still exits 0" 0 "$st"
	[ "$st" -eq 0 ] || sed 's/^/  worker: /' "$T/we.err"
	timeout 20 "$CORUN_WORKER" --url-file "$T/u5" -j2 2>"$T/wf.err"
	eq "... and the worker without the plugin ends it: 0" 0 $?
	wait "$r5"
	eq "run 2b: exit 0" 0 $?
else
	echo "skip: $plug is not built (make check builds it)"
fi

# ---- 3. --rejoin across a supervisor killed ---------------------------
timeout 60 "$CORUN" run --listen tcp://127.0.0.1:0 --token t0k3n \
    --remote-only --url-file "$T/u3" -q sh -c 'sleep 5; echo {}' ::: x \
    > /dev/null 2>&1 &
r3=$!
c3=$(corun_pid "$r3")
CR_BG_PIDS="$CR_BG_PIDS $r3 $c3"
i=0
while [ ! -s "$T/u3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CORUN_WORKER" --url-file "$T/u3" --rejoin 20 -j1 2>"$T/wc.err" &
wc_pid=$!
CR_BG_PIDS="$CR_BG_PIDS $wc_pid"
i=0
while ! grep -q 'let in' "$T/wc.err" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -9 "$c3"
wait "$r3" 2>/dev/null
sleep 1
alive "$wc_pid" && ok "the worker outlives its supervisor (--rejoin)" ||
    fail "the worker left when its supervisor died"
rm -f "$T/u3"
crun --listen tcp://127.0.0.1:0 --token t0k3n --remote-only \
    --url-file "$T/u3" -q sh -c 'echo {}' ::: p q r > "$T/o3" 2>"$T/e3"
eq "run after the rejoin: exit 0" 0 $?
eq "the rejoined worker ran every job" "p q r" \
    "$(sort "$T/o3" | tr '\n' ' ' | sed 's/ $//')"
wait "$wc_pid"
eq "the rejoined worker, same pid, ends 0" 0 $?
contains "it said it would rejoin" "trying to rejoin" "$(cat "$T/wc.err")"

# ---- 4. a halt policy decides before a remote worker starts more -----
# A remote worker whose jobs are short holds the next one ahead, so that
# it starts as the last one ends, but not under --halt, which decides
# after each result whether anything more may start.
crun --listen tcp://127.0.0.1:0 --token t0k3n --remote-only \
    --url-file "$T/u4" --halt soon,fail=1 -q sh -c \
    'case {} in 3) exit 1 ;; esac; touch '"$T"'/ran{}' ::: 1 2 3 4 5 6 \
    > "$T/o4" 2>"$T/e4" &
r4=$!
CR_BG_PIDS="$CR_BG_PIDS $r4"
i=0
while [ ! -s "$T/u4" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
timeout 20 "$CORUN_WORKER" --url-file "$T/u4" -j1 2>"$T/wd.err"
wait "$r4"
eq "halt: the run fails with the job" 1 $?
[ -e "$T/ran1" ] && [ -e "$T/ran2" ] && ok "halt: the jobs before it ran" ||
    fail "halt: the jobs before the failing one did not run"
[ ! -e "$T/ran4" ] && ok "halt: nothing started after the failed job" ||
    fail "halt: job 4 started after job 3 failed (held ahead)"
finish
