#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx.sh - tools/check-spdx.sh passes on this tree (every source file
# says its licence) and fails, naming the file, on a tree where one C
# file, one script or one local.am lacks the line.
: "${srcdir:=.}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-spdx.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

sh "$srcdir/tools/check-spdx.sh" "$srcdir" >"$T/out" 2>&1 ||
    fail "the tree: $(head -5 "$T/out")"

mkdir -p "$T/t/src"
printf '/* SPDX-License-Identifier: MIT */\n/*\n * a.c - fine\n */\n' \
    >"$T/t/src/a.c"
printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\necho fine\n' >"$T/t/ok.sh"
sh "$srcdir/tools/check-spdx.sh" "$T/t" >/dev/null 2>&1 ||
    fail "a tree where every file has its line was refused"
for bad in src/b.c run.sh src/local.am; do
	printf '/*\n * no licence line\n */\n' >"$T/t/$bad"
	sh "$srcdir/tools/check-spdx.sh" "$T/t" >"$T/out" 2>&1
	[ $? -eq 1 ] || fail "$bad without its line: not refused"
	grep -q "$bad" "$T/out" || fail "$bad: not named: $(cat "$T/out")"
	rm -f "$T/t/$bad"
done
[ "$fails" -eq 0 ] && echo "ok: check-spdx passes this tree, refuses a file without its line"
exit "$fails"
