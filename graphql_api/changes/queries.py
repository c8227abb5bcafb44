"""``changes(after, types, first)``: the change feed, from a cursor, as the caller may see
it."""

from __future__ import annotations

import strawberry

from graphql_api.changes.types import ChangeEntityType, ChangeEvent, ChangeFeed, ChangeKind
from graphql_api.changes.visibility import EVENTS_AFTER, scope_params, visible, visible_types
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError

DEFAULT_EVENTS = 100
MAX_EVENTS = 1000
LATEST = "select coalesce(max(cursor), 0) as latest from changes.events"


def parse_cursor(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isascii() or not after.isdigit() or len(after) > 18:
        raise CodedError(f"after must be a cursor (digits, as endCursor gives), got {after!r}",
                         BAD_USER_INPUT)
    return int(after)


@strawberry.type
class ChangeQueries:
    @strawberry.field(description="What the publications changed in the master records, in "
                                  "order, after a cursor (0 or none: from the start; a bulk "
                                  "download says the cursor it was taken at). Events and "
                                  "their attributes follow the caller's grants, as the "
                                  "records do.")
    async def changes(self, info: Info, after: str | None = None,
                      types: list[ChangeEntityType] | None = None,
                      first: int = DEFAULT_EVENTS) -> ChangeFeed:
        if not 1 <= first <= MAX_EVENTS:
            raise CodedError(f"first must be between 1 and {MAX_EVENTS}, got {first}",
                             BAD_USER_INPUT)
        start = parse_cursor(after)
        caller = info.context.caller
        wanted = [t for t in visible_types(caller)
                  if types is None or ChangeEntityType(t) in types]
        latest = (await info.context.session.fetch_one(LATEST))["latest"]
        rows = await info.context.session.fetch_all(
            EVENTS_AFTER, {"after": start, "types": wanted, "limit": first + 1,
                           **scope_params(caller)}) \
            if wanted else []
        page, more = rows[:first], len(rows) > first
        events = []
        for row in page:
            event = visible(caller, row)
            if event is None:
                continue
            if event.personal:
                info.context.access.release((event.released_person,))
            events.append(ChangeEvent(
                cursor=str(event.cursor), publication_id=event.publication_id,
                published_at=row["published_at"],
                entity_type=ChangeEntityType(event.entity_type),
                master_id=strawberry.ID(event.master_id), kind=ChangeKind(event.kind),
                related_id=event.related_id, changed_attributes=event.changed_attributes,
                attributes=event.attributes, previous=event.previous))
        end = page[-1]["cursor"] if page else (start if more or not wanted
                                               else max(start, latest))
        return ChangeFeed(events=events, end_cursor=str(end), has_next_page=more,
                          latest_cursor=str(latest))
