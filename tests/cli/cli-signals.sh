#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-signals.sh - corun run under signals: SIGINT/SIGTERM stop it and
# kill the running jobs; a worker killed with SIGKILL mid-run loses no job
# and runs none twice.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

# Ctrl-C reaches the whole foreground process group (corun and its
# workers); here that is timeout(1)'s group, and the signal goes to its
# members but timeout itself: timeout would pass it on and then send the
# group SIGCONT, which under LeakSanitizer can land in an exiting
# process's leak check and leave it spinning for ever (doc/HACKING.md).
# Each job is in a process group of its own ($$ of its sh is the group
# id), so none of them is signalled here.
for sig in INT TERM; do
	rm -f pids
	timeout 60 "$CORUN" run -q -j2 sh -c 'echo $$ >>pids; sleep 60' ::: 1 2 3 4 &
	pid=$!
	CR_BG_PIDS="$CR_BG_PIDS $pid"
	wait_lines pids 2
	start=$(date +%s)
	kill -$sig $(pgrep -g "$pid" | grep -vx "$pid")
	wait $pid
	rc=$?
	end=$(date +%s)
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	eq "SIG$sig: exit status" $want $rc
	[ $((end - start)) -lt 15 ] && ok "SIG$sig: stopped promptly" || fail "SIG$sig took $((end - start)) s"
	sleep 0.5
	for p in $(cat pids); do
		if group_alive "$p"; then
			fail "SIG$sig: a process of job group $p survived"
			kill -9 -- "-$p"
		fi
	done
	eq "SIG$sig: no new job started" 2 "$(wc -l <pids)"
done

# A worker SIGKILLed mid-run: its jobs are re-run elsewhere, each job's
# output appears exactly once.
timeout 120 "$CORUN" run -q --model process -j3 sh -c 'sleep 0.3; echo job{}' ::: $(seq 40) >out 2>err &
pid=$!
CR_BG_PIDS="$CR_BG_PIDS $pid"
wait_lines out 6
cpid=$(corun_pid $pid)
wpid=$(pgrep -P "$cpid" -f corun-worker | head -1)
if [ -n "$wpid" ]; then
	kill -9 "$wpid"
	ok "killed worker $wpid"
else
	fail "no worker process found under corun ($pid)"
fi
wait $pid
eq "worker killed: exit status" 0 $?
eq "worker killed: every job once" "$(seq 40 | sed 's/^/job/' | sort)" "$(sort out)"
eq "worker killed: no duplicate" "" "$(sort out | uniq -d)"

finish
