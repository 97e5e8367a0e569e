#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-on-done.sh - a real corund with an on-done command (the
# corund.conf key, here from a config file, and the --on-done option):
# it runs once for each job that ends, done, failed or cancelled, with
# CORUN_JOB_ID, CORUN_JOB_STATE, CORUN_JOB_EXIT and CORUN_JOB_COMMAND.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

cat >"$T/corund.conf" <<EOF2
on-done = echo "\$CORUN_JOB_ID \$CORUN_JOB_STATE \$CORUN_JOB_EXIT \$CORUN_JOB_COMMAND" >>$T/told
EOF2
start_daemon --workers 2 --config "$T/corund.conf"

a=$(cr submit echo hi)
b=$(cr submit sh -c 'exit 3')
cr pause g
c=$(cr submit --group g true)
cr cancel "$c"
cr wait "$a" "$b" "$c" --timeout 20 2>/dev/null
# The commands run beside the queue: wait for the three lines (bounded).
i=0
while [ $i -lt 50 ] && [ "$(wc -l <"$T/told" 2>/dev/null || echo 0)" -lt 3 ]; do
	sleep 0.1; i=$((i + 1))
done
told=$(cat "$T/told" 2>/dev/null)
contains "told of the done job" "$a done 0 echo hi" "$told"
contains "told of the failed job" "$b failed 3 sh -c exit 3" "$told"
contains "told of the cancelled job" "$c cancelled" "$told"
eq "once per job" 3 "$(wc -l <"$T/told")"
stop_daemon

# --on-done on the command line, over the file's.
rm -f "$T/told"
start_daemon --workers 1 --config "$T/corund.conf" \
    --on-done "echo cli \$CORUN_JOB_ID >>$T/told"
d=$(cr submit true)
cr wait "$d" --timeout 20
i=0
while [ $i -lt 50 ] && [ ! -s "$T/told" ]; do sleep 0.1; i=$((i + 1)); done
eq "--on-done is the one run" "cli $d" "$(cat "$T/told" 2>/dev/null)"
stop_daemon
finish
