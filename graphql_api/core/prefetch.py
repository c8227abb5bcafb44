"""Looking ahead: a root resolver that sees which relations the query asks for under it primes
their DataLoaders for the whole page at once, level by level, before it returns.

The relations' resolvers then find their answers already loaded and return them at once
(``batching.resolved``), so graphql-core completes the page without scheduling a task per
field. Without priming the same resolvers load through the same DataLoaders, batched per
relation as before: priming changes how often Python waits, never which statements run or
what they return. Only relations asked for without arguments (or with the defaults) are
primed; any other shape simply takes the awaited path.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from strawberry.types.nodes import SelectedField

from graphql_api.core.context import Context


@dataclass
class Selection:
    """The fields asked for under one field, fragments merged, aliases ignored."""

    children: dict[str, Selection] = field(default_factory=dict)
    has_arguments: bool = False

    def plain(self, name: str) -> Selection | None:
        """The sub-selection of a relation asked for without arguments, if it is."""
        child = self.children.get(name)
        return child if child is not None and not child.has_arguments else None

    def nodes(self) -> Selection:
        """What a connection's selection asks of its nodes (``nodes`` and ``edges.node``)."""
        merged = Selection()
        for part in (self.children.get("nodes"),
                     self.children.get("edges", Selection()).children.get("node")):
            if part is not None:
                _merge_into(merged, part)
        return merged


def _merge_into(target: Selection, source: Selection) -> None:
    target.has_arguments |= source.has_arguments
    for name, child in source.children.items():
        _merge_into(target.children.setdefault(name, Selection()), child)


def _collect(selections: list, into: Selection) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            child = into.children.setdefault(selection.name, Selection())
            child.has_arguments |= any(v is not None for v in selection.arguments.values())
            _collect(selection.selections, child)
        else:  # a fragment spread or an inline fragment
            _collect(selection.selections, into)


def selection(info) -> Selection:
    root = Selection()
    for selected in info.selected_fields:
        _collect(selected.selections, root)
    return root


async def _all(*steps) -> None:
    """Run the steps that are needed (not None) side by side; one alone needs no task.

    A step that fails is let be: its error stays in the DataLoader it was priming, so only
    the fields that read that relation answer with it, as they would without priming."""
    steps = [step for step in steps if step is not None]
    if len(steps) == 1:
        with contextlib.suppress(Exception):
            await steps[0]
    elif steps:
        await asyncio.gather(*steps, return_exceptions=True)


async def _load(loader, keys: list) -> list:
    keys = list(dict.fromkeys(k for k in keys if k is not None and
                              (not isinstance(k, tuple) or k[0] is not None)))
    return await loader.load_many(keys) if keys else []


def _rows(lists: list) -> list[dict]:
    return [row for rows in lists for row in rows]


async def _parties(context: Context, rows: list[dict], wanted: Selection, *,
                   person: str = "person_id", organization: str = "organization_id",
                   land_parcel: str = "land_parcel_id") -> None:
    """Prime the person, organization and parcel a list of link rows points at."""
    loaders = context.loaders
    await _all(
        persons(context, [r.get(person) for r in rows], wanted.plain("person"))
        if wanted.plain("person") is not None else None,
        _load(loaders.organization_by_id, [r.get(organization) for r in rows])
        if wanted.plain("organization") is not None else None,
        land_parcels(context, [r.get(land_parcel) for r in rows], wanted.plain("landParcel"),
                     None) if wanted.plain("landParcel") is not None else None,
    )


def _links(context: Context, loader, keys: list, wanted: Selection | None):
    """The step priming a one-to-many relation and what it points at, or None if not asked."""
    if wanted is None or not keys:
        return None

    async def step() -> None:
        rows = _rows(await _load(loader, keys))
        await _parties(context, rows, wanted)

    return step()


async def land_parcels(context: Context, ids: list[Any], wanted: Selection, as_of: Any,
                       *, loaded: bool = False) -> None:
    """Prime what ``wanted`` asks of these parcels (``loaded``: the caller holds them)."""
    loaders = context.loaders
    ids = [i for i in ids if i is not None]
    day = as_of or context.today
    await _all(
        None if loaded else _load(loaders.land_parcel_by_id, ids),
        _links(context, loaders.land_rights_by_parcel, [(i, day) for i in ids],
               wanted.plain("holders")),
        _links(context, loaders.land_rights_by_parcel, [(i, as_of) for i in ids],
               wanted.plain("rights")),
    )


async def persons(context: Context, ids: list[Any], wanted: Selection, *,
                  loaded: bool = False) -> None:
    """Prime what ``wanted`` asks of these persons (``loaded``: the caller holds them)."""
    loaders = context.loaders
    ids = [i for i in ids if i is not None]
    await _all(
        None if loaded else _load(loaders.person_by_id, ids),
        _links(context, loaders.land_rights_by_person, [(i, None) for i in ids],
               wanted.plain("landRights")),
        _links(context, loaders.enterprise_roles_by_person, [(i, None) for i in ids],
               wanted.plain("enterpriseRoles")),
        _links(context, loaders.employment_by_person, [(i, None) for i in ids],
               wanted.plain("employment")),
        _links(context, loaders.civil_events_by_person, [(i, None) for i in ids],
               wanted.plain("civilEvents")),
    )
