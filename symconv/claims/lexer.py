"""The claim lexer: LaTeX (or pasted Unicode math) to :class:`Token` s, delimiters balanced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SpecError
from ..notation import unicode_script as _script

_SKIP_COMMANDS = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "quad", "qquad", "displaystyle", "textstyle", "middle",
}
_FUNCTIONS = {"sigma", "tanh", "exp", "log", "ln", "max"}
TEXT_FUNCTIONS = {
    "Heaviside": "H", "MaxRoute": "MaxRoute", "exp": "exp", "log": "log", "Max": "max", "fprime": "f'",
    "tanh": "tanh", "sigmoid": "sigma",
}
"""Function names of sympy's plain-text form (what ``symconv formula --format text`` prints) →
the function the parser knows them as."""
_ENVIRONMENTS = {"begin", "end"}
_FRACS = {"frac", "dfrac", "tfrac"}
_MULS = {"cdot", "times", "ast"}


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` in {cmd, letter, name, num, op, end}; ``pos`` is the 1-based
    column. A ``name`` is the Python name of a symbol (plain-text form); a ``cmd`` ``fn:NAME`` a
    plain-text function name."""

    kind: str
    text: str
    pos: int


_OPS = set("+-*/^_=()[]{},'<>|;")
_DIGITS = set("0123456789")
_UNICODE = {  # pasted math: read as the LaTeX command it shows
    "∂": ("cmd", "partial"), "δ": ("cmd", "delta"), "−": ("op", "-"), "·": ("cmd", "cdot"),
    "×": ("cmd", "times"), "∑": ("cmd", "sum"), "Σ": ("cmd", "sum"), "σ": ("cmd", "sigma"),
    "→": ("cmd", "to"), "⌊": ("cmd", "lfloor"), "⌋": ("cmd", "rfloor"), "⌈": ("cmd", "lceil"),
    "⌉": ("cmd", "rceil"), "≤": ("cmd", "le"), "≥": ("cmd", "ge"),
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HATTED = re.compile(r"\s*(?:\{\s*([A-Za-z]|\\[A-Za-z]+)\s*\}|([A-Za-z]|\\[A-Za-z]+))")
_QUERY_EQUALS = re.compile(r"\s*\{\s*\?\s*\}\s*\{\s*=\s*\}")
_TEXT_GRADIENT = re.compile(r"d([A-Za-z][A-Za-z0-9_]*)/d([A-Za-z][A-Za-z0-9_]*)")


class TokenCursor:
    """A position in a claim's tokens, shared by the claim parser and the general-claim parser:
    ``tok`` is the current token, ``at(text)`` tests it (an operator, or a command written with
    its backslash), ``take()`` consumes it, ``expect(text, what)`` consumes it or raises
    :meth:`error`, and :meth:`braced_list` reads a braced comma-separated list (a subscript)."""

    def __init__(self, text: str, names: frozenset | set | dict = frozenset()):
        self.text = text
        self.toks = tokenize(text, names)
        self.k = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.k]

    def at(self, text: str) -> bool:
        t = self.tok
        return (t.kind == "op" and t.text == text) or (t.kind == "cmd" and "\\" + t.text == text)

    def take(self) -> Token:
        t = self.tok
        self.k += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> SpecError:
        """A one-line :class:`~symconv.errors.SpecError` (field ``claim``): ``message``, then the
        token found (``tok``, else the current one) and its 1-based column."""
        t = tok or self.tok
        shown = "end of claim" if t.kind == "end" else f"'{_display(t)}'"
        return SpecError("claim", f"{message}, found {shown} at column {t.pos}")

    def expect(self, text: str, what: str) -> Token:
        """Consume the token ``text`` (see :meth:`at`), or raise :meth:`error` saying it was
        expected ``what`` (e.g. "to close the subscript")."""
        if not self.at(text):
            raise self.error(f"expected '{text}' {what}")
        return self.take()

    def braced_list(self, item) -> list | None:
        """``{a, b, …}``: the items read by ``item()`` between braces, separated by commas; None
        (nothing consumed) when the current token is not ``{``."""
        if not self.at("{"):
            return None
        self.take()
        items = [item()]
        while self.at(","):
            self.take()
            items.append(item())
        self.expect("}", "to close the subscript")
        return items


