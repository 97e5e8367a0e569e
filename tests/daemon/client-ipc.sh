#!/bin/sh
# SPDX-License-Identifier: MIT
# client-ipc.sh - the corun client's own ipc:// requests
# (src/cli/client-ipc.c, which speaks nng's REQ protocol without nng)
# against real nng sockets played by nngcat, and against a raw listener:
#  (a) a request reaches an nng REP socket whole and its reply comes back;
#  (b) a reply of 3 MB comes back whole (read in many pieces);
#  (c) a listener that is not a REP socket (nngcat --pair0) is a protocol
#      error, reported at once;
#  (d) a server that closes the connection before replying is reported;
#  (e) no listener, or no socket at all: "cannot reach corund".
# Every listener is started here and stopped by its pid.
set -u
: "${srcdir:=.}"
B=${CORUN_BUILDDIR:-$PWD}
CORUN=$B/corun
[ -x "$CORUN" ] || { echo "skip: $CORUN is not built"; exit 77; }
for c in nngcat timeout python3; do
	command -v $c >/dev/null 2>&1 || { echo "skip: no $c"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-ipc.XXXXXX")
S=ipc://$T/s
LPID=
fails=0
cleanup() {
	[ -z "$LPID" ] || kill "$LPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$srcdir/tests/daemon/check-lib.sh"

# wait_sock: until the listener made its socket (at most 10 s).
wait_sock() {
	i=0
	while [ ! -S "$T/s" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
stop_listener() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
	rm -f "$T/s"
}

# (a) one request, one reply, through nng's own REP socket.
timeout 20 nngcat --rep0 --listen "$S" --ascii --count 1 \
    --data '{"ok":false,"error":{"code":"busy","message":"try later"}}' \
    >"$T/got" 2>&1 &
LPID=$!
wait_sock
out=$(timeout 20 "$CORUN" -S "$S" status 2>&1)
eq "(a) an error reply is an exit status 1" 1 $?
eq "(a) ... with its code and message" "corun: corund: busy: try later" \
    "$out"
wait "$LPID" 2>/dev/null
LPID=
eq "(a) the REP socket got the request whole" '{"op":"status"}' \
    "$(cat "$T/got")"
rm -f "$T/s"

# (b) a reply of 3 MB.
python3 -c 'import json; print(json.dumps({"ok": False, "error":
    {"code": "big", "message": "m" * 3000000}}))' >"$T/big"
timeout 20 nngcat --rep0 --listen "$S" --count 1 --file "$T/big" \
    >/dev/null 2>&1 &
LPID=$!
wait_sock
n=$(timeout 20 "$CORUN" -S "$S" status 2>&1 | tr -cd m | wc -c)
eq "(b) a 3 MB reply comes back whole" 3000000 "$n"
stop_listener

# (c) not a REP socket.
timeout 20 nngcat --pair0 --listen "$S" >/dev/null 2>&1 &
LPID=$!
wait_sock
out=$(timeout 10 "$CORUN" -S "$S" status 2>&1)
eq "(c) a PAIR socket: exit status 1" 1 $?
contains "(c) ... a protocol error" "not an nng REP socket" "$out"
stop_listener

# (d) a server that greets, reads the request, and hangs up.
timeout 20 python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
# listening before the name appears: wait_sock sees a ready socket
s.bind(sys.argv[1] + ".tmp"); s.listen(1)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
c.sendall(b"\0SP\0\0\x31\0\0")
c.recv(65536)
c.close()' "$T/s" &
LPID=$!
wait_sock
out=$(timeout 10 "$CORUN" -S "$S" status 2>&1)
eq "(d) a connection closed early: exit status 1" 1 $?
contains "(d) ... said so" "connection closed before its reply" "$out"
stop_listener

# (e) nobody listening.
out=$(timeout 10 "$CORUN" -S "$S" status 2>&1)
eq "(e) no listener: exit status 1" 1 $?
contains "(e) ... cannot reach corund" "cannot reach corund at $S" "$out"
# ... nor a directory for the socket (list, as the shells' completions
# run it): no wait, no retry (timeout only stops a hang).
N="ipc://$T/none/ctl"
out=$(timeout 10 "$CORUN" -S "$N" list 2>&1)
eq "(e) no socket directory: exit status 1" 1 $?
contains "(e) ... cannot reach corund" "cannot reach corund at $N" "$out"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
