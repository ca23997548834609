r"""Check a user's backward code (NumPy) against the exact gradient, and name the mistake.

:func:`check_backward` ``(fn, layer)`` runs ``fn`` at random small-integer values, compares every
element of every gradient it returns with symconv's exact gradient of the same layer, and, where
they differ, names the mistake by matching its output with the mistaken forms evaluated at the
same values. Arithmetic: exact rationals where the code allows — ``fn`` is first called with
object-dtype NumPy arrays of :class:`fractions.Fraction`, and when every element it returns is
still an integer or a ``Fraction`` the comparison is exact equality; when it raises or returns
anything else (a float array, e.g. from ``np.zeros(shape)``), it is called again with float64
arrays of the same values and compared with a relative tolerance of ``1e-9`` (the values are
small integers, exactly representable, so only the code's own divisions round). The report
states which arithmetic was used (:attr:`BackwardReport.arithmetic`).

Mistaken forms:

* from the mistake catalogue (:mod:`symconv.check.mistakes`, built on the layers' own rules):
  stride zeros not inserted, kernel not rotated, padding not cropped, convolution and
  cross-correlation swapped, a missing activation derivative, an extra / missing factor 2;
* from the chain-rule terms of the exact gradient (``Σ_t upstream_t · partial_t``, in the order
  of the outputs): overlapping windows overwritten instead of accumulated (only the last window's
  term survives), only the first window (only the first output's term), max-pool ties (every
  tied maximum gets the whole upstream gradient instead of the first).

The layer is a symconv layer: ``layer`` is ``"TYPE:key=value,...,input=CxHxW"`` (the keys of the
spec's layer table, e.g. ``kernel_size=3,stride=2,padding=1,out_channels=1,activation=relu``) or
a dict ``{"input": [C, H, W], "layer": {...}}``. The forward pass is the cross-correlation.

**Adapters** (the signature decides; arrays are batched with N = 1):

* layer-cache style of popular course assignments: ``fn(dout, cache)`` with ``cache = (x, w, b,
  {"stride": s, "pad": p})`` for a weighted layer, returning ``(dx, dw, db)``; ``cache = (x,
  {"pool_height": k, "pool_width": k, "stride": s})`` for pooling, returning ``dx``;
* plain: ``fn(x, w, b, dout, stride, pad)`` / ``fn(x, w, dout, stride, pad)`` returning
  ``(dx, dw[, db])``; ``fn(x, dout, kernel, stride)`` for pooling returning ``dx``.

Shapes: ``x`` (1, C, H, W), ``w`` (F, C, kh, kw), ``b`` (F,), ``dout`` (1, F, H', W').
"""

from __future__ import annotations

import inspect
import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from .errors import SpecError

TOLERANCE = 1e-9


@dataclass
class BackwardReport:
    """The outcome of :func:`check_backward`: ``ok``; per gradient (``dx``, ``dw``, ``db``) the
    number of wrong elements; ``mistakes``: ``(kind, title)`` of the named mistakes (empty when
    none fits); ``text`` the report (also the failure message of :func:`assert_backward_correct`)."""

    ok: bool
    wrong: dict = field(default_factory=dict)
    mistakes: tuple = ()
    text: str = ""
    arithmetic: str = ""
    """How the outputs were compared: :data:`EXACT` or :data:`FLOAT` (per trial, ``"; "``-joined
    when the trials differ)."""


EXACT = "exact rationals (object arrays of fractions.Fraction)"
"""The arithmetic when ``fn`` computes with Fraction arrays and returns integers or Fractions."""
FLOAT = "float64, relative tolerance 1e-9"
"""The arithmetic when ``fn`` needs float arrays (it raised with Fractions, or returned floats)."""


EXTRA = {
    "overlap_overwritten": "overlapping windows overwritten instead of accumulated",
    "first_window_only": "only the first window (the loop returns or stops after one window)",
    "maxpool_ties": "max-pool ties: every tied maximum gets the upstream gradient (PyTorch routes it to the first)",
}


