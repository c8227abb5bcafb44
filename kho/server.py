"""Serving the API with uvicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from kho import logs, migrations, warehouse
from kho.settings import load_settings

# prometheus_client's multiprocess mode: the directory where each worker writes its metrics
# for whichever worker is scraped to add up (graphql_api/core/metrics.py).
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def run_server(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
               echo: Callable[[str], None] = print) -> None:
    import uvicorn

    from graphql_api.access import clients
    from graphql_api.dictionary import entries as dictionary

    # A data-dictionary mapping kho cannot use is refused before anything starts
    # (DictionaryMappingError, a SettingsError: the CLI says why in one line).
    dictionary.check_mapping()
    # Start the embedded server before the workers need it, and prepare what the API's
    # role may read and write (the workers connect as that role, which cannot). The API
    # never migrates: replicas of two releases may run side by side during an upgrade, and
    # a migration's locks would stall every request; a warehouse behind this release's
    # schema is refused (MigrationRequired) until the operator runs kho migrate.
    url = warehouse.ensure_warehouse(migrate=False)
    migrations.require_current(url)
    clients.prepare(url)
    settings = load_settings()
    if workers > 1:
        # Cleared first: a previous run's files would be added to this run's counts.
        metrics_dir = settings.home / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ[MULTIPROCESS_DIR_VARIABLE] = str(metrics_dir)
    if not settings.access_log:
        echo("WARNING: KHO_ACCESS_LOG=off: requests are not written to the access log "
             "(for measuring its cost only)")
    echo(f"serving kho on http://{host}:{port}/  (GraphQL and GraphiQL at /graphql, "
         f"health at /healthz and /readyz, metrics at /metrics); Ctrl+C stops")
    # X-Forwarded-For is read by the app, from KHO_TRUSTED_PROXIES only: uvicorn's own
    # reading would believe any request from loopback. uvicorn's access log stays off: the
    # app writes its own lines with KHO_LOG_FORMAT=json (with the duration, without the
    # query string).
    log_config = logs.uvicorn_log_config(settings)
    uvicorn.run("graphql_api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False, proxy_headers=False,
                **({"log_config": log_config} if log_config else {}))
