#!/bin/sh
# scripts/check-includes.sh [DIR]: fails if the engine's files include each other in a circle.
# X.c and X.h are one module X; an edge X -> Y is an `#include "Y.h"` (or "Y.c") in X.c or
# X.h, where Y is a module of DIR (default engine/ beside this script); other headers are not
# the engine's and are passed over. Walks down from the modules nothing includes (the entry
# points), then any left, each in name order; every include that closes a circle is printed
# as `include cycle: a -> b -> c -> a` with the lines that make it. Exit 0 with
# `ok: N modules, no cycle`, 1 on a cycle, 2 when DIR holds no .c or .h file.
set -eu
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/engine}
exec python3 - "$dir" <<'EOF'
import glob, os, re, sys

root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, "*.c")) + glob.glob(os.path.join(root, "*.h")))
if not files:
    print("check-includes: %s holds no .c or .h file" % root, file=sys.stderr)
    sys.exit(2)

def module(name):
    return os.path.splitext(os.path.basename(name))[0]

modules = sorted({module(f) for f in files})
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
edges = {m: {} for m in modules}  # module -> {included module: "FILE:LINE includes NAME"}
for f in files:
    m = module(f)
    with open(f, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            hit = INCLUDE.match(line)
            if not hit or not hit.group(1).endswith((".h", ".c")):
                continue
            to = module(hit.group(1))
            if to in edges and to != m and to not in edges[m]:
                edges[m][to] = "%s:%d includes %s" % (os.path.basename(f), n, hit.group(1))

included = {to for m in modules for to in edges[m]}
starts = [m for m in modules if m not in included] + [m for m in modules if m in included]
state = {}  # absent: unseen; 1: on the current path; 2: done
path, cycles = [], []

def walk(m):
    state[m] = 1
    path.append(m)
    for to in sorted(edges[m]):
        if state.get(to) == 1:
            cycles.append(path[path.index(to):] + [to])
        elif to not in state:
            walk(to)
    path.pop()
    state[m] = 2

for m in starts:
    if m not in state:
        walk(m)

if not cycles:
    print("ok: %d modules, no cycle" % len(modules))
    sys.exit(0)
for c in cycles:
    print("include cycle: " + " -> ".join(c))
    print("  " + "; ".join(edges[a][b] for a, b in zip(c, c[1:])))
plural = "" if len(cycles) == 1 else "s"
print("%d modules, %d include%s closing a cycle" % (len(modules), len(cycles), plural))
sys.exit(1)
EOF
