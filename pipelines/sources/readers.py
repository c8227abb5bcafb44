"""Reading an agency table, generic over its SQLAlchemy URL.

A reader opens one read-only, repeatable-read transaction on the source, so the rows, the
keys and the count it hands over all come from the same snapshot whatever the agency writes
meanwhile. PostgreSQL sources are read with ``COPY (SELECT ...) TO STDOUT`` and the bytes go
straight into the warehouse's ``COPY ... FROM STDIN``; other databases (MariaDB) are read
with a server-side cursor and written row by row. A table whose contract derives columns
(``Derivation``) is read row by row from either, and each batch of rows is written with the
derived values after the source's. Either way memory stays flat.

Every failure to reach or read the source is raised as ``SourceUnavailable`` naming it;
warehouse errors pass through untouched, so the caller can tell which side failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
import sqlalchemy as sa
from psycopg import sql

from kho import db
from pipelines.sources.contracts import TableContract

STREAM_BATCH_ROWS = 10_000


class SourceUnavailable(RuntimeError):
    """The agency system could not be reached or read (refused, timed out, dropped).

    Its parts are kept apart so that the tables one outage stopped can be told as one
    failure (``describe_unavailable``) rather than once per table."""

    def __init__(self, source: str, url: str, doing: str, table: str, reason: str,
                 attempts: int | None = None):
        super().__init__(source, url, doing, table, reason, attempts)
        self.source, self.url, self.doing = source, url, doing
        self.table, self.reason, self.attempts = table, reason, attempts

    def gave_up(self, attempts: int) -> SourceUnavailable:
        return SourceUnavailable(self.source, self.url, self.doing, self.table, self.reason,
                                 attempts)

    @property
    def cause(self) -> str:
        """What went wrong, without the table: the same for every table one outage stops."""
        tried = f" (gave up after {self.attempts} attempt(s))" if self.attempts else ""
        return f"{self.reason}{tried}"

    def __str__(self) -> str:
        return describe_unavailable([self])


def describe_unavailable(errors: list[SourceUnavailable]) -> str:
    """One sentence for errors of one source, URL, action and cause, naming their tables."""
    first = errors[0]
    tables = [e.table for e in errors]
    named = tables[0] if len(tables) == 1 else f"{', '.join(tables[:-1])} and {tables[-1]}"
    return (f"source {first.source!r} ({first.url}) is unavailable while {first.doing} "
            f"{named}: {first.cause}")


class SourceReader:
    """One consistent read of one source table."""

    def __init__(self, url: str, contract: TableContract, connect_timeout: float,
                 statement_timeout: float):
        self.url = url
        self.contract = contract
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout

    def unavailable(self, err: BaseException, doing: str) -> SourceUnavailable:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()
        return SourceUnavailable(self.contract.source, db.redact(self.url), doing,
                                 self.contract.table,
                                 reason[0] if reason else type(err).__name__)

    def copy_rows(self, into: psycopg.Copy, since: datetime | None) -> int:
        """Write the table's rows (those with a watermark from ``since`` on, and those with
        none) into a warehouse ``COPY`` of the contract's columns; returns how many rows
        the source sent (with no ``since``, the table's row count in the reader's snapshot,
        so ``count`` need not scan it again)."""
        raise NotImplementedError

    def copy_versions(self, into: psycopg.Copy) -> None:
        """Write every (key, watermark) of the table into a warehouse ``COPY``."""
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def has_rows_after(self, mark: datetime) -> bool:
        """Whether a row was written after ``mark`` (the loads' own watermark test)."""
        raise NotImplementedError

    def column_families(self) -> dict[str, str]:
        """The kind of each source column (integer, numeric, date, timestamp, text)."""
        raise NotImplementedError


def write_rows(rows: Iterable[tuple], into: psycopg.Copy, contract: TableContract) -> int:
    """Write source rows (in ``source_column_names`` order) into a warehouse ``COPY`` of the
    contract's columns, with the derived columns computed a batch at a time; returns how
    many rows were written."""
    derivation = contract.derivation
    written = 0
    if derivation is None:
        for row in rows:
            into.write_row(row)
            written += 1
        return written
    names = contract.source_column_names
    inputs = [names.index(c) for c in derivation.inputs]
    batch: list[tuple] = []

    def flush() -> None:
        derived = derivation.derive([tuple(row[i] for i in inputs) for row in batch])
        for row, extra in zip(batch, derived, strict=True):
            into.write_row((*row, *extra))
        batch.clear()

    for row in rows:
        batch.append(tuple(row))
        written += 1
        if len(batch) >= STREAM_BATCH_ROWS:
            flush()
    if batch:
        flush()
    return written


def family(type_name: str) -> str:
    """integer / numeric / date / timestamp / text, from a database's type name."""
    name = type_name.lower()
    if "int" in name:
        return "integer"
    if any(t in name for t in ("numeric", "decimal", "double", "real", "float")):
        return "numeric"
    if "timestamp" in name or "datetime" in name:
        return "timestamp"
    if name == "date":
        return "date"
    return "text"


class PostgresReader(SourceReader):
    conn: psycopg.Connection

    @contextmanager
    def open(self) -> Iterator[PostgresReader]:
        options = (f"-c statement_timeout={int(self.statement_timeout * 1000)} "
                   "-c default_transaction_read_only=on")
        try:
            conn = psycopg.connect(db.libpq_url(self.url), connect_timeout=max(
                1, round(self.connect_timeout)), options=options)
        except psycopg.OperationalError as err:
            raise self.unavailable(err, "connecting to read") from err
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self.conn = conn
            yield self
        finally:
            conn.close()

    def _select(self, columns: list[str], since: datetime | None) -> sql.Composable:
        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(self.contract.table))
        if since is not None:
            mark = sql.Identifier(self.contract.watermark)
            query = sql.SQL("{} where {} >= {} or {} is null").format(
                query, mark, sql.Literal(since), mark)
        return query

    def _pipe(self, query: sql.Composable, into: psycopg.Copy, doing: str,
              derive: bool = False) -> int:
        cursor = self.conn.cursor()
        try:
            with cursor.copy(sql.SQL("copy ({}) to stdout").format(query)) as out:
                if derive:  # row by row, as text, through the contract's derivation
                    write_rows(out.rows(), into, self.contract)
                else:
                    for block in out:
                        into.write(block)
        except psycopg.OperationalError as err:
            if isinstance(err, psycopg.errors.QueryCanceled) or self.conn.broken:
                raise self.unavailable(err, doing) from err
            raise
        return cursor.rowcount  # from the source's own "COPY n"

    def copy_rows(self, into: psycopg.Copy, since: datetime | None) -> int:
        return self._pipe(self._select(self.contract.source_column_names, since), into,
                          "reading", derive=self.contract.derivation is not None)

    def copy_versions(self, into: psycopg.Copy) -> None:
        self._pipe(self._select([self.contract.key, self.contract.watermark], None), into,
                   "listing the keys of")

    def count(self) -> int:
        try:
            return self.conn.execute(sql.SQL("select count(*) from {}").format(
                sql.Identifier(self.contract.table))).fetchone()[0]
        except psycopg.OperationalError as err:
            raise self.unavailable(err, "counting") from err

    def has_rows_after(self, mark: datetime) -> bool:
        try:
            return self.conn.execute(sql.SQL("select exists (select from {} where {} > {})").format(
                sql.Identifier(self.contract.table), sql.Identifier(self.contract.watermark),
                sql.Literal(mark))).fetchone()[0]
        except psycopg.OperationalError as err:
            raise self.unavailable(err, "looking for new rows in") from err

    def column_families(self) -> dict[str, str]:
        rows = self.conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = current_schema() and table_name = %s",
            (self.contract.table,)).fetchall()
        return {name: family(type_name) for name, type_name in rows}


