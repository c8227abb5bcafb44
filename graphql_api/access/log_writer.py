"""The access log (``api.access_log``): one entry per request, append-only and hash-chained.

Each API process writes its entries through one connection of its own, in batches (one
statement per batch, the entries as one JSON array): an entry is queued when its request is
answered. An answer that releases personal data waits for its entry to be committed (the
writer takes it at once, with whatever else is queued: a group commit), so no personal data
leaves unlogged, whatever happens to the process afterwards; the writer gathers other
entries over 50 ms, and nobody waits for them (a crash of the process can lose the last
50 ms or so of those). While the log cannot be written (the warehouse refuses the entries,
the connection is down) the queued entries are kept and retried, and personal answers are
withheld and logged so. One entry PostgreSQL refuses cannot hold up the others: the batch is
halved until it stands alone, and is written as a placeholder. Past ``MAX_PENDING`` entries
waiting, the gate refuses every request rather than drop one. The database numbers, times
and chains the entries (a trigger under a lock on the head row), so the workers and replicas
of one warehouse make one chain; ``log_verification`` re-checks it from the rows alone.

What a caller sent is made storable and bounded before its entry is queued (``log_values``).
Variables are logged with the values that carry personal data (an ID number searched for,
a name filter) replaced by their HMAC under the installation's key: the log shows that
the same value was asked again, and an officer holding the key can test a value, without
the log itself holding personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from graphql import (
    DocumentNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    type_from_ast,
    visit,
)
from strawberry.extensions import SchemaExtension

from graphql_api.access import log_values
from graphql_api.access.caller import Caller
from graphql_api.core import metrics
from graphql_api.core.errors import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, CodedError, code_of
from kho import db

log = logging.getLogger(__name__)

# The entry's fields as the writer sends them (one JSON array per batch), with their types.
FIELDS = (("logged_at", "timestamptz"), ("client_id", "uuid"), ("client_name", "text"),
          ("key_id", "text"), ("remote_addr", "text"), ("operation_type", "text"),
          ("operation_name", "text"), ("query_hash", "text"), ("variables", "jsonb"),
          ("purpose", "text"), ("outcome", "text"), ("error_codes", "text[]"),
          ("duration_ms", "double precision"), ("person_ids", "uuid[]"))
INSERT = (f"insert into api.access_log ({', '.join(n for n, _ in FIELDS)}) "
          f"select {', '.join(n for n, _ in FIELDS)} from jsonb_to_recordset(%s::jsonb) as "
          f"entry({', '.join(f'{n} {t}' for n, t in FIELDS)})")
MAX_BATCH = 1_000
LINGER_SECONDS = 0.05  # how long the writer gathers entries nobody waits for
MAX_PENDING = 100_000  # entries queued while they cannot be written; then the gate closes
RETRY_SECONDS = 1.0
WRITE_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 5
CLOSING_GRACE_SECONDS = 5.0  # how long a stopping process still tries to write its entries
BEHIND_SECONDS = 10.0  # /healthz answers 503 once an entry has waited longer,
BEHIND_QUEUED = 10_000  # or more entries wait
UNSTORABLE_ENTRY = "UNSTORABLE_ENTRY"  # the error code of a placeholder entry
ENTRIES_NOT_QUEUED = "ENTRIES_NOT_QUEUED"  # the error code of the count of those not queued
DOCUMENTS_REMEMBERED = 1_000  # which variables of a document are personal, per document
# Documents whose HMAC is remembered, at most DOCUMENTS_REMEMBERED of them (16 MiB at worst,
# in characters of four bytes).
HASHED_MAX_CHARS = 4096


# --- entries --------------------------------------------------------------------------

def entry(caller, outcome: str, *, operation_type: str | None = None,
          operation_name: str | None = None, query_hash: str | None = None,
          variables: dict | None = None, error_codes: list[str] | None = None,
          duration_ms: float | None = None, person_ids=(), key_id: str | None = None) -> dict:
    """One access-log entry, timed now, with what the caller sent storable and bounded
    (``log_values``); the request's metrics are labelled with what it says."""
    row = {
        "logged_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "client_id": caller.client_id, "client_name": log_values.text(caller.client_name),
        "key_id": log_values.text(key_id or caller.key_id),
        "remote_addr": log_values.text(caller.remote_addr),
        "operation_type": log_values.text(operation_type),
        "operation_name": log_values.text(operation_name),
        "query_hash": query_hash, "variables": log_values.variables(variables),
        "purpose": log_values.text(caller.purpose), "outcome": outcome,
        "error_codes": sorted(set(error_codes or ())),
        "duration_ms": None if duration_ms is None else round(duration_ms, 3),
        "person_ids": sorted(person_ids),
    }
    metrics.account(caller, operation_type, outcome, row["error_codes"])
    return row


