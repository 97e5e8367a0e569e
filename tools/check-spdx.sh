#!/bin/sh
# SPDX-License-Identifier: MIT
# check-spdx.sh - every source file of the tree says its licence: an
# "SPDX-License-Identifier: MIT" line among its first three lines.  C
# sources and headers, assembly, shell and Python scripts, the shell
# completions, the automake files and configure.ac.  Prints each file
# without one and exits 1; `make check-spdx` runs it, and CI.
#
# usage: check-spdx.sh [SRCDIR]   (default: .)
set -u
dir=${1:-.}
cd "$dir" || exit 2
list() {
	if [ -d .git ] || [ -f .git ]; then
		git ls-files
	else
		# a tarball's tree: leave out build directories inside it
		# (a config.status marks one), whose files are generated
		builds=$(find . -mindepth 2 -name config.status |
		    sed 's|^\./||; s|/config.status$||')
		find . -type f ! -path './.git/*' ! -path './autom4te.cache/*' \
		    ! -path './build-aux/*' ! -path './m4/*' ! -path './debian/*' \
		    ! -path '*/_build/*' ! -path '*/_inst/*' | sed 's|^\./||' |
		    while IFS= read -r f; do
			for b in $builds; do
				case $f in "$b"/*) continue 2 ;; esac
			done
			printf '%s\n' "$f"
		done
	fi
}
bad=0
n=0
for f in $(list | grep -E '\.(c|h|S|sh|py|am|fish|bash)$|^configure\.ac$|^completions/_corun$'); do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		echo "check-spdx: $f: no 'SPDX-License-Identifier: MIT' line in its first 3 lines"
		bad=1
	fi
done
if [ "$n" -eq 0 ]; then
	echo "check-spdx: no source files found under $dir"
	exit 2
fi
[ "$bad" -eq 0 ] && echo "check-spdx: $n files, each with its SPDX line"
exit "$bad"
