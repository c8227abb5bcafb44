"""``kho demo``: from nothing to a warehouse with data, reusing whatever already exists."""

from __future__ import annotations

from collections.abc import Callable

from kho import db, warehouse

LAYER_SCHEMAS = ("raw_%", "reference", "marts")


def rows_per_layer(warehouse_url: str) -> list[tuple[str, str, int]]:
    """(schema, table, exact row count) for every table of the warehouse's layers (views,
    such as staging, are not counted: counting one re-runs it)."""
    with db.connect(warehouse_url) as conn:
        relations = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like any(%s) and table_type = 'BASE TABLE' order by 1, 2",
            (list(LAYER_SCHEMAS),),
        ).fetchall()
        return [
            (schema, table,
             conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0])
            for schema, table in relations
        ]


def run_demo(scale: int, seed_value: int, echo: Callable[[str], None]) -> bool:
    from kho.runner import run_materialize_all
    from simulated_sources.seed import seed, source_counts

    echo("1/4 warehouse")
    url = warehouse.ensure_warehouse()
    echo(f"  {db.redact(url)}")
    echo("2/4 agency sources")
    sources = warehouse.source_urls(url)
    counts = source_counts(sources)
    if any(n is None for n in counts.values()):
        report = seed(scale, seed_value, sources, warehouse.ground_truth_url(url),
                      progress=lambda m: echo(f"  {m}"))
        echo(f"  seeded {report.total_rows:,} rows in {report.seconds:.1f} s")
    else:
        echo(f"  already seeded ({sum(counts.values()):,} rows); `kho sources seed` re-seeds")
    echo("3/4 pipelines (Dagster job materialize_all)")
    outcome = run_materialize_all(echo=lambda line: echo(f"  {line}"))
    echo("4/4 what landed")
    totals: dict[str, int] = {}
    for schema, table, n in rows_per_layer(url):
        layer = "raw" if schema.startswith("raw_") else schema
        totals[layer] = totals.get(layer, 0) + n
        if schema == "marts":
            echo(f"  {schema}.{table:<28} {n:>10,}")
    for layer, n in totals.items():
        echo(f"  layer {layer:<10} {n:>12,} rows")
    if outcome.success:
        key = demo_key(url)
        echo("an API key for the client 'demo', holding every grant (shown once; a new one "
             "each run):")
        echo(f"  {key}")
        echo("  send 'Authorization: Bearer <key>' and, for personal data, 'X-Purpose: ...'")
    return outcome.success


def demo_key(url: str) -> str:
    """A key for the demo client with every grant: made on the first run, rotated after."""
    from graphql_api.access import clients

    grants = [clients.parse_grant(g) for g in (
        "land:personal", "enterprise:personal", "civil_registry:personal", "cadre:personal",
        "audit", "steward")]
    try:
        return clients.create_client(url, "demo", "kho demo", grants).key
    except clients.ClientError:
        return clients.rotate_key(url, "demo").key
