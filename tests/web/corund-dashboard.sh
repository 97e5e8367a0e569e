#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-dashboard.sh - the dashboard of a real corund --http, loaded in
# headless Chromium: the rendered page must show the workers corund runs
# (their pids), the jobs that ended (done and failed, with the reason),
# the running jobs' group; the control actions need the token.  Set
# DASH_SCREENSHOT=FILE to keep a screenshot (doc/dashboard.png is one).
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
. "${srcdir:-.}/tests/web/web-lib.sh"
CHROMIUM=
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then CHROMIUM=$c; break; fi
done
[ -n "$CHROMIUM" ] || { echo "skip: no chromium"; exit 77; }

# chrome ARGS... URL: headless, its own profile, bounded in time.
chrome() {
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$T/chromium" \
	    --virtual-time-budget=5000 "$@" 2>>"$T/chromium.log"
}

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
echo "s3cret-token" >"$T/token"
start_daemon --workers 3 --http 127.0.0.1:$PORT --http-token-file "$T/token"

# Finished jobs: 6 done, 1 failed; two running in group "batch".
for i in 1 2 3 4 5 6; do cr submit --group demo sh -c "sleep 0.0$i" >/dev/null; done
f=$(cr submit --group demo sh -c 'echo boom >&2; exit 3')
b1=$(cr submit --group batch sleep 30)
b2=$(cr submit --group batch sleep 30)
cr wait 1 2 3 4 5 6 >/dev/null 2>&1
cr wait "$f" >/dev/null 2>&1
i=0
while [ $i -lt 100 ] && [ "$(count running)" != 2 ]; do sleep 0.1; i=$((i + 1)); done

# ?once: the page closes its event stream after the first update, so the
# headless browser sees the network go idle and dumps what it rendered.
chrome --dump-dom "$URL/?once" >"$T/dom.html"
eq "chromium rendered the page" 0 $?
contains "the page got its update over /events" '"conn" class="v">snapshot' \
    "$(cat "$T/dom.html")"
pids=$(cr status --json | tr -d ' \n' | sed 's/.*"pids":\[\([0-9,]*\)\].*/\1/' |
    tr ',' '\n' | sort -n | tr '\n' ' ')
shown=$(grep -o '<tr class="worker" data-pid="[0-9]*"' "$T/dom.html" |
    sed 's/.*data-pid="\([0-9]*\)"/\1/' | sort -n | tr '\n' ' ')
eq "the workers shown are corund's" "$pids" "$shown"
eq "three workers" 3 "$(echo $shown | wc -w)"
done_ids=$(grep -o '<tr class="job done" data-id="[0-9]*"' "$T/dom.html" |
    sed 's/.*data-id="\([0-9]*\)"/\1/' | sort -n | tr '\n' ' ')
eq "the finished jobs are listed" "1 2 3 4 5 6 " "$done_ids"
contains "the failed job is listed as failed" \
    "<tr class=\"job failed\" data-id=\"$f\"" "$(cat "$T/dom.html")"
contains "with its reason among the failures" "exit 3" \
    "$(grep -o "<tr class=\"failure\" data-id=\"$f\">.*</tr>" "$T/dom.html")"
contains "the done count" '<b id="n-done">6</b>' "$(cat "$T/dom.html")"
contains "the running count" '<b id="n-running">2</b>' "$(cat "$T/dom.html")"
contains "the queue shows group batch running 2" \
    '<td>batch</td><td class="n">0</td><td class="n">2</td>' \
    "$(cat "$T/dom.html")"

if [ -n "${DASH_SCREENSHOT:-}" ]; then
	chrome --hide-scrollbars --window-size=1400,900 \
	    --screenshot="$DASH_SCREENSHOT" "$URL/?once" >/dev/null
	eq "screenshot written" PNG "$(head -c 4 "$DASH_SCREENSHOT" | tail -c 3)"
fi

# A job's detail, as the page fetches it.
contains "job detail has its output" '"stderr":"boom\n"' \
    "$(http_get "$URL/api/job?id=$f")"

# Control: refused without the token or with a wrong one; done with it.
contains "no token: 403" "403" "$(http_post "$URL/api/control?action=pause&arg=demo")"
contains "wrong token: 403" "403" \
    "$(http_post "$URL/api/control?action=pause&arg=demo" wrong)"
contains "bad action: 400 saying what is expected" "400" \
    "$(http_post "$URL/api/control?action=explode" s3cret-token)"
contains "pause with the token" "200" \
    "$(http_post "$URL/api/control?action=pause&arg=demo" s3cret-token)"
contains "the group is paused" '"demo"' "$(cr status --json)"
contains "scale with the token" "200" \
    "$(http_post "$URL/api/control?action=scale&arg=2" s3cret-token)"
i=0
while [ $i -lt 100 ] && ! cr status --json | grep -q '"target": 2'; do
	sleep 0.1; i=$((i + 1))
done
contains "scaled to 2" '"target": 2' "$(cr status --json)"
r=$(cr submit sleep 30)
contains "cancel with the token" "200" \
    "$(http_post "$URL/api/control?action=cancel&arg=$r" s3cret-token)"
cr wait "$r" >/dev/null 2>&1
contains "the job is cancelled" '"state": "cancelled"' "$(cr status "$r" --json)"
contains "control is logged" "http: pause demo" "$(cat "$T/log")"

cr cancel "$b1" "$b2" >/dev/null
stop_daemon
# Chromium's ?once closed its stream: the request left behind is freed.
# (Only what the listener allocates: a scale followed by a stop while
# the old pool drains leaks its shutdown future, src/daemon/feed-pool.c.)
no_sanitizer_report "$T/log" 'in evhttp_\|in evbuffer_\|in cm_\|runtime error'

finish
