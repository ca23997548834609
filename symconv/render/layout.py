"""Layout of displayed equations: a general formula as aligned equations, one ``=`` a row, and
equations grouped into display blocks (``aligned`` lines; Markdown ``$$`` blocks of bounded size).
Equations are ``{"lhs", "rows", "rel"?}`` dicts of printed LaTeX."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..latex import ROW_WIDTH, visible_len

MD_BLOCK_LIMIT = 900  # characters of one Markdown $$ block (renderers choke on long ones)


def formula_equations(formula: str) -> list[dict]:
    """A general formula ``a = b = c,\\quad d = e`` as aligned equations, one ``=`` a row
    (so that long general formulas never run past the margin)."""
    eqs = []
    for part in formula.split(r",\quad "):
        pieces = part.split(" = ")
        rows = [pieces[1]] + [rf"= {x}" for x in pieces[2:]] if len(pieces) > 1 else [""]
        eqs.append({"lhs": pieces[0], "rows": rows})
    return eqs


def equation_lines(eq: dict) -> list[str]:
    """Lines of one ``{"lhs", "rows"}`` equation for an ``aligned``/``align*`` environment."""
    rows = eq["rows"]
    lines = [f"{eq['lhs']} &{eq.get('rel', '=')} {rows[0]}"]
    lines += [f"&= {r[2:]}" if r.startswith("= ") else rf"&\quad {r}" for r in rows[1:]]
    return lines


def math_blocks(equations: Sequence[dict], limit: int = MD_BLOCK_LIMIT) -> list[list[str]]:
    """Group the lines of equations into blocks of at most ``limit`` characters (Markdown renderers
    choke on longer ``$$`` blocks). An equation that fits in a block is never split; a longer one
    continues in the next block: its continuation lines start with ``&``, so each block is a
    valid ``aligned`` on its own."""
    blocks: list[list[str]] = []
    size = limit + 1
    for eq in equations:
        lines = equation_lines(eq)
        whole = sum(len(line) + 4 for line in lines)
        if size + whole > limit and whole <= limit:
            size = limit + 1  # start the equation in a new block rather than split it
        for line in lines:
            length = len(line) + 4
            if size + length > limit:
                blocks.append([])
                size = 0
            blocks[-1].append(line)
            size += length
    return blocks


def display_blocks(equations: Sequence[dict], limit: int = MD_BLOCK_LIMIT) -> list[dict]:
    """:func:`math_blocks` as ``{"aligned", "lines"}``: a lone equation of one row is one line
    ``lhs = rhs`` (no ``aligned`` environment needed); anything else is ``aligned`` lines."""
    if len(equations) == 1 and len(equations[0]["rows"]) == 1:
        eq = equations[0]
        line = f"{eq['lhs']} {eq.get('rel', '=')} {eq['rows'][0]}" if eq["lhs"] else eq["rows"][0]
        if len(line) <= limit:
            return [{"aligned": False, "lines": [line]}]
    return [{"aligned": True, "lines": block} for block in math_blocks(equations, limit)]



def table_rows(rows: Iterable[Sequence[str]], start: str, sep: str, end: str) -> str:
    """The rows of a table as one text, each row's cells between the template's delimiters
    (``start``, ``sep`` between cells, ``end``), one row a line, no newline after the last (the
    template's own ends it). A receptive-field table of a ``--full`` document has a row per
    chain-rule term: a loop in the template costs several microseconds a row."""
    return "\n".join(start + sep.join(row) + end for row in rows)


COLUMN_GAP = 6  # visible characters between the columns of a paired display


def paired(equations: Sequence[dict], columns: int = 2) -> list[dict]:
    """Short one-row equations side by side, ``columns`` to a display row (``a &= b & c &= d``
    in an ``align*``), when every one fits in its share of ``ROW_WIDTH``; the equations unchanged
    otherwise. Returns equations for :func:`math_blocks` (a paired row is one equation whose
    ``lhs`` carries the first columns)."""
    share = ROW_WIDTH // columns - COLUMN_GAP
    if len(equations) < 2 or any(len(eq["rows"]) != 1 or eq.get("rel", "=") != "=" or not eq["lhs"]
                                 or visible_len(eq["lhs"]) + visible_len(eq["rows"][0]) + 2 > share
                                 for eq in equations):
        return list(equations)
    out = []
    for k in range(0, len(equations), columns):
        group = equations[k:k + columns]
        head = " & ".join(f"{eq['lhs']} &= {eq['rows'][0]}" for eq in group[:-1])
        out.append({"lhs": f"{head} & {group[-1]['lhs']}", "rows": group[-1]["rows"]})
    return out