def withheld(row: dict) -> dict:
    """The entry of an answer whose personal data was withheld because its entry could not
    be written (in time)."""
    return {**row, "outcome": "failed", "error_codes": [SERVICE_UNAVAILABLE], "person_ids": []}


def placeholder(row: dict) -> dict:
    """What is kept of an entry PostgreSQL refused even so: that the request happened, who
    made it, its outcome and the persons it released, with the digest of the whole entry;
    only values kho made itself."""
    return {
        "logged_at": row["logged_at"], "client_id": row["client_id"],
        "client_name": row["client_name"], "key_id": None,
        "remote_addr": _ascii(row["remote_addr"]), "operation_type": None,
        "operation_name": None, "query_hash": row["query_hash"],
        "variables": {"$unstorable": "sha256:" + hashlib.sha256(
            log_values.canonical_json(row).encode()).hexdigest()},
        "purpose": None, "outcome": row["outcome"],
        "error_codes": sorted({*row["error_codes"], UNSTORABLE_ENTRY}),
        "duration_ms": row["duration_ms"], "person_ids": row["person_ids"],
    }


def _ascii(value: str | None) -> str | None:
    return None if value is None else value.encode("ascii", "backslashreplace")[:64].decode()


class Pseudonymiser:
    """Replaces the personal values in a request's variables by their HMAC."""

    def __init__(self, schema: GraphQLSchema, personal_inputs: frozenset[str], key: bytes):
        self.schema, self.personal_inputs, self.key = schema, personal_inputs, key
        self._document_hashes = functools.lru_cache(maxsize=DOCUMENTS_REMEMBERED)(self._hmac)
        # Per document and operation: its personal variables, and each variable's type.
        self._positions: dict[tuple, tuple[frozenset[str], dict]] = {}

    def digest(self, value: Any) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        return "hmac-sha256:" + hmac.new(self.key, text.encode("utf-8", "surrogatepass"),
                                         hashlib.sha256).hexdigest()

    def document_hash(self, query: str | None) -> str | None:
        """The document's HMAC: equal documents match, but a value written into one (an ID
        number inline) cannot be found by trying candidates without the key. Those of short
        documents, which agencies send over and over, are kept."""
        if not query:
            return None
        if len(query) > HASHED_MAX_CHARS:
            return self._hmac(query)
        return self._document_hashes(query)

    def _hmac(self, query: str) -> str:
        return hmac.new(self.key, query.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    def variables(self, query_hash: str, document: DocumentNode | None,
                  operation: OperationDefinitionNode | None, variables: dict | None) -> dict:
        if not variables:
            return {}
        if document is None or operation is None:  # unparsed: nothing tells what they are
            return {name: self.digest(value) for name, value in variables.items()}
        key = (query_hash, operation.name.value if operation.name else None)
        known = self._positions.get(key)
        if known is None:
            if len(self._positions) >= DOCUMENTS_REMEMBERED:
                self._positions.clear()
            known = self._positions[key] = (
                self._personal_variables(document),
                {d.variable.name.value: type_from_ast(self.schema, d.type)
                 for d in operation.variable_definitions or ()})
        personal_positions, types = known
        out = {}
        for name, value in variables.items():
            if name in personal_positions or name not in types:
                out[name] = self.digest(value)
            else:
                out[name] = self._walk(value, types[name])
        return out

    def _walk(self, value: Any, type_) -> Any:
        while isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return [self._walk(v, type_.of_type) for v in value] if isinstance(value, list) \
                else self._walk(value, type_.of_type)
        if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
            out = {}
            for key, item in value.items():
                field = type_.fields.get(key)
                if field is None or f"{type_.name}.{key}" in self.personal_inputs:
                    out[key] = self.digest(item)
                else:
                    out[key] = self._walk(item, field.type)
            return out
        return value

    def _personal_variables(self, document: DocumentNode) -> frozenset[str]:
        """Variables the document passes to a personal argument or input field, or anywhere
        inside one (``birthAdminUnit: {code: $c}``)."""
        type_info = TypeInfo(self.schema)
        personal = self.personal_inputs
        found: set[str] = set()
        inside: list[bool] = []  # per enclosing argument / object field: personal?

        def coordinate(node, ancestors) -> str | None:
            if node.kind == "object_field":
                input_type = type_info.get_parent_input_type()
                while isinstance(input_type, GraphQLNonNull | GraphQLList):
                    input_type = input_type.of_type
                return f"{input_type.name}.{node.name.value}" if input_type else None
            parent_type = type_info.get_parent_type()
            field_node = next((a for a in reversed(ancestors)
                               if getattr(a, "kind", None) == "field"), None)
            if parent_type is None or field_node is None:
                return None
            return f"{parent_type.name}.{field_node.name.value}.{node.name.value}"

        class Finder(Visitor):
            def enter_argument(self, node, key, parent, path, ancestors):
                inside.append(bool(inside and inside[-1])
                              or coordinate(node, ancestors) in personal)

            def leave_argument(self, *_):
                inside.pop()

            enter_object_field = enter_argument
            leave_object_field = leave_argument

            def enter_variable(self, node, key, parent, path, ancestors):
                if inside and inside[-1]:
                    found.add(node.name.value)

        visit(document, TypeInfoVisitor(type_info, Finder()))
        return frozenset(found)


# --- writing --------------------------------------------------------------------------

@dataclass(eq=False)
class _Queued:
    row: dict
    queued_at: float  # time.monotonic()
    written: asyncio.Future | None = None  # an answer waiting for its entry
    done: bool = False


class AccessLog:
    """One process's writer: entries are queued and written in batches by one task."""

    def __init__(self, url: str, pseudonymiser_factory):
        self.url = url
        self.pseudonymiser_factory = pseudonymiser_factory
        self.pseudonymiser: Pseudonymiser | None = None
        self._pending: list[_Queued] = []
        self._in_flight: list[_Queued] = []
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()  # an answer waits: write without gathering more
        self._closing_at: float | None = None
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection | None = None
        self._failing_since: datetime.datetime | None = None
        self._last_written_at: datetime.datetime | None = None
        self._not_queued: tuple[int, str, str] | None = None  # count, first and last time

    async def open(self) -> None:
        await self._connect()
        cursor = await self._conn.execute("select audit_hash_key from api.installation")
        self.pseudonymiser = self.pseudonymiser_factory(bytes((await cursor.fetchone())[0]))
        self._task = asyncio.create_task(self._run(), name="kho access log")

    async def _connect(self) -> None:
        self._conn = await psycopg.AsyncConnection.connect(
            db.libpq_url(self.url), autocommit=True, application_name="kho-api-audit",
            connect_timeout=CONNECT_TIMEOUT_SECONDS)
        # A write that hangs (a lock, a full disk) fails, and counts as failing, in time.
        await self._conn.execute(f"set statement_timeout = {WRITE_TIMEOUT_SECONDS * 1000}")

    async def close(self) -> None:
        self._closing_at = time.monotonic()
        self._wake.set()
        self._urgent.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()

    @property
    def _running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def healthy(self) -> bool:
        """Entries are being written: the last write succeeded and the writer runs."""
        return self._failing_since is None and self._closing_at is None and self._running

    @property
    def full(self) -> bool:
        """So far behind that no more entries are queued: the gate refuses every request."""
        return len(self._pending) + len(self._in_flight) >= MAX_PENDING

    def state(self) -> dict:
        """The writer's state as ``/healthz`` reports it; ``behind`` when it stopped, an
        entry has waited more than ``BEHIND_SECONDS`` or more than ``BEHIND_QUEUED`` wait."""
        queued = len(self._pending) + len(self._in_flight)
        oldest = (self._in_flight or self._pending or [None])[0]
        waited = 0.0 if oldest is None else time.monotonic() - oldest.queued_at
        return {
            "state": ("stopped" if not self._running
                      else "failing" if self._failing_since else "writing"),
            "queued": queued,
            "oldest_queued_seconds": round(waited, 3),
            "last_written_at": _iso(self._last_written_at),
            "failing_since": _iso(self._failing_since),
            "not_queued": self._not_queued[0] if self._not_queued else 0,
            "behind": (not self._running or waited > BEHIND_SECONDS
                       or queued > BEHIND_QUEUED),
        }

    def record(self, row: dict) -> None:
        """Queue an entry; the writer takes it within ``LINGER_SECONDS``."""
        if self._closing_at is not None or not self._running:
            log.error("access log entry after the writer stopped: %s", _line(row))
            return
        if self.full:
            # Never drop an entry queued: the gate refuses requests meanwhile, and what it
            # and the requests already admitted log is counted (and kept in this log).
            log.error("the access log is %d entries behind; entry not queued: %s",
                      MAX_PENDING, _line(row))
            count, first, _ = self._not_queued or (0, row["logged_at"], None)
            self._not_queued = count + 1, first, row["logged_at"]
            return
        self._pending.append(_Queued(row, time.monotonic()))
        self._wake.set()

    async def record_durably(self, row: dict) -> bool:
        """Queue the entry of an answer that releases personal data and wait until it is
        written: True once it is. False when it cannot be (the writer fails, or stopped):
        the entry is then logged as withheld, and so must the answer be."""
        if not self.healthy or self.full:
            self.record(withheld(row))
            return False
        written = asyncio.get_running_loop().create_future()
        self._pending.append(_Queued(row, time.monotonic(), written))
        self._wake.set()
        self._urgent.set()
        return await written

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._closing_at is not None:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._urgent.is_set() and len(self._pending) < MAX_BATCH:
                # An entry nobody waits for: gathering a moment's worth makes one statement
                # (and one commit) of many under load.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), LINGER_SECONDS)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            if self._closing_at is None and not any(q.written for q in self._pending):
                self._urgent.clear()
            self._in_flight = batch
            try:
                await self._write(batch)
            except Exception:  # the writer must outlive any failure
                self._in_flight = []
                log.exception("could not write %d access log entries",
                              sum(not q.done for q in batch))
                self._failed(batch)
                if (self._closing_at is not None
                        and time.monotonic() - self._closing_at > CLOSING_GRACE_SECONDS):
                    self._spill()
                    return
                await self._reconnect()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._in_flight = []
            self._failing_since = None
            if self._not_queued is not None and not self.full:
                self._pending.append(_Queued(self._not_queued_entry(), time.monotonic()))
                self._not_queued = None

    def _failed(self, batch: list[_Queued]) -> None:
        """The unwritten entries go back to the head of the queue; an answer waiting for
        one is told it cannot go out, and its entry says so."""
        if self._failing_since is None:
            self._failing_since = datetime.datetime.now(datetime.UTC)
        unwritten = [q for q in batch if not q.done]
        for queued in unwritten:
            if queued.written is not None:
                if not queued.written.done():
                    queued.written.set_result(False)
                queued.row, queued.written = withheld(queued.row), None
        self._pending[:0] = unwritten

    def _spill(self) -> None:
        """Shutting down and the warehouse still refuses: what is left goes to the
        process's log (JSON lines to the service manager), not nowhere."""
        for queued in self._pending:
            log.error("access log entry not written before the process stopped: %s",
                      _line(queued.row))
        self._pending = []

    def _not_queued_entry(self) -> dict:
        count, first, last = self._not_queued
        return entry(Caller(), "failed", operation_type="access log overflow",
                     variables={"entries": count, "first_logged_at": first,
                                "last_logged_at": last},
                     error_codes=[ENTRIES_NOT_QUEUED])

    async def _reconnect(self) -> None:
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                await self._connect()
        except psycopg.Error:
            log.warning("the access log's connection is down; retrying")

    async def _write(self, batch: list[_Queued]) -> None:
        """Write the entries. One that PostgreSQL refuses (or that cannot be serialised)
        must not hold up the others: the batch is halved until it stands alone, and is
        written as its placeholder. Raises when the fault is not an entry's: the
        connection is down, or even a placeholder is refused."""
        try:
            await self._insert([queued.row for queued in batch])
        except (psycopg.Error, orjson.JSONEncodeError) as err:
            if isinstance(err, psycopg.OperationalError) or self._conn.broken:
                raise
            if len(batch) > 1:
                middle = len(batch) // 2
                await self._write(batch[:middle])
                await self._write(batch[middle:])
                return
            log.error("access log entry refused (%s); writing its placeholder", err)
            await self._insert([placeholder(batch[0].row)])
        self._last_written_at = datetime.datetime.now(datetime.UTC)
        for queued in batch:
            queued.done = True
            if queued.written is not None and not queued.written.done():
                queued.written.set_result(True)

    async def _insert(self, rows: list[dict]) -> None:
        entries = ",".join(orjson.dumps(row).decode() for row in rows)
        await self._conn.execute(INSERT, [f"[{entries}]"])


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=True, default=str)


