"""Cursor connections over one mart table: keyset pagination in a stable order.

A page is one statement: ``where <filter> and (<order keys>) > (<cursor>) order by <keys>
limit first + 1`` (the extra row says whether there is a next page). The last order key is
always the table's ID, so the order is total and a page boundary can neither skip nor repeat
a row, whatever is inserted meanwhile. ``totalCount`` runs its own ``count(*)`` only when
asked for.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import psycopg
import strawberry
from strawberry.dataloader import DataLoader

from graphql_api.core.database import Session
from graphql_api.core.errors import BAD_USER_INPUT, CodedError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` to get the rows after this one.")
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(description="The page's rows, without cursors.")
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many rows match the filter, on all pages together.")
    async def total_count(self) -> int:
        return await self.count()


@dataclass(frozen=True)
class Order:
    """A total order: non-null SQL expressions with their types, the last one unique."""

    name: str
    keys: tuple[tuple[str, str], ...]
    descending: bool = False

    def order_by(self) -> str:
        direction = " desc" if self.descending else ""
        return ", ".join(f"{expression}{direction}" for expression, _ in self.keys)

    def key_columns(self) -> str:
        """The order's keys selected as ``_k0, _k1, ...``: what a row's cursor is made of."""
        return ", ".join(f"{expression} as _k{i}" for i, (expression, _) in
                         enumerate(self.keys))

    def after(self, cursor: str) -> tuple[str, list[str]]:
        """The condition for the rows after a cursor, and its parameters."""
        expressions = ", ".join(expression for expression, _ in self.keys)
        placeholders = ", ".join(f"%s::{pg_type}" for _, pg_type in self.keys)
        return (f"({expressions}) {'<' if self.descending else '>'} ({placeholders})",
                decode_cursor(self, cursor))

    def cursor_of(self, row: dict) -> str:
        return encode_cursor(self, [row[f"_k{i}"] for i in range(len(self.keys))])


@dataclass
class Filtered:
    """A filtered read of one table: ``select <columns> from <source> where <conditions>``."""

    source: str
    columns: str
    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def add_condition(self, condition: tuple[str, list[Any]]) -> None:
        self.add(condition[0], *condition[1])

    def where(self, extra: list[str] = ()) -> str:
        conditions = [*self.conditions, *extra]
        return f" where {' and '.join(conditions)}" if conditions else ""


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise CodedError(f"first must be between 1 and {MAX_PAGE_SIZE}, got {size}",
                         BAD_USER_INPUT)
    return size


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def encode_cursor(order: Order, values: list[Any]) -> str:
    text = json.dumps([order.name, *map(_plain, values)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(order: Order, cursor: str) -> list[Any]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, *values = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        raise CodedError("after is not a cursor this API gave out", BAD_USER_INPUT) from None
    if name != order.name or len(values) != len(order.keys):
        raise CodedError(f"after is a cursor of another order than {order.name}",
                         BAD_USER_INPUT)
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        raise CodedError("after is not a cursor this API gave out", BAD_USER_INPUT)
    return [str(v) for v in values]  # cast by the statement, so a forged value is a DataError


async def fetch_page(session: Session, query: Filtered, order: Order, first: int | None,
                     after: str | None, build: Callable[[dict], T]) -> Connection[T]:
    size = page_size(first)
    extra: list[str] = []
    params = list(query.params)
    if after is not None:
        condition, values = order.after(after)
        extra.append(condition)
        params.extend(values)
    statement = (f"select {query.columns}, {order.key_columns()} from {query.source}"
                 f"{query.where(extra)} order by {order.order_by()} limit {size + 1}")
    rows = await _fetch_with_cursor(session, statement, params)
    count_statement = f"select count(*) as n from {query.source}{query.where()}"

    async def count() -> int:
        row = await session.fetch_one(count_statement, query.params)
        return row["n"]

    return _connection(order, rows, size, after, build, count)


async def _fetch_with_cursor(session: Session, statement: str, params: list) -> list[dict]:
    try:
        return await session.fetch_all(statement, params)
    except psycopg.DataError:  # a forged cursor whose values do not cast
        raise CodedError("after is not a cursor this API gave out", BAD_USER_INPUT) from None


def _connection(order: Order, rows: list[dict], size: int, after: str | None,
                build: Callable[[dict], Any], count: Callable[[], Awaitable[int]]
                ) -> Connection:
    """A page from its rows, read one past the page size to know if there is a next one."""
    edges = [Edge(cursor=order.cursor_of(row), node=build(row)) for row in rows[:size]]
    return Connection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


def pages_per_key(session: Session, source: str, columns: str, key: str, key_type: str,
                  order: Order, variant: Callable[[Any], tuple[str, list[Any]]],
                  build: Callable[[dict], Any]):
    """A DataLoader of one connection page per parent: keys are ``(parent, variant, first,
    after)``; the parents that ask for the same page shape share one statement (a lateral
    join over the parents), and ``totalCount`` is one grouped count over them."""
    async def load(keys: list[tuple]) -> list[Connection]:
        shapes: dict[tuple, list] = {}
        for parent, variant_value, first, after in keys:
            shapes.setdefault((variant_value, page_size(first), after), []).append(parent)
        pages: dict[tuple, Connection] = {}
        for (variant_value, size, after), parents in shapes.items():
            condition, condition_params = variant(variant_value)
            conditions, params = [f"{key} = parents._key", condition], [*condition_params]
            if after is not None:
                after_condition, values = order.after(after)
                conditions.append(after_condition)
                params.extend(values)
            statement = (
                f"select parents._key, page.* from unnest(%s::{key_type}[]) as parents(_key) "
                f"cross join lateral (select {columns}, {order.key_columns()} from {source} "
                f"where {' and '.join(conditions)} order by {order.order_by()} "
                f"limit {size + 1}) as page")
            rows = await _fetch_with_cursor(session, statement,
                                            [list(dict.fromkeys(parents)), *params])
            by_parent: dict[Any, list[dict]] = {}
            for row in rows:
                by_parent.setdefault(row["_key"], []).append(row)
            for parent in parents:
                pages[(parent, variant_value, size, after)] = by_parent.get(parent, [])
        counts = _counts(session, source, key, key_type, variant)
        return [_connection(order, pages[(p, v, page_size(f), a)], page_size(f), a, build,
                            functools.partial(counts.load, (p, v))) for p, v, f, a in keys]

    return DataLoader(load_fn=load)


def _counts(session: Session, source: str, key: str, key_type: str, variant):
    async def load(keys: list[tuple]) -> list[int]:
        by_variant: dict[Any, list] = {}
        for parent, variant_value in keys:
            by_variant.setdefault(variant_value, []).append(parent)
        found: dict[tuple, int] = {}
        for variant_value, parents in by_variant.items():
            condition, params = variant(variant_value)
            rows = await session.fetch_all(
                f"select {key} as _key, count(*) as n from {source} "
                f"where {key} = any(%s::{key_type}[]) and {condition} group by 1",
                [list(dict.fromkeys(parents)), *params])
            found.update({(row["_key"], variant_value): row["n"] for row in rows})
        return [found.get(k, 0) for k in keys]

    return DataLoader(load_fn=load)

