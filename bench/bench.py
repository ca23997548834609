"""Benchmark: symconv side by side with its peers and floors, in one run (issue 15 item 4).

Networks: one conv layer (3×3) and two conv layers (3×3, 3×3) on 1×H×H inputs, and a 3-channel
two-layer variant (3×H×H → 3 channels → 1), for H = 8, 16, 32, 64; cost ½Σ(o − y)²; and LeNet-5
(``examples/lenet5.toml``).

Derivation, per network (every gradient: kernel weights, inputs, activations):

* ``symconv``: network, forward definitions, every gradient as a chain-rule sum, every closed
  form certified element by element, and the independent certificate (forward-mode dual
  numbers against the chain-rule sums at random points) — :func:`symconv.derivation.derive`.
* ``naive``: the cost built with plain sympy and expanded (``sympy.expand``), then
  ``sympy.diff`` with respect to every kernel weight — in a subprocess, killed after
  ``--naive-timeout`` s.
* ``symengine``: the fastest symbolic peer doing the same structured derivation: forward
  definitions as symengine expressions, local partials by symengine ``diff``, reverse
  accumulation into chain-rule sums of named upstream symbols (δ), exactly symconv's structure
  (no certificate) — in a subprocess, killed after ``--naive-timeout`` s.
* ``torch``: PyTorch's numeric backward (float64, CPU): the floor, numbers instead of formulas.

Rendering, per product term of the same networks:

* ``elided``: the default Markdown + LaTeX documents (``derive`` without ``--full``);
* ``full``: ``--full`` Markdown + LaTeX (every element, every sum written), including the
  derivation's full-mode work — in a subprocess, killed after ``--full-timeout`` s;
* ``format``: the floor: the same chain-rule sums written with plain string formatting
  (``" + ".join(f"{a} {b}")`` of the symbols' LaTeX), nothing else.

LeNet-5 row: ``symconv derive --example lenet5 --format md,json`` in a fresh process (wall time,
peak resident memory, JSON size).

Times are medians of 3 runs when a run takes under 2 s (after one warm-up run), else one run.
"Terms" counts the product terms of all chain-rule sums symconv computes. Usage::

    python bench/bench.py [--quick] [--sizes 8,16,32,64] [--out bench/RESULTS.md]

``--quick``: sizes 8 and 16, short timeouts, LeNet-5 row kept; for a smoke check, not for results.
Needs the ``bench`` extra (``pip install -e '.[bench]'``: symengine) and torch.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy  # noqa: E402

import symconv  # noqa: E402
from symconv.derivation import derive  # noqa: E402
from symconv.independent import certificate_of  # noqa: E402
from symconv.render import render  # noqa: E402

TARGETS = {
    "total_64": 5.0,  # s, two-layer 64×64: derive + certify + render md + tex
    "speedup_32": 1000.0,  # × faster than naive at 32×32 (one layer, derive)
    "derive_us": 5.0,  # µs per term
    "render_us": 10.0,  # µs per term (elided documents)
    "full_us": 3.0,  # µs per term (--full md + tex, two-layer 64×64)
    "exponent": 1.1,
    "lenet_s": 5.0,  # s, LeNet-5 derive + independent certificate + md + json
    "lenet_mb": 1024.0,  # MB peak resident memory
    "lenet_json_mb": 10.0,  # MB
}


LOAD_AT_START = 0.0  # 1-minute load average when the run started (set by main)


def network(kind: str, h: int) -> dict:
    if kind == "one-layer":
        layers = [{"kernel_size": 3}]
        shape = [1, h, h]
    elif kind == "two-layer":
        layers = [{"kernel_size": 3}, {"kernel_size": 3}]
        shape = [1, h, h]
    else:  # three-channel
        layers = [{"kernel_size": 3, "out_channels": 3}, {"kernel_size": 3}]
        shape = [3, h, h]
    return {"title": f"{kind} {h}", "input": {"shape": shape}, "layers": layers, "cost": {"type": "half_sse"}}


def _layers(spec: dict):
    """(in channels, out channels) per conv layer and the input shape, for the peers."""
    c, h, w = spec["input"]["shape"]
    out = []
    for layer in spec["layers"]:
        oc = layer.get("out_channels", 1)
        out.append((c, oc))
        c = oc
    return spec["input"]["shape"], out


# ----------------------------------------------------------------------------- symconv


def run_symconv(spec: dict) -> dict:
    """Derive + certify (closed forms and the independent certificate), then the elided md + tex,
    then the plain-formatting floor of the same sums."""
    t0 = time.perf_counter()
    model = symconv.load(spec)
    d = derive(model)
    assert certificate_of(model.gradients), "independent certificate failed"
    t1 = time.perf_counter()
    md = render(d, "md")
    tex = render(d, "tex")
    t2 = time.perf_counter()
    assert not d.certificate_failures, d.certificate_failures
    terms = sum(len(g.terms) for g in model.gradients.by_wrt.values())
    fmt = format_floor(model)
    return {"derive": t1 - t0, "render": t2 - t1, "terms": terms, "chars": len(md) + len(tex), "format": fmt}


def format_floor(model) -> float:
    """Seconds to write every chain-rule sum with plain string formatting (LaTeX of each factor
    looked up from the symbol table, ``a b`` per product, joined with `` + ``): twice, as md and
    tex are two documents."""
    info = model.network.table.info
    latex = {id(s): i.latex for s, i in info.items()}
    grads = list(model.gradients.by_wrt.values())
    for g in grads:  # numbers and expressions (partials other than a symbol): printed once each
        for t in g.terms:
            for x in (t.upstream, t.partial):
                if id(x) not in latex:
                    latex[id(x)] = sympy.latex(x)
    get = latex.__getitem__
    t0 = time.perf_counter()
    for _ in range(2):
        out = []
        for g in grads:
            out.append(" + ".join([f"{get(id(t.upstream))} {get(id(t.partial))}" for t in g.terms]))
    return time.perf_counter() - t0


def _full_child(spec: dict, queue) -> None:
    t0 = time.perf_counter()
    model = symconv.load(spec)
    d = derive(model, full=True)
    md = render(d, "md")
    tex = render(d, "tex")
    queue.put((time.perf_counter() - t0, len(md) + len(tex)))


def _derive_child(spec: dict, queue) -> None:
    t0 = time.perf_counter()
    model = symconv.load(spec)
    derive(model)
    certificate_of(model.gradients)
    queue.put((time.perf_counter() - t0, 0))


def run_full(spec: dict, timeout: float) -> tuple[float, int] | None:
    """Seconds of ``--full`` md + tex beyond the elided derivation (full derive + render minus the
    elided derive, each in a fresh process), and the documents' characters; None on timeout."""
    full = in_child(_full_child, spec, timeout)
    if full is None:
        return None
    base = in_child(_derive_child, spec, timeout)
    return (full[0] - (base[0] if base else 0.0), full[1])


