#!/bin/sh
# compat.sh - the GNU parallel conformance suite: runs every case of the
# given case files once with GNU parallel and once with `corun run`, each
# in a fresh copy of the same fixture directory, and compares what a user
# sees: stdout (sorted where the case says parallel's order is undefined),
# the exit status, and the files the command left in its directory.
#
#   compat.sh FILE.cases...          (env: CASES=glob to run some cases)
#
# A case file holds one case per line:
#
#   NAME  FLAGS  COMMAND...
#
# NAME is unique within the suite; FLAGS is "-" or a comma list of:
#   sort    compare stdout sorted (parallel's order is not defined: -j>1)
#   nofiles do not compare the files left behind
#   stderr  compare stderr too (rarely: the tools' messages differ)
#   stdin=F feed fixture file F on stdin (default: /dev/null)
#   serial  run the case alone, not beside others (timing-sensitive)
# COMMAND is a shell command line (run by sh -c in the fixture directory)
# in which $PAR is the tool: "parallel" or "corun run".  Lines starting
# with "#" are comments; a "# from: ..." comment above a case names the
# place in parallel's documentation the case comes from.
#
# The fixture (made by fixture() below) is the same for both runs.  GNU
# parallel runs with --will-cite implied by a private $HOME; both runs get
# the same environment.  Each run is bounded by timeout(1).  Cases run
# COMPAT_JOBS (default 4) at a time, except those flagged serial.
set -u
: "${srcdir:=.}"
CORUN=${CORUN:-$PWD/corun}
CORUN_WORKER=${CORUN_WORKER:-$PWD/workers/corun-worker}
export CORUN_WORKER
if [ ! -x "$CORUN" ] || [ ! -x "$CORUN_WORKER" ]; then
	echo "skip: $CORUN or $CORUN_WORKER is not built"
	exit 77
fi
PARALLEL_BIN=${PARALLEL_BIN:-$(command -v parallel || true)}
if [ -z "$PARALLEL_BIN" ] || ! "$PARALLEL_BIN" --version 2>/dev/null |
	grep -q 'GNU parallel'; then
	# CI installs GNU parallel; a machine without it cannot compare.
	echo "skip: GNU parallel is not installed (apt-get install parallel)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/cr-compat.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/home/.parallel"
: >"$T/home/.parallel/will-cite"

# A small tree of inputs that the cases' commands use.
fixture() {
	d=$1
	mkdir -p "$d/dir/sub"
	printf 'alpha\nbeta\ngamma\n' >"$d/abc.txt"
	printf '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n' >"$d/num.txt"
	printf 'a b\nc d\n' >"$d/words.txt"
	printf 'x\ny\n' >"$d/xy.txt"
	printf 'one\ttwo\tthree\nfour\tfive\tsix\n' >"$d/cols.tsv"
	printf 'name,age\nann,31\nbob,42\n' >"$d/people.csv"
	printf 'hello\n' >"$d/dir/f1.txt"
	printf 'world\n' >"$d/dir/sub/f2.log"
	printf '' >"$d/empty.txt"
	printf 'A\0B C\0' >"$d/nul.bin"
	printf 'file with space\n' >"$d/with space.txt"
}

# run TOOL DIR CMD FLAGS -> writes DIR.out DIR.err DIR.rc DIR.files
run_one() {
	tool=$1 d=$2 cmd=$3 fl=$4
	fixture "$d"
	in=/dev/null
	case ",$fl," in *,stdin=*)
		in=$d/$(printf '%s\n' "$fl" | tr ',' '\n' | sed -n 's/^stdin=//p')
		;;
	esac
	(cd "$d" && HOME=$T/home PAR=$tool LC_ALL=C TZ=UTC \
		timeout 60 sh -c "$cmd" <"$in" >"$d.out" 2>"$d.err")
	echo $? >"$d.rc"
	case ",$fl," in *,sort,*)
		LC_ALL=C sort "$d.out" >"$d.out.s" && mv "$d.out.s" "$d.out" ;;
	esac
	(cd "$d" && find . -type f -o -type l | LC_ALL=C sort |
		while IFS= read -r f; do
			printf '%s %s\n' "$(cksum <"$f" | tr -s ' ' _)" "$f"
		done) >"$d.files"
}

# check NAME FLAGS CMD DIR: run one case both ways, write DIR/verdict
# ("ok" or the parts that differ) and DIR/report (what a failure shows).
check() {
	name=$1 flags=$2 cmd=$3 c=$4
	run_one "$PARALLEL_BIN" "$c/par" "$cmd" "$flags" &
	run_one "$CORUN run" "$c/cor" "$cmd" "$flags"
	wait
	why=
	cmp -s "$c/par.out" "$c/cor.out" || why="$why stdout"
	cmp -s "$c/par.rc" "$c/cor.rc" || why="$why exit"
	case ",$flags," in *,nofiles,*) ;; *)
		cmp -s "$c/par.files" "$c/cor.files" || why="$why files" ;;
	esac
	case ",$flags," in *,stderr,*)
		cmp -s "$c/par.err" "$c/cor.err" || why="$why stderr" ;;
	esac
	if [ -z "$why" ]; then
		echo ok >"$c/verdict"
		return
	fi
	echo "$why" >"$c/verdict"
	{
		echo "FAIL: $name:$why"
		echo "  command: $cmd"
		echo "  exit: parallel $(cat "$c/par.rc"), corun $(cat "$c/cor.rc")"
		for part in out files; do
			cmp -s "$c/par.$part" "$c/cor.$part" ||
				diff -u "$c/par.$part" "$c/cor.$part" |
				sed -n '3,40s/^/  /p'
		done
		sed -n '1,5s/^/  corun stderr: /p' "$c/cor.err"
	} >"$c/report"
}

# Cases run COMPAT_JOBS at a time (default 4; each runs both tools at
# once), a case flagged "serial" alone; reports come in file order.
jobs=${COMPAT_JOBS:-4}
total=0
passed=0
failed_names=
pending=
report() {
	for n in $pending; do
		c=$T/c$n
		name=$(cat "$c/name")
		if [ "$(cat "$c/verdict" 2>/dev/null)" = ok ]; then
			passed=$((passed + 1))
			echo "ok: $name"
		else
			failed_names="$failed_names $name"
			cat "$c/report" 2>/dev/null ||
				echo "FAIL: $name: no verdict"
		fi
	done
	pending=
	running=0
}
running=0
for file in "$@"; do
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		name=${line%%[ 	]*}
		rest=${line#"$name"}
		rest=${rest#"${rest%%[! 	]*}"}
		flags=${rest%%[ 	]*}
		cmd=${rest#"$flags"}
		cmd=${cmd#"${cmd%%[! 	]*}"}
		case $name in ${CASES:-*}) ;; *) continue ;; esac
		total=$((total + 1))
		c=$T/c$total
		mkdir -p "$c"
		echo "$name" >"$c/name"
		case ",$flags," in *,serial,*)
			wait
			report
			# report() used $c: this case's directory again
			c=$T/c$total
			check "$name" "$flags" "$cmd" "$c" </dev/null
			pending=$total
			report
			continue
			;;
		esac
		check "$name" "$flags" "$cmd" "$c" </dev/null &
		pending="$pending $total"
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait
			report
		fi
	done <"$file"
done
wait
report
echo "compat: $passed/$total cases pass ($*)"
[ -n "$failed_names" ] && echo "failed:$failed_names"
[ "$total" -gt 0 ] && [ "$passed" -eq "$total" ]
