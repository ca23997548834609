"""Budgets, not hopes: how much work an input asks for, estimated before anything is built.

One resource model, read from the spec (and from a claim's text and numbers) before any sympy
symbol exists:

* **product terms** of every chain-rule sum (the unit the benchmark reports), each layer's count
  given by its kind (:meth:`symconv.layers.LayerKind.estimate`). On this project's 2-core machine
  type a derivation costs about 5 µs per term: :data:`TERM_LIMIT` (4 million) is about 20 s.
* **symbols**: every element of the input, of each layer's output (z, o and their δ), the
  parameters each kind creates (:meth:`~symconv.layers.LayerKind.parameters`) and the targets;
  about 40 µs each to build and derive, so :data:`SYMBOL_LIMIT` (200,000) is about 8 s.
* **claims and numbers** (:func:`claim_text_budget`, :func:`expression_budget`): the length of
  a claim, its bracket nesting, the digits of every number (also of powers of numbers, which
  sympy computes exactly), the expanded size of products and powers of sums, and the nesting of
  transcendental functions (whose values at test points grow as towers).

Above a budget the input is refused with a one-line :class:`SpecError` naming the field and
the estimate (exit 2); ``--allow-large`` (``allow_large=True``) goes on for the network budgets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import SpecError
from .layers import kind_of
from .spec import Spec

TERM_LIMIT = 4_000_000
TERM_SECONDS = 5e-6
SYMBOL_LIMIT = 200_000
SYMBOL_SECONDS = 40e-6

MAX_CLAIM_CHARS = 100_000
"""Longest claim text (a claim with 20,000 summed terms fits)."""
MAX_NESTING = 100
"""Deepest nesting of brackets (``( [ {``) in a claim."""
MAX_DIGITS = 1000
"""Most digits of any number in a claim, written or computed (a power of numbers)."""
MAX_EXPANDED_TERMS = 4_000
"""Most terms the products and powers of sums in a claim's side may expand to (checking costs
about 1.5 ms per such term on this machine type; plain summed terms do not count)."""
MAX_FUNCTION_DEPTH = 3
"""Deepest nesting of exp, log, tanh and σ in a claim."""
FORM_SIZE_LIMIT = 10_000
"""Largest estimated size of one gradient written out in named or leaf form on request
(``formula --form named|leaf``, :meth:`symconv.Model.gradient`, :meth:`symconv.Model.cost`):
factoring and printing cost about 0.7 ms per unit on this machine type (a U-Net step's largest
leaf form, 36,000, took 24 s)."""
COMPARE_SIZE_LIMIT = 200_000
"""Largest estimated size of an expression built to be evaluated or compared rather than printed:
the exact gradient (and the claim) that ``check`` compares in leaf symbols, and an unfactored
:meth:`symconv.Model.gradient`. The small LeNet's largest leaf form (114,000) fits; a ResNet
block's (about 10^12) or LeNet-5's (10^23) does not."""
NAMED_COMPARE_LIMIT = 20_000_000
"""Largest estimated size (:meth:`~symconv.gradients.Gradients.named_size`, tree nodes) of the
exact gradient in named intermediates that ``check`` compares a claim with first. Named forms
share their subexpressions, so they cost far less to evaluate than their tree size: the ResNet
block's largest (1.4×10^7) is judged in about 3 s; a 40-layer dense net's (10^50) is refused."""


@dataclass(frozen=True)
class Estimate:
    """The resource model of a spec: ``terms`` (product terms of every chain-rule sum),
    ``symbols`` (every symbol built), and the field holding the most symbols (``largest``:
    ``"input.shape"`` or ``"layers[k]"``, 1-based) with its count."""

    terms: int
    symbols: int
    largest: str
    largest_symbols: int


def estimate(spec: Spec) -> Estimate:
    """The :class:`Estimate` of ``spec``'s network, from each layer kind's ``estimate``,
    ``output_shape_of`` and ``parameters`` hooks; no symbol is built. Raises the network build's
    :class:`SpecError` on a bad shape."""
    examples = max(spec.batch, 1)
    shapes = [tuple(spec.input_shape)]  # one example's shape at every position (0: the input)
    terms = 0
    counts = {"input.shape": 2 * examples * math.prod(spec.input_shape)}  # the input and its gradient
    for position, (layer, reads) in enumerate(zip(spec.layers, spec.graph), start=1):
        kind = kind_of(layer)
        where = f"layers[{position}]"
        ins = tuple(shapes[p] for p in reads)
        out = kind.output_shape_of(layer, ins, where, spec.batch)
        terms += kind.estimate_of(layer, ins, out, spec.batch)
        # z, o and their δ / ∂C/∂o for every element of every example, plus the parameters
        counts[where] = 3 * examples * math.prod(out) + kind.parameters(layer, ins[0], out)
        shapes.append(out)
    outputs = math.prod(shapes[-1])
    counts["input.shape"] += examples * outputs  # the targets
    largest = max(counts, key=lambda k: counts[k])
    return Estimate(terms, sum(counts.values()), largest, counts[largest])


def estimate_terms(spec: Spec) -> int:
    """Product terms of all chain-rule sums of ``spec``'s network (see :func:`estimate`)."""
    return estimate(spec).terms


def guard(spec: Spec, allow_large: bool) -> int:
    """The term estimate; raises :class:`SpecError` (exit 2) naming the field and the estimate
    above :data:`TERM_LIMIT` product terms or :data:`SYMBOL_LIMIT` symbols, unless allowed."""
    est = estimate(spec)
    if allow_large:
        return est.terms
    if est.terms > TERM_LIMIT:
        seconds = est.terms * TERM_SECONDS
        raise SpecError(
            "--allow-large",
            f"this network has about {est.terms:,} product terms (roughly {seconds:.0f} s or more); "
            "pass --allow-large to derive it anyway",
        )
    if est.symbols > SYMBOL_LIMIT:
        seconds = est.symbols * SYMBOL_SECONDS
        raise SpecError(
            est.largest,
            f"the network would build about {est.symbols:,} symbols ({est.largest_symbols:,} here; budget "
            f"{SYMBOL_LIMIT:,}, roughly {seconds:.0f} s or more); make it smaller or pass --allow-large",
        )
    return est.terms


def _about(n: int) -> str:
    """``12,345`` below ten million, else ``10^k`` (estimates of deep networks reach 10^50)."""
    return f"{n:,}" if n < 10_000_000 else f"10^{len(str(n)) - 1}"


def form_budget(size: int, limit: int, field: str, what: str, fix: str, allow_large: bool = False) -> None:
    """Refuse (:class:`SpecError` naming ``field``) to build ``what`` when its estimated size
    (:meth:`symconv.gradients.Gradients.leaf_size`, :meth:`~symconv.gradients.Gradients.named_size`:
    counted without building it) passes ``limit``, unless ``allow_large``. Deep networks make
    these sizes grow exponentially with depth: a 40-layer dense net's leaf form has about 10^97
    symbol occurrences, so building it would never end."""
    if size > limit and not allow_large:
        raise SpecError(field, f"{what} would have about {_about(size)} symbol occurrences (budget "
                               f"{limit:,}); {fix}, or pass --allow-large")


# ----------------------------------------------------------------------------- claims and numbers

_DIGIT_RUN = re.compile(r"\d{%d,}" % (MAX_DIGITS + 1))


def claim_text_budget(text: str, field: str = "claim") -> None:
    """Refuse (:class:`SpecError` naming ``field``) a claim text longer than
    :data:`MAX_CLAIM_CHARS`, nested deeper than :data:`MAX_NESTING` or holding a number of more
    than :data:`MAX_DIGITS` digits; checked before parsing."""
    if len(text) > MAX_CLAIM_CHARS:
        raise SpecError(field, f"is {len(text):,} characters long (at most {MAX_CLAIM_CHARS:,}); "
                               "write long sums with \\sum or check a shorter claim")
    run = _DIGIT_RUN.search(text)
    if run:
        raise SpecError(field, f"the number at column {run.start() + 1} has {len(run.group()):,} digits "
                               f"(at most {MAX_DIGITS:,})")
    depth = 0
    for column, ch in enumerate(text, start=1):
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise SpecError(field, f"brackets at column {column} are nested more than {MAX_NESTING} deep; "
                                       "write it flatter")
        elif ch in ")]}":
            depth -= 1


def _digits(n: int) -> int:
    return max(1, int(abs(n).bit_length() * 0.30103) + 1)


def expression_budget(expr, field: str = "claim") -> None:
    """Refuse (:class:`SpecError` naming ``field``) an expression read from user text whose
    numbers have more than :data:`MAX_DIGITS` digits, whose powers of sums expand to more than
    :data:`MAX_EXPANDED_TERMS` terms when expanded, or whose exp/log/tanh/σ nest deeper than
    :data:`MAX_FUNCTION_DEPTH`. Walks the tree once, without evaluating anything."""
    import sympy

    stack = [(expr, 0)]
    seen: set = set()
    while stack:
        e, depth = stack.pop()
        if (e, depth) in seen:
            continue
        seen.add((e, depth))
        if isinstance(e, sympy.Rational):
            digits = max(_digits(e.p), _digits(e.q))
            if digits > MAX_DIGITS:
                raise SpecError(field, f"holds a number of about {digits:,} digits (at most {MAX_DIGITS:,}); "
                                       "use smaller numbers or exponents")
            continue
        if isinstance(e, sympy.Pow):
            base, exp = e.args
            if isinstance(base, sympy.Rational) and isinstance(exp, sympy.Rational) and base not in (0, 1, -1):
                digits = int(abs(float(exp)) * math.log10(max(abs(float(base.p)), abs(float(base.q)), 2)))
                if digits > MAX_DIGITS:
                    raise SpecError(field, f"holds a power of about {digits:,} digits (at most {MAX_DIGITS:,}); "
                                           "use smaller numbers or exponents")
        if isinstance(e, (sympy.exp, sympy.log, sympy.tanh)) or (
                isinstance(e, sympy.Pow) and isinstance(e.base, sympy.exp)):
            depth += 1
            if depth > MAX_FUNCTION_DEPTH:
                raise SpecError(field, f"exp, log, tanh or \\sigma nested more than {MAX_FUNCTION_DEPTH} "
                                       "deep; their values grow as towers")
        stack.extend((a, depth) for a in e.args)
    # Sums of plain terms are cheap (bounded by the text's length); products and powers of sums
    # are what expanding multiplies out.
    terms = expr.args if isinstance(expr, sympy.Add) else (expr,)
    expanded = 0
    for term in terms:
        n = expanded_terms(term)
        expanded += n if n > 1 else 0
        if expanded > MAX_EXPANDED_TERMS:
            break
    if expanded > MAX_EXPANDED_TERMS:
        raise SpecError(field, f"expands to about {expanded:,} terms or more (products and powers of sums; at "
                               f"most {MAX_EXPANDED_TERMS:,}); check it in parts or with smaller exponents")


def expanded_terms(expr, cap: int = MAX_EXPANDED_TERMS + 1) -> int:
    """An upper bound of the number of terms of ``sympy.expand(expr)`` (capped at ``cap``): a sum
    adds its terms' counts, a product multiplies them, a power of a sum with k terms to the n has
    C(n + k − 1, k − 1); anything else is one term."""
    import sympy

    memo: dict = {}

    def count(e) -> int:
        if e in memo:
            return memo[e]
        if isinstance(e, sympy.Add):
            n = min(cap, sum(count(a) for a in e.args))
        elif isinstance(e, sympy.Mul):
            n = 1
            for a in e.args:
                n = min(cap, n * count(a))
        elif isinstance(e, sympy.Pow) and isinstance(e.exp, sympy.Integer) and e.exp > 1:
            k = count(e.base)
            n = min(cap, math.comb(int(e.exp) + k - 1, k - 1)) if k > 1 and e.exp < 10_000 else (1 if k <= 1 else cap)
        else:
            n = 1
        memo[e] = n
        return n

    return count(expr)
