"""Serving the API with uvicorn."""

from __future__ import annotations

from collections.abc import Callable

from kho import migrations, warehouse
from kho.settings import load_settings


def run_server(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
               echo: Callable[[str], None] = print) -> None:
    import uvicorn

    from graphql_api.access import clients

    # Start the embedded server before the workers need it, and prepare what the API's
    # role may read and write (the workers connect as that role, which cannot). The API
    # never migrates: replicas of two releases may run side by side during an upgrade, and
    # a migration's locks would stall every request; a warehouse behind this release's
    # schema is refused (MigrationRequired) until the operator runs kho migrate.
    url = warehouse.ensure_warehouse(migrate=False)
    migrations.require_current(url)
    clients.prepare(url)
    if not load_settings().access_log:
        echo("WARNING: KHO_ACCESS_LOG=off: requests are not written to the access log "
             "(for measuring its cost only)")
    echo(f"serving kho on http://{host}:{port}/  (GraphQL and GraphiQL at /graphql, "
         f"health at /healthz); Ctrl+C stops")
    # X-Forwarded-For is read by the app, from KHO_TRUSTED_PROXIES only: uvicorn's own
    # reading would believe any request from loopback.
    uvicorn.run("graphql_api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False, proxy_headers=False)
