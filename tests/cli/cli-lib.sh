# SPDX-License-Identifier: MIT
# cli-lib.sh - shared by the tests/cli/cli-*.sh integration scripts: find
# the binaries, make a temporary directory, count failures; and, for the
# scripts that signal real processes (cli-signals.sh, quiet-paths.sh),
# waiting for output and finding processes.  Every corun run is bounded by
# timeout(1).
set -u
: "${srcdir:=.}"
CORUN=${CORUN:-$PWD/corun}
CORUN_WORKER=${CORUN_WORKER:-$PWD/workers/corun-worker}
export CORUN_WORKER
if [ ! -x "$CORUN" ] || [ ! -x "$CORUN_WORKER" ]; then
	echo "skip: $CORUN or $CORUN_WORKER is not built"
	exit 77
fi
command -v timeout >/dev/null 2>&1 || { echo "skip: no timeout(1)"; exit 77; }
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=

T=$(mktemp -d "${TMPDIR:-/tmp}/cr-cli.XXXXXX")
# kill_tree PID: PID and what it started (a timeout(1)'s corun, its
# workers and their jobs), children first, by pid.
kill_tree() {
	for c in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill -9 "$1" 2>/dev/null
}
cleanup() {
	# Kill only what this script started: a killed timeout(1) would
	# leave its program running.
	for p in ${CR_BG_PIDS:-}; do
		kill_tree "$p"
	done
	rm -rf "$T"
}
trap cleanup EXIT
CR_BG_PIDS=
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# eq NAME EXPECTED ACTUAL
eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: expected [$2], got [$3]"
	fi
}
# contains NAME NEEDLE HAYSTACK
contains() {
	case $3 in
	*"$2"*) ok "$1" ;;
	*) fail "$1: [$2] not in [$3]" ;;
	esac
}
# --foreground: an expiry (a test already failing) signals corun alone,
# with no SIGCONT after it (HACKING.md, A signal in a test); -k: then KILL.
crun() { timeout --foreground -k 10 60 "$CORUN" run "$@"; }
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails failure(s)"
		exit 1
	fi
	exit 0
}

# ---- processes and waiting (the scripts that send signals) ----------

# Wait (up to 10 s) until file $1 has $2 lines.
wait_lines() {
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# Alive and not a zombie (PID 1 in a container may never reap orphans).
alive() {
	[ -r /proc/$1/stat ] || return 1
	st=$(sed 's/^.*) //' /proc/$1/stat 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Any live process in process group $1?  (Uses q, so a caller's loop
# variable p survives.)
group_alive() {
	for q in $(pgrep -g "$1" 2>/dev/null); do
		alive "$q" && return 0
	done
	return 1
}

# The pid of corun under the timeout(1) process $1.
corun_pid() {
	i=0
	c=
	while [ -z "$c" ] && [ $i -lt 50 ]; do
		c=$(pgrep -P "$1" | head -1)
		i=$((i + 1))
		[ -z "$c" ] && sleep 0.1
	done
	echo "$c"
}
