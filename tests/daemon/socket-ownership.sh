#!/bin/sh
# SPDX-License-Identifier: MIT
# socket-ownership.sh - another local user cannot take over corund's
# control socket.  Two users made here (useradd; removed by userdel in
# the trap): a victim who runs corund and its client with the default
# socket (/tmp/corun-UID/ctl: the victim's uid is new, so no real user's
# directory is touched), and an intruder who
#  (a) makes that directory first, mode 0777    -> corund refuses, names it;
#      the victim's own directory with mode 0755 -> refused too (the mode);
#  (b) makes it a symlink to a directory of theirs -> refused; the client
#      refuses the directory before connecting;
#  (c) listens in corund's place (nngcat --rep0) -> `corun submit` sends
#      nothing and names the socket and the intruder's uid;
#  (d) the normal case: the directory is made 0700, corund serves its
#      owner, the intruder can neither move the socket nor connect;
#  (e) /run/user/UID, when it is the victim's and private, is preferred.
# Root only (exit 77 otherwise); every process is started here and
# stopped by its pid; every wait is bounded.
set -u
: "${srcdir:=.}"
B=${CORUN_BUILDDIR:-$PWD}
CORUN=$B/corun
CORUND=$B/corund
CORUN_WORKER=${CORUN_WORKER:-$B/workers/corun-worker}
[ "$(id -u)" -eq 0 ] || { echo "skip: not root"; exit 77; }
for c in useradd userdel setpriv timeout nngcat; do
	command -v $c >/dev/null 2>&1 || { echo "skip: no $c"; exit 77; }
done
for f in "$CORUN" "$CORUND" "$CORUN_WORKER"; do
	[ -x "$f" ] || { echo "skip: $f is not built"; exit 77; }
done
# libtool's wrappers make their program on first use, where only root
# may write: make them now.
"$CORUN" --version >/dev/null 2>&1
"$CORUND" --version >/dev/null 2>&1
"$CORUN_WORKER" --version >/dev/null 2>&1

V=corun-tv-$$		# the victim
I=corun-ti-$$		# the intruder
T=$(mktemp -d /tmp/cr-own.XXXXXX)
chmod 755 "$T"
PIDS=
VUID=
cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# A user is removed only once none of its processes is left.
	if [ -n "$VUID" ]; then
		rm -rf "/tmp/corun-$VUID" "/run/user/$VUID"
	fi
	userdel "$V" 2>/dev/null
	userdel "$I" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
useradd -M -N -s /bin/sh "$V" || { echo "skip: useradd failed"; exit 77; }
useradd -M -N -s /bin/sh "$I" || { echo "skip: useradd failed"; exit 77; }
VUID=$(id -u "$V")
IUID=$(id -u "$I")
DIR=/tmp/corun-$VUID
rm -rf "$DIR" "/run/user/$VUID"	# a uid used before by a removed user
mkdir "$T/v" "$T/i"
chown "$V" "$T/v"
chown "$I" "$T/i"

fails=0
. "$srcdir/tests/daemon/check-lib.sh"

# as USER CMD...: run CMD as USER (no groups), the default socket.
as() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups \
	    env -u XDG_RUNTIME_DIR -u CORUN_SOCKET HOME="$T/v" \
	    XDG_STATE_HOME="$T/v/state" CORUN_WORKER="$CORUN_WORKER" "$@"
}
# asx USER CMD...: the same in place of the calling (background) shell,
# so that $! is CMD's pid.
asx() {
	u=$1
	shift
	exec setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups \
	    env -u XDG_RUNTIME_DIR -u CORUN_SOCKET HOME="$T/v" \
	    XDG_STATE_HOME="$T/v/state" CORUN_WORKER="$CORUN_WORKER" "$@"
}
# corund as the victim, in the foreground, until it exits (bounded).
corund_once() {
	as "$V" timeout 20 "$CORUND" --foreground --workers 1 2>&1
}

# ---- (a) the intruder made the directory, mode 0777 ---------------------
as "$I" mkdir -m 0777 "$DIR"
out=$(corund_once)
eq "(a) corund refuses the intruder's 0777 directory" 1 $?
echo "  said: $out"
contains "... names the directory" "unsafe socket directory $DIR" "$out"
contains "... and its owner" "is owned by uid $IUID, not by uid $VUID" "$out"
eq "... binds nothing there" "" "$(ls -A "$DIR")"
rm -rf "$DIR"
as "$V" mkdir -m 0755 "$DIR"
out=$(corund_once)
eq "(a) corund refuses its own directory with mode 0755" 1 $?
contains "... names the mode" "$DIR: has mode 0755; it must be 0700" "$out"
rm -rf "$DIR"

