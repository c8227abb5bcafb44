"""Grouped counts and sums over a filtered mart: the caller picks the dimensions; and the
disclosure control of counts of persons, for callers who may not see the persons.

Withholding small counts alone does not protect them: a total minus its visible parts
gives the one withheld, and a count on two dates gives who joined in between. So a count
of persons such a caller gets is also rounded to the nearest multiple of
``ROUNDING_BASE``, in every answer, totals included (deterministic rounding, as statistical
offices publish small-area tables): the difference of two published counts is then a
multiple of the base, and a difference of fewer than ``SMALL_COUNT`` persons reads as 0
or as ``ROUNDING_BASE``, whichever side of a rounding boundary the counts fall on.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql_api.core.database import Session
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.core.pagination import Filtered

MAX_GROUPS = 10_000
# Counts of persons below this are withheld from callers who may not see the persons.
SMALL_COUNT = 5
# ... and the others rounded to a multiple of this.
ROUNDING_BASE = 5


def disclosed_count(count: int) -> int | None:
    """A count of persons as a caller who may not see the persons gets it: None below
    ``SMALL_COUNT``, else rounded to the nearest multiple of ``ROUNDING_BASE``."""
    if count < SMALL_COUNT:
        return None
    return (count + ROUNDING_BASE // 2) // ROUNDING_BASE * ROUNDING_BASE


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
