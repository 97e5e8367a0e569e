#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-compare-out.sh - corun compare's outputs: JSON fields present and
# consistent, CSV, an SVG that parses as XML, a PNG with a PNG header,
# and the Python peers as extra rows of the same run.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
[ -n "$PY" ] || { echo "skip: no python3"; exit 77; }
# Absolute: the script runs in its temporary directory.
CORUN_PEERS=${CORUN_PEERS:-$(cd "$srcdir" && pwd)/src/cli/peers.py}
export CORUN_PEERS
cd "$T" || exit 1

# One run per model unless a case asks for more (--repeat): the suite
# checks outputs, not spreads, and a loaded machine would add rounds.
ccmp() { timeout 120 "$CORUN" compare --min-runs 1 --max-runs 1 "$@"; }

ccmp --workload io --count 20 --ms 10 -j 2 --json --svg c.svg --png c.png >c.json
eq "json+svg+png: exit 0" 0 $?
out=$("$PY" - c.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
keys = ("model impl procs threads concurrency jobs failed wall_s wall_min_s "
        "wall_max_s runs jobs_per_s p50_ms p95_ms p99_ms mean_run_ms cpu_s "
        "cpu_user_s cpu_sys_s peak_rss_kb vcsw ivcsw par cores_busy "
        "error").split()
bad = []
for k in ("workload", "count", "cores", "results", "verdict"):
    if k not in d:
        bad.append("top:" + k)
names = [r["model"] for r in d["results"]]
if names != ["process", "thread", "async", "hybrid"]:
    bad.append("models:" + ",".join(names))
for r in d["results"]:
    for k in keys:
        if k not in r:
            bad.append(r["model"] + ":" + k)
    if r["jobs"] != 20 or r["failed"] != 0:
        bad.append(r["model"] + ":jobs")
    if abs(r["jobs_per_s"] - r["jobs"] / r["wall_s"]) > 0.01 * r["jobs_per_s"]:
        bad.append(r["model"] + ":jobs_per_s")
    if not r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"]:
        bad.append(r["model"] + ":percentiles")
    if abs(r["cpu_s"] - r["cpu_user_s"] - r["cpu_sys_s"]) > 1e-6:
        bad.append(r["model"] + ":cpu")
    if r["peak_rss_kb"] <= 0:
        bad.append(r["model"] + ":rss")
    if r["p50_ms"] < 9:
        bad.append(r["model"] + ":p50 below the job's 10 ms")
plan = {m: (r["procs"], r["threads"], r["concurrency"])
        for m, r in zip(names, d["results"])}
if plan != {"process": (2, 1, 1), "thread": (1, 2, 1),
            "async": (1, 1, 20), "hybrid": (2, 1, 10)}:
    bad.append("plan:" + repr(plan))
v = d["verdict"]
w = min(d["results"], key=lambda r: r["wall_s"])
if v["winner"] != w["model"] or not v["text"].startswith("verdict: "):
    bad.append("verdict")
print(" ".join(bad) or "ok")
PY
)
eq "json: fields present and consistent" ok "$out"
eq "svg parses as XML" ok "$("$PY" -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print("ok" if r.tag.endswith("svg") else r.tag)' c.svg 2>&1)"
eq "png header" 89504e470d0a1a0a "$(head -c 8 c.png | od -An -tx1 | tr -d ' \n')"

ccmp --workload noop --count 50 -j 2 --models async,thread --csv >c.csv
eq "csv: exit 0" 0 $?
eq "csv: header" "workload,model,impl,procs,threads,concurrency,jobs,failed,wall_s" \
    "$(head -1 c.csv | cut -d, -f1-9)"
eq "csv: one row per model" 3 "$(wc -l <c.csv | tr -d ' ')"
eq "csv: rows" '"noop",async "noop",thread ' \
    "$(tail -n +2 c.csv | cut -d, -f1-2 | tr '\n' ' ')"

start=$(date +%s)
ccmp --png /nonexistent-dir/x.png --count 2 --ms 1 --models async >/dev/null 2>err.txt
eq "chart into a missing directory: refused (255)" 255 $?
[ $(($(date +%s) - start)) -lt 5 ] || fail "refused only after measuring"
contains "missing directory: said before measuring" "nothing was measured" "$(cat err.txt)"
contains "unwritable chart: message" "/nonexistent-dir/x.png" "$(cat err.txt)"
ccmp --export-markdown no-dir/x.md --count 2 --ms 1 --models async >/dev/null 2>err.txt
eq "export into a missing directory: refused (255)" 255 $?
ccmp --workload io --count 10 --ms 5 -j 2 --models async,thread --repeat 3 \
    --export-markdown c.md --export-csv c2.csv --export-json c2.json >/dev/null
eq "exports: exit 0" 0 $?
contains "markdown: a table" "| model | P x T x C | wall s (mean" "$(cat c.md)"
contains "markdown: the verdict" "verdict: " "$(cat c.md)"
eq "markdown: a row per model" 2 "$(grep -c '^| \(\*\*\)\{0,1\}\(async\|thread\)' c.md)"
eq "export-csv: header and rows" 3 "$(wc -l <c2.csv | tr -d ' ')"
contains "export-json: runs and spread" '"wall_sd_s"' "$(cat c2.json)"
contains "export-json: 3 runs" '"runs": 3' "$(cat c2.json)"

# -- Python peers: extra rows, same fields, same run --
ccmp --workload io --count 20 --ms 10 -j 2 --models async --peers python \
    --json >p.json
eq "peers: exit 0" 0 $?
eq "peers: rows" "async py-asyncio py-threads py-procpool py-mp.pool" \
    "$("$PY" -c 'import json,sys; print(" ".join(r["model"] for r in json.load(open(sys.argv[1]))["results"]))' p.json)"
eq "peers: every job, fields filled" ok "$("$PY" -c 'import json,sys
rs = json.load(open(sys.argv[1]))["results"]
print("ok" if all(r["jobs"] == 20 and r["wall_s"] > 0 and r["peak_rss_kb"] > 0 and r["impl"] in ("corun", "python") for r in rs) else rs)' p.json)"

finish
