"""The master-ID registry (``master_data.<entity>_ids``, kept by the pipelines' master_ids
asset): an ID that is no longer in the marts was merged into another or retired."""

from __future__ import annotations

import psycopg
from strawberry.dataloader import DataLoader

from graphql_api.core.common import RecordStatus
from graphql_api.core.database import Session


def id_status(session: Session, entity: str) -> DataLoader:
    statement = (f"select id, status, merged_into from master_data.{entity}_ids "
                 f"where id = any(%s)")

    async def load(ids: list) -> list[tuple[RecordStatus, object] | None]:
        try:
            rows = await session.fetch_all(statement, (list(ids),))
        except psycopg.errors.UndefinedTable:  # no publication recorded yet
            return [None] * len(ids)
        found = {row["id"]: (RecordStatus(row["status"]), row["merged_into"]) for row in rows}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
