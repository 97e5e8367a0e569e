#!/bin/sh
# SPDX-License-Identifier: MIT
# completion.sh - the completion scripts (completions/) loaded by bash,
# zsh and fish themselves: each completes corun's commands, an option of
# a command from its --help (one that only help.c's table names), an
# option's value, and corund's and corun-worker's options.  A shell that
# is not installed is skipped and named; CI installs all three (and
# strace, for the zsh check that no program of ours gets SIGCONT).
. "${srcdir:-.}/tests/cli/cli-lib.sh"
C=$(cd "${srcdir:-.}/completions" && pwd)
B=$(cd "$(dirname "$CORUN")" && pwd)
PATH="$B:$(dirname "$CORUN_WORKER"):$PATH"
export PATH
CORUN_SOCKET="ipc://$T/none"	# no daemon: no job ids, and no wait
export CORUN_SOCKET
: >"$T/a-file"

# expect NAME WANTED... -- GOT...: every wanted word is among the got.
expect() {
	name=$1
	shift
	wanted=
	while [ "$1" != -- ]; do wanted="$wanted $1"; shift; done
	shift
	for w in $wanted; do
		case " $* " in
		*" $w "*) ;;
		*) fail "$name: [$w] not in [$*]"; return ;;
		esac
	done
	ok "$name"
}

if command -v bash >/dev/null 2>&1; then
	cat >"$T/b.sh" <<EOF
. "$C/corun.bash"
t() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1));
    COMPREPLY=(); \$F; echo "\${COMPREPLY[*]}"; }
complete -p corun corund corun-worker | tr '\n' ' '; echo
F=_corun_complete
t corun ""
t corun run --keep
t corun -S ipc:///x compare --work
t corun run --model ""
t corun run --joblog "$T/a-f"
F=_corun_daemon_complete
t corund --state
t corun-worker --ver
EOF
	timeout 30 bash "$T/b.sh" >"$T/b.out" 2>&1
	eq "bash: loads" 0 $?
	expect "bash: registered" _corun_complete _corun_daemon_complete \
	    -- $(sed -n 1p "$T/b.out")
	expect "bash: commands" run compare submit status wait drain \
	    -- $(sed -n 2p "$T/b.out")
	expect "bash: run's options" --keep-order -- $(sed -n 3p "$T/b.out")
	expect "bash: -S URL then a command" --workload -- $(sed -n 4p "$T/b.out")
	expect "bash: --model's values" process thread async hybrid \
	    -- $(sed -n 5p "$T/b.out")
	expect "bash: a file" "$T/a-file" -- $(sed -n 6p "$T/b.out")
	expect "bash: corund" --state-dir -- $(sed -n 7p "$T/b.out")
	expect "bash: corun-worker" --version -- $(sed -n 8p "$T/b.out")
else
	echo "skip: bash is not installed"
fi

if command -v zsh >/dev/null 2>&1; then
	# compinit finds _corun on $fpath by its #compdef line; compadd and
	# _files are replaced by functions that print what they are given.
	cat >"$T/z.zsh" <<EOF