def tokenize(text: str, names: frozenset | set | dict = frozenset()) -> list[Token]:
    """Split LaTeX into tokens; braces, parentheses and brackets must balance.

    ``names``: the Python names of the network's symbols (``w1_1``, ``delta1_1``, ``dC_do1_1``):
    such a name is one ``name`` token, so the plain-text form that ``symconv formula --format
    text`` prints (``dC/dw1_1 = delta1_1*i1_1 + ...``, ``**`` for powers, sympy's function names)
    reads too. Markdown/LaTeX wrappers are skipped: ``$``, ``$$``, ``\\begin{aligned}``,
    ``\\end{...}``, ``&``, the row break ``\\\\``; a question mark ending the claim (``… \\ ?``)
    too, and ``\\overset{?}{=}`` (``\\stackrel{?}{=}``) reads as ``=``.

    Raises :class:`SpecError` (field ``claim``) for an unexpected character or an unbalanced
    delimiter, naming it and its column.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace() or ch in "&~$":
            i += 1
            continue
        if ch == "*" and text.startswith("**", i):
            tokens.append(Token("op", "^", col))
            i += 2
            continue
        if ch == "\\" and text.startswith("\\\\", i):  # a row break
            i += 2
            m = re.compile(r"\s*\[[^\]]*\]").match(text, i)  # \\[2pt]
            if m:
                i = m.end()
            continue
        if names and ch.isascii() and ch.isalpha():
            m = _TEXT_GRADIENT.match(text, i)
            if m and m.group(1) in names and m.group(2) in names:
                tokens += [Token("cmd", "partial", col), Token("name", m.group(1), col + 1), Token("op", "/", m.start(1) + len(m.group(1)) + 1),
                           Token("cmd", "partial", m.start(2)), Token("name", m.group(2), m.start(2) + 1)]
                i = m.end()
                continue
            m = _NAME.match(text, i)
            word = m.group(0)
            if len(word) > 1 and word in names and (m.end() >= n or text[m.end()] not in "_^"):
                tokens.append(Token("name", word, col))
                i = m.end()
                continue
            if word in TEXT_FUNCTIONS and len(word) > 1 and text[m.end():m.end() + 1] == "(":
                tokens.append(Token("cmd", "fn:" + TEXT_FUNCTIONS[word], col))
                i = m.end()
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
                if name == "hat":  # a hatted letter is one head: \hat{x}, \hat x, \hat{\xi} (batch norm's x̂)
                    m2 = _HATTED.match(text, i)
                    if m2:
                        tokens.append(Token("cmd", "hat:" + (m2.group(1) or m2.group(2)), col))
                        i = m2.end()
                        continue
                if name in ("overset", "stackrel"):  # \overset{?}{=}: the verdict documents' "is it equal?"
                    m2 = _QUERY_EQUALS.match(text, i)
                    if m2:
                        tokens.append(Token("op", "=", col))
                        i = m2.end()
                        continue
                if name in _ENVIRONMENTS:  # \\begin{aligned}, \\end{aligned}: layout only
                    m2 = re.compile(r"\s*\{[A-Za-z*]*\}").match(text, i)
                    if m2:
                        i = m2.end()
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
        if ch == "?" and not text[i + 1:].strip(" \t\r\n$."):  # "… = x ?": the claim asked as a question
            i += 1
            continue
        if ch in _UNICODE:
            kind, name = _UNICODE[ch]
            tokens.append(Token(kind, name, col))
            i += 1
            continue
        script = _script(ch)
        if script is not None:  # pasted sub- and superscripts: w₁¹ reads as w_{1}^{1}
            j = i
            while j < n and (_script(text[j]) or ("", ""))[0] == script[0]:
                j += 1
            inner = "".join(_script(c)[1] for c in text[i:j])
            tokens += [Token("op", script[0], col), Token("op", "{", col)]
            tokens += [Token(t.kind, t.text, t.pos + i) for t in tokenize(inner)[:-1]]
            tokens.append(Token("op", "}", j))
            i = j
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
        if t.text.startswith(("mathrm:", "hat:")):
            kind, _, body = t.text.partition(":")
            return f"\\{kind}{{{body}}}"
        return "\\" + t.text
    return t.text


