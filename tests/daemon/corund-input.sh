#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-input.sh - bad requests get clear errors and the daemon keeps
# serving: malformed JSON, not an object, unknown ops, wrong types,
# unknown fields, oversized messages.  Driven by nngcat.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v nngcat >/dev/null 2>&1 || { echo "skip: no nngcat"; exit 77; }

start_daemon --workers 1 --config /dev/null
# (an empty config is valid)

check() {	# NAME REQUEST CODE [MESSAGE-PART]
	r=$(ctl "$2")
	contains "$1: code" "\"code\":\"$3\"" "$r"
	if [ $# -ge 4 ]; then
		contains "$1: message" "$4" "$r"
	fi
}
check "malformed JSON" '{"op": "status"' bad_json "line 1"
check "garbage" 'hello' bad_json
check "empty object" '{}' bad_request '"op\" must be a string'
check "array" '[1,2]' bad_request "must be a JSON object"
check "unknown op" '{"op":"explode"}' unknown_op explode
check "op not a string" '{"op":5}' bad_request
check "submit without cmd" '{"op":"submit"}' bad_request cmd
check "cmd not an array" '{"op":"submit","cmd":"ls"}' bad_request cmd
check "cmd with a number" '{"op":"submit","cmd":["ls",3]}' bad_request 'cmd[1]'
check "timeout wrong type" '{"op":"submit","cmd":["true"],"timeout":"5"}' \
    bad_request timeout
check "negative retries" '{"op":"submit","cmd":["true"],"retries":-1}' \
    bad_request retries
check "unknown field" '{"op":"submit","cmd":["true"],"colour":"red"}' \
    bad_request colour
check "after unknown job" '{"op":"submit","cmd":["true"],"after":[424242]}' \
    not_found after
check "batch with one bad job" \
    '{"op":"submit","jobs":[{"cmd":["true"]},{"cmd":[]}]}' bad_request 'jobs[1]'
eq "a bad batch adds nothing" 0 "$(count queued)"
eq "... and runs nothing" 0 "$(count done)"
check "status id wrong type" '{"op":"status","id":"x"}' bad_request id
check "result of a missing job" '{"op":"result","id":77}' not_found 77
check "wait on a missing job" '{"op":"wait","ids":[77]}' not_found 77
check "scale out of range" '{"op":"scale","workers":0}' bad_request
check "duplicate keys" '{"op":"status","op":"status"}' bad_json duplicate

# Oversized: over max-request gets an error, not a dropped connection.
python3 -c 'import sys; sys.stdout.write("{\"op\":\"submit\",\"kind\":\"noop\",\"payload\":\"" + "x" * 20000 + "\"}")' \
    >"$T/big" 2>/dev/null || head -c 20000 /dev/zero | tr '\0' x >"$T/big"
stop_daemon
start_daemon --workers 1 --config /dev/null
echo "max-request = 4096" >"$T/conf"
stop_daemon
start_daemon --workers 1 --config "$T/conf"
r=$(timeout 10 nngcat --req0 --dial "$SOCK" --file "$T/big" --ascii 2>&1)
contains "oversized: too_large" '"code":"too_large"' "$r"
contains "oversized: names the limit" 4096 "$r"

# Still serving, and a good request works.
contains "still serving" '"ok":true' "$(ctl '{"op":"status"}')"
id=$(cr submit echo fine)
cr wait "$id"
eq "good job after bad ones" fine "$(cr result "$id")"
kill -0 "$DPID" && ok "daemon alive" || fail "daemon died"
stop_daemon
finish
