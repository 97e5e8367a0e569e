#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-layers: fail when a file calls or includes a layer above its own,
or when files call each other in a circle.

Calls are read from the built objects (nm: what each object defines and
what it takes from others), includes from the sources.  Run from the top
of a built tree (make check-layers does).  The layers and what each may
use are in LAYERS below and in doc/HACKING.md; keep both the same.

Usage: check-layers.py [--srcdir DIR] [--builddir DIR] [--report]
  --report   also print the file graph's size (files, edges)
"""
import os
import re
import subprocess
import sys

# Layer of a source path (first match wins), and the layers each may use.
LAYER_OF = [
    ("include/corun/", "lib"),
    ("src/lib/", "lib"),
    ("src/wire/", "wire"),
    ("src/sup/", "sup"),
    ("src/common/", "common"),
    ("workers/kinds/", "kinds"),
    ("workers/", "workers"),
    ("src/cli/", "cli"),
    ("src/daemon/", "daemon"),
]
LAYERS = {
    "lib": {"lib"},
    "wire": {"lib", "wire"},
    "sup": {"lib", "wire", "sup"},
    "common": {"lib", "common"},
    "kinds": {"lib", "common", "kinds"},
    "workers": {"lib", "wire", "common", "kinds", "workers"},
    "cli": {"lib", "wire", "sup", "common", "cli"},
    "daemon": {"lib", "wire", "sup", "common", "daemon"},
}
SRC_DIRS = ("src", "workers", "include")


def layer(path):
    for prefix, name in LAYER_OF:
        if path.startswith(prefix):
            return name
    return None


def sources(srcdir):
    out = []
    for top in SRC_DIRS:
        for root, _dirs, files in os.walk(os.path.join(srcdir, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(root, f), srcdir)
                    out.append(rel)
    return sorted(out)


def include_edges(srcdir, files):
    """(from, to) for every quoted include that names a file of the tree."""
    by_tail = {}
    for f in files:
        parts = f.split("/")
        for i in range(len(parts)):
            by_tail.setdefault("/".join(parts[i:]), []).append(f)
    edges = []
    inc = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')
    for f in files:
        with open(os.path.join(srcdir, f), errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = inc.match(line)
                if not m:
                    continue
                name = m.group(1)
                here = os.path.normpath(os.path.join(os.path.dirname(f), name))
                if here in files:
                    edges.append((f, here, n))
                    continue
                cands = by_tail.get(name, [])
                if len(cands) == 1:
                    edges.append((f, cands[0], n))
    return edges


def has_code(srcdir, header):
    with open(os.path.join(srcdir, header), errors="replace") as fh:
        return re.search(r"^static inline", fh.read(), re.M) is not None


def object_source(obj, builddir, srcdir):
    """Map a built object back to its source file (automake names objects
    TARGET-NAME.o when the target has its own flags)."""
    rel = os.path.relpath(obj, builddir)
    d, base = os.path.split(rel)
    if d.endswith(".libs"):
        d = os.path.dirname(d)
    stem = base[:-2]
    for cand in (stem, stem.split("-", 1)[-1]):
        for ext in (".c", ".S"):
            p = os.path.join(d, cand + ext)
            if os.path.exists(os.path.join(srcdir, p)):
                return p
    return None


def call_edges(srcdir, builddir):
    defs, uses = {}, {}
    for top in ("src", "workers"):
        for root, _dirs, files in os.walk(os.path.join(builddir, top)):
            if os.path.basename(root) == ".libs":
                continue
            for f in files:
                if not f.endswith(".o"):
                    continue
                obj = os.path.join(root, f)
                src = object_source(obj, builddir, srcdir)
                if src is None or layer(src) is None:
                    continue
                # An object older than its source is left over from a
                # target that is gone (or not rebuilt yet): not evidence.
                if os.path.getmtime(obj) < os.path.getmtime(
                        os.path.join(srcdir, src)):
                    continue
                out = subprocess.run(["nm", obj], capture_output=True,
                                     text=True).stdout
                for line in out.splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == "U":
                        uses.setdefault(src, set()).add(parts[1])
                    elif len(parts) == 3 and parts[1] in "TDBRC":
                        defs.setdefault(parts[2], set()).add(src)
    edges = {}
    for src, syms in uses.items():
        for s in syms:
            for d in defs.get(s, ()):
                if d != src:
                    edges.setdefault((src, d), set()).add(s)
    return edges, len(uses)


def circles(nodes, adj):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        work = [(v, iter(sorted(adj.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(adj.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    srcdir, builddir, report = ".", ".", False
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--srcdir":
            srcdir = args.pop(0)
        elif a == "--builddir":
            builddir = args.pop(0)
        elif a == "--report":
            report = True
        else:
            sys.exit(__doc__)
    files = sources(srcdir)
    problems = []
    for f, to, n in include_edges(srcdir, files):
        a, b = layer(f), layer(to)
        if a and b and b not in LAYERS[a]:
            problems.append(f"{f}:{n}: includes {to} ({a} may not use {b})")
    edges, nobj = call_edges(srcdir, builddir)
    if nobj == 0:
        sys.exit("check-layers: no objects under src/ or workers/: build first")
    adj = {}
    for (a, b), syms in sorted(edges.items()):
        adj.setdefault(a, set()).add(b)
        la, lb = layer(a), layer(b)
        if lb not in LAYERS[la]:
            names = ", ".join(sorted(syms)[:4])
            problems.append(f"{a}: calls {b} ({names}): {la} may not use {lb}")
    # A private header X.h or X-internal.h belongs to X.c beside it; when
    # it holds code (static inline functions, invisible to nm), a file that
    # includes it calls X.c.
    for f, to, _n in include_edges(srcdir, files):
        if not f.endswith(".c") or not has_code(srcdir, to):
            continue
        stem = to[:-2]
        if stem.endswith("-internal"):
            stem = stem[:-len("-internal")]
        owner = stem + ".c"
        if owner != f and os.path.exists(os.path.join(srcdir, owner)):
            edges.setdefault((f, owner), set()).add(os.path.basename(to))
            adj.setdefault(f, set()).add(owner)
    nodes = set(a for a, _ in edges) | set(b for _, b in edges)
    for comp in circles(nodes, adj):
        ties = []
        for a in comp:
            for b in comp:
                if (a, b) in edges:
                    ties.append(f"    {a} -> {b}: "
                                + ", ".join(sorted(edges[(a, b)])[:4]))
        problems.append(f"circle of {len(comp)} files:\n" + "\n".join(ties))
    if report:
        print(f"check-layers: {len(nodes)} files, {len(edges)} call edges")
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)")
        return 1
    print("check-layers: no circles, no upward calls or includes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