fpath=("$C" \$fpath)
autoload -Uz compinit && compinit -u -d "$T/zcompdump"
print -r -- "\$_comps[corun] \$_comps[corund] \$_comps[corun-worker]"
compadd() { while [[ \$# -gt 0 && \$1 != -- ]]; do shift; done; shift;
    print -rn -- "\$* "; }
_files() { print -rn -- "FILES "; }
_alternative() { print -rn -- "ALT "; }
t() { service=\$1; words=("\$@"); CURRENT=\$#; _corun; print; }
t corun ""
t corun run --keep
t corun -S ipc:///x compare --work
t corun run --model ""
t corun run --joblog x
t corund --state
t corun-worker --ver
EOF
	timeout 30 zsh -f "$T/z.zsh" >"$T/z.out" 2>&1
	eq "zsh: loads" 0 $?
	eq "zsh: compinit registers _corun" "_corun _corun _corun" \
	    "$(sed -n 1p "$T/z.out")"
	expect "zsh: commands" run compare submit status wait drain \
	    -- $(sed -n 2p "$T/z.out")
	expect "zsh: run's options" --keep-order -- $(sed -n 3p "$T/z.out")
	expect "zsh: -S URL then a command" --workload -- $(sed -n 4p "$T/z.out")
	expect "zsh: --model's values" process hybrid -- $(sed -n 5p "$T/z.out")
	expect "zsh: a file" FILES -- $(sed -n 6p "$T/z.out")
	expect "zsh: corund" --state-dir -- $(sed -n 7p "$T/z.out")
	expect "zsh: corun-worker" --version -- $(sed -n 8p "$T/z.out")
	# No program of ours gets SIGCONT from zsh.  In a pipeline inside a
	# command substitution, zsh's subshell continues the members still
	# running each time one ends (awk's exit at its first match); a
	# sanitizer build's leak check at exit, which stops the process with
	# ptrace, lost its SIGSTOP to that and hung (the CI timeouts here).
	if command -v strace >/dev/null 2>&1; then
		timeout 60 strace -f -qq -o "$T/z.st" -e trace=execve,kill,tgkill \
		    -e signal=none zsh -f "$T/z.zsh" >"$T/z3.out" 2>&1
		eq "zsh under strace: loads" 0 $?
		conts=$(awk '
		    $2 ~ /^execve\(".*\/(corun|corund|corun-worker)"/ &&
			!/ENOENT/ { ours[$1] = 1 }
		    /SIGCONT/ && match($2, /^(kill|tgkill)\(-?[0-9]+/) {
			p = substr($2, RSTART, RLENGTH)
			sub(/^[a-z]+\(-?/, "", p)
			sent[p] = 1
		    }
		    END { for (p in sent) if (p in ours) printf "%s ", p }
		    ' "$T/z.st")
		eq "zsh: no SIGCONT to a program of ours" "" "$conts"
	else
		echo "skip: strace is not installed (the SIGCONT check)"
	fi
else
	echo "skip: zsh is not installed"
fi

if command -v fish >/dev/null 2>&1; then
	# complete -C is fish's own completion of a command line.
	cat >"$T/f.fish" <<EOF
source "$C/corun.fish"
for l in 'corun ' 'corun run --keep' 'corun -S ipc:///x compare --work' \
    'corun run --model ' 'corun run --joblog $T/a-f' 'corund --state' \
    'corun-worker --ver'
    echo (complete -C "\$l" | cut -f1 | string join ' ')
end
complete -C 'corun run --keep' | cut -f2
EOF
	timeout 30 fish --no-config "$T/f.fish" >"$T/f.out" 2>&1
	eq "fish: loads" 0 $?
	expect "fish: commands" run compare submit status wait drain \
	    -- $(sed -n 1p "$T/f.out")
	expect "fish: run's options" --keep-order -- $(sed -n 2p "$T/f.out")
	expect "fish: -S URL then a command" --workload -- $(sed -n 3p "$T/f.out")
	expect "fish: --model's values" process hybrid -- $(sed -n 4p "$T/f.out")
	expect "fish: a file" "$T/a-file" -- $(sed -n 5p "$T/f.out")
	expect "fish: corund" --state-dir -- $(sed -n 6p "$T/f.out")
	expect "fish: corun-worker" --version -- $(sed -n 7p "$T/f.out")
	eq "fish: the option's text from --help" "print outputs in input order" \
	    "$(sed -n 8p "$T/f.out")"
else
	echo "skip: fish is not installed"
fi

# Job ids, from `corun list` of a real corund, for the commands that
# take them (follow, pause, restart...), in each shell.
CORUND=${CORUND:-$B/corund}
LIVE="ipc://$T/run/ctl"
"$CORUND" --foreground --state-dir "$T/state" --socket "$LIVE" \
    --workers 1 2>"$T/corund.log" &
DPID=$!
CR_BG_PIDS="$CR_BG_PIDS $DPID"
i=0
while [ $i -lt 100 ] && ! CORUN_SOCKET=$LIVE timeout 5 "$CORUN" status \
    >/dev/null 2>&1; do
	sleep 0.1; i=$((i + 1))
done
CORUN_SOCKET=$LIVE
export CORUN_SOCKET
j1=$(timeout 10 "$CORUN" submit true)
j2=$(timeout 10 "$CORUN" submit true)
[ -n "$j1" ] && [ -n "$j2" ] || fail "no corund to complete ids from"
if command -v bash >/dev/null 2>&1; then
	printf '%s\n' ". \"$C/corun.bash\"" \
	    'for c in follow pause restart edit; do COMP_WORDS=(corun "$c" ""); COMP_CWORD=2; COMPREPLY=(); _corun_complete; echo "${COMPREPLY[*]}"; done' \
	    >"$T/b2.sh"
	timeout 30 bash "$T/b2.sh" >"$T/b2.out" 2>&1
	expect "bash: follow's ids" "$j1" "$j2" -- $(sed -n 1p "$T/b2.out")
	expect "bash: pause's ids" "$j1" "$j2" -- $(sed -n 2p "$T/b2.out")
	expect "bash: restart's ids" "$j1" -- $(sed -n 3p "$T/b2.out")
	expect "bash: edit's ids" "$j1" "$j2" -- $(sed -n 4p "$T/b2.out")
fi
if command -v zsh >/dev/null 2>&1; then
	printf '%s\n' "fpath=(\"$C\" \$fpath)" \
	    "autoload -Uz compinit && compinit -u -d \"$T/zcompdump2\"" \
	    'compadd() { while [[ $# -gt 0 && $1 != -- ]]; do shift; done; shift; print -rn -- "$* "; }' \
	    't() { service=$1; words=("$@"); CURRENT=$#; _corun; print; }' \
	    't corun follow ""' 't corun stash ""' 't corun edit ""' \
	    >"$T/z2.zsh"
	timeout 30 zsh -f "$T/z2.zsh" >"$T/z2.out" 2>&1
	expect "zsh: follow's ids" "$j1" "$j2" -- $(sed -n 1p "$T/z2.out")
	expect "zsh: stash's ids" "$j1" "$j2" -- $(sed -n 2p "$T/z2.out")
	expect "zsh: edit's ids" "$j1" "$j2" -- $(sed -n 3p "$T/z2.out")
fi
if command -v fish >/dev/null 2>&1; then
	printf '%s\n' "source \"$C/corun.fish\"" \
	    "echo (complete -C 'corun follow ' | cut -f1 | string join ' ')" \
	    "echo (complete -C 'corun resume ' | cut -f1 | string join ' ')" \
	    "echo (complete -C 'corun edit ' | cut -f1 | string join ' ')" \
	    >"$T/f2.fish"
	timeout 30 fish --no-config "$T/f2.fish" >"$T/f2.out" 2>&1
	expect "fish: follow's ids" "$j1" "$j2" -- $(sed -n 1p "$T/f2.out")
	expect "fish: resume's ids" "$j1" "$j2" -- $(sed -n 2p "$T/f2.out")
	expect "fish: edit's ids" "$j1" "$j2" -- $(sed -n 3p "$T/f2.out")
fi
kill -TERM "$DPID" 2>/dev/null
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -0 "$DPID" 2>/dev/null && fail "corund $DPID did not stop"
wait "$DPID" 2>/dev/null
finish
