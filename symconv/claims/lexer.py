"""The claim lexer: LaTeX (or pasted Unicode math) to :class:`Token` s, delimiters balanced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SpecError

_SKIP_COMMANDS = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "quad", "qquad", "displaystyle", "textstyle", "middle",
}
_FUNCTIONS = {"sigma", "tanh", "exp", "log", "ln", "max"}
_FRACS = {"frac", "dfrac", "tfrac"}
_MULS = {"cdot", "times", "ast"}


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` in {cmd, letter, num, op, end}; ``pos`` is the 1-based column."""

    kind: str
    text: str
    pos: int


_OPS = set("+-*/^_=()[]{},'<>|")
_DIGITS = set("0123456789")
_UNICODE = {  # pasted math: read as the LaTeX command it shows
    "∂": ("cmd", "partial"), "δ": ("cmd", "delta"), "−": ("op", "-"), "·": ("cmd", "cdot"),
    "×": ("cmd", "times"), "∑": ("cmd", "sum"), "Σ": ("cmd", "sum"),
}


def tokenize(text: str) -> list[Token]:
    """Split LaTeX into tokens; braces, parentheses and brackets must balance.

    Raises :class:`SpecError` (field ``claim``) for an unexpected character or an unbalanced
    delimiter, naming it and its column.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace() or ch in "&~":
            i += 1
            continue
        if ch == "\\":
            m = re.compile(r"\\([A-Za-z]+)").match(text, i)
            if m:
                name = m.group(1)
                i = m.end()
                if name == "mathrm" or name == "operatorname" or name == "text":
                    m2 = re.compile(r"\s*\{((?:[^{}\\]|\\.)*)\}").match(text, i)
                    if not m2:
                        raise SpecError("claim", f"'\\{name}' at column {col} needs a braced name like \\{name}{{ReLU}}")
                    tokens.append(Token("cmd", "mathrm:" + m2.group(1), col))
                    i = m2.end()
                    continue
                if name in _SKIP_COMMANDS:
                    continue
                tokens.append(Token("cmd", name, col))
                continue
            if i + 1 < n and text[i + 1] in ",;:! ":
                i += 2
                continue
            if i + 1 < n and text[i + 1] in "{}":
                tokens.append(Token("op", "\\" + text[i + 1], col))
                i += 2
                continue
            raise SpecError("claim", f"unexpected '{text[i:i + 2]}' at column {col}")
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = re.compile(r"\d*\.?\d+|\d+").match(text, i)
            tokens.append(Token("num", m.group(0), col))
            i = m.end()
            continue
        if ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, col))
            i += 1
            continue
        if ch in _OPS:
            tokens.append(Token("op", ch, col))
            i += 1
            continue
        if ch in _UNICODE:
            kind, name = _UNICODE[ch]
            tokens.append(Token(kind, name, col))
            i += 1
            continue
        raise SpecError("claim", f"unexpected character {ch!r} at column {col}")
    _check_balance(tokens)
    tokens.append(Token("end", "", n + 1))
    return tokens


_PAIRS = {"{": "}", "(": ")", "[": "]", "\\{": "\\}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def _check_balance(tokens: list[Token]) -> None:
    stack: list[Token] = []
    for t in tokens:
        if t.kind != "op":
            continue
        if t.text in _PAIRS:
            stack.append(t)
        elif t.text in _CLOSERS:
            if not stack:
                raise SpecError("claim", f"unbalanced '{t.text}' at column {t.pos}: nothing to close")
            top = stack.pop()
            if _PAIRS[top.text] != t.text:
                raise SpecError(
                    "claim",
                    f"unbalanced '{t.text}' at column {t.pos}: it closes '{top.text}' from column {top.pos}",
                )
    if stack:
        t = stack[-1]
        raise SpecError("claim", f"unbalanced '{t.text}' at column {t.pos}: never closed")



def _display(t: Token) -> str:
    if t.kind == "cmd":
        return "\\mathrm{" + t.text[7:] + "}" if t.text.startswith("mathrm:") else "\\" + t.text
    return t.text