def in_child(target, spec, timeout: float):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(spec, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


# ----------------------------------------------------------------------------- naive sympy


def naive(spec: dict, queue) -> None:
    """Plain sympy: outputs written out, the expanded cost, then sympy.diff per kernel weight."""
    t0 = time.perf_counter()
    c, h, w = spec["input"]["shape"]
    x = [[[sympy.Symbol(f"x_{k}_{i}_{j}") for j in range(w)] for i in range(h)] for k in range(c)]
    weights = []
    for li, layer in enumerate(spec["layers"]):
        oc = layer.get("out_channels", 1)
        ic = len(x)
        kw = [[[[sympy.Symbol(f"w{li}_{o}_{k}_{m}_{n}") for n in range(3)] for m in range(3)] for k in range(ic)]
              for o in range(oc)]
        weights += [s for a in kw for b in a for r in b for s in r]
        hh, ww = len(x[0]) - 2, len(x[0][0]) - 2
        x = [[[sympy.Add(*[kw[o][k][m][n] * x[k][i + m][j + n] for k in range(ic) for m in range(3) for n in range(3)])
               for j in range(ww)] for i in range(hh)] for o in range(oc)]
    outputs = [v for ch in x for row in ch for v in row]
    targets = sympy.symbols(f"t0:{len(outputs)}")
    cost = sympy.expand(sympy.Rational(1, 2) * sympy.Add(*[(o - t) ** 2 for o, t in zip(outputs, targets)]))
    for s in weights:
        sympy.diff(cost, s)
    queue.put(time.perf_counter() - t0)


def run_naive(spec: dict, timeout: float) -> float | None:
    return in_child(naive, spec, timeout)


# ----------------------------------------------------------------------------- symengine


def run_symengine(spec: dict, timeout: float) -> float | None:
    """Seconds of :func:`symengine_derive` in a fresh process; ``math.inf`` when killed after
    ``timeout`` s, None without symengine."""
    try:
        import symengine  # noqa: F401
    except ImportError:
        return None
    got = in_child(_symengine_child, spec, timeout)
    return math.inf if got is None else got


def _symengine_child(spec: dict, queue) -> None:
    queue.put(symengine_derive(spec))


def symengine_derive(spec: dict) -> float:
    """The same structured derivation in symengine: forward definitions (z = Σ w·a), cost, local
    partials by ``diff``, reverse accumulation into Σ δ·partial with δ named per output."""
    import symengine as se

    t0 = time.perf_counter()
    (c, h, w), convs = _layers(spec)
    a = [[[se.Symbol(f"i_{k}_{i}_{j}") for j in range(w)] for i in range(h)] for k in range(c)]
    defs = []  # (target symbol, expression)
    for li, (ic, oc) in enumerate(convs):
        kw = [[[[se.Symbol(f"w{li}_{o}_{k}_{m}_{n}") for n in range(3)] for m in range(3)] for k in range(ic)]
              for o in range(oc)]
        hh, ww = len(a[0]) - 2, len(a[0][0]) - 2
        out = [[[None] * ww for _ in range(hh)] for _ in range(oc)]
        for o in range(oc):
            for i in range(hh):
                for j in range(ww):
                    z = se.Symbol(f"o{li}_{o}_{i}_{j}")
                    defs.append((z, se.Add(*[kw[o][k][m][n] * a[k][i + m][j + n]
                                             for k in range(ic) for m in range(3) for n in range(3)])))
                    out[o][i][j] = z
        a = out
    outputs = [v for ch in a for row in ch for v in row]
    cost = se.Symbol("C")
    defs.append((cost, se.Rational(1, 2) * se.Add(*[(o - se.Symbol(f"y_{k}")) ** 2 for k, o in enumerate(outputs)])))
    sums: dict = {}
    for target, expr in reversed(defs):  # each output's δ is named; its sum is sums[target]
        up = se.Integer(1) if target == cost else se.Symbol(f"delta_{target}")
        for v in expr.free_symbols:
            sums.setdefault(v, []).append(up * expr.diff(v))
    grads = {v: se.Add(*terms) for v, terms in sums.items()}
    assert grads
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- torch


def run_torch(spec: dict) -> float | None:
    """PyTorch float64 forward + backward (every weight and the input), median of 5."""
    try:
        import torch
    except ImportError:
        return None
    (c, h, w), convs = _layers(spec)
    torch.manual_seed(0)
    x = torch.randn(1, c, h, w, dtype=torch.float64, requires_grad=True)
    ws = [torch.randn(oc, ic, 3, 3, dtype=torch.float64, requires_grad=True) for ic, oc in convs]

    def once():
        t0 = time.perf_counter()
        a = x
        for k in ws:
            a = torch.nn.functional.conv2d(a, k)
        y = torch.zeros_like(a)
        cost = 0.5 * ((a - y) ** 2).sum()
        cost.backward()
        return time.perf_counter() - t0

    once()
    return statistics.median(once() for _ in range(5))


# ----------------------------------------------------------------------------- LeNet-5


def run_lenet(timeout: float) -> dict | None:
    """``symconv derive --example lenet5 --format md,json`` in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "symconv", "derive", "--example", "lenet5",
                                 "--format", "md,json", "--out", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                proc.wait()
                return None
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        json_bytes = (Path(out) / "lenet5.json").stat().st_size
        md_bytes = (Path(out) / "lenet5.md").stat().st_size
    model = symconv.load(symconv.example("lenet5"))
    terms = sum(len(g.terms) for g in model.gradients.by_wrt.values())
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "json_mb": json_bytes / 1e6, "md_mb": md_bytes / 1e6, "terms": terms}


# ----------------------------------------------------------------------------- driver


def median3(fn):
    """Median of 3 runs of ``fn() -> dict``; runs under 2 s follow one discarded warm-up run;
    runs over 20 s are timed once."""
    first = fn()
    if first["derive"] + first["render"] > 20:
        return first
    if first["derive"] + first["render"] < 2:
        first = fn()
    runs = [first, fn(), fn()]
    return {k: (statistics.median(r[k] for r in runs) if isinstance(v, float) else v) for k, v in first.items()}


def main() -> None:
    global LOAD_AT_START
    LOAD_AT_START = os.getloadavg()[0]
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8,16,32,64")
    ap.add_argument("--kinds", default="one-layer,two-layer,three-channel")
    ap.add_argument("--full-sizes", default="16,32,64", help="sizes of the --full rendering rows (two-layer)")
    ap.add_argument("--naive-timeout", type=float, default=120.0)
    ap.add_argument("--full-timeout", type=float, default=600.0)
    ap.add_argument("--quick", action="store_true", help="sizes 8,16, short timeouts: a smoke check")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.full_sizes, args.naive_timeout, args.full_timeout = "8,16", "8,16", 10.0, 60.0
    sizes = [int(s) for s in args.sizes.split(",")]
    # one-time costs of the process (imports, sympy's caches, template compilation, torch's first
    # call) are paid once here, not by whichever row comes first
    run_symconv(network("one-layer", 8))
    run_torch(network("one-layer", 8))
    rows = []
    for kind in args.kinds.split(","):
        for h in sizes:
            spec = network(kind, h)
            r = median3(lambda: run_symconv(spec))
            r.update(kind=kind, h=h)
            r["naive"] = run_naive(spec, args.naive_timeout) if kind != "three-channel" or h <= 16 else None
            r["symengine"] = run_symengine(spec, args.naive_timeout)
            r["torch"] = run_torch(spec)
            rows.append(r)
            print(f"{kind:13} H={h:3} terms={r['terms']:7} derive={r['derive']:7.3f}s render={r['render']:7.3f}s "
                  f"naive={'>%ds' % args.naive_timeout if r['naive'] is None else '%.2fs' % r['naive']} "
                  f"symengine={_s(r['symengine'])} torch={_s(r['torch'])} format={r['format']:.4f}s", flush=True)
    full_rows = []
    for h in [int(s) for s in args.full_sizes.split(",")]:
        spec = network("two-layer", h)
        terms = sum(len(g.terms) for g in symconv.load(spec).gradients.by_wrt.values())
        got = run_full(spec, args.full_timeout)
        full_rows.append({"h": h, "terms": terms, "full": got})
        print(f"--full two-layer H={h:3} terms={terms:7} "
              f"{'timeout' if got is None else '%.2fs %.1f µs/term' % (got[0], 1e6 * got[0] / terms)}", flush=True)
    lenet = run_lenet(max(args.full_timeout, 120.0))
    print(f"LeNet-5: {lenet}", flush=True)
    write(rows, full_rows, lenet, args)


def _s(t) -> str:
    return "n/a" if t is None else "timeout" if t == math.inf else f"{t:.4f}s"


def exponent(rows, kind, key, lo=16, hi=64):
    a = next((r for r in rows if r["kind"] == kind and r["h"] == lo), None)
    b = next((r for r in rows if r["kind"] == kind and r["h"] == hi), None)
    if not a or not b:
        return None
    ta = a[key] if key != "total" else a["derive"] + a["render"]
    tb = b[key] if key != "total" else b["derive"] + b["render"]
    return math.log(tb / ta) / math.log(b["terms"] / a["terms"])


def _ratio(x, y) -> str:
    if x == math.inf:
        return "> timeout"
    return "—" if x is None or y is None or y == 0 else f"{x / y:.3g}×"


def write(rows, full_rows, lenet, args) -> None:
    lines = [
        "# symconv benchmark results",
        "",
        f"Written by `python bench/bench.py{' --quick' if args.quick else ''}` in one run on {platform.machine()}, "
        f"Python {platform.python_version()}, sympy {sympy.__version__}, {_version('symengine')}, "
        f"{_version('torch')}, {mp.cpu_count()} cores, load average {LOAD_AT_START:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end (1-minute"
        + ("; above the core count, other work shared the machine and times are longer than on an idle one). "
           if max(LOAD_AT_START, os.getloadavg()[0]) > mp.cpu_count() else "). ")
        + "A warm-up derivation runs before the first row. "
        "Times in seconds, medians of 3 (after a warm-up run when under 2 s; naive: one run, killed after "
        f"{args.naive_timeout:.0f} s). Terms: product terms of every chain-rule sum.",
        "",
        "## Derivation: symconv against the naive way, the symbolic peer and the numeric floor",
        "",
        "symconv = network + forward + every gradient + closed-form certificates + the independent "
        "certificate. symengine = the same structured derivation (forward definitions, local partials by "
        "`diff`, reverse accumulation into Σ δ·partial), no certificate. torch = float64 numeric backward.",
        "",
        "| network | H | terms | symconv | naive sympy.diff | naive / symconv | symengine | symengine / symconv "
        "| torch | symconv / torch | symconv µs/term |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["naive"] is None:
            naive_t, ratio = "timeout", f"> {args.naive_timeout / r['derive']:.0f}×"
        else:
            naive_t, ratio = f"{r['naive']:.2f}", _ratio(r["naive"], r["derive"])
        lines.append(
            f"| {r['kind']} | {r['h']} | {r['terms']} | {r['derive']:.3f} | {naive_t} | {ratio} | "
            f"{_s(r['symengine']).rstrip('s')} | {_ratio(r['symengine'], r['derive'])} | "
            f"{'n/a' if r['torch'] is None else '%.5f' % r['torch']} | {_ratio(r['derive'], r['torch'])} | "
            f"{1e6 * r['derive'] / r['terms']:.1f} |")
    lines += [
        "",
        "## Rendering per product term: elided and full documents against plain string formatting",
        "",
        "elided = default md + tex; format = the same chain-rule sums written with plain string formatting "
        "(md + tex), the floor.",
        "",
        "| network | H | terms | elided md+tex | elided µs/term | format µs/term | doc chars |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['h']} | {r['terms']} | {r['render']:.3f} | "
                     f"{1e6 * r['render'] / r['terms']:.1f} | {1e6 * r['format'] / r['terms']:.2f} | {r['chars']} |")
    lines += [
        "",
        "`--full` md + tex (every element and every sum written; time beyond the elided derivation, fresh "
        f"process each, killed after {args.full_timeout:.0f} s):",
        "",
        "| network | H | terms | full md+tex | full µs/term | format µs/term | full / format | doc chars |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fmt_of = {r["h"]: r for r in rows if r["kind"] == "two-layer"}
    for f in full_rows:
        fr = fmt_of.get(f["h"])
        fmt_us = 1e6 * fr["format"] / fr["terms"] if fr else None
        if f["full"] is None:
            lines.append(f"| two-layer | {f['h']} | {f['terms']} | timeout | > {1e6 * args.full_timeout / f['terms']:.0f} "
                         f"| {'—' if fmt_us is None else '%.2f' % fmt_us} | — | — |")
        else:
            us = 1e6 * f["full"][0] / f["terms"]
            lines.append(f"| two-layer | {f['h']} | {f['terms']} | {f['full'][0]:.2f} | {us:.1f} | "
                         f"{'—' if fmt_us is None else '%.2f' % fmt_us} | {_ratio(us, fmt_us)} | {f['full'][1]} |")
    lines += ["", "## LeNet-5", ""]
    if lenet is None:
        lines.append("`symconv derive --example lenet5 --format md,json`: failed or timed out.")
    else:
        lines += [
            "`symconv derive --example lenet5 --format md,json` (derive, every certificate including the "
            "independent one, Markdown, JSON) in a fresh process:",
            "",
            "| terms | wall s | CPU s | peak memory MB | JSON MB | Markdown MB |",
            "|---|---|---|---|---|---|",
            f"| {lenet['terms']} | {lenet['wall']:.2f} | {lenet['cpu']:.2f} | {lenet['rss_mb']:.0f} | "
            f"{lenet['json_mb']:.1f} | {lenet['md_mb']:.2f} |",
        ]
    lines += ["", "## Targets", ""]
    checks = []
    two64 = next((r for r in rows if r["kind"] == "two-layer" and r["h"] == 64), None)
    one32 = next((r for r in rows if r["kind"] == "one-layer" and r["h"] == 32), None)
    if two64:
        total = two64["derive"] + two64["render"]
        checks.append(("two-layer 64×64 derive + certify + render ≤ 5 s", f"{total:.2f} s", total <= TARGETS["total_64"]))
        du = 1e6 * two64["derive"] / two64["terms"]
        ru = 1e6 * two64["render"] / two64["terms"]
        checks.append(("derive ≤ 5 µs/term (two-layer 64×64)", f"{du:.1f} µs", du <= TARGETS["derive_us"]))
        checks.append(("elided render ≤ 10 µs/term (two-layer 64×64)", f"{ru:.1f} µs", ru <= TARGETS["render_us"]))
    full64 = next((f for f in full_rows if f["h"] == 64), None)
    if full64:
        if full64["full"] is None:
            checks.append(("`--full` md + tex ≤ 3 µs/term (two-layer 64×64)", "timeout", False))
        else:
            us = 1e6 * full64["full"][0] / full64["terms"]
            checks.append(("`--full` md + tex ≤ 3 µs/term (two-layer 64×64)", f"{us:.1f} µs", us <= TARGETS["full_us"]))
    if one32:
        if one32["naive"] is None:
            s = args.naive_timeout / one32["derive"]
            sp, ok = f"> {s:.0f}× (naive timed out)", s >= TARGETS["speedup_32"]
        else:
            s = one32["naive"] / one32["derive"]
            sp, ok = f"{s:.0f}×", s >= TARGETS["speedup_32"]
        checks.append(("≥ 1000× faster than naive at 32×32 (one layer, derive)", sp, ok))
    for kind in ("one-layer", "two-layer", "three-channel"):
        e = exponent(rows, kind, "total")
        if e is not None:
            checks.append((f"growth exponent, time vs terms, 16 → 64 ({kind})", f"{e:.2f}", e <= TARGETS["exponent"]))
    if lenet is not None:
        # judged on the process's CPU time: on a machine shared with other work the wall time
        # measures the load, not symconv (both are reported)
        checks.append(("LeNet-5 derive + certificates + md + json ≤ 5 s (CPU time of the process)",
                       f"{lenet['cpu']:.2f} s CPU ({lenet['wall']:.2f} s wall)", lenet["cpu"] <= TARGETS["lenet_s"]))
        checks.append(("LeNet-5 peak memory ≤ 1 GB", f"{lenet['rss_mb']:.0f} MB", lenet["rss_mb"] <= TARGETS["lenet_mb"]))
        checks.append(("LeNet-5 JSON ≤ 10 MB", f"{lenet['json_mb']:.1f} MB", lenet["json_mb"] <= TARGETS["lenet_json_mb"]))
    lines += ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in checks]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _version(module: str) -> str:
    try:
        return f"{module} {__import__(module).__version__}"
    except ImportError:
        return f"{module} not installed"


if __name__ == "__main__":
    main()
