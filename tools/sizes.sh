#!/bin/sh
# SPDX-License-Identifier: MIT
# sizes.sh: files over LINES lines (default 600) in src/, workers/ and
# include/, and functions over FLINES lines (default 80), longest first.
# Needs Universal Ctags for the functions.  Exit 1 when any is found.
# Usage: tools/sizes.sh [LINES [FLINES]]
lines=${1:-600}
flines=${2:-80}
cd "$(dirname "$0")/.." || exit 2
bad=0
files=$(find src workers include -name '*.[ch]' | sort)
big=$(wc -l $files | awk -v n="$lines" '$2 != "total" && $1 > n')
if [ -n "$big" ]; then
	echo "files over $lines lines:"
	echo "$big" | sort -rn
	bad=1
fi
if command -v ctags >/dev/null 2>&1; then
	long=$(ctags -x --kinds-C=f --fields=+e --_xformat='%N %F %n %e' \
	    $files 2>/dev/null |
	    awk -v n="$flines" '{ l = $4 - $3 + 1; if (l > n) print l, $2 ":" $3, $1 }' |
	    sort -rn)
	if [ -n "$long" ]; then
		echo "functions over $flines lines:"
		echo "$long"
		bad=1
	fi
else
	echo "sizes.sh: no ctags; functions not measured" >&2
fi
exit $bad
