#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-output-spillmem.sh - large job output waits in memory first: when
# $TMPDIR is not a tmpfs and /dev/shm is, a worker spills a stream past
# 64 KiB to /dev/shm/corun-out-PID-*, moves it to $TMPDIR once it passes
# $CORUN_SPILL_MEM (default 8 MiB), and moves a growing one there too
# while its files in /dev/shm (written or waiting) pass 64 MiB; the output is the
# same as from $TMPDIR (whole, grouped, in order with -k) and no file is
# left in either place, nor after a worker is killed.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
mkdir spill || exit 1
TMPDIR=$T/spill
export TMPDIR
unset CORUN_SPILL_MEM
SHM=/dev/shm
if [ "$(stat -f -c %T "$SHM" 2>/dev/null)" != tmpfs ] || [ ! -w "$SHM" ]; then
	echo "skip: $SHM is not a writable tmpfs"
	exit 77
fi
if [ "$(stat -f -c %T "$T")" = tmpfs ]; then
	echo "skip: $T is a tmpfs already (nothing to spill in memory first)"
	exit 77
fi

# The jobs below that must still run while we look wait for file $GO
# (made by go, removed by nogo); timeout(1) bounds them.
GO=$T/go
HOLD="while [ ! -e $GO ]; do sleep 0.05; done"
go() { : >"$GO"; }
nogo() { rm -f "$GO"; }

# The corun-worker pids under the corun run started as pid $1 (under
# timeout(1)).
workers() {
	for c in $(pgrep -P "$1" 2>/dev/null); do
		pgrep -x -P "$c" corun-worker 2>/dev/null
	done
}
# The spill files of those workers in directory $2, one a line.
files_of() {
	for w in $(workers "$1"); do
		ls "$2" 2>/dev/null | grep -E "^corun-(out|res-[0-9]+)-$w-......\$"
	done
}
# Wait (up to 10 s) until files_of $1 $2 counts at least $3.
wait_files() {
	i=0
	while [ "$(files_of "$1" "$2" | wc -l)" -lt "$3" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
# bytes of those files in $SHM
shm_bytes() {
	n=0
	for f in $(files_of "$1" "$SHM"); do
		s=$(stat -c %s "$SHM/$f" 2>/dev/null) && n=$((n + s))
	done
	echo "$n"
}

# A job's 2 MB wait in /dev/shm while it runs; none in $TMPDIR.
nogo
timeout 60 "$CORUN" run -j1 "head -c 2000000 /dev/zero | tr '\\0' a; $HOLD; echo end{}" \
    ::: 1 >mem.out &
cr=$!
CR_BG_PIDS="$cr"
wait_files "$cr" "$SHM" 1
eq "2 MB: its spill file in /dev/shm" 1 "$(files_of "$cr" "$SHM" | wc -l)"
eq "2 MB: nothing in \$TMPDIR" "" "$(ls spill)"
w=$(workers "$cr")
go
wait "$cr"
eq "2 MB: every byte, then the last line" \
    "$({ head -c 2000000 /dev/zero | tr '\0' a; echo end1; } | cksum)" \
    "$(cksum <mem.out)"
eq "2 MB: its file removed from /dev/shm" "" \
    "$(ls "$SHM" | grep -E -- "-$w-......\$")"

# Past CORUN_SPILL_MEM the file moves to $TMPDIR, output unchanged.
nogo
CORUN_SPILL_MEM=1000000 timeout 60 "$CORUN" run -j1 \
    "seq 400000; $HOLD; echo end{}" ::: 1 >moved.out &
cr=$!
CR_BG_PIDS="$cr"
wait_files "$cr" spill 1
eq "past CORUN_SPILL_MEM: the file in \$TMPDIR" 1 "$(ls spill | wc -l)"
eq "past CORUN_SPILL_MEM: none left in /dev/shm" 0 \
    "$(files_of "$cr" "$SHM" | wc -l)"
go
wait "$cr"
eq "past CORUN_SPILL_MEM: every byte" "$({ seq 400000; echo end1; } | cksum)" \
    "$(cksum <moved.out)"
eq "past CORUN_SPILL_MEM: removed from \$TMPDIR" "" "$(ls spill)"

# After a job that spilled to memory the next one of the thread writes
# straight to a file there; past CORUN_SPILL_MEM, while it still runs,
# what it wrote is copied to $TMPDIR and punched out of memory.
nogo
CORUN_SPILL_MEM=1000000 timeout 60 "$CORUN" run -j1 -k \
    "if [ {} = 1 ]; then seq 30000; else readlink /proc/self/fd/1; seq 500000; $HOLD; fi" \
    ::: 1 2 >direct.out &
cr=$!
CR_BG_PIDS="$cr"
wait_files "$cr" spill 1
eq "direct: moved to \$TMPDIR while it runs" 1 "$(ls spill | wc -l)"
f=$(files_of "$cr" "$SHM" | head -1)
blocks=$(stat -c %b "$SHM/$f" 2>/dev/null)
if [ -n "$f" ] && [ "${blocks:-99999}" -lt 2048 ]; then
	ok "direct: its file in /dev/shm holds $blocks blocks (punched)"
else
	fail "direct: its file in /dev/shm [$f] holds [$blocks] blocks"
fi
go
wait "$cr"
case $(sed -n 30001p direct.out) in
"$SHM"/corun-out-*-??????) ok "direct: the second job's stdout is a file in /dev/shm" ;;
*) fail "direct: the second job's stdout is $(sed -n 30001p direct.out)" ;;
esac
eq "direct: every byte" "$({ seq 30000; seq 500000; } | cksum)" \
    "$(sed 30001d direct.out | cksum)"
