"""Serving the API with uvicorn."""

from __future__ import annotations

from collections.abc import Callable

from kho import warehouse


def run_server(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
               echo: Callable[[str], None] = print) -> None:
    import uvicorn

    warehouse.ensure_warehouse()  # start the embedded server before the workers need it
    echo(f"serving kho on http://{host}:{port}/  (GraphQL and GraphiQL at /graphql, "
         f"health at /healthz); Ctrl+C stops")
    uvicorn.run("graphql_api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False)
