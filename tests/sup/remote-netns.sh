#!/bin/sh
# SPDX-License-Identifier: MIT
# remote-netns.sh - remote workers in three network namespaces, each
# joined to the root namespace by a veth pair, attached over tcp:// to a
# `corun run --listen` in the root namespace.  Mid-run one namespace's
# link is cut (ip link set down): its worker falls silent, the supervisor
# drops it and its jobs finish on the other two, every result exactly
# once.  A worker with a wrong token is refused and logged.
#
# Needs root and ip(8) (iproute2); says so and skips (77) otherwise.  The
# namespaces and links are removed on exit, whatever happens.
. "${srcdir:-.}/tests/cli/cli-lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root to create network namespaces"
	exit 77
fi
if ! command -v ip > /dev/null 2>&1; then
	echo "skip: needs ip(8) from iproute2"
	exit 77
fi

ID=$$
NET=10.$((100 + ID % 100))
W=$CORUN_WORKER
NSES=
. "${srcdir:-.}/tests/port-lib.sh"
freeport

netns_cleanup() {
	for i in $NSES; do
		for p in $(ip netns pids "cr$i-$ID" 2> /dev/null); do
			kill -9 "$p" 2> /dev/null
		done
		ip netns del "cr$i-$ID" 2> /dev/null
		ip link del "crv$i-$ID" 2> /dev/null
	done
	cleanup
}
trap netns_cleanup EXIT
trap 'exit 1' INT TERM

for i in 1 2 3; do
	ns=cr$i-$ID
	if ! ip netns add "$ns" 2> "$T/ip.err"; then
		echo "skip: cannot create a network namespace: $(cat "$T/ip.err")"
		exit 77
	fi
	NSES="$NSES $i"
	ip link add "crv$i-$ID" type veth peer name "crp$i-$ID" &&
	ip link set "crp$i-$ID" netns "$ns" &&
	ip addr add "$NET.$i.1/24" dev "crv$i-$ID" &&
	ip link set "crv$i-$ID" up &&
	ip netns exec "$ns" ip addr add "$NET.$i.2/24" dev "crp$i-$ID" &&
	ip netns exec "$ns" ip link set "crp$i-$ID" up &&
	ip netns exec "$ns" ip link set lo up ||
	    { echo "skip: cannot set up veth links"; exit 77; }
done
echo "tok-$ID" > "$T/token"
echo "bad-$ID" > "$T/bad"

# 60 jobs of 0.25 s on 3 x 2 slots: about 2.5 s of work.
i=1
while [ "$i" -le 60 ]; do
	printf '{"kind":"shell","cmd":"sleep 0.25; echo job%s ${MARK}"}\n' "$i"
	i=$((i + 1))
done > "$T/jobs"

# worker I TOKENFILE NAME: a worker in namespace I, bounded, in the background.
worker() {
	ip netns exec "cr$1-$ID" timeout 60 env MARK="ns$1" "$W" \
	    --connect "tcp://$NET.$1.1:$PORT" --token-file "$2" \
	    --model async -j 2 --wait 10 > /dev/null 2> "$T/$3.err" &
	CR_BG_PIDS="$CR_BG_PIDS $!"
}
worker 1 "$T/token" w1
p1=$!
worker 2 "$T/token" w2
p2=$!
worker 3 "$T/token" w3
p3=$!
worker 3 "$T/bad" wbad
pbad=$!
# Cut namespace 2 off once all three are at work (its worker then holds
# jobs: the queue is long).
(k=0
while n=$(grep -c 'session at' "$T/err" 2>/dev/null); [ "${n:-0}" -lt 3 ] &&
    [ $k -lt 300 ]; do
	sleep 0.1
	k=$((k + 1))
done
sleep 0.5
ip link set "crv2-$ID" down) &
CR_BG_PIDS="$CR_BG_PIDS $!"

timeout 60 "$CORUN" run --remote-only --listen "tcp://0.0.0.0:$PORT" \
    --token-file "$T/token" --remote-timeout 1.5 --jobs-file "$T/jobs" \
    > "$T/out" 2> "$T/err"
eq "run exit" 0 $?
got=$(cut -d' ' -f1 "$T/out" | sort -u | wc -l | tr -d ' ')
dup=$(cut -d' ' -f1 "$T/out" | sort | uniq -d | wc -l | tr -d ' ')
eq "60 distinct results" 60 "$got"
eq "no result twice" 0 "$dup"
eq "60 lines" 60 "$(wc -l < "$T/out" | tr -d ' ')"
for i in 1 3; do
	n=$(grep -c " ns$i\$" "$T/out")
	[ "$n" -gt 0 ] && ok "namespace $i ran $n jobs" ||
	    fail "namespace $i ran no job"
done
eq "three workers attached" 3 "$(grep -c 'session at' "$T/err")"
contains "the cut worker is dropped for silence" "no heartbeat" "$(cat "$T/err")"
requeued=$(sed -n 's/.*; \([0-9]*\) job(s) re-queued.*/\1/p' "$T/err" | head -1)
[ "${requeued:-0}" -gt 0 ] && ok "its $requeued job(s) were re-queued" ||
    fail "no job of the cut worker was re-queued: $(cat "$T/err")"
wait "$pbad"
eq "wrong token: worker refused" 1 $?
contains "wrong token: logged by the supervisor" "refused remote worker" "$(cat "$T/err")"
contains "wrong token: logged with its address" "at $NET.3.2:" "$(cat "$T/err")"
wait "$p1"
eq "worker 1 shut down as asked" 0 $?
wait "$p3"
eq "worker 3 shut down as asked" 0 $?
wait "$p2"
eq "the cut-off worker gave up on its supervisor" 3 $?
finish
