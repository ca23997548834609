r"""Parse a hand-derived claim, written in LaTeX in the document's notation, into sympy (no eval).

A claim is a chain of sides joined by ``=``, e.g.
``\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)``.
The first side names what is claimed: ``\frac{\partial C}{\partial x}`` or ``\partial C/\partial x``
(the gradient of the cost with respect to a symbol ``x``) or a δ symbol (``\delta_k^l``, which is
∂C/∂z). Every later side is claimed equal to it; several sides form a derivation whose first
wrong step :mod:`symconv.check` reports.

Grammar (a hand-written recursive descent; the symbol vocabulary comes from the network's symbol
table, so every notation style and custom letter is understood)::

    claim   := side ('=' side)*
    side    := term (('+' | '-') term)*
    term    := unary (('*' | '\cdot' | '\times' | '/' | <implicit>) unary)*
    unary   := ('-' | '+') unary | power
    power   := primary ('^' exponent)?
    primary := number | symbol | '(' side ')' | '[' side ']' | '{' side '}' | '\{' side '\}'
             | '\frac' group group | '\partial' symbol '/' '\partial' symbol
             | '\sum' '_{' var '=' index '}' '^' index term | function '(' side ')'

* **Symbols.** A symbol is a letter of the table (``w``, ``\delta``, ``W``, ``\mathrm{x\_in}``)
  with a subscript and, for tensors that have layers, a superscript in either order:
  ``w_1^1 = w^1_1 = w^{1}_{1} = w_{1}^{1}``. Braces are optional for one character.
  ``w_{12}^1`` needs braces: ``w_12`` is refused as ambiguous. Grid styles take comma lists
  (``W^{(1)}_{1,1,2,2}``; the parentheses of the layer mark may be omitted). Subscripts may use a
  summation variable: ``w_k^2``, ``i_{k+1}^1``, ``x^{(0)}_{1,k,2k}``.
* **Superscripts.** On a letter that carries a layer (every tensor letter except targets and the
  cost), the first superscript is the *layer mark*, never a power. A power is written on a
  parenthesised or braced group, a number, a symbol of a letter without layers (``y_1^2``), or as
  a second superscript after the layer mark (``w_1^1^2`` is ``(w_1^1)^2``; the parenthesised form
  is clearer). So ``(o_1^2 - y_1)^2`` is a square and ``w_1^2`` is the first weight of layer 2.
* **Numbers** are exact: ``0.5`` is 1/2. ``\frac12`` and ``\frac{1}{2}`` both work.
* **Derivatives.** ``\partial C/\partial x`` and ``\frac{\partial C}{\partial x}`` anywhere mean the
  exact ∂C/∂x of the network; ``\partial u/\partial v`` with ``u`` not the cost is understood when
  ``v`` is a leaf (input, weight, bias, target): it is d(u in leaves)/dv.
* **Sums.** ``\sum_{k=1}^{4} body``: ``body`` is one product term (``\sum_{k=1}^{4} w_k^2 i_k^1``);
  wrap a longer body in parentheses. Both bounds are inclusive integers.
* **Functions**: ``f(·)``, ``f'(·)`` (the generic activation), ``\sigma``, ``\tanh``, ``\exp``,
  ``\log``, ``\ln``, ``\max``.
* Ignored: spacing (``\,`` ``\;`` ``\!`` ``\quad``), ``\left``/``\right``/``\big``-sizes, ``&``.
* Pasted Unicode ``∂ δ − · × ∑`` reads as ``\partial \delta - \cdot \times \sum``; a run of
  Unicode subscript or superscript characters as one braced subscript or superscript
  (``w₁¹`` is ``w_{1}^{1}``, ``Σₖ wₖ²`` is ``\sum_{k} w_{k}^{2}``).
* A letter that only one layer has may leave its layer mark off (``i_1`` is ``i_1^1`` when the
  inputs are layer 1's only; the verdict notes it); with several layers the error names them.

Every error is a :class:`~symconv.errors.SpecError` whose message names the offending token and
its 1-based column, e.g. ``unknown symbol 'q' at column 12``.
"""

from .evaluator import MAX_SUM_TERMS, leaf_size, parse_claim, parse_expression, to_leaf, vocabulary
from .lexer import Token, tokenize
from .parser import Claim, Node, Side
from .vocabulary import Vocabulary

__all__ = [
    "MAX_SUM_TERMS", "Claim", "Node", "Side", "Token", "Vocabulary", "leaf_size", "parse_claim", "parse_expression",
    "to_leaf", "tokenize", "vocabulary",
]
