# cli-lib.sh - shared by the tests/cli/cli-*.sh integration scripts: find
# the binaries, make a temporary directory, count failures.  Every corun run
# is bounded by timeout(1).
set -u
: "${srcdir:=.}"
CORUN=${CORUN:-$PWD/corun}
CORUN_WORKER=${CORUN_WORKER:-$PWD/workers/corun-worker}
export CORUN_WORKER
if [ ! -x "$CORUN" ] || [ ! -x "$CORUN_WORKER" ]; then
	echo "skip: $CORUN or $CORUN_WORKER is not built"
	exit 77
fi
command -v timeout >/dev/null 2>&1 || { echo "skip: no timeout(1)"; exit 77; }
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=

T=$(mktemp -d "${TMPDIR:-/tmp}/cr-cli.XXXXXX")
cleanup() {
	# Kill only what this script started, by pid.
	for p in ${CR_BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
CR_BG_PIDS=
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# eq NAME EXPECTED ACTUAL
eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: expected [$2], got [$3]"
	fi
}
# contains NAME NEEDLE HAYSTACK
contains() {
	case $3 in
	*"$2"*) ok "$1" ;;
	*) fail "$1: [$2] not in [$3]" ;;
	esac
}
crun() { timeout 60 "$CORUN" run "$@"; }
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails failure(s)"
		exit 1
	fi
	exit 0
}
