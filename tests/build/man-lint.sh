#!/bin/sh
# SPDX-License-Identifier: MIT
# man-lint.sh - fail if mandoc finds anything to warn about in a manual page.
#
# Run by "make check" (automake exports srcdir).  Every man/*.[1-8] under
# $srcdir must be silent under "mandoc -Tlint -Wwarning".  Without mandoc
# the test is skipped (exit 77).
set -u

srcdir=${srcdir:-.}
mandoc=${MANDOC:-mandoc}

if ! command -v "$mandoc" >/dev/null 2>&1; then
	echo "man-lint: $mandoc not found; install mandoc to lint the manual pages"
	exit 77
fi

status=0
checked=0
for page in "$srcdir"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	checked=$((checked + 1))
	# mandoc exits non-zero on warnings; any output at all is a failure.
	out=$("$mandoc" -Tlint -Wwarning "$page" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		echo "man-lint: FAIL $page"
		status=1
	else
		echo "man-lint: ok $page"
	fi
done

if [ "$checked" -eq 0 ]; then
	echo "man-lint: no manual pages found under $srcdir/man"
	exit 1
fi
exit $status
