"""The access log (``api.access_log``): one entry per request, append-only and hash-chained.

Each API process writes its entries through one connection of its own, in batches (one
statement per batch, the entries as one JSON array): an entry is queued when its request is
answered, and the writer gathers what is queued over 50 ms into one statement, so logging
costs a request almost nothing and nobody waits for it. While the log cannot be written
(the warehouse refuses the entries, the connection is down), the queued entries are kept
and retried, and answers that would release personal data are withheld: no personal data
leaves while its trace cannot be kept. What a crash of the process loses is what it had
queued and not yet written: at most the last 50 ms or so. The database numbers, times and
chains the entries (a trigger under a lock on the head row), so the workers and replicas of
one warehouse make one chain; ``log_verification`` re-checks it from the rows alone.

Variables are logged with the values that carry personal data (an ID number searched for,
a name filter) replaced by their HMAC under the installation's key: the log shows that
the same value was asked again, and an officer holding the key can test a value, without
the log itself holding personal data.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
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
LINGER_SECONDS = 0.05  # how long the writer gathers entries before it writes them
MAX_PENDING = 100_000  # entries queued while the warehouse is unreachable
RETRY_SECONDS = 1.0
DOCUMENTS_REMEMBERED = 1_000  # which variables of a document are personal, per document


# --- entries --------------------------------------------------------------------------

def entry(caller, outcome: str, *, operation_type: str | None = None,
          operation_name: str | None = None, query_hash: str | None = None,
          variables: dict | None = None, error_codes: list[str] | None = None,
          duration_ms: float | None = None, person_ids=(), key_id: str | None = None) -> dict:
    """One access-log entry, timed now; NUL characters (which PostgreSQL text cannot hold)
    are dropped from what the caller sent."""
    return {
        "logged_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "client_id": caller.client_id, "client_name": caller.client_name,
        "key_id": _clean(key_id or caller.key_id), "remote_addr": caller.remote_addr,
        "operation_type": operation_type, "operation_name": _clean(operation_name),
        "query_hash": query_hash, "variables": _clean(variables),
        "purpose": _clean(caller.purpose), "outcome": outcome,
        "error_codes": sorted(set(error_codes or ())),
        "duration_ms": None if duration_ms is None else round(duration_ms, 3),
        "person_ids": sorted(person_ids),
    }


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class Pseudonymiser:
    """Replaces the personal values in a request's variables by their HMAC."""

    def __init__(self, schema: GraphQLSchema, personal_inputs: frozenset[str], key: bytes):
        self.schema, self.personal_inputs, self.key = schema, personal_inputs, key
        # Per document and operation: its personal variables, and each variable's type.
        self._positions: dict[tuple, tuple[frozenset[str], dict]] = {}

    def digest(self, value: Any) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        return "hmac-sha256:" + hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def document_hash(self, query: str | None) -> str | None:
        """The document's HMAC: equal documents match, but a value written into one (an ID
        number inline) cannot be found by trying candidates without the key."""
        if not query:
            return None
        return hmac.new(self.key, query.encode(), hashlib.sha256).hexdigest()

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

