#!/bin/sh
# SPDX-License-Identifier: MIT
# run-restarts.sh - corun run replaces workers that die while they run, for
# as long as the run lasts: a worker SIGKILLed every 0.15 s during a
# 10000-job run loses no job and runs none twice (exit 0), with the default
# restart policy and with a faster one (--restart-window); a worker program
# that cannot start (it exits, or crashes, before its HELLO) ends the run
# quickly with one clear line and exit 255.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# Worker processes of corun $1 (its children running corun-worker) that
# have lived for 0.25 s at least: one killed in its first moments takes
# with it the jobs it was handed first, which are the ones it lost last
# time, and a job lost 3 times fails, as it should.  (At 0.05 s, on a
# loaded machine, a new worker had not always ended those jobs yet: 1
# to 3 jobs failed in about one run in four, an old build's too.)
workers() {
	up=$(cut -d' ' -f1 /proc/uptime)
	for k in $(pgrep -P "$1" 2>/dev/null); do
		case $(cat /proc/"$k"/comm 2>/dev/null) in
		corun-worker)
			sed 's/^.*) //' /proc/"$k"/stat 2>/dev/null |
			    awk -v up="$up" -v hz="$HZ" -v k="$k" \
			    '{ if (up - $20 / hz >= 0.25) print k }' ;;
		esac
	done
}

# kill_run N ARGS...: run N jobs (corun run ARGS {}), SIGKILL one worker every 0.15 s
# (each in turn) until corun exits; sets rc, kills.
kill_run() {
	n=$1
	shift
	seq "$n" >in
	"$CORUN" run -q "$@" {} <in >out 2>err &
	pid=$!
	CR_BG_PIDS="$pid"
	kills=0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		set -- $(workers "$pid")
		if [ $# -gt 0 ]; then
			shift $((i % $#))
			kill -9 "$1" 2>/dev/null && kills=$((kills + 1))
		fi
		i=$((i + 1))
		sleep 0.15
	done
	wait "$pid"
	rc=$?
	CR_BG_PIDS=
}

# check NAME N: every one of 1..N printed once.
check() {
	got=$(wc -l <out | tr -d ' ')
	uniq=$(sort -u out | wc -l | tr -d ' ')
	want=$(seq "$2" | sort | cmp -s - "$(sort out >sorted; echo sorted)" &&
	    echo same || echo different)
	echo "figures $1: jobs $2, kills $kills, results $got, lost" \
	    "$(($2 - uniq)), doubled $((got - uniq)), exit $rc"
	eq "$1: exit status" 0 "$rc"
	eq "$1: results are 1..$2, each once" same "$want"
	[ "$kills" -gt 10 ] && ok "$1: $kills kills" ||
	    fail "$1: only $kills kills"
	if grep -q "broken\|keep dying" err; then
		fail "$1: the pool gave up: $(grep -m1 'broken\|keep dying' err)"
	fi
}

# The restart pace of 0.1 s (10 in 1 s): a short run, long enough for
# more than 10 kills on a fast machine (2000 echo jobs ended in 1.5 s,
# after 10).
kill_run 10000 --restart-window 1 echo
check "10000 jobs, a kill every 0.15 s, --restart-window 1" 10000

# The defaults (10 restarts in 10 s, then one a second): more than the
# old limit of 10 in 10 s, which broke the pool.
kill_run 600 --model process -j 3 sh -c 'sleep 0.01; echo $0'
check "600 jobs, -j 3, a kill every 0.15 s, default policy" 600

# A worker program that cannot start: exit 255, fast, one clear line.
printf '#!/bin/sh\nexit 3\n' >exits
printf '#!/bin/sh\nkill -SEGV $$\n' >crashes
chmod +x exits crashes
for prog in exits crashes; do
	start=$(date +%s)
	seq 50 | CORUN_WORKER=$T/$prog timeout 60 "$CORUN" run -j 2 \
	    --model process echo {} >out 2>err
	rc=$?
	secs=$(($(date +%s) - start))
	eq "worker that $prog: exit 255" 255 "$rc"
	eq "worker that $prog: no result" 0 "$(wc -l <out | tr -d ' ')"
	[ "$secs" -le 15 ] && ok "worker that $prog: gave up in $secs s" ||
	    fail "worker that $prog: took $secs s"
	contains "worker that $prog: says why" \
	    "before their HELLO (6 in a row" "$(cat err)"
	contains "worker that $prog: names it" "cannot start $T/$prog" \
	    "$(cat err)"
	eq "worker that $prog: one line about it" 1 \
	    "$(grep -c 'keep dying' err)"
done
finish
