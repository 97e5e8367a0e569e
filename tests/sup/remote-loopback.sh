#!/bin/sh
# SPDX-License-Identifier: MIT
# remote-loopback.sh - remote workers attached over 127.0.0.1 and ipc://,
# no root needed: token and TLS refusals (logged), --insecure, credits
# shared between local and remote workers, a remote worker killed or
# stopped mid-run has its jobs finish elsewhere with every result exactly
# once, --worker-cmd.  Every process is bounded by timeout(1) and the
# ones started in the background are killed by pid on exit.
. "${srcdir:-.}/tests/cli/cli-lib.sh"

W=$CORUN_WORKER
. "${srcdir:-.}/tests/port-lib.sh"
nextport() { freeport; URL=tcp://127.0.0.1:$PORT; }
echo "s3cret-$$" > "$T/token"
echo "wrong-$$" > "$T/badtoken"

# jobs N SECONDS: N shell jobs that sleep and print "job<i> <where>".
jobs() {
	i=1
	while [ "$i" -le "$1" ]; do
		printf '{"kind":"shell","cmd":"sleep %s; echo job%s ${MARK:-local}"}\n' "$2" "$i"
		i=$((i + 1))
	done > "$T/jobs"
}
# once N FILE: job1..jobN each printed exactly once.
once() {
	got=$(cut -d' ' -f1 "$2" | sort | uniq | wc -l | tr -d ' ')
	dup=$(cut -d' ' -f1 "$2" | sort | uniq -d | wc -l | tr -d ' ')
	all=$(wc -l < "$2" | tr -d ' ')
	eq "$3: $1 distinct results" "$1" "$got"
	eq "$3: no result twice" "0" "$dup"
	eq "$3: $1 lines" "$1" "$all"
}
# waitfor N TEXT FILE: until FILE holds N lines with TEXT (at most 30 s).
# On a loaded machine fixed sleeps are not enough; these tests wait for
# what they need to have happened.
waitfor() {
	k=0
	while n=$(grep -c "$2" "$3" 2>/dev/null); [ "${n:-0}" -lt "$1" ] &&
	    [ $k -lt 300 ]; do
		sleep 0.1
		k=$((k + 1))
	done
}
# bg NAME CMD...: a worker in the background, bounded, its pid remembered.
bg() {
	name=$1
	shift
	timeout 60 "$@" > "$T/$name.out" 2> "$T/$name.err" &
	eval "pid_$name=$!"
	CR_BG_PIDS="$CR_BG_PIDS $!"
}

# --- 1. token: local + remote workers share the work; wrong token refused
nextport
jobs 40 0.1
(MARK=r1 exec timeout 30 "$W" --connect "$URL" --token-file "$T/token" \
    --model async -j 2 > /dev/null 2> "$T/r1.err") &
p1=$!
(MARK=r2 exec timeout 30 "$W" --connect "$URL" --token-file "$T/badtoken" \
    --model async -j 2 > /dev/null 2> "$T/r2.err") &
p2=$!
CR_BG_PIDS="$CR_BG_PIDS $p1 $p2"
unset MARK
timeout 60 "$CORUN" run -j 2 --listen "$URL" --token-file "$T/token" \
    --jobs-file "$T/jobs" > "$T/out1" 2> "$T/err1"
eq "token: run exit" 0 $?
once 40 "$T/out1" token
wait $p1
eq "token: good worker exit" 0 $?
wait $p2
eq "token: bad worker exit (refused)" 1 $?
contains "token: refusal logged by the supervisor" "wrong token" "$(cat "$T/err1")"
contains "token: refusal logged by the worker" "refused by $URL: wrong token" "$(cat "$T/r2.err")"
n=$(grep -c ' r1$' "$T/out1")
[ "$n" -gt 0 ] && ok "token: the remote worker ran $n jobs" || fail "token: the remote worker ran none"
n=$(grep -c ' local$' "$T/out1")
[ "$n" -gt 0 ] && ok "token: local workers ran $n jobs" || fail "token: local workers ran none"
grep -q ' r2$' "$T/out1" && fail "token: the refused worker ran jobs" || ok "token: the refused worker ran nothing"

# --- 2. plain tcp:// needs a token or --insecure, on both ends ----------
nextport
jobs 4 0
timeout 20 "$CORUN" run --listen "$URL" --jobs-file "$T/jobs" > /dev/null 2> "$T/err2"
eq "insecure: listener without token refuses to start" 255 $?
contains "insecure: it says why" "--insecure" "$(cat "$T/err2")"
timeout 20 "$W" --connect "$URL" --procs 1 > /dev/null 2> "$T/err2w"
eq "insecure: worker without token refuses (a usage error: 255)" 255 $?
contains "insecure: worker says why" "--insecure" "$(cat "$T/err2w")"
(exec timeout 30 "$W" --connect "$URL" --insecure --model async -j 2 \
    > /dev/null 2>&1) &
p1=$!
CR_BG_PIDS="$CR_BG_PIDS $p1"
timeout 60 "$CORUN" run --remote-only --listen "$URL" --insecure \
    --jobs-file "$T/jobs" > "$T/out2" 2> "$T/err2b"
eq "insecure: run with --insecure on both ends" 0 $?
once 4 "$T/out2" insecure
wait $p1

# --- 3. ipc://, a remote worker killed mid-run: jobs finish elsewhere ---
jobs 30 0.2
URL=ipc://$T/rv
bg k1 env MARK=k1 "$W" --connect "$URL" --model async -j 3 --wait 10
bg k2 env MARK=k2 "$W" --connect "$URL" --model async -j 3 --wait 10
(waitfor 2 'session at' "$T/err3"; sleep 0.3
    kill -9 $(pgrep -P "$pid_k1" 2>/dev/null) "$pid_k1" 2>/dev/null) &
CR_BG_PIDS="$CR_BG_PIDS $!"
timeout 60 "$CORUN" run --remote-only --listen "$URL" --jobs-file "$T/jobs" \
    > "$T/out3" 2> "$T/err3"
eq "kill: run exit" 0 $?
once 30 "$T/out3" kill
contains "kill: the loss is logged" "connection closed" "$(cat "$T/err3")"
grep -q 're-queued' "$T/err3" && ok "kill: jobs re-queued" || fail "kill: no re-queue logged"
n=$(grep -c ' k2$' "$T/out3")
[ "$n" -gt 0 ] && ok "kill: the survivor ran $n jobs" || fail "kill: the survivor ran none"
wait "$pid_k2"

# --- 3b. a second listener on a live rendezvous is refused, harmlessly --
URL=ipc://$T/rv2
jobs 4 0
timeout 60 "$CORUN" run --remote-only --listen "$URL" --jobs-file "$T/jobs" \
    > "$T/out3b" 2> "$T/err3b" &
sup=$!
CR_BG_PIDS="$CR_BG_PIDS $sup"
waitfor 1 'listening for remote' "$T/err3b"
timeout 20 "$CORUN" run --remote-only --listen "$URL" --jobs-file "$T/jobs" \
    > /dev/null 2> "$T/err3c"
eq "second listener: refused" 255 $?
contains "second listener: says why" "Address in use" "$(cat "$T/err3c")"
timeout 30 "$W" --connect "$URL" --model async -j 2 > /dev/null 2>&1
eq "second listener: the first still takes workers" 0 $?
wait "$sup"
eq "second listener: the first run completes" 0 $?
once 4 "$T/out3b" "second listener"

# --- 4. a stopped remote worker (no heartbeat) is dropped ---------------
nextport
jobs 30 0.2
bg s1 env MARK=s1 "$W" --connect "$URL" --token-file "$T/token" --model async -j 3
bg s2 env MARK=s2 "$W" --connect "$URL" --token-file "$T/token" --model async -j 3
(waitfor 2 'session at' "$T/err4"; sleep 0.3
    kill -STOP $(pgrep -P "$pid_s1" 2>/dev/null)) &
CR_BG_PIDS="$CR_BG_PIDS $!"
timeout 60 "$CORUN" run --remote-only --listen "$URL" --token-file "$T/token" \
    --remote-timeout 1 --jobs-file "$T/jobs" > "$T/out4" 2> "$T/err4"
eq "silent: run exit" 0 $?
once 30 "$T/out4" silent
contains "silent: the silence is logged" "no heartbeat" "$(cat "$T/err4")"
kill -KILL $(pgrep -P "$pid_s1" 2>/dev/null) 2>/dev/null
wait "$pid_s2"

# --- 4b. a long blocking job does not silence a remote worker -----------
# (blocking kinds run on its executors, so its loop keeps heartbeating)
nextport
echo '{"kind":"cpu","ms":2500}' > "$T/jobs"
bg c1 "$W" --connect "$URL" --token-file "$T/token" --procs 1
timeout 60 "$CORUN" run --remote-only --listen "$URL" --token-file "$T/token" \
    --remote-timeout 1 --jobs-file "$T/jobs" > "$T/out4b" 2> "$T/err4b"
eq "long job: run exit" 0 $?
eq "long job: one result" 1 "$(wc -l < "$T/out4b" | tr -d ' ')"
grep -q 'no heartbeat' "$T/err4b" && fail "long job: its worker was dropped: $(cat "$T/err4b")" ||
    ok "long job: its worker was not dropped"
wait "$pid_c1"

# --- 5. --worker-cmd starts the workers ---------------------------------
nextport
jobs 20 0.3
timeout 60 "$CORUN" run --remote-only --listen "$URL" --token-file "$T/token" \
    --worker-cmd "MARK={host} exec $W --connect {url} --token-file {token-file} --model async -j 2" \
    --worker-host h1 --worker-host h2 --jobs-file "$T/jobs" > "$T/out5" 2> "$T/err5"
eq "worker-cmd: run exit" 0 $?
once 20 "$T/out5" worker-cmd
eq "worker-cmd: two workers attached" 2 "$(grep -c 'session at' "$T/err5")"
timeout 20 "$CORUN" run --remote-only --listen "$URL" --token-file "$T/token" \
    --worker-cmd "exit 3" --jobs-file "$T/jobs" > /dev/null 2> "$T/err5b"
eq "worker-cmd: all commands gone, nobody attached: run fails" 255 $?
contains "worker-cmd: says why" "no remote worker is attached" "$(cat "$T/err5b")"
timeout 20 "$CORUN" run --listen "$URL" --worker-cmd "echo {bogus}" \
    --token x --jobs-file "$T/jobs" > /dev/null 2> "$T/err5c"
eq "worker-cmd: unknown placeholder refused" 255 $?
contains "worker-cmd: names it" "{bogus}" "$(cat "$T/err5c")"

# --- 6. TLS: right CA works, wrong CA and missing client cert refused ---
if ! command -v openssl > /dev/null 2>&1; then
	echo "skip: TLS checks: no openssl(1) to make certificates"
	finish
fi
mkcert() {	# mkcert NAME CN CA: NAME.crt/NAME.key signed by CA (self if "")
	openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -subj "/CN=$2" \
	    -out "$T/$1.csr" 2> /dev/null || return 1
	if [ -z "$3" ]; then
		openssl x509 -req -in "$T/$1.csr" -signkey "$T/$1.key" -days 2 \
		    -extfile /dev/stdin -out "$T/$1.crt" 2> /dev/null <<-EOC
		basicConstraints=critical,CA:TRUE
		keyUsage=keyCertSign,cRLSign,digitalSignature
		EOC
	else
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.crt" -CAkey "$T/$3.key" \
		    -CAcreateserial -days 2 -out "$T/$1.crt" 2> /dev/null
	fi
}
mkcert ca "corun test CA" "" && mkcert ca2 "another CA" "" &&
    mkcert srv 127.0.0.1 ca && mkcert cli worker ca && mkcert evil worker ca2 ||
    { fail "tls: openssl could not make certificates"; finish; }
nextport
URL=tls+tcp://127.0.0.1:$PORT
jobs 10 0
timeout 20 "$CORUN" run --listen "$URL" --tls-cert "$T/srv.crt" --tls-key "$T/srv.key" \
    --remote-only --jobs-file "$T/jobs" > /dev/null 2> "$T/err6" &
sup=$!
CR_BG_PIDS="$CR_BG_PIDS $sup"
waitfor 1 'listening for remote\|not available' "$T/err6"
if grep -q "not available" "$T/err6"; then
	echo "skip: TLS checks: $(cat "$T/err6")"
	# corun itself, not its timeout(1) (which adds SIGCONT: doc/HACKING.md)
	kill $(pgrep -P "$sup") 2> /dev/null
	finish
fi
timeout 20 "$W" --connect "$URL" --tls-ca "$T/ca2.crt" --procs 1 --wait 2 \
    > /dev/null 2> "$T/err6w"
eq "tls: a supervisor certificate from another CA is refused" 3 $?
contains "tls: the worker says why" "cannot connect" "$(cat "$T/err6w")"
timeout 20 "$W" --connect "$URL" --tls-ca "$T/ca.crt" --model async -j 2 \
    > /dev/null 2> "$T/err6g"
eq "tls: right CA: worker ran and left" 0 $?
wait "$sup"
eq "tls: run exit" 0 $?
# Mutual TLS: the supervisor wants a worker certificate signed by ca.
nextport
URL=tls+tcp://127.0.0.1:$PORT
timeout 20 "$CORUN" run --listen "$URL" --tls-cert "$T/srv.crt" --tls-key "$T/srv.key" \
    --tls-ca "$T/ca.crt" --remote-only --jobs-file "$T/jobs" > "$T/out7" 2> "$T/err7" &
sup=$!
CR_BG_PIDS="$CR_BG_PIDS $sup"
waitfor 1 'listening for remote' "$T/err7"
timeout 20 "$W" --connect "$URL" --tls-ca "$T/ca.crt" --procs 1 --wait 2 \
    > /dev/null 2> "$T/err7a"
eq "mtls: a worker with no certificate is refused" 3 $?
timeout 20 "$W" --connect "$URL" --tls-ca "$T/ca.crt" --tls-cert "$T/evil.crt" \
    --tls-key "$T/evil.key" --procs 1 --wait 2 > /dev/null 2> "$T/err7b"
eq "mtls: a worker certificate from another CA is refused" 3 $?
contains "mtls: the worker says why" "cannot connect" "$(cat "$T/err7b")"
timeout 20 "$W" --connect "$URL" --tls-ca "$T/ca.crt" --tls-cert "$T/cli.crt" \
    --tls-key "$T/cli.key" --model async -j 2 > /dev/null 2> "$T/err7c"
eq "mtls: the right worker certificate works" 0 $?
wait "$sup"
eq "mtls: run exit" 0 $?
once 10 "$T/out7" mtls
finish
