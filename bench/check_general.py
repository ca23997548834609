"""Benchmark: how long ``symconv check --general`` takes for a 2-D claim, per bound (issue 13
item 4: pick the default 2-D bound that answers within seconds).

The claim is the right 2-D input gradient with four nested sums and two Iverson brackets (the
slowest common shape: every element sums over every output and tap), so a right claim is
checked on every configuration; a wrong claim stops at its first counterexample. CPU time of
this process (``time.process_time``), so that other work on the machine does not count.

    python bench/check_general.py [STOP_SECONDS [MAX_ELEMENTS]]   # default 120 s, 60000 elements
"""

from __future__ import annotations

import sys
import time

from symconv.check import general as G

CLAIM = (r"\frac{\partial L}{\partial X_{u,v}} = \sum_{i=1}^{H_{out}} \sum_{j=1}^{W_{out}} \sum_{m=1}^{k_h} "
         r"\sum_{n=1}^{k_w} [(i-1)s + 1 + (m-1)d - p = u] [(j-1)s + 1 + (n-1)d - p = v] \delta_{i,j} K_{m,n}")
SQUARE = CLAIM.replace("k_h", "k").replace("k_w", "k")

BOUNDS = [
    {"H": 4, "W": 4, "k": 3, "s": 2, "d": 2, "p": 1},
    dict(G.BOUND_2D),
    {"H": 6, "W": 6, "k": 3, "s": 3, "d": 2, "p": 2},
    {"H": 7, "W": 7, "k": 4, "s": 3, "d": 3, "p": 2},  # issue 13's 1-D default, in 2-D
]


def run(claim: str, bound: dict) -> tuple[float, int, int]:
    reading, rhs = G.read_general(claim)
    cfgs = G.configs_for(reading, bound)
    t = time.process_time()
    ok, _, count = G._holds(reading, rhs, cfgs)
    assert ok
    return time.process_time() - t, len(cfgs), count


def main(argv: list[str]) -> int:
    limit = float(argv[0]) if argv else 120.0
    most = int(argv[1]) if len(argv) > 1 else 60_000
    print("| kernel | bound | configurations | elements | CPU s |")
    print("|---|---|---:|---:|---:|")
    for claim, kernel in ((CLAIM, "k_h x k_w"), (SQUARE, "k x k")):
        for bound in BOUNDS:
            reading, _ = G.read_general(claim)
            cfgs = G.configs_for(reading, bound)
            elements = sum(c.H * c.W for c in cfgs)
            shown = ", ".join(f"{k} <= {v}" for k, v in bound.items())
            if elements > most:
                print(f"| {kernel} | {shown} | {len(cfgs)} | {elements} | not run (> {most} elements) |")
                continue
            seconds, n, count = run(claim, bound)
            print(f"| {kernel} | {shown} | {n} | {count} | {seconds:.1f} |")
            sys.stdout.flush()
            if seconds > limit:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
