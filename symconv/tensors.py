"""Symbolic tensors: arrays of sympy Symbols that carry role, layer and index metadata.

A :class:`SymTensor` stores its elements flat, in row-major order (index base 0 internally);
the metadata of every symbol lives in a :class:`SymbolTable`, which the printer reads, so
printing never parses a name.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterator

import sympy

from .errors import SpecError
from .notation import Namer, SymbolInfo


# sympy.Symbol(name) sanitises assumptions and consults sympy's symbol cache (~5 µs); the table
# creates each name once, so the uncached constructor is used where this sympy has it. The
# result is an ordinary Symbol, equal to (and interchangeable with) Symbol(name).
_XNEW = getattr(sympy.Symbol, "__xnew__", None)


def _new_symbol(name: str) -> sympy.Symbol:
    return _XNEW(sympy.Symbol, name) if _XNEW is not None else sympy.Symbol(name)


@dataclass(frozen=True)
class SymTensor:
    """A tensor of sympy Symbols.

    ``shape`` e.g. ``(C, H, W)`` for feature maps, ``(C_out, C_in/groups, kh, kw)`` for kernels,
    ``(C_out,)`` for biases, ``(n,)`` for targets; ``symbols`` holds the elements row-major.
    """

    role: str
    layer: int | None
    shape: tuple[int, ...]
    symbols: tuple[sympy.Symbol, ...]

    def __hash__(self) -> int:
        # Equal tensors have equal role, layer and shape: hashing those alone is consistent with
        # the dataclass's equality, and does not hash every symbol (sympy's Python-level hash)
        # each time a tensor keys a dict.
        return hash((self.role, self.layer, self.shape))

    def __len__(self) -> int:
        return len(self.symbols)

    def __iter__(self) -> Iterator[sympy.Symbol]:
        return iter(self.symbols)

    def flat_index(self, index: tuple[int, ...]) -> int:
        """Row-major flat position (0-based) of a 0-based structured index."""
        flat = 0
        for size, i in zip(self.shape, index):
            flat = flat * size + i
        return flat

    def at(self, *index: int) -> sympy.Symbol:
        """The element at a 0-based structured index."""
        return self.symbols[self.flat_index(index)]

    def indices(self) -> Iterator[tuple[int, ...]]:
        """All 0-based structured indices in row-major order."""
        return itertools.product(*(range(n) for n in self.shape))


class SymbolTable:
    """Metadata for every symbol of a network, by symbol and by Python name."""

    def __init__(self, namer: Namer):
        self.namer = namer
        self.info: dict[sympy.Symbol, SymbolInfo] = {}
        self.by_name: dict[str, sympy.Symbol] = {}

    def new_tensor(self, role: str, layer: int | None, shape: tuple[int, ...], of: str = "activation") -> SymTensor:
        """Create a tensor of fresh symbols named by the notation. Names are checked unique.
        An ``adjoint`` tensor holds ∂C/∂ of the tensor of role ``of`` (default: a layer output)."""
        symbols = []
        for flat, index in enumerate(itertools.product(*(range(n) for n in shape))):
            info = self.namer.info(role, layer, index, flat, of)
            symbols.append(self._add(info))
        assert len(symbols) == math.prod(shape)
        return SymTensor(role, layer, shape, tuple(symbols))

    def scalar(self, role: str) -> sympy.Symbol:
        """A scalar symbol (the cost ``C``)."""
        return self._add(self.namer.info(role, None, (), 0))

    def shared_scalar(self, role: str) -> sympy.Symbol:
        """The one scalar of ``role`` (created on first use; e.g. a symbolic ε shared by every
        batch-norm layer)."""
        info = self.namer.info(role, None, (), 0)
        found = self.by_name.get(info.name)
        return found if found is not None and self.info[found].role == role else self._add(info)

    def _add(self, info: SymbolInfo) -> sympy.Symbol:
        if info.name in self.by_name:
            raise SpecError(
                "notation", f"two symbols would both be named {info.name!r}; choose distinct letters"
            )
        symbol = _new_symbol(info.name)
        self.info[symbol] = info
        self.by_name[info.name] = symbol
        return symbol

    def latex(self, symbol: sympy.Symbol) -> str:
        return self.info[symbol].latex
