"""What "as of a date" means for each kind of dated record, as SQL conditions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

Condition = Callable[[datetime.date | None], tuple[str, list[Any]]]


def in_force(end_is_inclusive: bool) -> Condition:
    """Records valid from ``valid_from`` to ``valid_to``; no date: all of them, past and
    present. Land rights end the day before ``valid_to``; assignments end on it."""
    comparison = ">=" if end_is_inclusive else ">"

    def condition(day: datetime.date | None) -> tuple[str, list[Any]]:
        if day is None:
            return "true", []
        return (f"coalesce(valid_from, '-infinity'::date) <= %s "
                f"and (valid_to is null or valid_to {comparison} %s)", [day, day])

    return condition


def happened_by(column: str) -> Condition:
    def condition(day: datetime.date | None) -> tuple[str, list[Any]]:
        if day is None:
            return "true", []
        return f"{column} <= %s", [day]

    return condition
