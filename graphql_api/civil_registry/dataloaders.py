from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.civil_registry.types import CIVIL_EVENT_COLUMNS, CIVIL_EVENT_SOURCE
from graphql_api.core.asof import happened_by
from graphql_api.core.batching import many_per_key
from graphql_api.core.database import Session


def civil_events_by_person(session: Session) -> DataLoader:
    return many_per_key(session, CIVIL_EVENT_SOURCE, CIVIL_EVENT_COLUMNS, "person_id",
                        "event_date nulls first, civil_event_id", happened_by("event_date"))
