#!/bin/sh
# SPDX-License-Identifier: MIT
# security.sh - what the other tests leave out of the security checks:
# the state directory is private; a second corund on the same socket is
# refused and leaves the first one serving; deeply nested and oversized
# JSON gets a clear error and the daemon keeps serving; arguments holding
# quotes, $(...), backticks, ';', '|', '&&', redirections and newlines are
# data, never shell code, through corun run and corun submit; the control
# socket keeps serving after connections closed inside nng's handshake and
# recovers from its file being deleted.
# (corund-basic.sh checks the socket's 0600 and its directory's 0700, and
# a second corund on the same state directory; corund-input.sh requests
# over max-request.)
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
command -v nngcat >/dev/null 2>&1 || { echo "skip: no nngcat"; exit 77; }

# ---- the state directory ------------------------------------------------
start_daemon --workers 1
eq "state directory made 0700" drwx------ "$(ls -ld "$T/state" | cut -c1-10)"
eq "lock file 0600" -rw------- "$(ls -l "$T/state/lock" | cut -c1-10)"

# ---- a second corund on the same socket, another state directory ------
timeout 20 "$CORUND" --foreground --state-dir "$T/state2" --socket "$SOCK" \
    --workers 1 2>"$T/second"
eq "second corund on the socket refused" 1 $?
contains "says the address is in use" "Address in use" "$(cat "$T/second")"
contains "the first still answers" '"ok":true' "$(ctl '{"op":"ping"}')"
eq "the first is the one answering" "$DPID" \
    "$(cr status --json | sed -n 's/^  "pid": \([0-9]*\),*$/\1/p')"