def parse_layer(text: str) -> dict:
    """``"TYPE:key=value,...,input=CxHxW"`` → ``{"input": [C, H, W], "layer": {...}}``. Values:
    integers, ``AxB`` pairs, or words. Raises :class:`SpecError` (field ``--layer``)."""
    if not isinstance(text, str) or ":" not in text:
        raise SpecError("--layer", "write TYPE:key=value,...,input=CxHxW, e.g. conv2d:kernel_size=3,stride=2,input=1x5x5")
    kind, _, rest = text.partition(":")
    kind = kind.strip()
    if not kind.isidentifier():
        raise SpecError("--layer", f"{kind!r} is not a layer type; write TYPE:key=value,...")
    layer: dict[str, Any] = {"type": kind}
    shape = None
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key.isidentifier() or not value:
            raise SpecError("--layer", f"{item!r} is not key=value")
        if "x" in value and all(v.isdigit() for v in value.split("x")):
            parsed: Any = [int(v) for v in value.split("x")]
        elif value.isdigit():
            parsed = int(value)
        elif value.replace("_", "").isalnum():
            parsed = value
        else:
            raise SpecError("--layer", f"the value of {key} ({value!r}) is not a number, AxB or a word")
        if key == "input":
            if not isinstance(parsed, list):
                raise SpecError("--layer", "input must be CxHxW, e.g. input=1x5x5")
            shape = parsed
        else:
            layer[key] = parsed
    if shape is None:
        raise SpecError("--layer", "give the input shape, e.g. input=1x5x5")
    return {"input": shape, "layer": layer}


def _model(layer):
    from .api import load

    spec = parse_layer(layer) if isinstance(layer, str) else layer
    if not isinstance(spec, dict) or "input" not in spec or "layer" not in spec:
        raise SpecError("--layer", "give TYPE:key=value,...,input=CxHxW or {'input': [C, H, W], 'layer': {...}}")
    shape = spec["input"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(v, int) and 1 <= v <= 12 for v in shape)):
        raise SpecError("--layer", "input must be three sizes from 1 to 12, CxHxW")
    try:
        model = load({"convention": "cross-correlation", "input": {"shape": shape}, "layers": [dict(spec["layer"])]})
        model.network.layers  # noqa: B018 - build now: a bad layer is a bad --layer
    except SpecError as exc:
        raise SpecError("--layer", f"{exc.field}: {exc.message}") from None
    if len(model.network.layers) != 1 or len(model.network.layers[0].out.shape) != 3:
        raise SpecError("--layer", "give one layer with a feature map output (a conv or pooling layer)")
    return model


def _value(expr, point):
    from .verify import _evaluator

    v = _evaluator(expr)(point)
    return v


def _routes_to_all(expr, point):
    """``expr`` with every max-pool routing factor replaced by "is a maximum" at ``point`` (1 for
    every tied maximum)."""
    from .functions import MaxRoute

    def tie(*args):
        j, _rule, *vals = args
        vals = [v.xreplace(point) for v in vals]
        top = max(vals)
        return sympy.Integer(1 if vals[int(j)] == top else 0)

    return expr.replace(lambda e: isinstance(e, MaxRoute), lambda e: tie(*e.args))


