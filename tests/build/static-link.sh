#!/bin/sh
# SPDX-License-Identifier: MIT
# static-link.sh - prove that `pkg-config --static --libs corun` lists
# everything a static link of libcorun needs (nng, mbedTLS, libevent, libm).
#
# Run by "make check" (tests/build/local.am exports CORUN_CC,
# CORUN_PKG_CONFIG, CORUN_BUILDDIR and srcdir).  A small program that runs
# one job through a corun_pool (so that the pool, nng and nng's TLS engine
# are linked) is built with -static against this build tree's libcorun.a
# and corun.pc (its libdir and includedir pointed at the build and source
# trees), then run.  Skipped (exit 77) without pkg-config, without the static
# libcorun.a (--disable-static), without a static archive of a library
# the flags name, or in sanitizer and coverage builds.
set -u

srcdir=${srcdir:-.}
builddir=${CORUN_BUILDDIR:-.}
cc=${CORUN_CC:-cc}
pkgconfig=${CORUN_PKG_CONFIG:-pkg-config}

skip()
{
	echo "static-link: skipped: $*"
	exit 77
}

command -v "$pkgconfig" >/dev/null 2>&1 || skip "no $pkgconfig"
[ -f "$builddir/.libs/libcorun.a" ] || skip "no .libs/libcorun.a"
if nm "$builddir/.libs/libcorun.a" 2>/dev/null |
    grep -q -e '__asan_' -e '__gcov_' -e '__sanitizer_cov'; then
	skip "sanitizer or coverage build"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/corun-static.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# This build's corun.pc, its libdir and includedir pointed at the trees.
abs_src=$(cd "$srcdir" && pwd) && abs_build=$(cd "$builddir" && pwd) ||
    exit 1
sed -e "s|^libdir=.*|libdir=$abs_build/.libs|" \
    -e "s|^includedir=.*|includedir=$abs_src/include|" \
    "$builddir/corun.pc" >"$tmp/corun.pc" || exit 1
pc()
{
	PKG_CONFIG_PATH=$tmp "$pkgconfig" "$@" corun
}
cflags=$(pc --cflags) || { echo "static-link: FAIL: pkg-config --cflags"; exit 1; }
libs=$(pc --static --libs) || { echo "static-link: FAIL: pkg-config --static --libs"; exit 1; }
echo "static-link: pkg-config --static --libs corun: $libs"

# Every -lNAME must have a static archive, or this machine cannot prove it.
for f in $libs; do
	case $f in
	-lcorun) ;;
	-l*)
		a=$("$cc" -print-file-name="lib${f#-l}.a")
		[ -f "$a" ] || skip "no lib${f#-l}.a"
		;;
	esac
done

cat >"$tmp/one.c" <<'PROG'
#include <corun/corun.h>
#include <stdio.h>

int
main(void)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = { 0 };
	corun_loop *loop;
	corun_pool *p;
	corun_future *f, *done;
	int st;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	j.kind = "noop";
	if (corun_loop_new(&loop) != 0 || corun_pool_new(loop, &o, &p) != 0 ||
	    corun_pool_submit(p, &j, &f) != 0) {
		return 1;
	}
	corun_call_later(loop, 10, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, f);
	st = corun_future_done(f) ? corun_future_status(f) : -1;
	corun_future_unref(f);
	if (corun_pool_shutdown(p, 1, 0, &done) == 0) {
		corun_loop_run_until_complete(loop, done);
		corun_future_unref(done);
	}
	corun_pool_free(p);
	corun_loop_free(loop);
	printf("job status %d\n", st);
	return st == 0 ? 0 : 1;
}
PROG

# glibc warns that getaddrinfo in a static program needs its shared
# NSS modules at run time: expected, not an error.
# shellcheck disable=SC2086
if ! "$cc" -static -o "$tmp/one" "$tmp/one.c" $cflags $libs \
    >"$tmp/ld.log" 2>&1; then
	cat "$tmp/ld.log"
	echo "static-link: FAIL: a static link with these flags"
	exit 1
fi
if ! "$tmp/one"; then
	echo "static-link: FAIL: the static program did not run its job"
	exit 1
fi
if command -v ldd >/dev/null 2>&1 && ldd "$tmp/one" 2>&1 | grep -q '=>'; then
	ldd "$tmp/one"
	echo "static-link: FAIL: the program is not static"
	exit 1
fi
echo "static-link: ok"
