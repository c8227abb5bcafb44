"""The GraphQL endpoint: behind the gate, a POST's request read within the limits at the edge
(``core/http.py``), executed by the schema with kho's per-request context, every error coded,
answered in the media type the caller accepts; GraphiQL (``graphiql.py``) on a browser's
GET. A purpose may come in the body's ``extensions.purpose`` when no ``X-Purpose`` header
declared one (the header wins). Every request is accounted for in the access log, the ones
refused before any operation ran included."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from graphql_api.access.caller import PURPOSE_EXTENSION, Caller, PurposeError, declared_purpose
from graphql_api.access.gate import RETRY_AFTER_SECONDS, Gate, refusal
from graphql_api.access.log_writer import AccessLog
from graphql_api.compiler.executor import answer_directly, response_body
from graphql_api.core import http, metrics
from graphql_api.core.context import Context
from graphql_api.core.database import Database
from graphql_api.core.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    INTERNAL_MESSAGE,
    INTERNAL_SERVER_ERROR,
    code_of,
    in_document_order,
    with_code,
)
from graphql_api.graphiql import GraphiQL, wants_graphiql
from graphql_api.loaders import Loaders
from graphql_api.schema import schema

log = logging.getLogger(__name__)


class GatedGraphQL:
    """The GraphQL endpoint behind the gate (an ASGI app). Queries only by POST: a GET's
    variables would land in every proxy's access log (a browser's GET opens GraphiQL, the
    query filled in, and nothing runs until it is sent by POST)."""

    def __init__(self, gate: Gate, database: Database, access_log: AccessLog | None,
                 compiler: bool = True):
        self.gate, self.database, self.access_log = gate, database, access_log
        self.compiler = compiler
        self.graphiql = GraphiQL()

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        media_type = http.response_media_type(", ".join(request.headers.getlist("accept")))
        admitted = await self.gate.admit(request, "graphql", media_type)
        if isinstance(admitted, Response):
            await admitted(scope, receive, send)
            return
        if wants_graphiql(request):
            await self.graphiql.response()(scope, receive, send)
            return
        try:
            response = await self.answer(request, admitted, media_type)
        except Exception:  # whatever failed, the answer is coded and the request logged
            log.exception("the GraphQL endpoint failed")
            self._record_failure(request, admitted, INTERNAL_SERVER_ERROR)
            response = refusal(INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR, 500,
                               media_type=media_type)
        await response(scope, receive, send)

    async def answer(self, request: Request, caller: Caller, media_type: str) -> Response:
        try:
            if request.method != "POST":
                raise http.Refused("send GraphQL requests by POST (GraphiQL answers a "
                                   "browser's GET)", BAD_REQUEST, 405, {"Allow": "POST"})
            graphql_request = await http.read_request(request)
            if caller.purpose is None and graphql_request.extensions:
                try:
                    caller.purpose = declared_purpose(
                        graphql_request.extensions.get(PURPOSE_EXTENSION))
                except PurposeError as err:
                    raise http.Refused(str(err), BAD_USER_INPUT, 400) from None
        except http.Refused as refused:
            self._record_failure(request, caller, refused.code)
            return refusal(refused.message, refused.code, refused.status, refused.headers,
                           media_type, refused.extensions)
        except ClientDisconnect:
            self._record_failure(request, caller, BAD_REQUEST)
            return Response(status_code=400)
        context = Context.for_request(self.database, caller, Loaders)
        context.access_log = self.access_log
        context.request_state = request.state
        context.compiler = self.compiler
        context.operation_name_sent = graphql_request.operation_name
        try:
            # A document this caller class had answered by its compiled plan goes straight
            # to it; anything else (and whatever the plan gives way on) through strawberry.
            result = await answer_directly(
                schema, graphql_request.query, graphql_request.operation_name,
                graphql_request.variables, context) if self.compiler else None
            prepared = result is not None
            if result is None:
                result = await schema.execute(
                    graphql_request.query, variable_values=graphql_request.variables,
                    context_value=context, operation_name=graphql_request.operation_name,
                    operation_extensions=graphql_request.extensions)
        except (CannotGetOperationTypeError, InvalidOperationTypeError) as err:
            # The document names no operation to run (or several, and operationName none).
            message = err.as_http_error_reason() if isinstance(
                err, CannotGetOperationTypeError) else err.as_http_error_reason("POST")
            self._record_failure(request, caller, BAD_REQUEST)
            return refusal(message, BAD_REQUEST, 400, media_type=media_type)
        if context.executor is not None:
            metrics.EXECUTOR.labels(context.executor["name"], "yes" if prepared else "no").inc()
        errors: list[GraphQLError] = list(result.errors or ())
        if errors:
            errors = in_document_order(errors, result.data)
            result.errors = [with_code(error) for error in errors]
        status = http.answer_status(media_type, result.data, errors)
        payload = http.shape(process_result(result), media_type, errors)
        if errors:  # when the operation could not write its own entry
            self._record_failure(request, caller, code_of(errors[0]))
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
        return Response(response_body(payload), status_code=status,
                        media_type=media_type, headers=headers)

    def _record_failure(self, request: Request, caller: Caller, code: str) -> None:
        """The entry of a request no operation wrote one for."""
        if not getattr(request.state, "logged", False):
            request.state.logged = True
            self.gate.record(caller, "graphql", "failed", code)