# ---- connections closed before or inside the handshake -------------------
# nng 1.5.2's ipc listener stopped accepting after one (nng issue 1518);
# corund's own listener (ctl-uds.c) must answer the next request at once,
# every time: a raw connect and close, a greeting cut short, a message
# header promising more than is sent.
deaf=0
for cut in "" "\0SP" "\0SP\0\0\060\0\0\001\0\0\0\0\0\0\1\0"; do
	for try in 1 2; do
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.send(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.close()' "${SOCK#ipc://}" "$cut"
		[ -n "$(timeout 5 nngcat --req0 --dial "$SOCK" --ascii \
		    --data '{"op":"ping"}' 2>/dev/null)" ] || deaf=1
	done
done
eq "half-made connections: every next request served" 0 "$deaf"
contains "... and corun status too" "running" \
    "$(timeout 20 "$CORUN" status 2>&1)"
# Two requests sent at once on one connection, one byte at a time: two
# replies, each carrying its own request id back (REQ/REP's routing).
r=$(timeout 20 python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
out = b"\0SP\0\0\x30\0\0"
for rid in (0x80000011, 0x80000022):
    body = struct.pack(">I", rid) + b"{\"op\":\"ping\"}"
    out += b"\x01" + struct.pack(">Q", len(body)) + body
for i in range(len(out)):
    s.send(out[i:i + 1])
def need(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("closed")
        b += c
    return b
assert need(8)[:6] == b"\0SP\0\0\x31"
for _ in range(2):
    t, n = struct.unpack(">BQ", need(9))
    m = need(n)
    print("%x %s" % (struct.unpack(">I", m[:4])[0], m[4:].decode()))
' "${SOCK#ipc://}" 2>&1)
eq "two requests on one connection, byte by byte: both answered, ids kept" \
    "80000011 {\"ok\":true}
80000022 {\"ok\":true}" "$r"
rm -f "${SOCK#ipc://}"
i=0
while [ ! -S "${SOCK#ipc://}" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
contains "socket file deleted: made again" "running" \
    "$(timeout 20 "$CORUN" status 2>&1)"
contains "... and logged" "was gone; listening again" "$(cat "$T/log")"
eq "... still 0600" srw------- "$(ls -l "${SOCK#ipc://}" | cut -c1-10)"

# ---- deeply nested and oversized JSON ------------------------------------
python3 -c 'import sys; sys.stdout.write("[" * 100000 + "]" * 100000)' \
    >"$T/deep"
r=$(timeout 10 nngcat --req0 --dial "$SOCK" --file "$T/deep" --ascii 2>&1)
contains "100 000 nested arrays: bad_json" '"code":"bad_json"' "$r"
contains "... says why" "depth" "$r"
python3 -c '
import sys
sys.stdout.write("{\"op\":\"submit\",\"cmd\":[\"true\"],\"env\":{\"a\":"
    + "{\"b\":" * 5000 + "1" + "}" * 5000 + "}}")' >"$T/deep2"
r=$(timeout 10 nngcat --req0 --dial "$SOCK" --file "$T/deep2" --ascii 2>&1)
contains "nested objects inside a submit: bad_json" '"code":"bad_json"' "$r"
# Over the default max-request (16 MB): too_large, not a dropped
# connection (corund-input.sh checks a configured limit).
python3 -c '
import sys
sys.stdout.write("{\"op\":\"submit\",\"kind\":\"noop\",\"payload\":\""
    + "x" * (17 << 20) + "\"}")' >"$T/huge"
r=$(timeout 30 nngcat --req0 --dial "$SOCK" --file "$T/huge" --ascii 2>&1)
contains "17 MB request: too_large" '"code":"too_large"' "$r"
eq "nothing was queued by them" 0 "$(count queued)"
contains "still serving" '"ok":true' "$(ctl '{"op":"status"}')"
kill -0 "$DPID" 2>/dev/null && ok "daemon alive" || fail "daemon died"

# A jobs file with a deeply nested line: corun run names the line.
python3 -c '
print("{\"kind\": \"noop\"}")
print("{\"kind\": \"noop\", \"id\": " + "[" * 100000 + "]" * 100000 + "}")' \
    >"$T/deep.jsonl"
err=$(timeout 20 "$CORUN" run --jobs-file "$T/deep.jsonl" 2>&1 >/dev/null)
eq "corun run: nested jobs file refused" 255 $?
contains "... names the line" "deep.jsonl:2" "$err"

# ---- shell metacharacters are data ----------------------------------------
mkdir "$T/w"
cd "$T/w" || exit 1
nl='
'
# Absolute paths: wherever a job runs, shell code would leave a file here.
W=$T/w
set -- "a b" "\$(touch $W/p1)" "\`touch $W/p2\`" "x; touch $W/p3" \
    "y${nl}touch $W/p4" "q'\"" "| touch $W/p5" "&& touch $W/p6" \
    "> $W/p7" '$HOME' '*' "'; touch $W/p8; '" "\"; touch $W/p9; \""
printf '%s\n' "$@" >"$T/want"
# corun run, the command run directly, values through :::.
timeout 60 "$CORUN" run -q -k printf '%s\n' ::: "$@" >"$T/got" 2>"$T/err"
eq "run: exit status" 0 $?
eq "run: every argument printed as given" "$(cat "$T/want")" "$(cat "$T/got")"
# corun run, a command that holds shell syntax: it goes through sh -c, the
# values are quoted into it.
timeout 60 "$CORUN" run -k 'printf "%s\n" {} | cat' ::: "$@" >"$T/got" \
    2>"$T/err"
eq "run through sh -c: exit status" 0 $?
eq "run through sh -c: every argument printed as given" \
    "$(cat "$T/want")" "$(cat "$T/got")"
# A jobs file's argv.
python3 - "$@" >"$T/argv.jsonl" <<'PY'
import json, sys
for i, a in enumerate(sys.argv[1:]):
    print(json.dumps({"id": i, "kind": "shell", "argv": ["printf", "%s\n", a]}))
PY
timeout 60 "$CORUN" run -k --jobs-file "$T/argv.jsonl" >"$T/got" 2>"$T/err"
eq "jobs file argv: every argument printed as given" \
    "$(cat "$T/want")" "$(cat "$T/got")"
# corun submit: the argv is run directly by corund's workers.
id=$(cr submit printf '%s\n' "$@")
cr wait "$id" >/dev/null
eq "submit: every argument printed as given" "$(cat "$T/want")" \
    "$(cr result "$id")"
eq "no argument ran as shell code" "" "$(ls "$T/w")"
cd "$T" || exit 1
stop_daemon
finish
