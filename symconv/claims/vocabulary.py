"""The claim vocabulary: the letters, layer marks and indices of one network's symbol table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .lexer import Token, tokenize

if TYPE_CHECKING:  # pragma: no cover
    from ..tensors import SymbolTable


@dataclass
class Vocabulary:
    """The symbol vocabulary of a network, read from the LaTeX of its symbol table.

    ``keys[(head, mark, index)]`` is the symbol, where ``head`` is the letter (``"w"``,
    ``"\\delta"``, ``"mathrm:x\\_in"``), ``mark`` the layer mark as an int (None for letters
    without layers) and ``index`` the tuple of printed (document-base) indices.
    """

    keys: dict = field(default_factory=dict)
    marks: dict = field(default_factory=dict)  # head -> set of marks
    ranges: dict = field(default_factory=dict)  # (head, mark) -> list of (lo, hi) per position
    names: dict = field(default_factory=dict)  # Python name (w1_1, dC_do1_1) -> symbol
    aliases: dict = field(default_factory=dict)  # ∂C/∂o symbol read as δ -> the LaTeX of o

    @classmethod
    def from_table(cls, table: SymbolTable) -> Vocabulary:
        voc = cls()
        adjoints = []
        for symbol, info in table.info.items():
            voc.names[info.name] = symbol
            if info.role == "adjoint":  # written as \partial C/\partial o
                adjoints.append((symbol, info))
                continue
            head, mark, index = _key_of_latex(info.latex)
            voc.keys[(head, mark, index)] = symbol
            voc.marks.setdefault(head, set()).add(mark)
            rng = voc.ranges.setdefault((head, mark), [[v, v] for v in index])
            for r, v in zip(rng, index):
                r[0], r[1] = min(r[0], v), max(r[1], v)
        # δ of a layer without a pre-activation (pooling): its output's gradient ∂C/∂o (z = o)
        delta_marks = set(voc.marks.get("\\delta", set()))
        for symbol, info in adjoints:
            if not info.latex.endswith("}") or "\\partial " not in info.latex:
                continue
            of = info.latex.rsplit("\\partial ", 1)[1][:-1]
            _, mark, index = _key_of_latex(of)
            if mark is None or mark in delta_marks:
                continue
            voc.keys[("\\delta", mark, index)] = symbol
            voc.aliases[symbol] = of
            voc.marks.setdefault("\\delta", set()).add(mark)
            rng = voc.ranges.setdefault(("\\delta", mark), [[v, v] for v in index])
            for r, v in zip(rng, index):
                r[0], r[1] = min(r[0], v), max(r[1], v)
        return voc

    def needs_index(self, head: str) -> bool:
        return any(len(self.ranges[(head, m)]) > 0 for m in self.marks.get(head, ()))

    def single(self, head: str, mark) -> tuple | None:
        """The index of the only element of tensor ``head^mark`` (None when it has several): a
        one-element tensor may be written without its index (``o^2`` for ``o_1^2``)."""
        rng = self.ranges.get((head, mark))
        if rng is None or any(lo != hi for lo, hi in rng):
            return None
        return tuple(lo for lo, _ in rng)

    def layer_marks(self, head: str) -> list[int]:
        """The layers that have the letter ``head``, ascending (none for targets and the cost)."""
        return sorted(m for m in self.marks.get(head, ()) if m is not None)

    def takes_mark(self, head: str) -> bool:
        return bool(self.layer_marks(head))


def _head_text(tok: Token) -> str:
    """The vocabulary key of a letter token: ``w``, ``\\delta``, ``mathrm:var``, ``hat:x``."""
    return tok.text if tok.kind == "letter" or tok.text.startswith(("mathrm:", "hat:")) else "\\" + tok.text


def _show_head(head: str) -> str:
    """A vocabulary key as LaTeX (``mathrm:var`` → ``\\mathrm{var}``, ``hat:x`` → ``\\hat{x}``)."""
    if head.startswith(("mathrm:", "hat:")):
        kind, _, body = head.partition(":")
        return f"\\{kind}{{{body}}}"
    return head


def _key_of_latex(latex: str) -> tuple:
    """``w^{1}_{1}`` → ``("w", 1, (1,))``; ``x^{(0)}_{1,2,3}`` → ``("x", 0, (1, 2, 3))``."""
    toks = tokenize(latex)
    head = _head_text(toks[0])
    mark, index = None, ()
    k = 1
    while toks[k].kind != "end":
        script = toks[k].text
        body, k = _raw_group(toks, k + 1)
        if script == "^":
            mark = int(body.strip("()"))
        else:
            index = tuple(int(v) for v in body.split(","))
    return head, mark, index


def _raw_group(toks: list[Token], k: int) -> tuple[str, int]:
    if toks[k].text != "{":
        return toks[k].text, k + 1
    depth, parts = 0, []
    while True:
        t = toks[k]
        if t.text == "{":
            depth += 1
            if depth > 1:
                parts.append(t.text)
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                return "".join(parts), k + 1
            parts.append(t.text)
        else:
            parts.append(t.text)
        k += 1


