#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-help.sh - the first hour's conventions, end to end: every program
# answers --version; every command's --help describes each option its
# usage names (a line "  --opt ..." under "options:"), with no
# "(no description)"; and a bad option exits 255 from every command,
# corund and corun-worker alike (corun(1), EXIT STATUS).
. "${srcdir:-.}/tests/cli/cli-lib.sh"
CORUND=${CORUND:-$PWD/corund}
# No daemon: the client commands must refuse a bad option before calling.
CORUN_SOCKET="ipc://$T/none"
export CORUN_SOCKET

for p in "$CORUN" "$CORUND" "$CORUN_WORKER"; do
	out=$(timeout 10 "$p" --version 2>&1); rc=$?
	eq "$(basename "$p") --version: exit 0" 0 "$rc"
	case $out in
	"$(basename "$p") "[0-9]*) ok "$(basename "$p") --version: $out" ;;
	*) fail "$(basename "$p") --version printed [$out]" ;;
	esac
done
eq "corun run --version" "corun $("$CORUN" --version | cut -d' ' -f2)" \
    "$(timeout 10 "$CORUN" run --version)"

# Each long option a usage text names must have its own described line.
check_help() {	# NAME HELP-TEXT [USAGE, else the text before options:]
	usage=${3-$(printf '%s\n' "$2" | sed '/^options:/,$d')}
	opts=$(printf '%s\n' "$2" | sed -n '/^options:/,$p')
	[ -n "$opts" ] || { fail "$1 --help: no options section"; return; }
	for o in $(printf '%s\n' "$usage" | grep -o -- '--[a-z][a-z0-9-]*' |
	    sort -u); do
		printf '%s\n' "$opts" | grep -Eq -- "^  (-[a-zA-Z0-9], |    )$o( |$)" ||
		    fail "$1 --help: $o is in the usage but not described"
	done
	printf '%s\n' "$opts" | grep -Eq -- '^  (-., |    )--[a-z].* [a-z(]' ||
	    fail "$1 --help: option lines without text"
	case $2 in
	*"(no description)"*) fail "$1 --help: an option has no description" ;;
	*) ok "$1 --help describes its options" ;;
	esac
}

cmds=$("$CORUN" --help | sed -n 's/^  corun \([a-z][a-z-]*\).*/\1/p')
[ "$(printf '%s\n' "$cmds" | wc -l)" -ge 12 ] ||
    fail "corun --help lists [$cmds]"
check_help corun "$("$CORUN" --help)" "$("$CORUN" --help | head -2)"
for c in $cmds; do
	h=$(timeout 10 "$CORUN" "$c" --help 2>&1); rc=$?
	eq "corun $c --help: exit 0" 0 "$rc"
	check_help "corun $c" "$h"
	timeout 10 "$CORUN" "$c" --no-such-option >"$T/out" 2>"$T/err"
	eq "corun $c --no-such-option: exit 255" 255 $?
	[ -s "$T/err" ] || fail "corun $c --no-such-option: no message"
done
timeout 10 "$CORUN" no-such-command 2>/dev/null
eq "corun no-such-command: exit 255" 255 $?
check_help corund "$(timeout 10 "$CORUND" --help)"
timeout 10 "$CORUND" --no-such-option 2>/dev/null
eq "corund --no-such-option: exit 255" 255 $?
timeout 10 "$CORUN_WORKER" --connect ipc:///x --no-such-option 2>/dev/null
eq "corun-worker --no-such-option: exit 255" 255 $?
finish
