#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-unit.sh - the systemd unit: `systemd-analyze verify` finds
# nothing to say about it; corund started exactly as its ExecStart says,
# with no config file present and the directories systemd would hand it
# ($STATE_DIRECTORY, $RUNTIME_DIRECTORY), runs jobs on its built-in
# defaults and keeps them across a kill -9; the installed example config
# is a config corund accepts.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v systemd-analyze >/dev/null 2>&1 ||
    { echo "skip: systemd-analyze is not installed"; exit 77; }

# The unit as make builds it, with this build's corund as the binary.
sed -e "s|@sbindir@|$B|g" -e "s|@sysconfdir@|$T/etc|g" \
    "$srcdir/dist/corund.service.in" >"$T/corund.service"
out=$(systemd-analyze verify --man=no "$T/corund.service" 2>&1)
eq "systemd-analyze verify exits 0" 0 $?
eq "systemd-analyze verify says nothing" "" "$out"
for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
    PrivateTmp=yes RestrictAddressFamilies= StateDirectory=corun \
    RuntimeDirectory=corun; do
	contains "the unit sets $k" "$k" "$(cat "$T/corund.service")"
done
case $(grep '^ExecStart=' "$T/corund.service") in
*--config*) fail "ExecStart names a config file that may not exist" ;;
*) ok "ExecStart names no config file" ;;
esac

# No config file where corund looks without --config.
conf=$("$CORUND" --help | sed -n 's/^Without --config: \(.*\) when it exists.*/\1/p')
contains "--help names the config file it reads" "/corun/corund.conf" "$conf"
if [ -e "$conf" ]; then
	echo "skip: $conf exists on this machine; the test needs none"
	exit 77
fi

# Exactly the unit's ExecStart, in the environment systemd gives it.
mkdir -m 0700 "$T/state" "$T/run"
exec_start=$(sed -n 's/^ExecStart=//p' "$T/corund.service")
SOCK=ipc://$T/run/ctl
CORUN_SOCKET=$SOCK
export T CORUN
unit_start() {
	# shellcheck disable=SC2086 # the words of ExecStart
	STATE_DIRECTORY=$T/state RUNTIME_DIRECTORY=$T/run $exec_start \
	    2>>"$T/log" &
	DPID=$!
	i=0
	while [ $i -lt 100 ] && ! timeout 5 "$CORUN" status >/dev/null 2>&1; do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}
unit_start
kill -0 "$DPID" 2>/dev/null && ok "started as ExecStart, no config file" ||
    fail "corund exited at start as ExecStart runs it"
eq "a job runs on the built-in defaults" unit "$(cr submit --wait echo unit)"
[ -e "$T/state/jobs.db" ] && ok "the store is in \$STATE_DIRECTORY" ||
    fail "no jobs.db in \$STATE_DIRECTORY"
[ -S "$T/run/ctl" ] && ok "the socket is in \$RUNTIME_DIRECTORY" ||
    fail "no socket in \$RUNTIME_DIRECTORY"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
unit_start
eq "after kill -9 and a restart: the job is kept" unit "$(cr result 1)"
stop_daemon

# The sandbox, as far as it can be made without systemd: a private mount
# namespace with / read-only (ProtectSystem=strict) but for the state
# and runtime directories, and no new privileges (NoNewPrivileges=).
# Root only (unshare -m); skipped otherwise, with the reason.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    command -v setpriv >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	rm -rf "$T/state" "$T/run"
	mkdir -m 0700 "$T/state" "$T/run"
	timeout 60 unshare -m sh -c '
		mount --make-rprivate / && mount --bind "$1" "$1" &&
		    mount -o remount,bind,ro / || exit 3
		touch /etc/.corund-sandbox-test 2>/dev/null && exit 4
		shift
		STATE_DIRECTORY=$T/state RUNTIME_DIRECTORY=$T/run \
		    setpriv --no-new-privs "$@" 2>>"$T/log" &
		pid=$!
		i=0
		while [ $i -lt 100 ] && ! "$CORUN" status >/dev/null 2>&1; do
			sleep 0.1; i=$((i + 1))
		done
		out=$("$CORUN" submit --wait echo sandboxed)
		kill -TERM $pid; wait $pid
		[ "$out" = sandboxed ]' sh "$T" $exec_start
	eq "read-only / and no new privileges: a job runs" 0 $?
else
	echo "skip (part): the sandbox needs root and unshare -m"
fi

# The example config installed beside it is accepted as it is.
SOCK=ipc://$T/ex-ctl
CORUN_SOCKET=$SOCK
start_daemon --config "$srcdir/dist/corund.conf.example" \
    --state-dir "$T/ex-state" --socket "$SOCK" --workers 1
eq "corund runs with the example config" ex "$(cr submit --wait echo ex)"
stop_daemon
finish