class _Harness:
    def __init__(self, model, seed: int, ties: bool):
        self.model = model
        self.L = model.network.layers[0]
        rng = random.Random(seed)
        L = self.L
        xs = L.inputs.symbols
        if ties:
            xv = [rng.randint(0, 1) for _ in xs]
        else:  # distinct values: no ties anywhere
            xv = rng.sample(range(-len(xs) - 3, len(xs) + 4), len(xs))
        self.point = {s: sympy.Integer(v) for s, v in zip(xs, xv)}
        for t in (L.weight, L.bias):
            if t is not None:
                for s in t.symbols:
                    self.point[s] = sympy.Integer(rng.choice([-3, -2, -1, 1, 2, 3]))
        outs = L.out.symbols
        self.dout = [sympy.Integer(rng.choice([-3, -2, -1, 1, 2, 3])) for _ in outs]
        # targets so that dC/do = dout exactly: sse cost dC/do = 2 (o - y)
        leaf = model.forward.leaf
        for o, g, y in zip(outs, self.dout, model.network.targets.symbols):
            self.point[y] = _value(leaf(o), self.point) - g / 2
        self.tensors = {"dx": L.inputs}
        if L.weight is not None:
            self.tensors["dw"] = L.weight
        if L.bias is not None:
            self.tensors["db"] = L.bias

    def truth(self) -> dict:
        g = self.model.gradients
        return {name: [_value(g.leaf(s), self.point) for s in t.symbols] for name, t in self.tensors.items()}

    def term_forms(self) -> dict:
        """The extra mistaken forms from the chain-rule terms: {kind: {tensor: values}}."""
        from .claims import to_leaf

        g = self.model.gradients
        out_order = {s: k for k, s in enumerate(self.L.out.symbols)}
        if self.L.pre is not None:
            out_order.update({s: k for k, s in enumerate(self.L.pre.symbols)})
        forms: dict = {k: {} for k in EXTRA}
        for name, t in self.tensors.items():
            for kind in EXTRA:
                forms[kind][name] = []
            for s in t.symbols:
                terms = [term for term in g[s].terms if term.via in out_order] if s in g.by_wrt else []
                values = [_value(to_leaf(self.model, term.upstream * term.partial), self.point) for term in terms]
                last = values[-1] if values else sympy.Integer(0)
                first = next((v for term, v in zip(terms, values) if out_order[term.via] == 0), sympy.Integer(0))
                ties = sum((_value(to_leaf(self.model, _routes_to_all(term.upstream * term.partial, self.point)), self.point)
                            for term in terms), sympy.Integer(0))
                forms["overlap_overwritten"][name].append(last)
                forms["first_window_only"][name].append(first)
                forms["maxpool_ties"][name].append(ties)
        return forms

    def catalogue_forms(self, truth: dict) -> dict:
        """{(kind, label): {tensor: values}} from the mistake catalogue (elements a mistake does
        not change keep the exact value)."""
        from .check.mistakes import MISTAKES, leaf_of, mistaken_forms

        found: dict = {}
        for name, t in self.tensors.items():
            for k, s in enumerate(t.symbols):
                if s not in self.model.gradients.by_wrt:
                    continue
                for form in mistaken_forms(self.model, s):
                    key = (form.kind, MISTAKES[form.kind], form.label.split(" in layer")[0])
                    vec = found.setdefault(key, {n: list(v) for n, v in truth.items()})
                    vec[name][k] = _value(leaf_of(self.model, form), self.point)
        return found


def _fraction(v) -> Fraction:
    """A sympy Rational as a :class:`fractions.Fraction`."""
    v = sympy.Rational(v)
    return Fraction(int(v.p), int(v.q))


def _exact_element(v) -> Fraction | None:
    """An element ``fn`` returned from Fraction arrays, as a Fraction when it is exact (a Python
    or NumPy integer, a bool, a Fraction), else None."""
    import numbers

    if isinstance(v, Fraction):
        return v
    if isinstance(v, numbers.Integral):  # int, bool, numpy integers
        return Fraction(int(v))
    return None


def _call_exact(fn, model, harness: _Harness):
    """``fn`` called with object arrays of Fractions: ``{tensor: [Fraction, …]}`` (or a shape
    mismatch), or None when the code does not keep the arithmetic exact (it raised, or returned
    something other than integers and Fractions)."""
    try:
        got = _call(fn, model, harness, exact=True)
    except SpecError:
        raise
    except Exception:  # noqa: BLE001 - the code needs floats; it is called again with float64
        return None
    for name, v in got.items():
        if isinstance(v, tuple):
            continue
        values = [_exact_element(a) for a in v]
        if any(a is None for a in values):
            return None
        got[name] = values
    return got


