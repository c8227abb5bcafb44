"""The access log (``api.access_log``): one entry per request, append-only and hash-chained.

Each API process writes its entries through one connection of its own, in batches (COPY):
an entry joins the next batch, so writing costs a request almost nothing. An answer that
releases personal data waits until its entry is committed, and when the entry cannot be
written the answer is withheld: no personal data leaves without a trace. The database
numbers, times and chains the entries (a trigger under a lock on the head row), so the
workers and replicas of one warehouse make one chain; ``verify`` re-checks it from the
rows alone.

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
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.types.json
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

from graphql_api.errors import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, CodedError, code_of
from kho import db

log = logging.getLogger(__name__)

COLUMNS = ("logged_at", "client_id", "client_name", "key_id", "remote_addr", "operation_type",
           "operation_name", "query_sha256", "variables", "purpose", "outcome", "error_codes",
           "duration_ms", "person_ids")
COPY = f"copy api.access_log ({', '.join(COLUMNS)}) from stdin"
MAX_BATCH = 1_000
RETRY_SECONDS = 1.0
GENESIS = "0" * 64
DOCUMENTS_REMEMBERED = 1_000  # which variables of a document are personal, per document


# --- entries --------------------------------------------------------------------------

def entry(caller, outcome: str, *, operation_type: str | None = None,
          operation_name: str | None = None, query_sha256: str | None = None,
          variables: dict | None = None, error_codes: list[str] | None = None,
          duration_ms: float | None = None, person_ids=(),
          logged_at: datetime.datetime | None = None, key_id: str | None = None) -> tuple:
    return (logged_at or datetime.datetime.now(datetime.UTC), caller.client_id if caller else None,
            caller.client_name if caller else None, key_id or (caller.key_id if caller else None),
            caller.remote_addr if caller else None, operation_type, operation_name,
            query_sha256, None if variables is None else psycopg.types.json.Jsonb(variables),
            caller.purpose if caller else None, outcome, sorted(set(error_codes or ())),
            None if duration_ms is None else round(duration_ms, 3), sorted(person_ids))


class Pseudonymiser:
    """Replaces the personal values in a request's variables by their HMAC."""

    def __init__(self, schema: GraphQLSchema, personal_inputs: frozenset[str], key: bytes):
        self.schema, self.personal_inputs, self.key = schema, personal_inputs, key
        self._positions: dict[str, frozenset[str]] = {}

    def digest(self, value: Any) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        return "hmac-sha256:" + hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def variables(self, query_sha256: str, document: DocumentNode | None,
                  operation: OperationDefinitionNode | None, variables: dict | None) -> dict:
        if not variables:
            return {}
        if document is None or operation is None:  # unparsed: nothing tells what they are
            return {name: self.digest(value) for name, value in variables.items()}
        personal_positions = self._positions.get(query_sha256)
        if personal_positions is None:
            if len(self._positions) >= DOCUMENTS_REMEMBERED:
                self._positions.clear()
            personal_positions = self._positions[query_sha256] = self._personal_variables(
                document)
        out = {}
        types = {d.variable.name.value: type_from_ast(self.schema, d.type)
                 for d in operation.variable_definitions or ()}
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
        """Variables the document passes to a personal argument or input field."""
        type_info = TypeInfo(self.schema)
        personal = self.personal_inputs
        found: set[str] = set()

        class Finder(Visitor):
            def enter_variable(self, node, key, parent, path, ancestors):
                coordinate = None
                argument = type_info.get_argument()
                if parent is not None and getattr(parent, "kind", None) == "object_field":
                    input_type = type_info.get_parent_input_type()
                    while isinstance(input_type, GraphQLNonNull | GraphQLList):
                        input_type = input_type.of_type
                    if input_type is not None:
                        coordinate = f"{input_type.name}.{parent.name.value}"
                elif argument is not None:
                    field_def, parent_type = type_info.get_field_def(), \
                        type_info.get_parent_type()
                    field_node = next((a for a in reversed(ancestors)
                                       if getattr(a, "kind", None) == "field"), None)
                    if field_def is not None and parent_type is not None and field_node:
                        coordinate = (f"{parent_type.name}.{field_node.name.value}."
                                      f"{parent.name.value}")
                if coordinate in personal:
                    found.add(node.name.value)

        visit(document, TypeInfoVisitor(type_info, Finder()))
        return frozenset(found)


def query_digest(query: str | None) -> str | None:
    return hashlib.sha256(query.encode()).hexdigest() if query else None


# --- writing --------------------------------------------------------------------------

