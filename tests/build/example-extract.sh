#!/bin/sh
# SPDX-License-Identifier: MIT
# example-extract.sh - print the C program embedded in a manual page.
#
# usage: example-extract.sh page.3 [tag]
#
# The program is the literal display (.Bd -literal ... .Ed) that follows
# the comment line
#	.\" example: TAG
# in the page (TAG defaults to "program").  Roff escapes used in the
# display are undone (\e, \&, \-, \(aq and friends); any other escape or
# any request line inside the display is an error, so the extracted code
# is exactly what the reader of the page sees.  A #line directive points
# compiler messages back at the page.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 page.3 [tag]" >&2
	exit 2
fi
page=$1
tag=${2:-program}
if [ ! -r "$page" ]; then
	echo "$0: cannot read $page" >&2
	exit 1
fi

exec awk -v page="$page" -v tag="$tag" '
function fail(msg) {
	printf "%s:%d: %s\n", page, NR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function named(n) {
	if (n == "aq") return "\047"
	if (n == "dq") return "\""
	if (n == "ga") return "`"
	if (n == "ti") return "~"
	if (n == "ha") return "^"
	if (n == "rs") return "\\"
	if (n == "em" || n == "en" || n == "mi" || n == "hy") return "-"
	fail("unknown special character \\(" n " in example")
}
function unescape(s,    out, i, c, n, j) {
	out = ""
	i = 1
	while (i <= length(s)) {
		c = substr(s, i, 1)
		if (c != "\\") {
			out = out c
			i++
			continue
		}
		c = substr(s, i + 1, 1)
		if (c == "e") {
			out = out "\\"
			i += 2
		} else if (c == "&") {
			i += 2
		} else if (c == "-" || c == "." || c == " ") {
			out = out c
			i += 2
		} else if (c == "(") {
			out = out named(substr(s, i + 2, 2))
			i += 4
		} else if (c == "[") {
			j = index(substr(s, i + 2), "]")
			if (j == 0)
				fail("unterminated \\[ escape in example")
			out = out named(substr(s, i + 2, j - 1))
			i += j + 2
		} else {
			fail("unsupported escape \\" c " in example")
		}
	}
	return out
}
state == 0 && $0 ~ "^\\.\\\\\" example: " {
	t = $0
	sub(/^\.\\" example: */, "", t)
	sub(/[ \t]*$/, "", t)
	if (t == tag) {
		state = 1
		found = 1
	}
	next
}
state == 1 {
	if ($0 ~ /^\.Bd[ \t]+-literal/) {
		state = 2
		printf "/* Generated from %s by example-extract.sh: do not edit. */\n", page
		printf "#line %d \"%s\"\n", NR + 1, page
		next
	}
	if ($0 ~ /^\.\\"/)
		next
	fail("expected .Bd -literal after the example marker")
}
state == 2 {
	if ($0 ~ /^\.Ed([ \t]|$)/) {
		state = 3
		next
	}
	if ($0 ~ /^[.\047]/)
		fail("roff request inside the example: " $0)
	print unescape($0)
	lines++
}
END {
	if (failed)
		exit 1
	if (!found)
		fail("no \".\\\" example: " tag "\" marker")
	if (state != 3)
		fail("example display not closed with .Ed")
	if (lines == 0)
		fail("empty example")
}
' "$page"