def _call(fn, model, harness: _Harness, exact: bool = False):
    """Call ``fn`` through the adapter its signature selects; returns {tensor: flat values}
    (floats; with ``exact``, the arrays passed hold Fractions (object dtype) and the elements
    come back as returned)."""
    try:
        import numpy as np
    except ImportError:
        raise SpecError("FUNCTION", "a backward function takes NumPy arrays; install NumPy (pip install numpy)") from None

    def array(values, shape):
        if exact:
            a = np.empty(len(values), dtype=object)
            a[:] = [_fraction(v) for v in values]
            return a.reshape(shape)
        return np.array([float(v) for v in values]).reshape(shape)

    L = harness.L
    c, h, w = L.inputs.shape
    x = array([harness.point[s] for s in L.inputs.symbols], (1, c, h, w))
    dout = array(harness.dout, (1, *L.out.shape))
    params = list(inspect.signature(fn).parameters)
    stride = getattr(L.spec, "stride", (1, 1))[0]
    weighted = L.weight is not None
    if weighted:
        wt = array([harness.point[s] for s in L.weight.symbols], L.weight.shape)
        bias = array([harness.point[s] for s in L.bias.symbols] if L.bias is not None else [0] * L.weight.shape[0],
                     (L.weight.shape[0],))
        pad = L.pad[0][0] if L.pad else 0
        if params[:2] == ["dout", "cache"]:
            out = fn(dout, (x, wt, bias, {"stride": stride, "pad": pad}))
        elif len(params) >= 6:
            out = fn(x, wt, bias, dout, stride, pad)
        else:
            out = fn(x, wt, dout, stride, pad)
        if not isinstance(out, tuple | list) or len(out) not in (2, 3):
            raise SpecError("FUNCTION", "a weighted layer's backward must return (dx, dw) or (dx, dw, db)")
        names = ["dx", "dw", "db"][:len(out)]
    else:
        k = L.spec.kernel_size[0]
        if params[:2] == ["dout", "cache"]:
            out = (fn(dout, (x, {"pool_height": k, "pool_width": k, "stride": stride})),)
        else:
            out = (fn(x, dout, k, stride),)
        names = ["dx"]
    result = {}
    for name, arr in zip(names, out):
        a = np.asarray(arr, dtype=object if exact else float)
        t = harness.tensors.get(name)
        if t is None:
            continue
        if a.size != len(t.symbols):
            result[name] = ("shape", a.shape)
            continue
        result[name] = [v if exact else float(v) for v in a.reshape(-1)]
    return result


def _close(a, b) -> bool:
    """``a`` (what the code returned: a Fraction, compared exactly, or a float) against the
    exact value ``b`` (a sympy Rational)."""
    if isinstance(a, Fraction):
        return a == _fraction(b)
    b = float(b)
    return abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def _matches(got: dict, target: dict) -> bool:
    return all(not isinstance(v, tuple) and all(_close(a, b) for a, b in zip(v, target[n])) for n, v in got.items())