class AccessLog:
    """One process's writer: entries are queued and written in batches by one task."""

    def __init__(self, url: str, pseudonymiser_factory):
        self.url = url
        self.pseudonymiser_factory = pseudonymiser_factory
        self.pseudonymiser: Pseudonymiser | None = None
        self._pending: list[dict] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection | None = None
        self._failing = False

    async def open(self) -> None:
        await self._connect()
        cursor = await self._conn.execute("select audit_hash_key from api.installation")
        self.pseudonymiser = self.pseudonymiser_factory(bytes((await cursor.fetchone())[0]))
        self._task = asyncio.create_task(self._run(), name="kho access log")

    async def _connect(self) -> None:
        self._conn = await psycopg.AsyncConnection.connect(
            db.libpq_url(self.url), autocommit=True, application_name="kho-api-audit")

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()

    @property
    def healthy(self) -> bool:
        """Entries are being written: the last write succeeded and the writer runs."""
        return (not self._failing and not self._closing and self._task is not None
                and not self._task.done())

    def record(self, row: dict) -> None:
        """Queue an entry; the writer takes it at once."""
        if self._closing or self._task is None or self._task.done():
            log.error("access log entry after the writer stopped: %s", row)
            return
        if len(self._pending) >= MAX_PENDING:
            del self._pending[: len(self._pending) - MAX_PENDING + 1]
            log.error("the access log is %d entries behind: dropped the oldest", MAX_PENDING)
        self._pending.append(row)
        self._wake.set()

    async def _run(self) -> None:
        while not (self._closing and not self._pending):
            await self._wake.wait()
            if not self._closing and len(self._pending) < MAX_BATCH:
                # Nobody waits for an entry: gathering a moment's worth makes one statement
                # (and one commit) of many under load.
                await asyncio.sleep(LINGER_SECONDS)
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write(batch)
                except Exception:  # the writer must outlive any failure
                    log.exception("could not write %d access log entries", len(batch))
                    self._failing = True
                    if self._closing:
                        return
                    # The entries are kept and retried once the warehouse answers again.
                    self._pending[:0] = batch
                    await self._reconnect()
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                self._failing = False

    async def _reconnect(self) -> None:
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                await self._connect()
        except psycopg.Error:
            log.warning("the access log's connection is down; retrying")

    async def _write(self, rows: list[dict]) -> None:
        try:
            await self._conn.execute(INSERT, [orjson.dumps(rows).decode()])
        except psycopg.DataError:
            # One entry PostgreSQL refuses must not hold up the others: write them one by
            # one, and a refused one as a trace of the request without what it sent.
            for row in rows:
                try:
                    await self._conn.execute(INSERT, [orjson.dumps([row]).decode()])
                except psycopg.DataError as err:
                    log.error("access log entry refused (%s); writing it without its "
                              "variables, operation name and purpose", err)
                    bare = {**row, "variables": None, "operation_name": None,
                            "purpose": None, "error_codes": [*row["error_codes"],
                                                             "UNLOGGABLE_INPUT"]}
                    await self._conn.execute(INSERT, [orjson.dumps([bare]).decode()])


def outcome_of(result) -> tuple[str, list[str]]:
    if result is None:
        return "failed", [INTERNAL_SERVER_ERROR]
    codes = [code_of(error) for error in result.errors or ()]
    if not codes:
        return "ok", []
    return ("partial" if result.data else "failed"), codes


class AccessLogging(SchemaExtension):
    """Writes each operation's entry once it is answered (the HTTP layer logs what it
    refuses before that, and what strawberry refuses without running an operation)."""

    async def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        context = ctx.context
        access_log: AccessLog | None = getattr(context, "access_log", None)
        if access_log is None:
            return
        context.logged = True
        pseudonymiser = access_log.pseudonymiser
        query_hash = pseudonymiser.document_hash(ctx.query)
        try:
            operation = ctx.operation_type.value
        except Exception:  # not parsed, or no such operation
            operation = None
        document = ctx.graphql_document
        definition = None
        if document is not None:
            definition = next((d for d in document.definitions
                               if isinstance(d, OperationDefinitionNode)
                               and (ctx.operation_name is None
                                    or (d.name and d.name.value == ctx.operation_name))), None)
        outcome, codes = outcome_of(ctx.result)
        access = context.access
        released = access.released_persons
        if access.released_personal and not access_log.healthy:
            # The result is already on its way out of strawberry: change it in place.
            ctx.result.data = None
            ctx.result.errors = [CodedError(
                "the access log cannot record requests at the moment, so personal data is "
                "withheld; try again shortly", SERVICE_UNAVAILABLE)]
            outcome, codes = outcome_of(ctx.result)
            released = ()
        row = entry(context.caller, outcome, operation_type=operation,
                    operation_name=ctx.operation_name, query_hash=query_hash,
                    variables=pseudonymiser.variables(query_hash, document, definition,
                                                      ctx.variables),
                    error_codes=codes, duration_ms=(time.perf_counter() - started) * 1000,
                    person_ids=released)
        access_log.record(row)
