"""The compiled executor: a schema extension that, once a query is parsed, validated and
within its limits, answers it with its plan's one statement instead of the resolvers.

The answer's ``data`` is the statement's JSON text, passed through (``CompiledData``); the
refusals the plan allows for are found by walking it (``refusals``), with the request's own
``Access``, so their wording, paths and order are the resolvers'. The persons the
statement released go to the request's ``Access``, which the access log writes as for any
answer. A document the compiler does not cover, or a request the resolvers must answer
(their own checks refuse it, or the statement says ``ok`` is false), runs through the
resolvers; ``extensions.executor`` says which answered and, for the resolvers, why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import psycopg
from graphql import ExecutionResult, GraphQLError, located_error
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult as StrawberryResult

from graphql_api.access.field_rules import REFUSE, Access
from graphql_api.access.grants import DATASETS
from graphql_api.access.log_writer import log_operation
from graphql_api.compiler import render
from graphql_api.compiler.json_text import dumps
from graphql_api.compiler.plan import (
    PLANS,
    THROUGH_DYNAMIC,
    THROUGH_KEY,
    NotCompiled,
    Plan,
    Selected,
)
from graphql_api.core import limits
from graphql_api.core.errors import CodedError

log = logging.getLogger(__name__)
THROUGH_MARK = f'"{THROUGH_KEY}":'  # as the statement writes it
COMPILED, RESOLVERS = "compiled", "resolvers"


class CompiledData:
    """A response's ``data`` as JSON bytes, as ``json_text`` writes it."""

    __slots__ = ("text",)

    def __init__(self, text: bytes):
        self.text = text


def response_body(payload: dict) -> bytes:
    """The response as UTF-8 JSON (``json_text.dumps``), with compiled ``data`` spliced in
    as PostgreSQL wrote it."""
    data = payload.get("data")
    if not isinstance(data, CompiledData):
        return dumps(payload)
    rest = {key: value for key, value in payload.items() if key != "data"}
    tail = dumps(rest)[1:] if rest else b"}"
    return b'{"data":' + data.text + (b"," + tail if rest else tail)