def outcome_of(result) -> tuple[str, list[str]]:
    if result is None:
        return "failed", [INTERNAL_SERVER_ERROR]
    codes = [code_of(error) for error in result.errors or ()]
    if not codes:
        return "ok", []
    return ("partial" if result.data else "failed"), codes


async def log_operation(context, query: str | None, operation_type: str | None,
                        operation_name: str | None, document: DocumentNode | None,
                        variables: dict | None, result, started: float) -> None:
    """Write an operation's entry once it is answered (``context`` the request's
    ``Context``, ``started`` its ``time.perf_counter()``). An answer that released personal
    data waits for its entry; when it cannot be written, ``result`` is changed in place to
    withhold the data."""
    access_log: AccessLog | None = getattr(context, "access_log", None)
    if access_log is None:
        return
    context.logged = True
    pseudonymiser = access_log.pseudonymiser
    query_hash = pseudonymiser.document_hash(query)
    definition = None
    if document is not None:
        definition = next((d for d in document.definitions
                           if isinstance(d, OperationDefinitionNode)
                           and (operation_name is None
                                or (d.name and d.name.value == operation_name))), None)
    outcome, codes = outcome_of(result)
    access = context.access
    row = entry(context.caller, outcome, operation_type=operation_type,
                operation_name=operation_name, query_hash=query_hash,
                variables=pseudonymiser.variables(query_hash, document, definition, variables),
                error_codes=codes, duration_ms=(time.perf_counter() - started) * 1000,
                person_ids=access.released_persons)
    if not access.released_personal:
        access_log.record(row)
    elif not await access_log.record_durably(row):
        # No personal data leaves before its entry is written. The result is already on
        # its way out: change it in place.
        result.data = None
        result.errors = [CodedError(
            "the access log cannot record requests at the moment, so personal data is "
            "withheld; try again shortly", SERVICE_UNAVAILABLE)]


class AccessLogging(SchemaExtension):
    """Writes each operation's entry once it is answered (the HTTP layer logs what it
    refuses before that, and what strawberry refuses without running an operation)."""

    async def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            operation = ctx.operation_type.value
        except Exception:  # not parsed, or no such operation
            operation = None
        await log_operation(ctx.context, ctx.query, operation, ctx.operation_name,
                            ctx.graphql_document, ctx.variables, ctx.result, started)
