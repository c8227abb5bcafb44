"""Batching reads by key: one SQL statement per relation per request, whatever the fan-out;
and a loader's answer handed to a resolver without a task when it is already there.

DataLoaders are made per request (``graphql_api.loaders.Loaders``), so nothing is cached
across requests or callers. A relation that takes an ``asOf`` date batches per date: the
keys are ``(id, as_of)`` and each distinct date is one statement.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from strawberry.dataloader import DataLoader

from graphql_api.core.database import Session

# A condition on a relation's rows for one variant of a key (its asOf date, or None).
Variant = Callable[[Any], tuple[str, list[Any]]]


def one_per_key(session: Session, source: str, columns: str, key: str
                ) -> DataLoader[Hashable, dict | None]:
    """The row of ``source`` per ``key`` value, ``None`` where there is none."""
    statement = f"select {key} as _key, {columns} from {source} where {key} = any(%s)"

    async def load(keys: list[Hashable]) -> list[dict | None]:
        rows = await session.fetch_all(statement, (list(keys),))
        found = {row["_key"]: row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def many_per_key(session: Session, source: str, columns: str, key: str, order_by: str,
                 variant: Variant | None = None) -> DataLoader[tuple[Hashable, Any], list[dict]]:
    """All rows of ``source`` per ``key`` value, in ``order_by``; keys are ``(value,
    variant)``, and ``variant(v)`` gives the extra condition for the variant ``v``."""
    select = f"select {key} as _key, {columns} from {source}"

    async def load(keys: list[tuple[Hashable, Any]]) -> list[list[dict]]:
        by_variant: dict[Any, list[Hashable]] = defaultdict(list)
        for value, variant_value in keys:
            by_variant[variant_value].append(value)
        found: dict[tuple[Hashable, Any], list[dict]] = defaultdict(list)
        for variant_value, values in by_variant.items():
            condition, params = variant(variant_value) if variant else ("true", [])
            rows = await session.fetch_all(
                f"{select} where {key} = any(%s) and {condition} order by {order_by}",
                [list(dict.fromkeys(values)), *params])
            for row in rows:
                found[(row["_key"], variant_value)].append(row)
        return [found.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def resolved(answer: Awaitable, convert: Callable[[Any], Any]) -> Any:
    """``convert(answer)`` now if the loader already has the answer (no task, no await for
    graphql-core to schedule), else an awaitable of it."""
    if isinstance(answer, asyncio.Future) and answer.done():
        return convert(answer.result())
    return _converted(answer, convert)


async def _converted(answer: Awaitable, convert: Callable[[Any], Any]) -> Any:
    return convert(await answer)


def each(build: Callable[[dict], Any]) -> Callable[[list[dict]], list]:
    return lambda rows: [build(row) for row in rows]


async def settle(value: Any) -> Any:
    """What a resolver-style value comes to, for code that awaits it."""
    return await value if inspect.isawaitable(value) else value
