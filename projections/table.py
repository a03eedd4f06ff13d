"""A read-model table defined once: a ``NamedTuple`` row record whose annotations are the columns.

The record's fields, in order, are the table's columns; their annotations give the SQL:

- ``str`` is ``TEXT``, ``int`` is ``INTEGER``, :data:`Big` (``int`` marked :data:`BIGINT`) the
  backend's 64-bit integer (``Database.BIGINT``);
- a field that is not ``Optional`` is ``NOT NULL``;
- :data:`KEY` marks the primary key: one such column is ``<column> <type> PRIMARY KEY``, several are
  a table constraint ``PRIMARY KEY (a, b)`` after them (each ``NOT NULL``).

:class:`Table` turns a record into its ``CREATE TABLE`` column list, its indexes and a select list;
rows the read model reads back become records with :meth:`Table.row` (``Record._make``). Records
stay tuples, so the insertion paths (``COPY``, ``executemany``) take them unchanged. ADR 0019.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, NamedTuple, TypeVar, Union, get_args, get_origin, get_type_hints

BIGINT = "BIGINT"
"""Marks an ``int`` column as the backend's 64-bit integer (positions, times in µs)."""
KEY = "PRIMARY KEY"
"""Marks a primary-key column."""

Big = Annotated[int, BIGINT]
BigKey = Annotated[int, BIGINT, KEY]
TextKey = Annotated[str, KEY]
IntKey = Annotated[int, KEY]

_SQL_TYPES: dict[type, str] = {str: "TEXT", int: "INTEGER"}

R = TypeVar("R", bound=tuple[Any, ...])


class Column(NamedTuple):
    """One column as the record declares it."""

    name: str
    sql_type: str  #: ``TEXT``, ``INTEGER`` or ``{B}`` (the backend's BIGINT, filled in by :meth:`Table.ddl`)
    nullable: bool
    key: bool


def _column(name: str, hint: Any) -> Column:
    nullable = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        nullable, hint = len(args) < len(get_args(hint)), args[0]
        if len(args) != 1:
            raise TypeError(f"column {name}: one type, optionally with None")
    markers: tuple[Any, ...] = ()
    if get_origin(hint) is Annotated:
        hint, markers = hint.__origin__, hint.__metadata__
    if hint not in _SQL_TYPES:
        raise TypeError(f"column {name}: no SQL type for {hint!r}")
    sql_type = "{B}" if BIGINT in markers else _SQL_TYPES[hint]
    return Column(name, sql_type, nullable, KEY in markers)


def columns_of(record: type[tuple[Any, ...]]) -> tuple[Column, ...]:
    """The columns a ``NamedTuple`` record declares, in order."""
    hints = get_type_hints(record, include_extras=True)
    return tuple(_column(name, hints[name]) for name in record._fields)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Table(Generic[R]):
    """One table of the read model (``lokikirja_v_<name>``): its row record, its indexes (column
    lists) and those of them only read queries use (``deferrable``: a rebuild from scratch creates
    them once caught up)."""

    name: str
    record: type[R]
    indexes: tuple[str, ...] = ()
    deferrable: frozenset[str] = frozenset()
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        columns = columns_of(self.record)
        if any(c.nullable and c.key for c in columns):
            raise TypeError(f"{self.name}: a key column cannot be Optional")
        unknown = {c.strip() for i in self.indexes for c in i.split(",")} - {c.name for c in columns}
        if unknown or not self.deferrable <= set(self.indexes):
            raise ValueError(f"{self.name}: indexes name unknown columns {sorted(unknown)} or are not indexes")
        object.__setattr__(self, "columns", columns)

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    def ddl(self, bigint: str = "{B}") -> str:
        """The column definitions of ``CREATE TABLE`` (``bigint``: the backend's 64-bit integer)."""
        keys = [c.name for c in self.columns if c.key]
        parts = []
        for c, sql_type in zip(self.columns, self.sql_types(bigint), strict=True):
            if c.key and len(keys) == 1:
                parts.append(f"{c.name} {sql_type} PRIMARY KEY")
            else:
                parts.append(f"{c.name} {sql_type}" + ("" if c.nullable else " NOT NULL"))
        if len(keys) > 1:
            parts.append(f"PRIMARY KEY ({', '.join(keys)})")
        return ", ".join(parts)

    def sql_types(self, bigint: str) -> tuple[str, ...]:
        """Each column's SQL type, in order (``bigint``: the backend's 64-bit integer)."""
        return tuple(c.sql_type.replace("{B}", bigint) for c in self.columns)

    def select_list(self, alias: str = "") -> str:
        """Every column, in record order, for ``SELECT`` (``alias``: a table alias to qualify them)."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + name for name in self.names)

    def row(self, values: Any) -> R:
        """The record of one row selected with :meth:`select_list`."""
        return self.record._make(values)  # type: ignore[attr-defined,no-any-return]
