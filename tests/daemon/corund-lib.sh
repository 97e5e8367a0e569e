# SPDX-License-Identifier: MIT
# corund-lib.sh - shared by the tests/daemon/corund-*.sh integration
# scripts: start a real corund on a temporary state directory, talk to it
# with the corun client (and nngcat), stop what was started, by pid.
set -u
: "${srcdir:=.}"
B=${CORUN_BUILDDIR:-$PWD}
CORUN=$B/corun
CORUND=$B/corund
CORUN_WORKER=${CORUN_WORKER:-$B/workers/corun-worker}
export CORUN_WORKER
for f in "$CORUN" "$CORUND" "$CORUN_WORKER"; do
	if [ ! -x "$f" ]; then
		echo "skip: $f is not built"
		exit 77
	fi
done
command -v timeout >/dev/null 2>&1 || { echo "skip: no timeout(1)"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/cr-d.XXXXXX")
SOCK=ipc://$T/run/ctl
CORUN_SOCKET=$SOCK
export CORUN_SOCKET
DPID=
fails=0

cleanup() {
	if [ -n "$DPID" ]; then
		kill -9 "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

. "$srcdir/tests/daemon/check-lib.sh"
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails failure(s)"; echo "--- daemon log:"; cat "$T/log" 2>/dev/null
		exit 1
	fi
	exit 0
}

# --foreground -k 10: as cli-lib.sh's crun().
cr() { timeout --foreground -k 10 60 "$CORUN" "$@"; }

# start_daemon [ARGS...]: in the foreground (as a child), until it answers.
start_daemon() {
	"$CORUND" --foreground --state-dir "$T/state" --socket "$SOCK" \
	    "$@" 2>>"$T/log" &
	DPID=$!
	i=0
	while [ $i -lt 100 ]; do
		if timeout 5 "$CORUN" status >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$DPID" 2>/dev/null; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "corund did not start"; cat "$T/log"; exit 1
}

# stop_daemon: SIGTERM and wait for it (bounded).
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	i=0
	while kill -0 "$DPID" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$DPID" 2>/dev/null; then
		# Never hang the suite on a daemon that will not stop.
		fail "corund $DPID did not stop within 20 s of SIGTERM"
		kill -KILL "$DPID" 2>/dev/null
	fi
	wait "$DPID" 2>/dev/null
	DPID=
}

# count STATE: jobs in that state, from status --json.
count() {
	cr status --json | sed -n "s/^  \"$1\": \([0-9]*\),*$/\1/p"
}

# ctl JSON: one raw request with nngcat; prints the reply.
ctl() {
	timeout 10 nngcat --req0 --dial "$SOCK" --ascii --data "$1" 2>&1
}
