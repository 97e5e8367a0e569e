#!/bin/sh
# SPDX-License-Identifier: MIT
# deb-demo.sh - README's demonstration with the programs the Debian
# packages installed (CI runs it after installing them): `make demo`'s
# job runner and libcorun(3)'s example built against libcorun-dev, the
# daemon's lines (corund, submit, wait, result, drain), a compare with a
# chart, and the completions where each shell looks.  Nothing of the
# build tree is used but the example's source ($1).
set -eu
example=$1
unset CORUN_WORKER
T=$(mktemp -d)
# (|| : : corund may have ended already, and a failed kill under set -e
# would turn the script's status into the trap's)
trap '[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || :; rm -rf "$T"' EXIT
dpid=
cd "$T"

echo "deb-demo: corun run (make demo)"
out=$(/usr/bin/corun run -k -j4 --joblog - \
	'sleep 0.2; echo "job {} done"' ::: 1 2 3 4 5 6 7 8)
echo "$out"
[ "$(echo "$out" | grep -c '^job [1-8] done$')" = 8 ]

echo "deb-demo: libcorun(3)'s example against libcorun-dev"
cc -o example "$OLDPWD/$example" $(pkg-config --cflags --libs corun)
./example

echo "deb-demo: corund and the client"
export CORUN_SOCKET="ipc://$T/ctl"
/usr/sbin/corund --foreground --state-dir "$T/state" --socket "$CORUN_SOCKET" \
	--workers 2 2>"$T/corund.log" &
dpid=$!
i=0
until /usr/bin/corun status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/corund.log"; exit 1; }
	sleep 0.1
done
id=$(/usr/bin/corun submit sh -c 'echo hi')
/usr/bin/corun wait "$id"
[ "$(/usr/bin/corun result "$id")" = hi ]
/usr/bin/corun drain
wait "$dpid"
dpid=
grep -q "job $id done" "$T/corund.log"

echo "deb-demo: corun compare, with a chart"
/usr/bin/corun compare --workload io --count 20 --ms 10 -j 2 --repeat 1 \
	--png compare.png --export-markdown compare.md
[ -s compare.png ] && grep -q '| model |' compare.md

echo "deb-demo: completions where the shells look"
for f in /usr/share/bash-completion/completions/corun \
    /usr/share/zsh/vendor-completions/_corun \
    /usr/share/fish/vendor_completions.d/corun.fish; do
	[ -s "$f" ] || { echo "deb-demo: missing $f"; exit 1; }
done
bash -c '. /usr/share/bash-completion/bash_completion
	_completion_loader corun 2>/dev/null || __load_completion corun
	complete -p corun' | grep -q _corun_complete
/usr/bin/corun --version
/usr/sbin/corund --version
/usr/bin/corun-worker --version
echo "deb-demo: ok"