class AccessLog:
    """One process's writer: entries are queued and written in batches by one task."""

    def __init__(self, url: str, pseudonymiser_factory):
        self.url = url
        self.pseudonymiser_factory = pseudonymiser_factory
        self.pseudonymiser: Pseudonymiser | None = None
        self._pending: list[tuple[tuple, asyncio.Future | None]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection | None = None

    async def open(self) -> None:
        self._conn = await psycopg.AsyncConnection.connect(
            db.libpq_url(self.url), autocommit=True, application_name="kho-api-audit")
        cursor = await self._conn.execute("select audit_hash_key from api.installation")
        self.pseudonymiser = self.pseudonymiser_factory(bytes((await cursor.fetchone())[0]))
        self._task = asyncio.create_task(self._run(), name="kho access log")

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()

    def record(self, row: tuple, durable: bool = False) -> asyncio.Future | None:
        """Queue an entry; with ``durable``, a future that is done once it is committed."""
        future = asyncio.get_running_loop().create_future() if durable else None
        self._pending.append((row, future))
        self._wake.set()
        return future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write([row for row, _ in batch])
                except Exception as err:
                    log.exception("could not write %d access log entries", len(batch))
                    await self._fail(batch, err)
                    if self._closing:
                        return
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                for _, future in batch:
                    if future is not None and not future.done():
                        future.set_result(None)
            if self._closing:
                return

    async def _fail(self, batch, err: Exception) -> None:
        # A waiting answer is withheld now; the entries themselves are kept and retried.
        for _, future in batch:
            if future is not None and not future.done():
                future.set_exception(err)
        self._pending[:0] = [(row, None) for row, _ in batch]
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = await psycopg.AsyncConnection.connect(
                    db.libpq_url(self.url), autocommit=True, application_name="kho-api-audit")
        except psycopg.Error:
            log.warning("the access log's connection is down; retrying")

    async def _write(self, rows: list[tuple]) -> None:
        async with self._conn.cursor() as cursor, cursor.copy(COPY) as copy:
            for row in rows:
                await copy.write_row(row)


def outcome_of(result) -> tuple[str, list[str]]:
    if result is None:
        return "failed", [INTERNAL_SERVER_ERROR]
    codes = [code_of(error) for error in result.errors or ()]
    if not codes:
        return "ok", []
    return ("partial" if result.data else "failed"), codes


class AccessLogging(SchemaExtension):
    """Writes each operation's entry once it is answered (the HTTP layer logs what it
    refuses before that: unknown keys, rate limits)."""

    async def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        context = ctx.context
        access_log: AccessLog | None = getattr(context, "access_log", None)
        if access_log is None:
            return
        query_sha256 = query_digest(ctx.query)
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
        released = context.access.released_persons
        row = entry(context.caller, outcome, operation_type=operation,
                    operation_name=ctx.operation_name, query_sha256=query_sha256,
                    variables=access_log.pseudonymiser.variables(
                        query_sha256, document, definition, ctx.variables),
                    error_codes=codes, duration_ms=(time.perf_counter() - started) * 1000,
                    person_ids=released)
        written = access_log.record(row, durable=bool(released))
        if written is None:
            return
        try:
            await written
        except Exception:
            # The result is already on its way out of strawberry: change it in place.
            ctx.result.data = None
            ctx.result.errors = [CodedError(
                "the access log could not record this request, so its personal data is "
                "withheld; try again", SERVICE_UNAVAILABLE)]


# --- verifying ------------------------------------------------------------------------

# The texts the digest is taken over, rendered by PostgreSQL exactly as the trigger sees them.
VERIFY_ROWS = """
select entry_id, concat_ws(chr(31),
        entry_id::text,
        to_char(logged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(client_id::text, ''), coalesce(client_name, ''), coalesce(key_id, ''),
        coalesce(remote_addr, ''), coalesce(operation_type, ''),
        coalesce(operation_name, ''), coalesce(query_sha256, ''),
        coalesce(variables::text, ''), coalesce(purpose, ''), outcome,
        array_to_string(error_codes, ','), coalesce(duration_ms::text, ''),
        array_to_string(person_ids, ',')) as body, previous_hash, entry_hash
from api.access_log order by entry_id
"""


@dataclass(frozen=True)
class Verification:
    entries: int
    head_entry_id: int
    head_hash: str
    broken_entry_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_entry_id is None


def verify(url: str) -> Verification:
    """Walk the chain from the first entry; the first entry that breaks it, and why."""
    with db.connect(url) as conn:
        head_id, head_hash = conn.execute(
            "select entry_id, entry_hash from api.access_log_head").fetchone()
        expected_id, previous, count = 1, GENESIS, 0
        with conn.cursor(name="kho_audit_verify") as cursor:
            cursor.itersize = 10_000
            cursor.execute(VERIFY_ROWS)
            for entry_id, body, previous_hash, entry_hash in cursor:
                count += 1
                broken = _check(entry_id, body, previous_hash, entry_hash, expected_id,
                                previous)
                if broken is not None:
                    return Verification(count, head_id, head_hash, *broken)
                expected_id, previous = entry_id + 1, entry_hash
        if expected_id - 1 != head_id or previous != head_hash:
            return Verification(count, head_id, head_hash, expected_id,
                                f"the log ends at entry {expected_id - 1} but its head "
                                f"records entry {head_id}: entries were deleted from the end")
    return Verification(count, head_id, head_hash)


def _check(entry_id: int, body: str, previous_hash: str, entry_hash: str, expected_id: int,
           previous: str) -> tuple[int, str] | None:
    if entry_id != expected_id:
        return expected_id, (f"entry {expected_id} is missing (the next one is {entry_id}): "
                             f"deleted")
    if previous_hash != previous:
        return entry_id, (f"entry {entry_id} does not chain to entry {entry_id - 1}: an "
                          f"entry before it was deleted or rewritten")
    digest = hashlib.sha256(f"{body}\x1f{previous_hash}".encode()).hexdigest()
    if digest != entry_hash:
        return entry_id, f"entry {entry_id} does not match its hash: it was altered"
    return None
