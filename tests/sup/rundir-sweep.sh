#!/bin/sh
# SPDX-License-Identifier: MIT
# rundir-sweep.sh - a pool's run directory (src/sup/pool-rundir.c) is
# named corun.PID.XXXXXX after its process; a corun killed with SIGKILL
# leaves its directory (and the worker's socket in it) behind, and the
# next pool made in the same $XDG_RUNTIME_DIR removes it.  It keeps: the
# directory of a corun still running (and its socket); PID-less
# corun.XXXXXX directories of earlier versions; what is not a pool's
# socket in a dead pool's directory (and so the directory); a symlink of
# that name and what it points to; and, as root with setpriv(1), the
# directory of another user's corun killed the same way.  Every corun
# runs under timeout(1); the ones killed or stopped here are signalled by
# pid, and their jobs are bounded sleeps whose pids are known.
. "${srcdir:-.}/tests/cli/cli-lib.sh"

RT=$T/rt
mkdir "$RT" && chmod 1777 "$RT" || exit 1
# Longer than 64 bytes, $XDG_RUNTIME_DIR is passed over for /dev/shm.
[ ${#RT} -le 64 ] || { echo "skip: $RT is too long"; exit 77; }
export XDG_RUNTIME_DIR="$RT"
cat >"$T/job.sh" <<'EOF'
echo $$ >"$1.tmp" && mv "$1.tmp" "$1"
exec sleep 20
EOF

# t NAME CONDITION: ok if the shell CONDITION holds, else a failure.
t() {
	if eval "$2"; then ok "$1"; else fail "$1"; fi
}
# wait_file FILE: up to 10 s.
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$1" ] || fail "$1 did not appear"
}
# start NAME [RUNNER...]: a corun with one long job NAME; sets TPID (its
# timeout), CPID (corun) and JPID (the job), once the job runs.
start() {
	n=$1
	shift
	"$@" timeout 60 "$CORUN" run -j1 "sh $T/job.sh {}" ::: "$T/$n/job" \
	    >"$T/$n/out" 2>&1 &
	TPID=$!
	CR_BG_PIDS="$CR_BG_PIDS $TPID"
	CPID=$(corun_pid "$TPID")
	[ -n "$CPID" ] || fail "$n: no corun under timeout $TPID"
	CR_BG_PIDS="$CR_BG_PIDS $CPID"
	wait_file "$T/$n/job"
	JPID=$(cat "$T/$n/job" 2>/dev/null)
	CR_BG_PIDS="$CR_BG_PIDS $JPID"
}
# rundirs PID: the run directories named after PID.
rundirs() {
	for d in "$RT"/corun."$1".*; do
		[ -d "$d" ] && [ ! -L "$d" ] && echo "$d"
	done
}
# has_sock DIR: DIR holds a worker's socket (wI.G).
has_sock() {
	for f in "$1"/w*.*; do
		[ -S "$f" ] && return 0
	done
	return 1
}
# sock DIR: wait (up to 5 s) for a worker's socket in DIR.
sock() {
	i=0
	while ! has_sock "$1" && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	has_sock "$1"
}
# killed TPID CPID JPID: SIGKILL corun, reap its timeout; its job ends.
killed() {
	kill -9 "$2"
	wait "$1" 2>/dev/null
	kill -9 "$3" 2>/dev/null
	i=0
	while alive "$2" && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	alive "$2" && fail "corun $2 still alive after SIGKILL"
}

# ---- B: a corun that stays running -------------------------------------
mkdir "$T/b"
start b
B_T=$TPID B=$CPID B_J=$JPID
bdir=$(rundirs "$B")
[ -n "$bdir" ] || fail "B: no run directory corun.$B.* in [$(ls "$RT")]"
case ${bdir##*/} in
corun."$B".??????) ok "B: the run directory is named after corun's pid" ;;
*) fail "B: run directory [$bdir]" ;;
esac
sock "$bdir" || fail "B: no socket in $bdir"

