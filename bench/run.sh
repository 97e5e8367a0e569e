#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - run every benchmark program and Python peer, collect their JSON
# lines in BUILDDIR/bench/results.jsonl and rewrite SRCDIR/BENCHMARKS.md.
#
# Usage: run.sh BUILDDIR SRCDIR PROGRAM...
#
# The C programs are the ones given (make bench passes $(BENCH_PROGS));
# the peers are every SRCDIR/bench/peer_*.py, and the drivers of command-line
# tools (corun run against xargs -P and GNU parallel) every
# SRCDIR/bench/drive_*.py.  Each runs BENCH_REPS times
# (default 5), the rounds interleaved so that drift on a shared machine
# hits every implementation alike; mkreport.py keeps the best run of each
# figure.  (With 3, the best of a noisy figure on these shared 2-core
# machines still moved by 10-20% from one make bench to the next: corun's
# pool_noop ranged over 0.08-0.34 us/item in consecutive runs of the same
# build.  5 rounds take about 6.5 minutes here.)  A program that fails
# is recorded and the others still run; the exit status is then 1.
#
# Environment: BENCH_REPS, PYTHON3 (default python3), BENCH_OUTPUT (the
# report; default SRCDIR/BENCHMARKS.md).  The programs get BENCH_BUILDDIR,
# CORUN (this build's corun) and CORUN_WORKER (this build's corun-worker),
# never installed ones.

set -u

if [ $# -lt 2 ]; then
	echo "usage: run.sh BUILDDIR SRCDIR PROGRAM..." >&2
	exit 2
fi
builddir=$1
srcdir=$2
shift 2
reps=${BENCH_REPS:-5}
python=${PYTHON3:-python3}
[ -n "$python" ] || python=python3
results=$builddir/bench/results.jsonl
report=${BENCH_OUTPUT:-$srcdir/BENCHMARKS.md}
failed=0

# real PATH: the program itself, not libtool's wrapper script around it
# (a shell script that runs sed before every start of the program);
# the uninstalled library is then found through LD_LIBRARY_PATH.
real() {
	dir=$(dirname "$1")
	name=$(basename "$1")
	if [ "$(head -c 2 "$1" 2>/dev/null)" = "#!" ] &&
	    [ -x "$dir/.libs/$name" ]; then
		echo "$dir/.libs/$name"
	else
		echo "$1"
	fi
}

BENCH_BUILDDIR=$builddir
CORUN=$builddir/src/cli/corun
[ -x "$CORUN" ] || [ ! -x "$builddir/corun" ] || CORUN=$builddir/corun
CORUN=$(real "$CORUN")
CORUN_WORKER=$(real "$builddir/workers/corun-worker")
case $CORUN$CORUN_WORKER in
*/.libs/*)
	LD_LIBRARY_PATH=$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	;;
esac
export BENCH_BUILDDIR CORUN CORUN_WORKER

mkdir -p "$builddir/bench" || exit 1
"$python" "$srcdir/bench/mkreport.py" --meta --srcdir "$srcdir" \
    --reps "$reps" >"$results.tmp" || exit 1

# run NAME COMMAND...: append the JSON lines COMMAND prints.
run() {
	name=$1
	shift
	printf 'bench: %s (round %d/%d)\n' "$name" "$round" "$reps" >&2
	start=$(date +%s)
	"$@" >"$results.out"
	rc=$?
	grep '^{' "$results.out" >>"$results.tmp"
	if [ $rc -ne 0 ]; then
		echo "bench: $name failed with status $rc" >&2
		printf '{"failed": "%s", "rc": %d}\n' "$name" "$rc" \
		    >>"$results.tmp"
		failed=1
	fi
	printf 'bench: %s: %ss\n' "$name" "$(($(date +%s) - start))" >&2
}

round=1
while [ "$round" -le "$reps" ]; do
	for prog in "$@"; do
		run "$(basename "$prog")" "$prog"
	done
	for peer in "$srcdir"/bench/peer_*.py "$srcdir"/bench/drive_*.py; do
		[ -f "$peer" ] || continue
		run "$(basename "$peer")" "$python" "$peer"
	done
	round=$((round + 1))
done
rm -f "$results.out"
mv "$results.tmp" "$results" || exit 1

if [ -w "$(dirname "$report")" ]; then
	"$python" "$srcdir/bench/mkreport.py" -o "$report" "$results" || exit 1
else
	report=$builddir/BENCHMARKS.md
	echo "bench: $srcdir is read-only; report in $report" >&2
	"$python" "$srcdir/bench/mkreport.py" -o "$report" "$results" || exit 1
fi
echo "bench: results in $results, report in $report" >&2
exit $failed
