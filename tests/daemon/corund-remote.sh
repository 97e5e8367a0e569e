#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-remote.sh - corund with listen = tcp://127.0.0.1:PORT: a remote
# worker presenting the token from token-file runs queued jobs next to
# the local one; a wrong token is refused and logged; after a scale (a new
# pool) the rendezvous listens again and a new remote worker attaches.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

. "${srcdir:-.}/tests/port-lib.sh"
freeport
URL=tcp://127.0.0.1:$PORT
echo "tok-$$" > "$T/token"
echo "bad-$$" > "$T/bad"
start_daemon --workers 1 --listen "$URL" --token-file "$T/token"

# remote NAME TOKENFILE: a bounded remote worker in the background (it
# tolerates a daemon stalled by a loaded machine for 10 s).
remote() {
	timeout 60 env MARK="$1" "$CORUN_WORKER" --connect "$URL" \
	    --token-file "$2" --model async -j 2 --silence 10 \
	    > /dev/null 2> "$T/$1.err" &
}
# attached N: wait until the daemon has let N remote workers in (30 s).
attached() {
	k=0
	while n=$(grep -c 'session at' "$T/log" 2>/dev/null); [ "${n:-0}" -lt "$1" ] &&
	    [ $k -lt 300 ]; do
		sleep 0.1
		k=$((k + 1))
	done
}
remote r1 "$T/token"
r1=$!
remote bad "$T/bad"
bad=$!
wait "$bad"
eq "wrong token: refused" 1 $?
contains "wrong token: logged" "wrong token" "$(cat "$T/log")"
attached 1
ids=
for i in 1 2 3 4 5 6 7 8 9 10; do
	ids="$ids $(cr submit sh -c 'sleep 0.3; echo ${MARK:-local}')"
done
cr wait $ids
eq "all jobs done" 0 $?
out=$(for id in $ids; do cr result "$id"; done)
n=$(echo "$out" | grep -c '^r1$')
[ "$n" -gt 0 ] && ok "the remote worker ran $n jobs" || fail "the remote worker ran none: $out"

cr scale 2 > /dev/null
eq "scale" 0 $?
wait "$r1"
eq "the old pool's remote worker was told to stop" 0 $?
remote r2 "$T/token"
r2=$!
attached 2
ids=
for i in 1 2 3 4 5 6; do
	ids="$ids $(cr submit sh -c 'sleep 0.3; echo ${MARK:-local}')"
done
cr wait $ids
out=$(for id in $ids; do cr result "$id"; done)
n=$(echo "$out" | grep -c '^r2$')
[ "$n" -gt 0 ] && ok "after scale a new remote worker ran $n jobs" ||
    fail "after scale the remote worker ran none: $out"
# SIGTERM to the worker itself, not to timeout(1): timeout passes a
# signal on followed by SIGCONT, and under LeakSanitizer a SIGCONT during
# the exiting worker's leak check cancels the SIGSTOP its tracer waits
# for: the worker then spins for ever (seen in CI's sanitizer stage).
pkill -TERM -P "$r2" 2> /dev/null || kill "$r2" 2> /dev/null
finish
