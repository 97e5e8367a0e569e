#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python generator send() as a loose reference for co_switch.

A generator is resumed with send() and yields back: one round trip is two
switches, so the figure is time / (2 N), as in bench_co.  Generators are
stackless and run in the interpreter, so this is a reference point, not a
like-for-like peer.  Best of three runs of about 0.2 s each.
"""

import json
import time


def echo():
    value = None
    while True:
        value = yield value


def run(gen, n):
    send = gen.send
    t0 = time.perf_counter_ns()
    for i in range(n):
        send(i)
    return time.perf_counter_ns() - t0


def main():
    gen = echo()
    next(gen)
    n = 1000
    while True:
        dt = run(gen, n)
        if dt >= 50_000_000:
            break
        n *= 10 if dt < 5_000_000 else 2
    n = int(n * 2e8 / dt) + 1
    best = min(run(gen, n) for _ in range(3)) / (2 * n)
    print(json.dumps({"bench": "co_switch", "impl": "python-generator",
                      "value": best, "unit": "ns/switch", "n": n,
                      "note": "generator.send(), stackless"}), flush=True)


if __name__ == "__main__":
    main()
