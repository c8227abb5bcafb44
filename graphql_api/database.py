"""The API's connection pool: async psycopg, one pool per process, opened with the app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from kho import db

STATEMENT_TIMEOUT_MS = 5_000


class Database:
    def __init__(self, url: str, min_size: int = 1, max_size: int = 10):
        self.pool = AsyncConnectionPool(
            db.libpq_url(url),
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                "application_name": "kho-api",
            },
        )

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self.pool.close()

    async def fetch_all(self, query: str, params: Sequence[Any] | dict | None = None) -> list[dict]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def ping(self) -> bool:
        async with self.pool.connection() as conn:
            await conn.execute("select 1")
        return True
