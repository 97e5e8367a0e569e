#!/bin/sh
# SPDX-License-Identifier: MIT
# exports.sh - fail if libcorun.so exports a symbol outside corun_*.
#
# Run by "make check" (CORUN_BUILDDIR is exported by AM_TESTS_ENVIRONMENT).
# Only corun_* is the library's ABI (libcorun(3), ABI); cr_* internals and
# the fault-injection hooks (src/lib/fault.c) are local to the shared
# library, for the programs and tests that link libcorun-core.la.  The
# linker's own symbols (_init, _fini, _edata, _end, __bss_start) are not
# counted.  Skipped (exit 77) without the shared library or nm.
set -u

builddir=${CORUN_BUILDDIR:-.}
so=$builddir/.libs/libcorun.so.0

if ! command -v nm >/dev/null 2>&1; then
	echo "exports: skipped: no nm"
	exit 77
fi
if [ ! -f "$so" ]; then
	echo "exports: skipped: no $so (--disable-shared?)"
	exit 77
fi

syms=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' |
    sed 's/@.*//') || exit 1
ours=$(printf '%s\n' "$syms" | grep -c '^corun_')
bad=$(printf '%s\n' "$syms" | grep -v -e '^corun_' -e '^$' \
    -e '^_init$' -e '^_fini$' -e '^_edata$' -e '^_end$' -e '^__bss_start$')
if [ -n "$bad" ]; then
	printf '%s\n' "$bad"
	echo "exports: FAIL: $(printf '%s\n' "$bad" | wc -l) symbols" \
	    "outside corun_* in $so"
	exit 1
fi
if [ "$ours" -eq 0 ]; then
	echo "exports: FAIL: no corun_* symbol in $so"
	exit 1
fi
echo "exports: ok: $ours corun_* symbols and nothing else"
