#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""metrics.py - read corund's /metrics with prometheus_client's text parser
and check it against what the test ran.

usage: metrics.py URL KEY=VALUE ...  where KEY is a sample written as
  name{label="v",...} (labels in any order) and VALUE a number, or
  >N for "more than N".  Prints one line per check; exit 1 on a mismatch,
  2 when the text does not parse.
"""
import re
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
            out["%s{%s}" % (s.name, labels) if labels else s.name] = s.value
    return out


def norm(key):
    m = re.match(r'^([^{]+)\{(.*)\}$', key)
    if not m:
        return key
    labels = sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
    return "%s{%s}" % (m.group(1), ",".join('%s="%s"' % kv for kv in labels))


def main():
    with urllib.request.urlopen(sys.argv[1], timeout=15) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    if not ctype.startswith("text/plain"):
        print("FAIL: Content-Type %r" % ctype)
        return 1
    try:
        got = samples(text)
    except Exception as e:  # the parser raises ValueError and others
        print("FAIL: /metrics does not parse: %s" % e)
        return 2
    bad = 0
    for arg in sys.argv[2:]:
        key, want = arg.rsplit("=", 1)
        key = norm(key)
        have = got.get(key)
        if want.startswith(">"):
            good = have is not None and have > float(want[1:])
        else:
            good = have is not None and have == float(want)
        print("%s: %s = %s (want %s)" % ("ok" if good else "FAIL", key, have, want))
        bad += not good
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
