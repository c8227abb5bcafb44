"""Grouped counts and sums over a filtered mart: the caller picks the dimensions."""

from __future__ import annotations

from collections.abc import Iterable

from graphql_api.core.database import Session
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.core.pagination import Filtered

MAX_GROUPS = 10_000


async def aggregate(session: Session, query: Filtered,
                    dimensions: Iterable[tuple[tuple[str, str], ...]], measures: str
                    ) -> list[dict]:
    """``dimensions``: per chosen dimension, its (expression, alias) pairs; rows come out
    ordered by them. More than ``MAX_GROUPS`` groups is refused rather than truncated."""
    columns = list(dict.fromkeys(pair for dimension in dimensions for pair in dimension))
    select = ", ".join([*(f"{expression} as {alias}" for expression, alias in columns),
                        measures])
    positions = ", ".join(str(i + 1) for i in range(len(columns)))
    grouping = f" group by {positions} order by {positions}" if columns else ""
    rows = await session.fetch_all(
        f"select {select} from {query.source}{query.where()}{grouping} limit {MAX_GROUPS + 1}",
        query.params)
    if len(rows) > MAX_GROUPS:
        raise CodedError(f"more than {MAX_GROUPS} groups: filter to a smaller area or group "
                         f"by fewer dimensions", BAD_USER_INPUT)
    return rows
