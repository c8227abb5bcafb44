"""Batching rows by key: one SQL statement per relation per request, whatever the fan-out."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from psycopg import sql
from strawberry.dataloader import DataLoader

from graphql_api.database import Database


def rows_by_key(database: Database, table: tuple[str, str], key: str,
                columns: Sequence[str]) -> DataLoader[Hashable, dict | None]:
    """A DataLoader of one row per key (``None`` when absent) from a mart table."""
    query = sql.SQL("select {cols} from {table} where {key} = any(%s)").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in dict.fromkeys([key, *columns])),
        table=sql.Identifier(*table),
        key=sql.Identifier(key),
    )

    async def load(keys: list[Hashable]) -> list[dict | None]:
        rows = await database.fetch_all(query, (list(keys),))
        found = {row[key]: row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)
