from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.core.batching import one_per_key
from graphql_api.core.database import Session
from graphql_api.core.master_ids import id_status
from graphql_api.persons.types import PERSON_COLUMNS, PERSON_SOURCE


def person_by_id(session: Session) -> DataLoader:
    return one_per_key(session, PERSON_SOURCE, PERSON_COLUMNS, "person_id")


def person_id_status(session: Session) -> DataLoader:
    return id_status(session, "person")
