"""The ASGI application: ``/graphql`` (POST, and GraphiQL on GET), the open-data downloads
at ``/opendata/``, ``/healthz``, the UI at ``/``."""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from graphql_api.access import log_writer
from graphql_api.access.gate import Gate
from graphql_api.access.log_writer import AccessLog
from graphql_api.core.context import Context
from graphql_api.core.database import Database
from graphql_api.core.errors import with_code
from graphql_api.loaders import Loaders
from graphql_api.opendata.downloads import Downloads
from graphql_api.schema import PERSONAL_INPUTS, schema
from kho import warehouse
from kho.settings import load_settings

STATIC_DIR = Path(__file__).with_name("static")
CDN_PREFIX = "https://unpkg.com/"
# Downloads and the pages' files go out gzipped to clients that accept it (parcels as
# GeoJSON shrink six- to ninefold, as CSV about 2.5-fold); GraphQL answers do not, their
# CPU is the API's bottleneck (docs/api.md). Level 6: most of level 9's gain, far faster.
GZIPPED = [Middleware(GZipMiddleware, compresslevel=6, minimum_size=1024)]
INDEX_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


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


def create_app(warehouse_url: str | None = None) -> Starlette:
    """Build the app; the warehouse URL defaults to kho's settings (embedded or configured).
    The API connects as its own role (KHO_API_DATABASE_URL, by default kho_api): it reads
    what is published and appends to the access log, nothing else."""
    settings = load_settings()
    if warehouse_url is None:
        warehouse_url = warehouse.server_url(settings)
    api_url = warehouse.api_database_url(warehouse_url, settings)
    database = Database(api_url, statement_timeout_ms=settings.api_statement_timeout_ms)
    access_log = AccessLog(api_url, lambda key: log_writer.Pseudonymiser(
        schema._schema, PERSONAL_INPUTS, key)) if settings.access_log else None
    graphql = KhoGraphQL(database, access_log)
    gate = Gate(database, settings, access_log)
    downloads = Downloads(database, gate, access_log)

    async def healthz(request: Request) -> Response:
        try:
            await database.ping()
        except Exception as err:  # the body says why the probe fails
            return JSONResponse({"status": "unavailable", "database": str(err)}, status_code=503)
        return JSONResponse({"status": "ok"})

    index_html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        # The planners' pages hold an agency key in the tab's session storage: no script
        # runs but kho's own, and no page may frame them.
        return HTMLResponse(index_html, headers={"Content-Security-Policy": INDEX_POLICY})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await database.open()
        if access_log is not None:
            await access_log.open()
        try:
            yield
        finally:
            if access_log is not None:
                await access_log.close()
            await gate.limiter.close()
            await database.close()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/graphql", GatedGraphQL(gate, graphql), methods=["GET", "POST"]),
            Route("/opendata/{name}.{format}", downloads.download, methods=["GET"],
                  middleware=GZIPPED),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static",
                  middleware=GZIPPED),
        ],
        lifespan=lifespan,
    )

