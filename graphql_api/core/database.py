"""The API's connection pool (async psycopg, one per process, opened with the app) and the
per-request session every resolver and DataLoader reads through.

While the warehouse cannot be reached, a request waits at most ``POOL_TIMEOUT_SECONDS`` for
a connection and is answered ``SERVICE_UNAVAILABLE`` (HTTP 503); the pool keeps reconnecting
in the background, so the API recovers by itself once the warehouse is back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from graphql_api.core.errors import SERVICE_UNAVAILABLE, TIMEOUT, CodedError, warehouse_unavailable
from kho import db

POOL_TIMEOUT_SECONDS = 2.0  # a request's wait for a connection
PING_TIMEOUT_SECONDS = 0.5  # the health probe's: it answers at once, not when the pool gives up
# What a caller may retry: no connection within the timeout, or one that broke under it.
UNAVAILABLE = (PoolTimeout, psycopg.OperationalError)


class Database:
    # Connections are opened with the app and kept: a pool that grows under load makes the
    # first requests of a burst wait for connections to open.
    def __init__(self, url: str, min_size: int = 10, max_size: int = 10,
                 statement_timeout_ms: int = 5_000):
        self.statement_timeout_ms = statement_timeout_ms
        self.pool = AsyncConnectionPool(
            db.libpq_url(url),
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "options": f"-c statement_timeout={statement_timeout_ms}",
                "application_name": "kho-api",
                "prepare_threshold": 1,
            },
        )

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self.pool.close()

    def coded_error(self, err: Exception) -> CodedError | None:
        """The coded error a failed statement answers: TIMEOUT past the statement timeout,
        SERVICE_UNAVAILABLE while the warehouse cannot be reached or a lock the statement
        waits for is held past its wait (a publication writing the change feed); None for a
        fault."""
        if isinstance(err, psycopg.errors.LockNotAvailable):
            return CodedError("the warehouse is publishing at the moment; retry shortly",
                              SERVICE_UNAVAILABLE, http_status=503)
        if isinstance(err, psycopg.errors.QueryCanceled):
            return CodedError(f"the query took longer than {self.statement_timeout_ms} ms; "
                              f"narrow the filter or ask for fewer rows", TIMEOUT)
        if isinstance(err, UNAVAILABLE):
            return warehouse_unavailable()
        return None

    async def ping(self) -> bool:
        async with self.pool.connection(timeout=PING_TIMEOUT_SECONDS) as conn:
            await conn.execute("select 1")
        return True


class Session:
    """One request's access to the warehouse: counts its statements (the response reports
    them, and the query-count tests read them) and turns a statement timeout into a coded
    error instead of an internal one, and an unreachable warehouse into
    ``SERVICE_UNAVAILABLE``."""

    def __init__(self, database: Database):
        self.database = database
        self.statements = 0

    async def fetch_all(self, query: str, params: Sequence[Any] | dict | None = None
                        ) -> list[dict]:
        self.statements += 1
        try:
            async with self.database.pool.connection() as conn:
                cursor = await conn.execute(query, params)
                return await cursor.fetchall()
        except (psycopg.Error, PoolTimeout) as err:
            coded = self.database.coded_error(err)
            if coded is None:
                raise
            raise coded from None

    async def fetch_one(self, query: str, params: Sequence[Any] | dict | None = None
                        ) -> dict | None:
        rows = await self.fetch_all(query, params)
        return rows[0] if rows else None