eq "direct: none left in \$TMPDIR" "" "$(ls spill)"

# Grouped: 20 MB from one job (in memory, then moved) while short jobs
# end; -k: big and small outputs whole, in order.
crun -j2 'if [ {} = big ]; then yes aaaaaaaaa | head -c 20000000; else echo short{}; fi' \
    ::: big 1 2 3 >big.out
eq "grouped: every byte" 20000021 "$(wc -c <big.out)"
eq "grouped: only whole lines" 2000003 \
    "$(grep -c -E '^(aaaaaaaaa|short[123])$' big.out)"
first=$(grep -n -m1 aaaaaaaaa big.out | cut -d: -f1)
last=$(grep -n aaaaaaaaa big.out | tail -1 | cut -d: -f1)
eq "grouped: the big output in one piece" 1999999 $((last - first))
crun -j2 -k 'seq {}' ::: 2000000 3 150000 2 100000 >k.out
if { seq 2000000; seq 3; seq 150000; seq 2; seq 100000; } | cmp -s - k.out; then
	ok "-k: big and small outputs whole, in order"
else
	fail "-k: output differs from seq's ($(wc -c <k.out) bytes)"
fi

# The bound: -k holds 1 MB outputs behind a slow first job; past 64 MiB
# in /dev/shm the next ones go to $TMPDIR (or move there).
nogo
timeout 60 "$CORUN" run -j2 -k "if [ {} = 1 ]; then $HOLD; fi; head -c 1000000 /dev/zero" \
    ::: $(seq 90) >held.out &
