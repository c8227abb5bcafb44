"""The ASGI application: ``/graphql`` (POST, and GraphiQL on GET), ``/healthz``, the UI at ``/``."""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from graphql_api.context import Context
from graphql_api.database import Database
from graphql_api.errors import with_code
from graphql_api.schema import schema
from kho.settings import load_settings

STATIC_DIR = Path(__file__).with_name("static")
CDN_PREFIX = "https://unpkg.com/"


class KhoGraphQL(GraphQL):
    def __init__(self, database: Database):
        super().__init__(schema, graphql_ide="graphiql")
        self.database = database
        # strawberry's GraphiQL page, with its scripts served from kho instead of a CDN.
        self.graphiql_html = self.graphql_ide_html.replace(CDN_PREFIX, "/static/vendor/")

    async def get_context(self, request, response) -> Context:
        return Context.for_request(self.database)

    async def process_result(self, request, result):
        if result.errors:
            result.errors = [with_code(error) for error in result.errors]
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request) -> HTMLResponse:
        return HTMLResponse(self.graphiql_html)


def create_app(warehouse_url: str | None = None) -> Starlette:
    """Build the app; the warehouse URL defaults to kho's settings (embedded or configured)."""
    settings = load_settings()
    if warehouse_url is None:
        from kho.warehouse import server_url

        warehouse_url = server_url(settings)
    database = Database(warehouse_url, statement_timeout_ms=settings.api_statement_timeout_ms)
    graphql = KhoGraphQL(database)

    async def healthz(request: Request) -> Response:
        try:
            await database.ping()
        except Exception as err:  # the body says why the probe fails
            return JSONResponse({"status": "unavailable", "database": str(err)}, status_code=503)
        return JSONResponse({"status": "ok"})

    index_html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(index_html)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await database.open()
        try:
            yield
        finally:
            await database.close()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
    )