# ---- (b) a symlink to the intruder's directory ---------------------------
as "$I" ln -s "$T/i" "$DIR"
out=$(corund_once)
eq "(b) corund refuses a symlink" 1 $?
contains "... names it" "$DIR: is a symbolic link" "$out"
eq "... nothing in the intruder's directory" "" "$(ls -A "$T/i")"
out=$(as "$V" timeout 20 "$CORUN" status 2>&1)
eq "(b) the client refuses it too" 1 $?
echo "  said: $out"
contains "... names it" "$DIR: is a symbolic link" "$out"
rm -f "$DIR"
as "$I" ln -s "$T/i/later" "$DIR"
out=$(as "$V" timeout 20 "$CORUN" status 2>&1)
contains "(b) ... a dangling one too" "$DIR: is a symbolic link" "$out"
rm -f "$DIR"

# ---- (c) an impostor listening in corund's place -------------------------
# In the intruder's directory at the default path: the directory check
# stops the client before it connects.
as "$I" mkdir -m 0777 "$DIR"
asx "$I" sh -c 'umask 0; exec nngcat --rep0 --listen "$1" \
    --ascii --data "{\"ok\":true,\"id\":666}"' sh "ipc://$DIR/ctl" \
    >"$T/imp1" 2>&1 &
PIDS="$PIDS $!"
imp=$!
i=0
while [ ! -S "$DIR/ctl" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
out=$(as "$V" timeout 20 "$CORUN" submit echo secret 2>&1)
eq "(c) submit to an impostor in the intruder's directory fails" 1 $?
contains "... names the directory" "unsafe socket directory $DIR" "$out"
kill "$imp" 2>/dev/null; wait "$imp" 2>/dev/null
eq "... the impostor received nothing" "" "$(cat "$T/imp1")"
rm -rf "$DIR"
# A socket the user named (-S), in a directory others may write: the
# server's credentials are checked before the request is sent.
mkdir -m 1777 "$T/shared"
SH=ipc://$T/shared/ctl
asx "$I" sh -c 'umask 0; exec nngcat --rep0 --listen "$1" \
    --ascii --data "{\"ok\":true,\"id\":666}"' sh "$SH" >"$T/imp2" 2>&1 &
PIDS="$PIDS $!"
imp=$!
i=0
while [ ! -S "$T/shared/ctl" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
out=$(as "$V" timeout 20 "$CORUN" -S "$SH" submit echo secret 2>&1)
eq "(c) submit to an impostor on a named socket fails" 1 $?
echo "  said: $out"
contains "... names the socket and its uid" \
    "$SH is served by uid $IUID, not by uid $VUID or root" "$out"
case $out in
*666*) fail "... printed the impostor's id: $out" ;;
*) ok "... prints no id" ;;
esac
kill "$imp" 2>/dev/null; wait "$imp" 2>/dev/null
eq "... the impostor received nothing" "" "$(cat "$T/imp2")"

# ---- (d) the normal case -------------------------------------------------
start_victim() {
	asx "$V" "$CORUND" --foreground --workers 1 \
	    >/dev/null 2>>"$T/log" &
	DPID=$!
	PIDS="$PIDS $DPID"
	i=0
	while [ $i -lt 100 ]; do
		if as "$V" timeout 5 "$CORUN" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "corund did not start"; cat "$T/log"
	return 1
}
stop_victim() {
	kill -TERM "$DPID" 2>/dev/null
	i=0
	while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
}
if start_victim; then
	eq "(d) corund made its directory 0700, its own" \
	    "drwx------ $V" "$(ls -ld "$DIR" | awk '{print $1, $3}')"
	id=$(as "$V" timeout 20 "$CORUN" submit echo hello 2>&1)
	eq "(d) submit as the owner is accepted" 0 $?
	out=$(as "$V" timeout 30 "$CORUN" wait "$id" >/dev/null 2>&1 &&
	    as "$V" timeout 20 "$CORUN" result "$id" 2>&1)
	eq "(d) ... and runs" hello "$out"
	as "$I" mv "$DIR/ctl" "$T/i/stolen" 2>/dev/null
	eq "(d) the intruder cannot move the socket away" 1 $?
	out=$(as "$I" timeout 20 "$CORUN" -S "ipc://$DIR/ctl" status 2>&1)
	eq "(d) ... nor reach corund" 1 $?
	stop_victim
fi
rm -rf "$DIR"

# ---- (e) /run/user/UID is preferred when it is the victim's ---------------
if [ -d /run/user ]; then
	mkdir -m 0700 "/run/user/$VUID"
	chown "$V" "/run/user/$VUID"
	if start_victim; then
		[ -S "/run/user/$VUID/corun/ctl" ]
		eq "(e) the socket is in /run/user/$VUID/corun" 0 $?
		[ -e "$DIR" ]
		eq "(e) ... and not in $DIR" 1 $?
		stop_victim
	fi
	rm -rf "/run/user/$VUID"
else
	ok "(e) skipped: no /run/user"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"; echo "--- corund log:"; cat "$T/log" 2>/dev/null
	exit 1
fi
exit 0
