#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-too-large.sh - every oversized request is answered: a raw
# request of 40 MiB (past what nng used to take, twice max-request)
# gets too_large naming the limit, `corun submit --jobs-file` with a
# huge line says so in one line, and corund keeps serving.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
command -v nngcat >/dev/null 2>&1 || { echo "skip: no nngcat"; exit 77; }

start_daemon --workers 1
python3 -c '
import sys
sys.stdout.write("{\"op\":\"submit\",\"kind\":\"noop\",\"payload\":\""
    + "x" * (40 << 20) + "\"}")' >"$T/huge"
r=$(timeout 60 nngcat --req0 --dial "$SOCK" --file "$T/huge" --ascii 2>&1)
contains "40 MiB raw request: too_large" '"code":"too_large"' "$r"
contains "the reply names the limit" '"limit":16777216' "$r"
contains "the message names it too" "limit of 16777216 bytes" "$r"
rm -f "$T/huge"

# A jobs file: a small job, then one line of 40 MiB.
python3 - "$T/jobs" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"cmd": ["true"]}) + "\n")
    f.write(json.dumps({"cmd": ["echo", "y" * (40 << 20)]}) + "\n")
PY
timeout 60 "$CORUN" submit --jobs-file "$T/jobs" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && ok "submit fails (rc $rc)" || fail "submit succeeded"
eq "one line on stderr" 1 "$(wc -l <"$T/err" | tr -d ' ')"
contains "it says too_large" "too_large" "$(cat "$T/err")"
contains "and the limit" "16777216" "$(cat "$T/err")"
case $(cat "$T/err") in
*"Connection reset"*) fail "connection reset instead of an answer" ;;
*) ok "no connection reset" ;;
esac
rm -f "$T/jobs"

contains "still serving" '"ok":true' "$(ctl '{"op":"status"}')"
eq "the small job before the long line was acknowledged" 1 \
    "$(wc -l <"$T/out" | tr -d ' ')"

# Many jobs whose lines add up to more than corund's limit (about 18 MB
# in 3000 lines) go as several requests, all of them acknowledged.
python3 - "$T/many" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(json.dumps({"kind": "noop", "payload": "y" * 6000}) + "\n")
PY
timeout 120 "$CORUN" submit --jobs-file "$T/many" >"$T/out" 2>"$T/err"
eq "a jobs file over the request limit: submit succeeds" 0 $?
eq "every one of its 3000 jobs acknowledged" 3000 \
    "$(wc -l <"$T/out" | tr -d ' ')"
eq "and nothing on stderr" "" "$(cat "$T/err")"
rm -f "$T/many"
id=$(cr submit true)
timeout 30 "$CORUN" wait "$id" --timeout 20 >/dev/null
eq "a job runs afterwards" 0 $?
kill -0 "$DPID" 2>/dev/null && ok "daemon alive" || fail "daemon died"
stop_daemon
finish