def check_backward(fn, layer, seed: int = 0) -> BackwardReport:
    """Run ``fn`` (see the module docstring for adapters and the ``layer`` format) at random
    values, twice (distinct inputs, then inputs with ties), and compare with the exact gradient.
    Raises :class:`SpecError` for a bad layer or a function that does not fit an adapter."""
    model = _model(layer)
    lines = []
    named: list = []
    wrong_total: dict = {}
    arithmetic: list[str] = []
    for trial, ties in enumerate((False, True)):
        harness = _Harness(model, seed + trial, ties)
        try:
            got = _call_exact(fn, model, harness)
            arithmetic.append(EXACT if got is not None else FLOAT)
            if got is None:
                got = _call(fn, model, harness)
        except SpecError:
            raise
        except Exception as exc:  # noqa: BLE001 - the user's code failed: that is the report
            raise SpecError("FUNCTION", f"raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                            " (called with x, w, b, dout as NumPy arrays; see symconv.codecheck)") from None
        truth = harness.truth()
        shapes = {n: v[1] for n, v in got.items() if isinstance(v, tuple)}
        if shapes:
            for n, shape in shapes.items():
                expected = tuple(harness.tensors[n].shape)
                lines.append(f"{n}: shape {tuple(shape)}, expected {len(harness.tensors[n].symbols)} elements {expected}")
            padded = [n for n in shapes if n == "dx"]
            if padded:
                named.append(("padding_not_cropped", "padding not cropped (the gradient of the padded input returned)"))
            wrong_total.update({n: -1 for n in shapes})
            break
        wrong = {n: sum(1 for a, b in zip(v, truth[n]) if not _close(a, b)) for n, v in got.items()}
        if not any(wrong.values()):
            continue
        wrong_total = wrong
        where = "inputs with ties" if ties else "distinct inputs"
        for n, count in wrong.items():
            if count:
                k = next(i for i, (a, b) in enumerate(zip(got[n], truth[n])) if not _close(a, b))
                sym = harness.tensors[n].symbols[k]
                yours = got[n][k] if isinstance(got[n][k], Fraction) else f"{got[n][k]:g}"
                lines.append(f"{n}: {count} of {len(got[n])} elements wrong ({where}); first at {sym}: "
                             f"yours {yours}, exact {truth[n][k]}")
        forms = {(k, EXTRA[k]): v for k, v in harness.term_forms().items()}
        forms.update(harness.catalogue_forms(truth))
        def differs(vec):
            return any(not _matches({n: got[n]}, {n: truth[n]}) and _matches({n: got[n]}, {n: vec[n]}) for n in got)

        usable = {key: vec for key, vec in forms.items() if not (key[0] == "maxpool_ties" and not ties)}
        # a mistake whose every gradient matches; else one that explains each wrong gradient
        strict = [key for key, vec in usable.items() if _matches(got, vec) and differs(vec)]
        loose = [key for key, vec in usable.items() if differs(vec) and all(
            _matches({n: got[n]}, {n: vec[n]}) or _matches({n: got[n]}, {n: truth[n]}) for n in got)]
        for key in strict or loose:
            if key[:2] not in named:
                named.append(key[:2])
        break
    ok = not lines
    used = "; ".join(dict.fromkeys(arithmetic))
    head = "backward correct: every element of " + ", ".join(_names(model)) + " equals the exact gradient " \
        f"(two trials: distinct inputs, inputs with ties; {used})" if ok else "backward WRONG"
    text = [head] + ["  " + line for line in lines]
    if not ok:
        text.append(f"  arithmetic: {used}")
    if not ok:
        if named:
            text += [f"  mistake: {title}" for _, title in named]
        else:
            text.append("  mistake: matches no known mistake")
    return BackwardReport(ok, wrong_total, tuple(named), "\n".join(text) + "\n", used)


def _names(model):
    L = model.network.layers[0]
    return ["dx"] + (["dw"] if L.weight is not None else []) + (["db"] if L.bias is not None else [])


def assert_backward_correct(fn, layer, seed: int = 0) -> None:
    """Assert ``fn`` computes the exact gradient (:func:`check_backward`); the failure message
    is the report, naming the mistake."""
    report = check_backward(fn, layer, seed)
    if not report.ok:
        raise AssertionError(report.text)


def load_function(target: str):
    """``MODULE:FUNCTION`` (a dotted module importable from the current folder, or a ``.py``
    path) → the function. Raises :class:`SpecError` (field ``MODULE:FUNCTION``)."""
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    if not isinstance(target, str) or target.count(":") != 1:
        raise SpecError("MODULE:FUNCTION", f"write MODULE:FUNCTION, e.g. mycnn:conv_backward; got {target!r}")
    module_name, func_name = target.split(":")
    if not func_name.isidentifier():
        raise SpecError("MODULE:FUNCTION", f"{func_name!r} is not a function name")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise SpecError("MODULE:FUNCTION", f"{path}: no such file")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            if not all(part.isidentifier() for part in module_name.split(".")):
                raise SpecError("MODULE:FUNCTION", f"{module_name!r} is not a module name or a .py path")
            if "" not in sys.path:
                sys.path.insert(0, "")
            module = importlib.import_module(module_name)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - importing user code can fail in any way
        raise SpecError("MODULE:FUNCTION", f"cannot import {module_name}: {type(exc).__name__}") from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise SpecError("MODULE:FUNCTION", f"{module_name} has no function {func_name}")
    return fn


__all__ = ["EXACT", "EXTRA", "FLOAT", "TOLERANCE", "BackwardReport", "assert_backward_correct", "check_backward", "load_function",
           "parse_layer"]
