#!/bin/sh
# SPDX-License-Identifier: MIT
# worker-sock-peers.sh - the supervisor's listener for a local worker
# (served on the loop, src/lib/spipc.c) refuses strangers without harm:
# while `corun run` runs a job, other connections to the worker's
# ipc:// socket file (garbage, half a greeting, nng's SP greeting of
# another protocol) are closed by the supervisor, and the run still ends
# with its result, exit status 0, and the socket file removed.  Every
# process is bounded by timeout(1); the one in the background is killed
# by pid on exit.
. "${srcdir:-.}/tests/cli/cli-lib.sh"

[ -n "$PY" ] || { echo "skip: no python3"; exit 77; }
mkdir -m 700 "$T/rt"
XDG_RUNTIME_DIR=$T/rt timeout 60 "$CORUN" run -j1 \
    "touch $T/started; sleep 2; echo done{}" ::: a > "$T/out" 2> "$T/err" &
RUN=$!
CR_BG_PIDS=$RUN

# The worker's socket: ipc://$XDG_RUNTIME_DIR/corun.PID.XXXXXX/w<i>.<g>.
# Once its job runs, the worker connects at once (its first job came
# before, on --jobs-fd): the strangers below come after it.
i=0
while [ ! -e "$T/started" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.3
i=0
sock=
while [ -z "$sock" ] && [ $i -lt 100 ]; do
	for f in "$T"/rt/corun.*/w*; do
		[ -S "$f" ] && sock=$f
	done
	[ -n "$sock" ] || sleep 0.05
	i=$((i + 1))
done
[ -n "$sock" ] || fail "the worker's socket file did not appear"

# Each stranger must see its connection closed by the supervisor (within
# 5 s), after at most the supervisor's 8-byte greeting.
if [ -n "$sock" ]; then
	out=$(timeout 20 "$PY" - "$sock" <<'EOF'
import socket, sys
path = sys.argv[1]
tries = [b"GET / HTTP/1.0\r\n\r\n", b"\0SP", b"\0SP\0\0\x30\0\0", b""]
for data in tries:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    got = b""
    try:
        if data:
            s.sendall(data)
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        print("closed", len(got))
    except (ConnectionResetError, BrokenPipeError):
        # Closed with our bytes unread: a reset, closed all the same.
        print("closed", len(got))
    except socket.timeout:
        print("open", len(got))
    s.close()
EOF
)
	eq "strangers closed by the supervisor" \
	    "closed 0 closed 0 closed 0 closed 0" "$(echo $out)"
fi

wait "$RUN"
rc=$?
CR_BG_PIDS=
eq "the run ends well" 0 "$rc"
eq "its result" "donea" "$(cat "$T/out")"
eq "nothing logged" "" "$(cat "$T/err")"
[ -z "$sock" ] || [ ! -e "$sock" ] || fail "the socket file is left: $sock"
finish
