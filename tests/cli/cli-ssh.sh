#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-ssh.sh - -S/--sshlogin against a real sshd that this test starts on
# 127.0.0.1 (a free port, the current user, host and user keys made here,
# stopped by its pid at the end), each case run with GNU parallel and with
# corun run and the outputs and exit statuses compared: N/host and ":",
# --sshloginfile, --trc (--transfer, --return, --cleanup), --nonall,
# --onall, the exit status, and that the command really ran there (in the
# login's home directory).  Skipped, saying why, where sshd cannot run.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "skip: no sshd (apt-get install openssh-server)"; exit 77; }
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 ||
    { echo "skip: no ssh client"; exit 77; }
[ -n "$PY" ] || { echo "skip: python3 is needed to find a free port"; exit 77; }
command -v parallel >/dev/null 2>&1 ||
    { echo "skip: GNU parallel is not installed"; exit 77; }
user=$(id -un)
rhome=$(getent passwd "$user" | cut -d: -f6)

ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" >/dev/null || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$T/userkey" >/dev/null || exit 1
cp "$T/userkey.pub" "$T/authorized_keys"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
AuthorizedKeysFile $T/authorized_keys
PidFile $T/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $user
UseDNS no
EOF
cat >"$T/ssh_config" <<EOF
Host crhost
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $T/userkey
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  GSSAPIAuthentication no
  # one login, shared by the jobs of both tools (a login costs ~1.5 s
  # on a loaded machine); ended with -O exit and sshd at the end
  ControlMaster auto
  ControlPath $T/cm-%C
  ControlPersist 120
EOF
made_run=
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	# sshd as root wants its privilege separation directory
	mkdir -p -m 0755 /run/sshd && made_run=1
fi
if ! "$SSHD" -f "$T/sshd_config" -E "$T/sshd.log" 2>"$T/sshd.err"; then
	echo "skip: sshd cannot run here: $(cat "$T/sshd.err" "$T/sshd.log" 2>/dev/null | head -2)"
	exit 77
fi
i=0
while [ ! -s "$T/sshd.pid" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sshd_pid=$(cat "$T/sshd.pid" 2>/dev/null)
stop_sshd() {
	[ -n "$sshd_pid" ] && ssh -F "$T/ssh_config" -O exit crhost 2>/dev/null
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	[ -n "$made_run" ] && rmdir /run/sshd 2>/dev/null
	sshd_pid=
	made_run=
}
trap 'stop_sshd; cleanup' EXIT
ssh -F "$T/ssh_config" crhost true 2>"$T/ssh.err" ||
	{ echo "skip: cannot log in to the test sshd: $(head -2 "$T/ssh.err")"; exit 77; }

mkdir -p home/.parallel
: >home/.parallel/will-cite
export HOME="$T/home"
SSHC="ssh -F $T/ssh_config"
export SSHC

# same NAME CMD: run CMD with $PAR = parallel, then corun run; compare
same() {
	st=$(date +%s%N)
	name=$1
	cmd=$2
	PAR=parallel timeout 120 sh -c "$cmd" >par.out 2>par.err
	prc=$?
	pt=$(( ($(date +%s%N) - st) / 1000000 ))
	PAR="$CORUN run" timeout 120 sh -c "$cmd" >cor.out 2>cor.err
	crc=$?
	if [ "$prc" = "$crc" ] && cmp -s par.out cor.out; then
		ok "$name (parallel $pt ms, both $(( ($(date +%s%N) - st) / 1000000 )) ms)"
	else
		fail "$name: exit $prc/$crc; parallel [$(head -c 300 par.out)] corun [$(head -c 300 cor.out)] $(head -3 cor.err)"
	fi
}
same "-S N/host,:" '$PAR -k --ssh "$SSHC" -S 2/crhost,: "echo {}" ::: a b c d'
same "-S: exit status, run in the login's home there" \
    '$PAR -k --ssh "$SSHC" -S 2/crhost "pwd; exit {}" ::: 0 3 4; echo rc=$?'
contains "-S: the job ran through sshd" "$rhome" "$(cat cor.out)"
printf '1/crhost\n:\n' >logins
same "--sshloginfile" '$PAR -k --ssh "$SSHC" --sshloginfile logins "echo {}" ::: x y'
same "--nonall (a login given twice runs once)" \
    '$PAR -k --ssh "$SSHC" -S 2/crhost,2/crhost --nonall echo hi'
# --onall: two logins to the one sshd (another user@ form), and ":"
export user
same "--onall: every job on every login, grouped per login" \
    '$PAR -k --ssh "$SSHC" -S "crhost,$user@crhost" --onall "echo {}; hostname >/dev/null" ::: a b c'
same "--onall: exit status counts the logins that failed" \
    '$PAR -k --ssh "$SSHC" -S "1/crhost,:" --onall "echo {}; exit {}" ::: 0 3; echo rc=$?'
same "--onall --tag: each line tagged with its login" \
    '$PAR -k --tag --ssh "$SSHC" -S "crhost,:" --onall echo {1}-{2} ::: a b ::: 1 2'
same "--onall: stdin's input goes to every login" \
    'printf "x\ny\n" | $PAR -k --ssh "$SSHC" -S "crhost,$user@crhost" --onall echo in'
f=cr-ssh-test-$$.txt
echo 'some data' >"$f"
export f
same "--trc: transfer, return, cleanup" \
    '$PAR -k --ssh "$SSHC" -S 2/crhost --trc {}.out "tr a-z A-Z <{} >{}.out" ::: "$f"; cat "$f.out"; rm -f "$f.out"'
eq "--trc: the result came back" "SOME DATA" "$(cat cor.out)"
if [ ! -e "$rhome/$f" ] && [ ! -e "$rhome/$f.out" ]; then
	ok "--cleanup: nothing left there"
else
	fail "--cleanup: $rhome/$f left"
	rm -f "$rhome/$f" "$rhome/$f.out"
fi
stop_sshd
finish
