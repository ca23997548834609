"""Benchmark: how long ``symconv check`` takes to judge one claim about each built-in example
(issue 13: any single claim judged in at most 10 s).

Per example, for the first weight: its sum form as ``formula`` prints it (a right claim), and the
same claim times 2 (a wrong claim: counterexample, difference, diagnoses); for the examples whose
leaf form ``formula`` prints within its budget, that leaf form too. CPU time of this process
(``time.process_time``) for :func:`symconv.check.check_claim` alone (printing the claim is not
counted), so that other work on the machine does not count.

    python bench/check_claims.py [EXAMPLE ...]      # default: every example in examples/
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import symconv
from symconv.check import check_claim
from symconv.commands.formula import formula
from symconv.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent


def claims(model) -> list[tuple[str, str]]:
    weight = next(s for s in model.gradients.by_wrt if model.network.table.info[s].role == "weight")
    right = formula(model, weight.name, "sum", "text")
    lhs, rhs = right.split(" = ", 1)
    out = [("right (sum form)", right), ("wrong (times 2)", f"{lhs} = 2*({rhs.strip()})")]
    try:
        out.append(("right (leaf form)", formula(model, weight.name, "leaf", "text")))
    except SpecError:
        pass
    return out


def main(names: list[str]) -> None:
    for name in names or sorted(p.stem for p in (ROOT / "examples").glob("*.toml")):
        model = symconv.load(ROOT / "examples" / f"{name}.toml")
        for what, text in claims(model):
            start = time.process_time()
            try:
                verdict = check_claim(model, text)
                outcome = f"{'RIGHT' if verdict.ok else 'WRONG'} ({verdict.steps[0].comparison.method})"
            except SpecError as exc:
                outcome = f"refused: {exc}"[:100]
            print(f"{name:22s} {what:18s} {time.process_time() - start:7.2f} s  {outcome}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
