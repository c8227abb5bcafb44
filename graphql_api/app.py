"""The ASGI application: its parts built once per process and wired to their routes:
``/graphql`` (POST, and GraphiQL on GET), the open-data downloads at ``/opendata/`` (and
there the data dictionary and the DCAT catalogue, ``dictionary/files.py``), an agency's
data-quality issues as CSV at ``/quality/{agency}.csv`` (``quality/downloads.py``),
``/healthz``, ``/readyz`` and ``/metrics`` (``core/metrics.py``), the UI at ``/``;
cross-origin calls from the origins of ``KHO_CORS_ORIGINS`` only."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from graphql_api.access import log_writer
from graphql_api.access.caller import PURPOSE_HEADER
from graphql_api.access.gate import Gate, RateLimitHeaders, refusal
from graphql_api.access.log_writer import AccessLog
from graphql_api.access.rate_limits import RATE_LIMIT_HEADERS
from graphql_api.core import metrics
from graphql_api.core.database import Database
from graphql_api.core.errors import INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR
from graphql_api.dictionary import entries as dictionary
from graphql_api.dictionary.files import DictionaryFiles
from graphql_api.graphql_endpoint import GatedGraphQL
from graphql_api.opendata.downloads import Downloads
from graphql_api.quality.downloads import QualityIssueDownloads
from graphql_api.schema import PERSONAL_INPUTS, schema
from kho import warehouse
from kho.settings import load_settings

STATIC_DIR = Path(__file__).with_name("static")
# Downloads and the pages' files go out gzipped to clients that accept it (parcels as
# GeoJSON shrink six- to ninefold, as CSV about 2.5-fold); GraphQL answers do not, their
# CPU is the API's bottleneck (docs/api.md). Level 6: most of level 9's gain, far faster.
GZIPPED = [Middleware(GZipMiddleware, compresslevel=6, minimum_size=1024)]
INDEX_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CORS_MAX_AGE_SECONDS = 600  # how long a browser may keep a preflight's answer


def cors(origins: tuple[str, ...]) -> Middleware:
    """Browsers on the allowed origins may call the API with a key and a purpose, and read
    their rate limit; no cookie is ever involved, so no credentials are allowed."""
    return Middleware(CORSMiddleware, allow_origins=list(origins),
                      allow_methods=["GET", "POST"],
                      allow_headers=["Authorization", "Content-Type", PURPOSE_HEADER],
                      expose_headers=[*RATE_LIMIT_HEADERS, "Retry-After"],
                      max_age=CORS_MAX_AGE_SECONDS)


async def internal_error(request: Request, exc: Exception) -> Response:
    """What escapes a route: answered coded, in JSON, the cause only in the server's log."""
    return refusal(INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR, 500)


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
    gate = Gate(database, settings, access_log)
    downloads = Downloads(database, gate, access_log)
    quality_downloads = QualityIssueDownloads(database, gate, access_log)
    # The dictionary with the operator's national codes: a mapping file kho cannot use
    # stops the process here (DICTIONARY_MAPPING_INVALID), not at the first request.
    dictionary.current()
    dictionary_files = DictionaryFiles(database, gate, access_log)
    scrape = metrics.MetricsEndpoint(database, access_log, settings)

    async def healthz(request: Request) -> Response:
        """503 when the warehouse cannot be reached or this process's access-log writer
        is behind (docs/operations.md); the body says which."""
        body: dict = {"status": "ok", "database": "ok",
                      "access_log": access_log.state() if access_log else {"state": "off"}}
        try:
            await database.ping()
        except Exception as err:  # the body says why the probe fails
            body.update(status="unavailable", database=str(err))
        if body["access_log"].get("behind"):
            body["status"] = "unavailable"
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    async def readyz(request: Request) -> Response:
        """200 only when this process can serve what it is for: the warehouse answers, a
        build is published and the access log is writing; else 503, naming what is not."""
        state = await scrape.warehouse.read()
        log_state = access_log.state()["state"] if access_log else "off"
        body = {"status": "ready",
                "warehouse": "ok" if state.reachable else state.error,
                "publication": "none" if state.published_at is None else {
                    "published_at": datetime.datetime.fromtimestamp(
                        state.published_at, datetime.UTC).isoformat(),
                    "age_seconds": round(state.publication_age_seconds, 3)},
                "access_log": log_state}
        not_ready = [name for name, ready in (
            ("warehouse", state.reachable), ("publication", state.published_at is not None),
            ("access_log", log_state == "writing")) if not ready]
        if not_ready:
            body.update(status="not_ready", not_ready=not_ready)
        return JSONResponse(body, status_code=503 if not_ready else 200)

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
            async with metrics.refreshing(database, access_log):
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
            Route("/readyz", readyz),
            Route("/metrics", scrape.answer, methods=["GET"]),
            # Every method reaches the endpoint, which answers the ones it does not take.
            Route("/graphql", GatedGraphQL(gate, database, access_log,
                                                       settings.api_compiler), methods=None),
            Route("/opendata/dictionary.json", dictionary_files.json, methods=["GET"],
                  middleware=GZIPPED),
            Route("/opendata/dictionary.csv", dictionary_files.csv, methods=["GET"],
                  middleware=GZIPPED),
            Route("/opendata/catalog.jsonld", dictionary_files.catalog, methods=["GET"],
                  middleware=GZIPPED),
            Route("/opendata/{name}.{format}", downloads.download, methods=["GET"],
                  middleware=GZIPPED),
            Route("/quality/{agency}.csv", quality_downloads.csv, methods=["GET"],
                  middleware=GZIPPED),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static",
                  middleware=GZIPPED),
        ],
        middleware=[Middleware(metrics.RequestMetrics, trusted_proxies=settings.trusted_proxies,
                               access_lines=settings.log_format == "json"),
                    cors(settings.cors_origins), Middleware(RateLimitHeaders)],
        exception_handlers={Exception: internal_error},
        lifespan=lifespan,
    )
