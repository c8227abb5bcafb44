"""The GraphQL endpoint: strawberry's ASGI view with kho's per-request context, every error
coded, GraphiQL served from kho; behind the gate, and accounted for in the access log even
when strawberry refuses a request before any operation runs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL

from graphql_api.access.gate import Gate
from graphql_api.access.log_writer import AccessLog
from graphql_api.core.context import Context
from graphql_api.core.database import Database
from graphql_api.core.errors import with_code
from graphql_api.loaders import Loaders
from graphql_api.schema import schema

CDN_PREFIX = "https://unpkg.com/"


class KhoGraphQL(GraphQL):
    def __init__(self, database: Database, access_log: AccessLog | None):
        # Queries only by POST: a GET's variables would land in every proxy's access log.
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.database = database
        self.access_log = access_log
        # strawberry's GraphiQL page, with its scripts served from kho instead of a CDN.
        self.graphiql_html = self.graphql_ide_html.replace(CDN_PREFIX, "/static/vendor/")

    async def get_context(self, request, response) -> Context:
        context = Context.for_request(self.database, request.state.caller, Loaders)
        context.access_log = self.access_log
        context.request_state = request.state
        return context

    async def process_result(self, request, result):
        if result.errors:
            result.errors = [with_code(error) for error in result.errors]
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request) -> HTMLResponse:
        return HTMLResponse(self.graphiql_html)


class GatedGraphQL:
    """The GraphQL endpoint behind the gate (an ASGI app, as strawberry's view is)."""

    def __init__(self, gate: Gate, graphql: KhoGraphQL):
        self.gate, self.graphql = gate, graphql

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        admitted = await self.gate.admit(request, "graphql")
        if isinstance(admitted, Response):
            await admitted(scope, receive, send)
            return
        request.state.caller = admitted
        status = []

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.graphql(scope, receive, sending)
        if not getattr(request.state, "logged", False) and request.method == "POST":
            # Refused by strawberry before any operation ran (a body that is not JSON, no
            # query): still a request to account for.
            self.gate.record(admitted, "graphql", "failed",
                             f"HTTP_{status[0] if status else 'NONE'}")
