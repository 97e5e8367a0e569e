#!/bin/sh
# SPDX-License-Identifier: MIT
# client-front.sh - the corun program is a front (src/cli/front.c): it
# serves corund's client commands over ipc:// itself and execs
# corun-engine for everything else, with the same arguments, stdin and
# exit status.  $CORUN_ENGINE names the engine, so a missing one shows
# which commands need it:
#  (a) a client request over ipc:// is answered with no engine at all
#      (nngcat's REP socket plays corund), and so is its --help;
#  (b) run, --version and a client request over tcp:// need the engine:
#      without one, exit status 127 and a line naming it; an engine that
#      is there but cannot be run, 126 (as env(1) says);
#  (c) the engine gets the arguments exactly as typed, -S URL included;
#  (d) through the real engine: stdin and the exit status of run come
#      through the exec, --version answers, and a client request over
#      tcp:// reaches nng's REP socket through nng's REQ.
# Every listener is started here and stopped by its pid.
set -u
: "${srcdir:=.}"
B=${CORUN_BUILDDIR:-$PWD}
CORUN=$B/corun
[ -x "$CORUN" ] || { echo "skip: $CORUN is not built"; exit 77; }
[ -x "$B/corun-engine" ] || { echo "skip: corun-engine is not built"; exit 77; }
for c in nngcat timeout; do
	command -v $c >/dev/null 2>&1 || { echo "skip: no $c"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-front.XXXXXX")
S=ipc://$T/s
LPID=
fails=0
cleanup() {
	[ -z "$LPID" ] || kill "$LPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$srcdir/tests/daemon/check-lib.sh"
. "$srcdir/tests/port-lib.sh"
export CORUN_WORKER="$B/workers/corun-worker"
unset CORUN_SOCKET

# rep URL: nngcat answers one request at URL with a "busy" error.
rep() {
	timeout 20 nngcat --rep0 --listen "$1" --ascii --count 1 \
	    --data '{"ok":false,"error":{"code":"busy","message":"try later"}}' \
	    >"$T/got" 2>&1 &
	LPID=$!
}
stop_listener() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
	rm -f "$T/s"
}
front() { CORUN_ENGINE=$T/none timeout -k 5 20 "$CORUN" "$@"; }

# (a) the client commands over ipc://, with no engine.
rep "$S"
i=0
while [ ! -S "$T/s" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$(front -S "$S" status 2>&1)
eq "(a) status over ipc:// with no engine: corund's error, exit 1" \
    "1 corun: corund: busy: try later" "$? $out"
eq "(a) ... the request reached the socket" '{"op":"status"}' \
    "$(cat "$T/got")"
stop_listener
out=$(front list --help 2>&1)
eq "(a) list --help with no engine: exit 0" 0 $?
contains "(a) ... its usage" "usage: corun [-S URL] list" "$out"

# (b) what needs the engine, without one.
out=$(front run true ::: 1 2>&1)
eq "(b) run with no engine: exit status 127" 127 $?
contains "(b) ... a line naming the engine and the command" \
    "cannot run $T/none (the program behind \`corun run\`)" "$out"
out=$(front --version 2>&1)
eq "(b) --version with no engine: 127" 127 $?
freeport
out=$(front -S "tcp://127.0.0.1:$PORT" status 2>&1)
eq "(b) status over tcp:// with no engine: 127 (nng is the engine's)" \
    127 $?
: >"$T/plain"
out=$(CORUN_ENGINE=$T/plain timeout 20 "$CORUN" run true 2>&1)
eq "(b) an engine that cannot be run: exit status 126" 126 $?
contains "(b) ... and why" "Permission denied" "$out"

# (c) the arguments reach the engine as typed.
printf '#!/bin/sh\nprintf "[%%s]" "$@"; echo; exit 7\n' >"$T/echo-engine"
chmod +x "$T/echo-engine"
out=$(CORUN_ENGINE=$T/echo-engine "$CORUN" run -j2 "a  b" ::: '*' 2>&1)
eq "(c) run: the engine's exit status" 7 $?
eq "(c) ... and every argument as typed" "[run][-j2][a  b][:::][*]" "$out"
out=$(CORUN_ENGINE=$T/echo-engine "$CORUN" -S "tcp://127.0.0.1:$PORT" \
    status --json 2>&1)
eq "(c) -S tcp://... status goes to the engine whole" \
    "[-S][tcp://127.0.0.1:$PORT][status][--json]" "$out"

# (d) the real engine behind the front.
out=$(printf 'x\ny\n' | timeout 60 "$CORUN" run -k echo 2>&1)
eq "(d) stdin reaches run through the exec" "x
y" "$out"
timeout 60 "$CORUN" run false ::: 1 2 3 >/dev/null 2>&1
eq "(d) run's exit status (3 jobs failed) comes back" 3 $?
out=$(timeout 20 "$CORUN" --version 2>&1)
contains "(d) --version" "corun " "$out"
freeport
rep "tcp://127.0.0.1:$PORT"
out=
for i in 1 2 3 4 5 6 7 8 9 10; do
	out=$(timeout 20 "$CORUN" -S "tcp://127.0.0.1:$PORT" status 2>&1)
	case $out in *"cannot reach"*) sleep 0.2 ;; *) break ;; esac
done
eq "(d) status over tcp:// through nng: corund's error" \
    "corun: corund: busy: try later" "$out"
stop_listener

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
