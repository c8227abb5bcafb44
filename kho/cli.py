"""The ``kho`` command line. Heavy imports (Dagster, dbt, the API) happen inside commands."""

from __future__ import annotations

import sys

import click

from kho import db, warehouse
from kho.settings import load_settings


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _stdout_echo():
    """Echo to the terminal even while a run redirects ``sys.stdout`` to its log file."""
    stream = click.get_text_stream("stdout")
    return lambda line: click.echo(line, file=stream)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kho")
def main() -> None:
    """kho: the provincial shared master-data warehouse."""


# -- warehouse -----------------------------------------------------------------------------------

@main.group("warehouse")
def warehouse_group() -> None:
    """The warehouse server (embedded unless KHO_WAREHOUSE_URL is set)."""


@warehouse_group.command("url")
def warehouse_url() -> None:
    """Print the warehouse URL in use, starting the embedded server if needed."""
    try:
        click.echo(warehouse.ensure_warehouse())
    except warehouse.WarehouseError as err:
        _fail(str(err))


@warehouse_group.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded server (data stays under $KHO_HOME/pgdata)."""
    settings = load_settings()
    if not settings.uses_embedded_warehouse:
        _fail("KHO_WAREHOUSE_URL is set: kho does not run that server, so it will not stop it")
    stopped = warehouse.stop_embedded(settings)
    click.echo(f"stopped the embedded warehouse in {settings.pgdata}" if stopped
               else "the embedded warehouse was not running")


@warehouse_group.command("status")
def warehouse_status() -> None:
    """Say which warehouse is configured and whether the embedded one runs."""
    settings = load_settings()
    if not settings.uses_embedded_warehouse:
        click.echo(f"external warehouse: {db.redact(settings.warehouse_url)}")
        return
    status = warehouse.embedded_status(settings)
    state = f"running (pid {status.pid}, socket in {status.socket_dir})" if status.running \
        else "stopped"
    click.echo(f"embedded warehouse in {settings.pgdata}: {state}")


# -- sources -------------------------------------------------------------------------------------

@main.group("sources")
def sources_group() -> None:
    """The simulated agency systems."""


def _print_counts(counts: dict[tuple[str, str], int | None]) -> None:
    for (source, table), n in counts.items():
        shown = "missing" if n is None else f"{n:>10,}"
        click.echo(f"  {source:<15} {table:<22} {shown}")


@sources_group.command("seed")
@click.option("--scale", type=click.IntRange(min=10), default=10_000, show_default=True,
              help="Number of persons in the simulated province.")
@click.option("--seed", "seed_value", type=int, default=42, show_default=True,
              help="Random seed; the same seed and scale give the same sources.")
def sources_seed(scale: int, seed_value: int) -> None:
    """(Re)create the four source systems with a simulated province."""
    from simulated_sources.seed import seed

    url = warehouse.ensure_warehouse()
    report = seed(scale, seed_value, warehouse.source_urls(url),
                  warehouse.ground_truth_url(url), progress=lambda m: click.echo(f"- {m}"))
    _print_counts(report.rows)
    click.echo(f"seeded {report.total_rows:,} source rows in {report.seconds:.1f} s "
               f"({report.total_rows / report.seconds:,.0f} rows/s)")


@sources_group.command("describe")
def sources_describe() -> None:
    """Print row counts per source table."""
    from simulated_sources.seed import describe

    urls = warehouse.source_urls(warehouse.ensure_warehouse())
    for source, source_url in urls.items():
        click.echo(f"{source}: {db.redact(source_url)}")
    _print_counts(describe(urls))


# -- pipelines -----------------------------------------------------------------------------------

@main.command("materialize")
def materialize() -> None:
    """Run the job that materializes every asset (extract, load, dbt build)."""
    from kho.runner import run_materialize_all

    result = run_materialize_all(echo=_stdout_echo())
    if not result.success:
        _fail(f"run {result.run_id} failed: {result.failure}")


# -- API -----------------------------------------------------------------------------------------

@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the GraphQL API, GraphiQL and the web UI."""
    from kho.server import run_server

    run_server(host=host, port=port, workers=workers, echo=click.echo)


@main.command("demo")
@click.option("--scale", type=click.IntRange(min=10), default=10_000, show_default=True)
@click.option("--seed", "seed_value", type=int, default=42, show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after printing what landed.")
def demo(scale: int, seed_value: int, port: int, host: str, no_serve: bool) -> None:
    """From nothing to a served API: warehouse, sources, pipelines, then API and UI."""
    from kho.demo import run_demo

    if not run_demo(scale=scale, seed_value=seed_value, echo=_stdout_echo()):
        _fail("the pipelines failed; see the run above")
    if not no_serve:
        from kho.server import run_server

        run_server(host=host, port=port, workers=1, echo=click.echo)


if __name__ == "__main__":
    main()
