#!/bin/sh
# SPDX-License-Identifier: MIT
# mkspipc.sh - write the seeds of fuzz/corpus/spipc/: byte streams a peer
# of src/lib/spipc.c writes (doc/wire-protocol.md, "Transport"); the
# harness fuzz/fuzz_spipc.c takes bodies up to 300 bytes.  Not run by
# make; kept to regenerate them:
#
#   sh fuzz/mkspipc.sh fuzz/corpus/spipc
set -eu
dir=$1

# byte N...: each number as one byte
byte() {
	for b in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf %03o "$b")"
	done
}
# be N WIDTH: N big-endian in WIDTH bytes
be() {
	n=$1 i=$2
	while [ "$i" -gt 0 ]; do
		i=$((i - 1))
		byte $(((n >> (8 * i)) & 255))
	done
}
greet() { byte 0 83 80 0 0 17 0 0; }	# "\0SP\0", PAIR1 0x0011, "\0\0"
# msg TYPE LENGTH HOPS BODY: a message as written (LENGTH counts HOPS'
# 4 bytes and BODY; they need not agree)
msg() {
	byte "$1"
	be "$2" 8
	be "$3" 4
	printf '%s' "$4"
}
# body N: N bytes of text
body() { head -c "$1" /dev/zero | tr '\0' x; }

greet >"$dir/ok-greeting"
{ greet; msg 1 9 1 hello; msg 1 4 1 ''; msg 1 9 1 '{"a"}'; } >"$dir/ok-msgs"
{ greet; msg 1 9 9 hops9; msg 1 9 255 hops-; msg 1 8 8 kept; } \
    >"$dir/ok-hops-dropped"
{ greet; msg 1 304 1 "$(body 300)"; } >"$dir/ok-limit"
byte 0 83 80 0 0 16 0 0 >"$dir/err-greeting-pair0"
{ byte 0 83 81 0 0 17 0 0; msg 1 6 1 hi; } >"$dir/err-greeting-sq"
byte 0 83 80 0 0 >"$dir/err-greeting-half"
{ greet; msg 1 6 1 ok; byte 1 0 0 0; } >"$dir/err-half-header"
{ greet; msg 1 20 1 'only ten b'; } >"$dir/err-half-body"
{ greet; msg 1 305 1 "$(body 301)"; } >"$dir/err-oversize"
{ greet; msg 1 6 1 ok; byte 1 128 0 0 0 0 0 0 0 0 0 0 1; } \
    >"$dir/err-length-huge"
{ greet; msg 2 6 1 no; } >"$dir/err-type"
{ greet; msg 1 3 1 ''; byte 0 0 0; } >"$dir/err-length-under-4"
{ greet; msg 1 6 256 no; } >"$dir/err-hops-256"
