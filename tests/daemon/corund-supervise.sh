#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-supervise.sh - supervision: a stopped worker (SIGSTOP) is found
# by the heartbeat timeout and replaced, its job run again; SIGHUP with a
# broken config keeps the old one; SIGTTIN adds a worker; scale.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

cat >"$T/conf" <<CONF
workers = 2
heartbeat-timeout = 1.5
CONF
start_daemon --config "$T/conf"

pids() {
	cr status --json | tr -d ' \n' | sed -n 's/.*"pids":\[\([0-9,]*\)\].*/\1/p'
}
alive() {
	cr status --json | sed -n 's/^    "alive": \([0-9]*\),*$/\1/p'
}

# SIGSTOP a worker running a job: within the timeout (+ 1 s grace) it is
# killed, replaced, and the job runs again elsewhere.
j=$(cr submit sh -c 'sleep 1; echo survived')
sleep 0.3
victim=
for p in $(pids | tr ',' ' '); do
	if pgrep -P "$p" >/dev/null 2>&1; then
		victim=$p
	fi
done
[ -n "$victim" ] || victim=$(pids | cut -d, -f1)
kill -STOP "$victim"
t0=$(date +%s)
i=0
while kill -0 "$victim" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
t1=$(date +%s)
kill -0 "$victim" 2>/dev/null && fail "stopped worker still there" ||
    ok "stopped worker killed after $((t1 - t0)) s"
[ $((t1 - t0)) -le 5 ] && ok "within the timeout" || fail "took $((t1 - t0)) s"
contains "logged with SIGABRT" "no heartbeat" "$(cat "$T/log")"
cr wait "$j" --timeout 20
eq "its job finished anyway" 0 $?
eq "job output" survived "$(cr result "$j")"
i=0
while [ "$(alive)" != 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
eq "replaced: 2 workers alive" 2 "$(alive)"

# SIGHUP with a broken config keeps the old settings.
echo "workers = many" >"$T/conf"
kill -HUP "$DPID"
sleep 0.5
contains "broken config rejected" "keeping the old settings" "$(cat "$T/log")"
contains "names the line" "conf:1" "$(cat "$T/log")"
kill -0 "$DPID" && ok "still running" || fail "died on a bad config"
eq "still 2 workers" 2 "$(alive)"
# A good one is applied.
printf 'workers = 3\nheartbeat-timeout = 1.5\n' >"$T/conf"
kill -HUP "$DPID"
i=0
while [ "$(alive)" != 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
eq "HUP applied workers = 3" 3 "$(alive)"

# SIGTTIN adds one, scale sets it.
kill -TTIN "$DPID"
i=0
while [ "$(alive)" != 4 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
eq "TTIN: 4 workers" 4 "$(alive)"
eq "scale -3" 1 "$(cr scale -3)"
id=$(cr submit echo after-scale)
cr wait "$id" --timeout 20
eq "jobs run after scaling" after-scale "$(cr result "$id")"

# TERM with a worker stopped and others replaced, recycled and retired:
# the teardown ends by itself, not by its 10 s watchdog (nng 1.5.2 can
# hang a close for good: src/sup/sockclose.c).
stopped=$(pids | cut -d, -f1)
[ -n "$stopped" ] && kill -STOP "$stopped"
stop_daemon
case $(cat "$T/log") in
*"teardown is stuck"*) fail "teardown stuck: the watchdog ended it" ;;
*) ok "teardown ended by itself" ;;
esac
[ -n "$stopped" ] && kill -KILL "$stopped" 2>/dev/null
finish
