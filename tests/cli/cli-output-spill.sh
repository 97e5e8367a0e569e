#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-output-spill.sh - large job output goes through files, not memory:
# a worker moves a stream past 64 KiB to a file in $TMPDIR and corun run
# prints it from there, so a job writing 50 MB leaves corun's processes
# small; the output stays grouped (whole, never interleaved), in order
# with -k, tagged line by line with --tag, counted in the joblog; the
# files are gone when the run ends, or at the next run's if corun was
# killed.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
mkdir spill || exit 1
TMPDIR=$T/spill
# All of it in $TMPDIR: the spill in memory (/dev/shm) first is
# cli-output-spillmem.sh's.
CORUN_SPILL_MEM=0
export TMPDIR CORUN_SPILL_MEM

# 50 MB of 'a' lines from job 1 while job 2 ends at once: each job's
# output whole (the short line first or last, never inside the 50 MB).
rss=
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o rss.txt timeout 120 "$CORUN" run -j2 \
	    'if [ {} = big ]; then yes aaaaaaaaa | head -c 50000000; else echo short; fi' \
	    ::: big small >big.out
	rss=$(tail -1 rss.txt)
else
	crun -j2 'if [ {} = big ]; then yes aaaaaaaaa | head -c 50000000; else echo short; fi' \
	    ::: big small >big.out
fi
eq "50 MB job: every byte" 50000006 "$(wc -c <big.out)"
eq "50 MB job: one short line" 1 "$(grep -c short big.out)"
where=$(grep -n short big.out | cut -d: -f1)
case $where in
1 | 5000001) ok "grouped: the short job's line is whole, outside the big output" ;;
*) fail "grouped: the short line is line $where of 5000001" ;;
esac
eq "50 MB job: nothing but its lines" 5000000 "$(grep -c '^aaaaaaaaa$' big.out)"
if [ -n "$rss" ]; then
	# In memory, 50 MB of output made corun's processes grow past it.
	if [ "$rss" -lt 20000 ]; then
		ok "50 MB job: largest process $rss KiB (< 20 MB)"
	else
		fail "50 MB job: largest process $rss KiB, not < 20 MB"
	fi
fi

# -k: the big jobs in their place; small ones (read back into memory
# after a big one wrote to a file) as well.
crun -j2 -k 'seq {}' ::: 200000 3 150000 2 100000 >k.out
{ seq 200000; seq 3; seq 150000; seq 2; seq 100000; } >k.want
if cmp -s k.out k.want; then
	ok "-k: big and small outputs whole, in order"
else
	fail "-k: output differs from seq's ($(wc -c <k.out) bytes)"
fi

# --tag: every line of a spilled output tagged, a last line without
# newline finished; stderr spills as well.
crun -j1 -k --tag 'seq {}; printf end; seq {} >&2' ::: 30000 >tag.out \
    2>tag.err
seq 30000 | sed 's/^/30000\t/' >tag.want
printf '30000\tend\n' >>tag.want
if cmp -s tag.out tag.want; then
	ok "--tag: spilled stdout tagged line by line"
else
	fail "--tag: $(diff tag.out tag.want | head -3)"
fi
seq 30000 | sed 's/^/30000\t/' >tagerr.want
if cmp -s tag.err tagerr.want; then
	ok "--tag: spilled stderr tagged"
else
	fail "--tag stderr: $(diff tag.err tagerr.want | head -3)"
fi

# The joblog counts the bytes of a spilled stdout.
crun -j1 --joblog jl 'seq {}' ::: 100000 >/dev/null
eq "joblog: Receive of a spilled output" "$(seq 100000 | wc -c)" \
    "$(awk -F'\t' 'NR == 2 { print $6 }' jl)"

# After a job that spilled, the next one of the thread writes straight
# to a file: in --tmpdir, which is also the jobs' $TMPDIR (as parallel).
mkdir td || exit 1
crun -j1 -k --tmpdir "$T/td" 'if [ {} = 1 ]; then seq 100000; else readlink /proc/self/fd/1; echo "$TMPDIR"; fi' \
    ::: 1 2 >td.out
case $(tail -2 td.out | head -1) in
"$T"/td/corun-out-*-??????) ok "--tmpdir: the second job's stdout is a file there" ;;
*) fail "--tmpdir: the second job's stdout is $(tail -2 td.out | head -1)" ;;
esac
eq "--tmpdir: the jobs' TMPDIR" "$T/td" "$(tail -1 td.out)"
eq "--tmpdir: the first job's output whole" "$(seq 100000 | wc -c)" \
    "$(head -100000 td.out | wc -c)"
eq "--tmpdir: no spill file left behind" "" "$(ls td)"

# A worker killed while its jobs hold spill files: the files go with it
# (the jobs run again elsewhere and print once).
timeout 60 "$CORUN" run -j2 'seq 100000; sleep 1.5; echo done{}' ::: 1 2 \
    >kill.out 2>kill.err &
cr=$!
CR_BG_PIDS="$cr"
i=0
while [ "$(ls spill | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
eq "killed worker: its jobs had spilled" 2 "$(ls spill | wc -l)"
# timeout(1) -> corun -> its worker
for c in $(pgrep -P "$cr" 2>/dev/null); do
	for w in $(pgrep -x -P "$c" corun-worker 2>/dev/null); do
		kill -9 "$w" 2>/dev/null
	done
done
wait "$cr"
eq "killed worker: every job printed once" 2 "$(grep -c '^done[12]$' kill.out)"
eq "killed worker: its spill files removed" "" "$(ls spill)"

# corun itself killed (SIGKILL) while it holds a spilled output (-k keeps
# job 2's until job 1 ends): nothing of it could remove the file; the
# next corun run to spill in that $TMPDIR does, its owner being gone.
mkdir orphan || exit 1
TMPDIR=$T/orphan "$CORUN" run -j2 -k \
    'if [ {} = 1 ]; then sleep 4; else seq 100000; fi' ::: 1 2 \
    >orphan.out 2>&1 &
cr=$!
CR_BG_PIDS="$cr"
i=0
while ! ls orphan | grep '^corun-res-' >/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
case $(ls orphan) in
corun-res-"$cr"-*-??????) ok "killed corun: it held the spilled output" ;;
*) fail "killed corun: spill files [$(ls orphan)]" ;;
esac
kill -9 "$cr"
wait "$cr" 2>/dev/null
CR_BG_PIDS=
case $(ls orphan) in
corun-res-"$cr"-*) ok "killed corun: its spill file left behind" ;;
*) fail "killed corun: [$(ls orphan)] after its SIGKILL" ;;
esac
TMPDIR=$T/orphan crun -j1 'seq {}' ::: 70000 >orphan2.out 2>&1
eq "the next run: its output" "$(seq 70000 | wc -c)" "$(wc -c <orphan2.out)"
eq "the next run: the killed corun's file removed" "" "$(ls orphan)"

eq "no spill file left behind" "" "$(ls spill)"
finish
