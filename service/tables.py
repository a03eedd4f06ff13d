"""Tables that fit the terminal (``--format table``), without cutting what people copy.

Each table declares its columns (:class:`Column`): an identifier or a short value (ids, times,
rule ids, numbers) is always shown whole on one line — never cut to ``area…`` —; free text
(``wrap``) wraps at spaces; a column with a ``drop`` rank may be left out when the table is too
wide, the highest rank first. The width is the terminal's (``COLUMNS`` when set; 80 when stdout
is not a terminal). What does not fit even then is shown as one block per row ("cards"): the
row's first value, then ``name value`` pairs, then the text columns wrapped — every value whole.
A table that left columns out says which, under it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

GAP = 2  # between two columns: one space of padding and the (blank) divider
MIN_TEXT = 20  # a text column is not squeezed below this (or its longest word, if shorter)
INDENT = "  "


@dataclass(frozen=True)
class Column:
    """A column of a terminal table. ``wrap``: free text that may wrap at spaces (everything else
    is shown whole on one line). ``drop``: 0 never left out; otherwise it may be, highest first."""

    name: str
    wrap: bool = False
    drop: int = 0
    header: str | None = None

    @property
    def label(self) -> str:
        return self.header or self.name.replace("_", " ")


def as_columns(columns: Sequence[str | Column]) -> list[Column]:
    return [c if isinstance(c, Column) else Column(c) for c in columns]


@dataclass(frozen=True)
class _Sized:
    column: Column
    natural: int  # the widest value (or header word), on one line
    least: int  # the narrowest it may be


def _size(column: Column, cells: list[str]) -> _Sized:
    widest = max((cell_len(v) for v in cells), default=0)
    header_word = max(cell_len(w) for w in column.label.split())
    natural = max(widest, cell_len(column.label))  # the header on one line too
    if not column.wrap:  # the values whole; only the header may wrap
        return _Sized(column, natural, max(widest, header_word))
    longest_word = max((cell_len(w) for v in cells for w in v.split()), default=0)
    return _Sized(column, natural, min(natural, max(MIN_TEXT, longest_word, header_word)))


def _width(sized: list[_Sized], attr: str) -> int:
    return sum(getattr(s, attr) for s in sized) + GAP * max(0, len(sized) - 1)


def choose(columns: list[Column], cells: list[list[str]], width: int) -> tuple[list[_Sized], list[Column]] | None:
    """The columns to show and those left out, or None when not even the columns that may not be
    left out fit in ``width`` (then the rows are shown as cards)."""
    sized = [_size(c, [row[i] for row in cells]) for i, c in enumerate(columns)]
    left_out: list[Column] = []
    while _width(sized, "least") > width:
        droppable = [s for s in sized if s.column.drop]
        if not droppable:
            return None
        worst = max(droppable, key=lambda s: (s.column.drop, sized.index(s)))
        sized.remove(worst)
        left_out.append(worst.column)
    return sized, [c for c in columns if c in left_out]


def _widths(sized: list[_Sized], width: int) -> list[int]:
    """Natural widths when they fit; else every text column gets its least plus a share of the room."""
    if _width(sized, "natural") <= width:
        return [s.natural for s in sized]
    room = width - _width(sized, "least")
    wants = [s.natural - s.least for s in sized]
    total = sum(wants) or 1
    return [s.least + room * w // total for s, w in zip(sized, wants, strict=True)]


def render_table(console: Console, rows: list[dict[str, Any]], columns: Sequence[str | Column], *,
                 title: str | None, cell: Any) -> None:
    """Print ``rows`` as a table that fits ``console.width`` (see the module docstring);
    ``cell(value)`` is a value's text."""
    wanted = as_columns(columns)
    cells = [[cell(row.get(c.name)) for c in wanted] for row in rows]
    width = console.width
    chosen = choose(wanted, cells, width)
    if chosen is None:
        _cards(console, wanted, cells, title=title, width=width)
        return
    sized, left_out = chosen
    widths = _widths(sized, width)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for s, w in zip(sized, widths, strict=True):
        header = "\n".join(textwrap.wrap(s.column.label, w, break_long_words=False)) or s.column.label
        table.add_column(header, width=w, no_wrap=not s.column.wrap, overflow="fold")
    shown = [wanted.index(s.column) for s in sized]
    for row_cells in cells:
        table.add_row(*(Text(row_cells[i]) for i in shown))
    console.print(table)
    if left_out:
        names = ", ".join(c.name for c in left_out)
        console.print(Text(f"(left out at {width} columns: {names}; a wider terminal or --format json shows them)",
                           style="dim"))


def _cards(console: Console, columns: list[Column], cells: list[list[str]], *, title: str | None,
           width: int) -> None:
    """One block per row: the first value, ``name value`` pairs packed into lines, text wrapped."""
    if title:
        console.print(Text(title, style="italic"))
    for row_cells in cells:
        console.print()
        first, *rest = zip(columns, row_cells, strict=True)
        lines: list[Text] = [Text(first[1] or "-", style="bold")]
        for column, value in rest:  # the values, packed
            if value and not column.wrap:
                token = Text.assemble((column.label, "dim"), " ", value)
                if cell_len(lines[-1].plain) + GAP + token.cell_len <= width:
                    lines[-1].append(" " * GAP).append_text(token)
                else:
                    lines.append(Text(INDENT).append_text(token))
        for column, value in rest:  # then the text, each on lines of its own
            if value and column.wrap:
                lines += _wrapped(column, value, width)
        for line in lines:
            console.print(line, soft_wrap=True)


def _wrapped(column: Column, value: str, width: int) -> list[Text]:
    """``  name text…`` wrapped at ``width``, continued four spaces in."""
    lines = textwrap.wrap(value, width, initial_indent=f"{INDENT}{column.label} ", subsequent_indent=INDENT * 2,
                          break_long_words=False, break_on_hyphens=False)
    out = [Text(line) for line in lines]
    out[0].stylize("dim", len(INDENT), len(INDENT) + len(column.label))
    return out