# ---- A: a corun killed with SIGKILL ------------------------------------
mkdir "$T/a"
start a
A_T=$TPID A=$CPID A_J=$JPID
adir=$(rundirs "$A")
[ -n "$adir" ] || fail "A: no run directory corun.$A.*"
sock "$adir" || fail "A: no socket in $adir"
killed "$A_T" "$A" "$A_J"
t "A killed: its run directory and socket stay" \
    '[ -n "$adir" ] && has_sock "$adir"'

# ---- N: another user's corun killed the same way (root, setpriv) --------
ndir=
chmod 755 "$T"
# as_nobody CMD...: CMD as nobody (its uid and gid, no groups).  In a
# background job, start's "$@" must be a program (setpriv itself): a
# function there would be a subshell, and $! its pid, not timeout's.
as_nobody() {
	setpriv --reuid="$NUID" --regid="$NGID" --clear-groups "$@"
}
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
    NUID=$(id -u nobody 2>/dev/null) && NGID=$(id -g nobody) &&
    as_nobody "$CORUN" --version >/dev/null 2>&1 &&
    as_nobody "$CORUN_WORKER" --version >/dev/null 2>&1; then
	mkdir "$T/n" && chown "$NUID" "$T/n"
	start n setpriv --reuid="$NUID" --regid="$NGID" --clear-groups \
	    env HOME="$T/n"
	ndir=$(rundirs "$CPID")
	[ -n "$ndir" ] || fail "N: no run directory corun.$CPID.*"
	eq "N: its run directory is nobody's" "$NUID" \
	    "$(stat -c %u "$ndir" 2>/dev/null)"
	sock "$ndir" || fail "N: no socket in $ndir"
	killed "$TPID" "$CPID" "$JPID"
else
	echo "(not root, no setpriv, or nobody cannot run corun here:" \
	    "another user's directory not tried)"
fi

# ---- what a sweep must leave, in A's name (A is dead) ------------------
old=$RT/corun.0ldDir
mkdir -m 700 "$old"
more=$RT/corun.$A.m0reAa
mkdir -m 700 "$more" && echo note >"$more/note" && mkfifo "$more/w1.0"
mkdir -m 700 "$T/target" && echo keep >"$T/target/w0.0"
ln -s "$T/target" "$RT/corun.$A.l1nkAa"
if [ -n "$PY" ]; then
	"$PY" -c 'import socket, sys
for p in sys.argv[1:]:
    socket.socket(socket.AF_UNIX).bind(p)' "$more/w0.0" "$T/target/w2.0"
fi

# ---- C: the next corun run -----------------------------------------------
eq "C: the next run runs" "c" "$(timeout 60 "$CORUN" run -j1 echo ::: c 2>&1)"
eq "C: A's (killed) run directory removed" "" "$(rundirs "$A" | grep -v m0reAa)"
t "C: B's (alive) run directory and socket kept" \
    '[ -d "$bdir" ] && has_sock "$bdir"'
t "C: the PID-less $old kept" '[ -d "$old" ]'
t "C: a dead pool's directory holding other things kept, and they" \
    '[ -d "$more" ] && [ -f "$more/note" ] && [ -p "$more/w1.0" ]'
if [ -n "$PY" ]; then
	t "C: ... its socket removed" '[ ! -e "$more/w0.0" ]'
	t "C: a socket behind a symlink kept" '[ -S "$T/target/w2.0" ]'
fi
t "C: the symlink and its target kept" \
    '[ -L "$RT/corun.$A.l1nkAa" ] && [ -f "$T/target/w0.0" ]'
if [ -n "$ndir" ]; then
	t "C: another user's (killed) run directory and socket kept" \
	    '[ -d "$ndir" ] && has_sock "$ndir"'
	rm -rf "$ndir"
fi
eq "C: nothing else left" "$(printf '%s\n' "$bdir" "$old" "$more" \
    "$RT/corun.$A.l1nkAa" | sort)" "$(ls -d "$RT"/* | sort)"

# ---- B ends: SIGTERM, its directory goes with it -------------------------
kill -TERM "$B"
wait "$B_T" 2>/dev/null
kill -9 "$B_J" 2>/dev/null
t "B stopped: its run directory removed" '[ ! -e "$bdir" ]'
finish
