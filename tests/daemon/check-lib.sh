# SPDX-License-Identifier: MIT
# check-lib.sh - how the tests/daemon scripts report: ok, fail (counted
# in $fails, which the sourcing script sets to 0), eq and contains.
# Sourced by corund-lib.sh and by socket-ownership.sh, which sets up its
# own users and directories instead of corund-lib.sh's.

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# eq NAME EXPECTED ACTUAL
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
# contains NAME NEEDLE HAYSTACK
contains() {
	case $3 in
	*"$2"*) ok "$1" ;;
	*) fail "$1: [$2] not in [$3]" ;;
	esac
}
