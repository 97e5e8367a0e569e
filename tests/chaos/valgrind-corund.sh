#!/bin/sh
# SPDX-License-Identifier: MIT
# valgrind-corund.sh - corund under valgrind memcheck (make check-valgrind):
# start, submit a command and 2000 keyed noop jobs, a repeated key, a
# nested request, SIGUSR1 and SIGHUP, a listener check or two, SIGTERM.
# Any memory error or definite leak fails.  Usage: valgrind-corund.sh
# BUILDDIR LIBTOOL
set -u
B=$1
LIBTOOL=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-vg.XXXXXX")
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
CORUN_SOCKET=ipc://$T/run/ctl
CORUN_WORKER=$B/workers/corun-worker
export CORUN_SOCKET CORUN_WORKER
cr() { timeout 120 "$B/corun" "$@"; }

$LIBTOOL --mode=execute valgrind -q --leak-check=full \
    --errors-for-leak-kinds=definite --error-exitcode=1 \
    --log-file="$T/vg" "$B/corund" --foreground --state-dir "$T/state" \
    --socket "$CORUN_SOCKET" --workers 2 --log "$T/log" 2>>"$T/log" &
DPID=$!
i=0
until cr status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 150 ]; then
		echo "FAIL: corund under valgrind did not start"; cat "$T/log"
		exit 1
	fi
	sleep 0.2
done
fails=0
id=$(cr submit echo hi)
python3 -c '
import json
for i in range(2000):
    print(json.dumps({"kind": "noop", "key": "k%d" % i}))' |
    cr submit --jobs-file - >"$T/ids"
[ "$(cr submit --key k5 true)" = "$(sed -n 6p "$T/ids")" ] ||
    { echo "FAIL: a repeated key got a new id"; fails=1; }
cr wait --all --timeout 100 >/dev/null
[ "$(cr result "$id")" = hi ] || { echo "FAIL: result"; fails=1; }
# The queue commands: a failed dependency, list pages, a group with a
# limit, restart, cancel --all, clean.
a=$(cr submit sh -c 'exit 1')
b=$(cr submit --after "$a" true)
c=$(cr submit --after-any "$a" true)
cr wait "$a" "$b" "$c" --timeout 60 >/dev/null 2>&1
cr result "$b" 2>&1 | grep -q "dependency $a failed" ||
    { echo "FAIL: dependency"; fails=1; }
[ "$(cr list --last 3 | wc -l)" -eq 4 ] || { echo "FAIL: list"; fails=1; }
cr list --json >/dev/null || { echo "FAIL: list --json"; fails=1; }
cr group add g --parallel 1 && cr submit --group g true >/dev/null &&
    cr group >/dev/null || { echo "FAIL: group"; fails=1; }
cr restart "$a" >/dev/null && cr cancel --all >/dev/null &&
    cr clean >/dev/null || { echo "FAIL: restart, cancel, clean"; fails=1; }
python3 -c 'import sys; sys.stdout.write("[" * 5000 + "]" * 5000)' >"$T/deep"
timeout 20 nngcat --req0 --dial "$CORUN_SOCKET" --file "$T/deep" \
    --ascii >/dev/null 2>&1
kill -USR1 "$DPID"
kill -HUP "$DPID"
sleep 7
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
if [ $rc -ne 0 ] || [ $fails -ne 0 ]; then
	echo "FAIL: corund under valgrind (exit $rc)"
	cat "$T/vg"
	exit 1
fi
echo "PASS: valgrind corund (2001 jobs, signals, bad input)"