cr=$!
CR_BG_PIDS="$cr"
i=0
while [ $((
    $(files_of "$cr" "$SHM" | wc -l) + $(files_of "$cr" spill | wc -l)
)) -lt 89 ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
held=$(shm_bytes "$cr")
ondisk=$(files_of "$cr" spill | wc -l)
if [ "$held" -ge 60000000 ] && [ "$held" -le $((66 * 1048576 + 2000000)) ]; then
	ok "bound: $held bytes wait in /dev/shm (64 MiB + what ran meanwhile)"
else
	fail "bound: $held bytes wait in /dev/shm"
fi
if [ "$ondisk" -ge 15 ]; then
	ok "bound: the rest ($ondisk files) waits in \$TMPDIR"
else
	fail "bound: $ondisk files in \$TMPDIR, not the >= 15 past 64 MiB"
fi
w=$(workers "$cr")
go
wait "$cr"
eq "bound: every byte" 90000000 "$(wc -c <held.out)"
for x in $w; do
	eq "bound: no file of worker $x left in /dev/shm" "" \
	    "$(ls "$SHM" | grep -E -- "-$x-......\$")"
done
eq "bound: none left in \$TMPDIR" "" "$(ls spill)"

# A worker killed while its jobs hold files in /dev/shm: they go with it
# (the jobs run again and print once).
nogo
timeout 60 "$CORUN" run -j2 "seq 100000; $HOLD; echo done{}" ::: 1 2 \
    >kill.out 2>kill.err &
cr=$!
CR_BG_PIDS="$cr"
wait_files "$cr" "$SHM" 2
eq "killed worker: its jobs had spilled in /dev/shm" 2 \
    "$(files_of "$cr" "$SHM" | wc -l)"
w=$(workers "$cr")
for x in $w; do
	kill -9 "$x" 2>/dev/null
done
go
wait "$cr"
eq "killed worker: every job printed once" 2 "$(grep -c '^done[12]$' kill.out)"
for x in $w; do
	eq "killed worker: its files removed from /dev/shm" "" \
	    "$(ls "$SHM" | grep -E -- "-$x-......\$")"
done
eq "no spill file left in \$TMPDIR" "" "$(ls spill)"

# A /dev/shm too small for the workers' bound (a container's is often
# 64 MB) is not used at all: with 16 MB there, -k holding 60 MB of output
# behind a slow first job still prints every byte (no ENOSPC) and puts
# nothing in it.  Root only: a private mount namespace with its own
# /dev/shm, made and gone with the command.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	CORUN=$CORUN timeout 120 unshare -m sh -c '
	    mount -t tmpfs -o size=16m tmpfs /dev/shm || exit 99
	    "$CORUN" run -j2 -k "if [ {} = 1 ]; then sleep 1; fi;
	        head -c 3000000 /dev/zero" ::: $(seq 20) >small.out 2>small.err
	    echo "$? $(ls /dev/shm | grep -c "^corun-")"' >small.rc
	eq "small /dev/shm: exit 0, nothing spilled there" "0 0" \
	    "$(cat small.rc)"
	eq "small /dev/shm: every byte" 60000000 "$(wc -c <small.out)"
	eq "small /dev/shm: nothing on stderr" "" "$(cat small.err)"
	# /dev/shm fills up while the jobs run (another program takes what
	# was free): the streams there move to $TMPDIR, every byte arrives.
	CORUN=$CORUN timeout 120 unshare -m sh -c '
	    mount -t tmpfs -o size=520m tmpfs /dev/shm || exit 99
	    (sleep 0.3; head -c 515000000 /dev/zero >/dev/shm/fill) 2>/dev/null &
	    "$CORUN" run -j2 -k "if [ {} = 1 ]; then sleep 1; fi;
	        head -c 3000000 /dev/zero" ::: $(seq 20) >full.out 2>full.err
	    echo "$?"; wait' >full.rc
	eq "/dev/shm filled meanwhile: exit 0" 0 "$(cat full.rc)"
	eq "/dev/shm filled meanwhile: every byte" 60000000 "$(wc -c <full.out)"
	# $TMPDIR itself full: the jobs fail and say why; nothing hangs.
	mkdir tiny || exit 1
	CORUN=$CORUN timeout 60 unshare -m sh -c '
	    mount -t tmpfs -o size=1m tmpfs tiny || exit 99
	    TMPDIR=$PWD/tiny "$CORUN" run -j2 "head -c 3000000 /dev/zero # {}" \
	        ::: 1 2 3 4 >/dev/null 2>tiny.err
	    echo "$?"' >tiny.rc
	eq "\$TMPDIR full: 4 jobs failed" 4 "$(cat tiny.rc)"
	eq "\$TMPDIR full: said so" yes "$(grep -q 'No space left' tiny.err &&
	    echo yes)"
else
	echo "skip: a small /dev/shm needs root and unshare -m"
fi
finish
