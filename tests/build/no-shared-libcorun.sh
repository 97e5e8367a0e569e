#!/bin/sh
# SPDX-License-Identifier: MIT
# no-shared-libcorun.sh - corun, corund and corun-worker find their
# library without ldconfig: they carry libcorun in them and do not load
# libcorun.so (issue 15, item 10: after `make install`, corund could not
# find libcorun.so.0 until ldconfig ran).
#
# Each program must be an ELF file (not a libtool wrapper script, which
# exists only for programs linked against the shared library) whose
# dynamic section names no libcorun.  The check itself is proved first
# on a program linked against this build's libcorun.so, when there is
# one: it must be caught.
set -u
builddir=${CORUN_BUILDDIR:-.}
cc=${CORUN_CC:-cc}

command -v readelf >/dev/null 2>&1 || { echo "skip: no readelf"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cr-needed.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

# needs_libcorun FILE: 0 if FILE loads libcorun.so (or is no ELF file).
needs_libcorun() {
	if [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		echo "$1: not an ELF file (a libtool wrapper?)"
		return 0
	fi
	if readelf -d "$1" | grep NEEDED | grep -q 'libcorun'; then
		echo "$1: $(readelf -d "$1" | grep NEEDED | grep libcorun)"
		return 0
	fi
	return 1
}

# The check catches a program that does load libcorun.so.
if [ -f "$builddir/.libs/libcorun.so" ]; then
	printf 'int corun_loop_new(void *);\nint main(void) { return corun_loop_new(0) == 12345; }\n' >"$tmp/probe.c"
	if "$cc" -o "$tmp/probe" "$tmp/probe.c" -L"$builddir/.libs" -lcorun \
	    >/dev/null 2>&1; then
		if needs_libcorun "$tmp/probe" >/dev/null; then
			echo "ok: the check catches a program linked to libcorun.so"
		else
			echo "FAIL: the check misses a program linked to libcorun.so"
			fails=$((fails + 1))
		fi
	fi
fi

for p in corun corund workers/corun-worker; do
	f=$builddir/$p
	if [ ! -f "$f" ]; then
		echo "FAIL: $f is not built"
		fails=$((fails + 1))
	elif needs_libcorun "$f"; then
		echo "FAIL: $p loads libcorun.so: it needs ldconfig once installed"
		fails=$((fails + 1))
	else
		echo "ok: $p does not load libcorun.so"
	fi
done
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