class CompiledQueries(SchemaExtension):
    """Runs after the limits (``QueryLimits``): a refused request never reaches it."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        request = context.context
        if context.result is None and getattr(request, "compiler", False):
            try:
                plan = PLANS.get(context.schema._schema, context.query,
                                 context.graphql_document, context.operation_name,
                                 request.caller)
            except NotCompiled as err:
                request.executor = {"name": RESOLVERS, "reason": str(err)}
            else:
                result = await tried(plan, context.schema, context.variables, request)
                if result is not None:
                    context.result = result
                    PLANS.prove(context.query, request.operation_name_sent, request.caller,
                                plan)
        yield

    def get_results(self) -> dict[str, Any]:
        executor = getattr(self.execution_context.context, "executor", None)
        return {"executor": executor} if executor else {}


async def answer_directly(schema, query: str, operation_name: str | None,
                          variables: dict | None, request) -> StrawberryResult | None:
    """The answer of a request whose document this caller class had answered by its plan
    before (so it parsed, validated and compiled), without strawberry's execution: the
    limits for these variables, the plan's statement, the access-log entry and the response's
    extensions, as the extensions would make them. None when strawberry must answer: a new
    document, the limits or the variables refused, or the plan gave way to the resolvers
    (then ``request`` says why, and strawberry does not try the plan again)."""
    plan = PLANS.proven(query, operation_name, request.caller)
    if plan is None:
        return None
    started = time.perf_counter()
    graphql_schema = schema._schema
    analysis = limits.ANALYSES.get(graphql_schema, query, plan.document, operation_name,
                                   variables or {})
    if limits.refusal(analysis) is not None:
        return None
    request.cost = limits.estimate(analysis)
    result = await tried(plan, schema, variables, request)
    if result is None:
        request.compiler = False  # strawberry's resolvers answer, without the plan again
        return None
    # Logged under the operation's name, sent or not, as strawberry's path logs it.
    named = operation_name or (plan.operation.name.value if plan.operation.name else None)
    await log_operation(request, query, "query", named, plan.document, variables, result,
                        started)
    return StrawberryResult(data=result.data, errors=result.errors, extensions={
        **limits.results(request), "executor": request.executor})


async def tried(plan: Plan, schema, variables: dict | None, request
                ) -> ExecutionResult | None:
    """The plan's answer, or None when the resolvers must answer; ``request.executor`` says
    which, and why."""
    try:
        result = await answer(plan, schema, variables, request)
    except NotCompiled as err:
        request.executor = {"name": RESOLVERS, "reason": str(err)}
        return None
    except Exception:  # a fault of the compiler: the resolvers still answer
        log.exception("the compiled executor failed; the resolvers answer")
        request.executor = {"name": RESOLVERS, "reason": "the compiler failed"}
        return None
    request.executor = {"name": COMPILED}
    return result


async def answer(plan: Plan, schema, variables: dict | None, request) -> ExecutionResult:
    """The plan's answer to a request (its variables as sent): ``NotCompiled`` when the
    resolvers must answer it."""
    graphql_schema = schema._schema
    coerced = get_variable_values(graphql_schema, plan.operation.variable_definitions,
                                  variables or {})
    if isinstance(coerced, list):
        raise NotCompiled("the variables are the resolvers' to refuse")
    try:
        sql, params = render.statement(plan, graphql_schema, schema, coerced, request.today)
    except (CodedError, GraphQLError) as err:
        raise NotCompiled(f"an argument is the resolvers' to refuse: {err.message}"
                          ) from None
    try:
        row = await request.session.fetch_one(sql, params)
    except psycopg.DataError:  # a forged cursor whose values do not cast
        raise NotCompiled("an argument is the resolvers' to refuse") from None
    except CodedError as err:  # past the statement timeout, or no warehouse
        raise NotCompiled(f"the statement was refused ({err.extensions['code']})"
                          ) from None
    if not row["ok"]:
        raise NotCompiled("the answer needs the resolvers (an ID no longer in the marts, "
                          "an unknown admin unit, too many groups)")
    _release(request.access, row["released"])
    text: str = row["data"]
    if not plan.may_refuse or (not plan.refuses_always and THROUGH_MARK not in text):
        # Nothing refused: the text as PostgreSQL wrote it. (The mark cannot occur inside a
        # value, where its quotes would be escaped.)
        return ExecutionResult(data=CompiledData(text.encode()), errors=None)
    data = orjson.loads(text)
    errors: list[GraphQLError] = []
    _walk(plan.roots, data, [], request.access, errors)
    return ExecutionResult(data=CompiledData(dumps(data)), errors=errors or None)


def _release(access: Access, released: str | None) -> None:
    if released is None:
        return
    tokens = [t for t in released.split(",") if t]
    if tokens:
        access.release(t for t in tokens if t != "-")


def _walk(selections: list[Selected], value: Any, path: list, access: Access,
          errors: list[GraphQLError]) -> None:
    """The refusals of an answer, in the order the resolvers meet them: depth first, in the
    document's order; the hidden key of a person whose fields the statement refused goes."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(selections, item, [*path, index], access, errors)
        return
    if not isinstance(value, dict):
        return
    through = value.pop(THROUGH_KEY, None)
    for selected in selections:
        child_path = [*path, selected.key]
        if selected.verdict == REFUSE:
            errors.append(located_error(selected.guard.verdict(access, selected.reached)[1],
                                        selected.nodes, child_path))
            continue
        if selected.verdict == THROUGH_DYNAMIC and through is not None:
            datasets = tuple(d for d in DATASETS if d in through)
            verdict, refusal = selected.guard.verdict(access, datasets)
            if verdict == REFUSE:
                errors.append(located_error(refusal, selected.nodes, child_path))
            continue
        if selected.children:
            _walk(selected.children, value.get(selected.key), child_path, access, errors)