class SqlAlchemyReader(SourceReader):
    conn: sa.Connection

    @contextmanager
    def open(self) -> Iterator[SqlAlchemyReader]:
        backend = db.backend(self.url)
        connect_args = {}
        if backend == "mysql":
            connect_args = {"connect_timeout": max(1, round(self.connect_timeout)),
                            "read_timeout": max(1, round(self.statement_timeout))}
        engine = db.create_engine(self.url, connect_args=connect_args,
                                  isolation_level="REPEATABLE READ", poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                self.conn = conn
                yield self
        except sa.exc.OperationalError as err:
            raise self.unavailable(err, "reading") from err
        finally:
            engine.dispose()

    def _table(self) -> sa.TableClause:
        return sa.table(self.contract.table,
                        *(sa.column(c) for c in self.contract.source_column_names))

    def _stream(self, query: sa.Select, into: psycopg.Copy, doing: str,
                derive: bool = False) -> int:
        try:
            result = self.conn.execution_options(
                stream_results=True, yield_per=STREAM_BATCH_ROWS).execute(query)
            if derive:
                return write_rows(result, into, self.contract)
            rows = 0
            for row in result:
                into.write_row(row)
                rows += 1
            return rows
        except sa.exc.OperationalError as err:
            raise self.unavailable(err, doing) from err

    def copy_rows(self, into: psycopg.Copy, since: datetime | None) -> int:
        table = self._table()
        query = sa.select(*table.c)
        if since is not None:
            mark = table.c[self.contract.watermark]
            query = query.where(sa.or_(mark >= since, mark.is_(None)))
        return self._stream(query, into, "reading", derive=self.contract.derivation is not None)

    def copy_versions(self, into: psycopg.Copy) -> None:
        table = self._table()
        self._stream(sa.select(table.c[self.contract.key], table.c[self.contract.watermark]),
                     into, "listing the keys of")

    def count(self) -> int:
        try:
            return self.conn.execute(sa.select(sa.func.count()).select_from(
                self._table())).scalar_one()
        except sa.exc.OperationalError as err:
            raise self.unavailable(err, "counting") from err

    def has_rows_after(self, mark: datetime) -> bool:
        table = self._table()
        try:
            return bool(self.conn.execute(sa.select(sa.exists().where(
                table.c[self.contract.watermark] > mark))).scalar_one())
        except sa.exc.OperationalError as err:
            raise self.unavailable(err, "looking for new rows in") from err

    def column_families(self) -> dict[str, str]:
        columns = sa.inspect(self.conn).get_columns(self.contract.table)
        return {c["name"]: family(type(c["type"]).__name__) for c in columns}


def open_reader(url: str, contract: TableContract, *, connect_timeout: float,
                statement_timeout: float):
    """A context manager giving a reader of ``contract``'s table on the source at ``url``."""
    kind = PostgresReader if db.backend(url) == "postgresql" else SqlAlchemyReader
    return kind(url, contract, connect_timeout, statement_timeout).open()
