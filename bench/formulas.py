"""Benchmark: printing one network's gradients with ``symconv formula``, every form (closed,
sum, named, leaf) in every format (tex, md, text), and reading each back as a claim (the round
trip of tests/test_claims_roundtrip.py).

symconv = the model's own printer (:attr:`symconv.Model.printer`), which remembers the
subexpressions and factored factors it printed; naive = a fresh printer for every formula (what
``formula`` did before), measured in the same run on the same gradients. CPU time of this process
(``time.process_time``); a fresh model for each way, so neither inherits the other's caches
(the factored named and leaf forms are built once per model in both).

    python bench/formulas.py [EXAMPLE:COUNT ...]     # default: mnist_two_layer:24 lenet_small:24 lenet5:240
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import symconv
from symconv.claims import parse_claim
from symconv.commands.formula import FORMATS, FORMS
from symconv.errors import SpecError
from symconv.formulas import formula
from symconv.latex import NotationPrinter

ROOT = Path(__file__).resolve().parent.parent


class _FreshPrinter:
    """The naive way: a new NotationPrinter (no memory) whenever a formula asks for one."""

    def __get__(self, model, owner=None):
        return NotationPrinter(model.network.table, pooled=model.forward.route_outputs())


def run(name: str, count: int, naive: bool) -> tuple[float, float, int]:
    """(print seconds, read seconds, formulas printed) for ``count`` gradients spread over the example."""
    model = symconv.load(ROOT / "examples" / f"{name}.toml")
    if naive:
        model.__class__ = type("NaiveModel", (type(model),), {"printer": _FreshPrinter()})
    symbols = list(model.gradients.by_wrt)
    chosen = symbols[::max(1, len(symbols) // count)][:count]
    printed = read = 0.0
    n = 0
    for s in chosen:
        for form in FORMS:
            for fmt in FORMATS:
                t = time.process_time()
                try:
                    text = formula(model, s.name, form, fmt)
                except SpecError:  # a form above the budget
                    printed += time.process_time() - t
                    continue
                printed += time.process_time() - t
                n += 1
                t = time.process_time()
                try:
                    parse_claim(model, text)
                except SpecError:  # a claim above the claim budgets
                    pass
                read += time.process_time() - t
    return printed, read, n


def main(args: list[str]) -> None:
    cases = [a.split(":") for a in (args or ["mnist_two_layer:24", "lenet_small:24", "lenet5:240"])]
    print("| example | gradients | formulas | symconv print s | naive print s | naive / symconv | read s |")
    print("|---|---|---|---|---|---|---|")
    for name, count in cases:
        ours, read, n = run(name, int(count), naive=False)
        naive, _, _ = run(name, int(count), naive=True)
        print(f"| {name} | {count} | {n} | {ours:.2f} | {naive:.2f} | {naive / ours:.2f}× | {read:.2f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
