"""How soon the planners' land page of a commune with 20,000 parcels, and the province's
overview with its choropleth, are usable, in a browser.

    .venv/bin/python benchmarks/ui

Goals on this machine (2 cores, shared by the browser, the API and PostgreSQL), judged on
the median of the measured rounds, the worst printed beside it: the land page of a commune
with 20,000 parcels, filtered by its most common land use, usable (the filter's parcels
drawn with the commune's others in grey around them, and the table filled) within 2 s; the
province's overview (its figures, and its communes coloured by a measure) within 1.5 s.

On the configured warehouse server (the embedded one under the working directory's .kho
unless KHO_WAREHOUSE_URL is set), prepares ``<db>_bench_ui`` once (land_data.py): the
simulated sources seeded at ``--scale`` into databases of their own, ``--parcels`` parcels
added to one legacy commune in the land register (so its current commune holds them and a
few dozen more), and the real pipelines run over them (``kho materialize --full-refresh``).
Later runs reuse it while scale, seed, parcels and the dbt project are unchanged.

It starts ``kho serve`` against it in a process group of its own (benchmarks/api/server.py)
and loads ``/?view=land&unit=current:<code>&use=<land use>`` and
``/?view=overview&unit=current:<province>`` in Debian's Chromium through Playwright
(browser.py), as an anonymous planner: ``--warmup`` untimed rounds, then ``--rounds``
measured ones of each page, alternating, each in a new browser context (cold HTTP cache).
The land page is usable from the start of navigation until both the map
(``[data-testid=parcel-map]``) and the table (``[data-testid=parcel-table]``) have
``data-state="ready"``: the map reads the commune's whole GeoJSON (streamed) and the IDs
of the filter's parcels (a second GeoJSON download, ``properties=&skip_geometry=true``),
draws the filter's parcels in colour and the others in grey, the table shows its first page of
50 from the GraphQL ``landParcels``. It prints the median and worst of that and of its
parts, as the browser tells them: the HTML's first byte, DOMContentLoaded, the GeoJSON
downloads (first sent, its first byte, the last one's last byte, their size), the table's
landParcels request, and from the GeoJSON's last byte to the map drawn. The overview is
usable once ``[data-testid=overview]`` is ready: its figures, and the province's communes
on the choropleth, drawn from aggregates (no parcel is downloaded: counted).

Beside it, in the same run and as many rounds (baseline.py): the same GeoJSON fetched with
httpx (the server's part of the map), and the same parcels' columns selected through
psycopg (the database's part), and the ratios of the page's median to theirs.

Answers are checked: the map's ``data-parcel-count`` must equal the warehouse's count of
the filter's parcels and its grey context the commune's others, the GeoJSON's features the
commune's parcels, the choropleth's communes the province's communes with a centre; a wrong
answer, a page that fails (``data-state="error"``) or one not usable within ``--timeout``
stops the benchmark with its text, with no figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

import baseline
from browser import VIEWPORT, OverviewRound, PageFailed, Round, load_once, measure, overview_once
from land_data import bench_warehouse

from kho import db, warehouse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # for server.py
from server import HOST, api_server, free_port

GOAL_MS = 2_000.0
OVERVIEW_GOAL_MS = 1_500.0
# Anonymous callers' requests a minute per address: high enough that many rounds from one
# address are never refused (the limiter still runs on every request).
SERVER_ENV = {"KHO_RATE_LIMIT_ANONYMOUS": "1000000"}

# (label, figure of a round, in milliseconds)
FIGURES = (
    ("usable: map and table ready", lambda r: r.usable_ms),
    ("  the same, as the driver saw it", lambda r: r.driver_ms),
    ("HTML first byte", lambda r: r.ttfb_ms),
    ("DOMContentLoaded", lambda r: r.dcl_ms),
    ("GeoJSON: first request sent", lambda r: r.geojson_start_ms),
    ("  its first byte, after sending", lambda r: r.geojson_wait_ms),
    ("  the last one's last byte", lambda r: r.geojson_end_ms),
    ("  first sent to last byte", lambda r: r.geojson_ms),
    ("  from its last byte to the map drawn", lambda r: r.data_to_drawn_ms),
    ("map ready", lambda r: r.map_ms),
    ("landParcels request sent", lambda r: r.parcels_query_start_ms),
    ("  sent to last byte", lambda r: r.parcels_query_ms),
    ("table ready", lambda r: r.table_ms),
)


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def print_rounds(rounds: list[Round]) -> None:
    print(f"{'round':<7}{'usable':>8}{'DCL':>7}{'GeoJSON':>15}{'draw':>8}{'map':>7}"
          f"{'landParcels':>15}{'table':>7}   (ms from navigation start)")
    for n, r in enumerate(rounds, 1):
        print(f"{n:<7}{r.usable_ms:>8.0f}{r.dcl_ms:>7.0f}"
              f"{f'{r.geojson_start_ms:.0f}-{r.geojson_end_ms:.0f}':>15}"
              f"{r.data_to_drawn_ms:>+8.0f}{r.map_ms:>7.0f}"
              f"{f'{r.parcels_query_start_ms:.0f}-{r.parcels_query_end_ms:.0f}':>15}"
              f"{r.table_ms:>7.0f}")


def print_figures(rounds: list[Round]) -> None:
    print(f"\n{'':<40}{'median':>9}{'worst':>9}   (ms, {len(rounds)} rounds)")
    for label, figure in FIGURES:
        values = [figure(r) for r in rounds]
        print(f"{label:<40}{statistics.median(values):>9.0f}{max(values):>9.0f}")
    last = rounds[-1]
    print(f"{last.geojson_downloads} GeoJSON downloads, {last.geojson_bytes / 1e6:.2f} MB as sent "
          f"({last.geojson_decoded_bytes / 1e6:.2f} MB decoded); {last.static_files} "
          f"scripts and stylesheets, {last.static_bytes / 1e3:.0f} kB; "
          f"{last.graphql_requests} GraphQL requests per load")


def print_overview(rounds: list[OverviewRound]) -> None:
    print(f"\noverview{'':<32}{'median':>9}{'worst':>9}   (ms, {len(rounds)} rounds)")
    for label, figure in (("usable: figures and choropleth drawn", lambda r: r.usable_ms),
                          ("  the same, as the driver saw it", lambda r: r.driver_ms),
                          ("DOMContentLoaded", lambda r: r.dcl_ms)):
        values = [figure(r) for r in rounds]
        print(f"{label:<40}{statistics.median(values):>9.0f}{max(values):>9.0f}")
    last = rounds[-1]
    print(f"{last.graphql_requests} GraphQL requests ({last.graphql_bytes / 1e3:.0f} kB as "
          f"sent), {last.parcel_downloads} parcel downloads, {last.communes} communes drawn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=20_000,
                        help="parcels added to the measured commune (at least this many)")
    parser.add_argument("--scale", type=int, default=10_000,
                        help="persons of the simulated province (kho demo's default)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=7, help="measured page loads")
    parser.add_argument("--warmup", type=int, default=1, help="untimed page loads first")
    parser.add_argument("--generation", choices=("current", "legacy"), default="current",
                        help="open the page of the current commune (default) or of the "
                        "legacy commune that holds the added parcels")
    parser.add_argument("--workers", type=int, default=1, help="kho serve --workers")
    parser.add_argument("--port", type=int, default=0,
                        help="the API's port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a page may take before the benchmark gives up")
    args = parser.parse_args()
    if args.rounds < 1 or args.warmup < 0 or args.parcels < 1:
        parser.error("--rounds and --parcels must be at least 1, --warmup at least 0")

    server = warehouse.ensure_warehouse()
    print("preparing the warehouse (a minute or two the first time; then reused)", flush=True)
    prepared = bench_warehouse(server, args.scale, args.seed, args.parcels)
    for line in prepared.done:
        print(line, flush=True)
    url = prepared.url
    code = (prepared.current_commune if args.generation == "current"
            else prepared.legacy_commune)
    expected = baseline.parcel_count(url, args.generation, code)
    legacy_count = baseline.parcel_count(url, "legacy", prepared.legacy_commune)
    with db.connect(url) as conn:
        pg_version = conn.execute("show server_version").fetchone()[0]
        name = conn.execute(
            "select admin_unit_name from marts.dim_admin_unit where generation = %s and "
            "level = 'commune' and admin_unit_code = %s", (args.generation, code)).fetchone()
        # The filter: the commune's most common land use; the rest is the map's context.
        land_use, chosen = conn.execute(
            f"select land_use_code, count(*) from marts.dim_land_parcel where "
            f"{args.generation}_commune_code = %s group by 1 order by 2 desc, 1 limit 1",
            (code,)).fetchone()
        province = conn.execute(
            "select province_code from marts.dim_admin_unit where generation = 'current' "
            "and level = 'commune' and admin_unit_code = %s",
            (prepared.current_commune,)).fetchone()[0]
        communes = conn.execute(
            "select count(*) from marts.dim_admin_unit where generation = 'current' and "
            "level = 'commune' and province_code = %s and (latitude is not null or "
            "boundary_wkt is not null)", (province,)).fetchone()[0]
    if expected < args.parcels:
        raise SystemExit(f"the {args.generation} commune {code} holds {expected:,} parcels in "
                         f"the warehouse, fewer than {args.parcels:,}: nothing was measured")
    port = args.port or free_port()
    page = f"http://{HOST}:{port}/?view=land&unit={args.generation}:{code}&use={land_use}"
    overview = f"http://{HOST}:{port}/?view=overview&unit=current:{province}"
    geojson = f"http://{HOST}:{port}/opendata/land_parcels.geojson"
    params = {"admin_unit": code, "generation": args.generation}
    print(f"warehouse {db.redact(url)}, PostgreSQL {pg_version}; {args.scale:,} persons, "
          f"seed {args.seed}")
    print(f"measured commune: {args.generation} {code} ({name[0] if name else '?'}), "
          f"{expected:,} parcels; legacy commune {prepared.legacy_commune} holds "
          f"{legacy_count:,}, {prepared.added_parcels:,} of them added for the benchmark")
    print(f"land page {page}: {chosen:,} parcels of {land_use}, {expected - chosen:,} others "
          f"as context")
    print(f"overview {overview}: {communes:,} communes on the choropleth")
    print(f"API: kho serve --workers {args.workers} on port {port}, added environment: "
          + ", ".join(f"{k}={v}" for k, v in SERVER_ENV.items()) + "; anonymous caller")
    print(f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f} "
          f"before the run; {args.warmup} warm-up round(s), then {args.rounds} measured, "
          f"each in a new browser context", flush=True)

    with api_server(url, port, args.workers, SERVER_ENV):
        fetched = baseline.fetch_geojson(geojson, params, 1)
        if fetched.features != expected:
            raise SystemExit(f"wrong answer, nothing is reported: the GeoJSON of {code} has "
                             f"{fetched.features:,} features, the warehouse {expected:,} "
                             f"parcels")
        try:
            (rounds, overviews), browser_version = measure(
                [(page, load_once, (chosen, expected - chosen)),
                 (overview, overview_once, communes)], args.rounds, args.warmup, args.timeout)
        except PageFailed as err:
            raise SystemExit(f"a page failed, nothing is reported: {err}") from None
        fetched = baseline.fetch_geojson(geojson, params, args.rounds)
    selected = baseline.select_parcels(url, args.generation, code, args.rounds)

    print(f"browser: Chromium {browser_version} (/usr/bin/chromium, headless), viewport "
          f"{VIEWPORT['width']}x{VIEWPORT['height']}, Playwright {version('playwright')}\n")
    print_rounds(rounds)
    print_figures(rounds)
    usable = statistics.median(r.usable_ms for r in rounds)
    worst = max(r.usable_ms for r in rounds)
    print(f"\nbaseline, same run, median of {args.rounds}:")
    print(f"  GET of the same GeoJSON with httpx     {_ms(fetched.seconds):>7.0f} ms "
          f"(first byte {_ms(fetched.first_byte):.0f} ms; {fetched.size / 1e6:.2f} MB, "
          f"{fetched.features:,} features)")
    print(f"  the same parcels' columns through psycopg {_ms(selected):>4.0f} ms "
          f"(select ... from marts.dim_land_parcel where {args.generation}_commune_code = "
          f"'{code}')")
    print(f"  ratio usable page / GeoJSON GET        {usable / _ms(fetched.seconds):>7.1f}")
    print(f"  ratio usable page / SQL                {usable / _ms(selected):>7.1f}")
    print_overview(overviews)
    print()
    for what, median, worst_ms, goal in (
            (f"the land page of a commune with {expected:,} parcels, filtered, with context",
             usable, worst, GOAL_MS),
            (f"the province's overview, {communes:,} communes on its choropleth",
             statistics.median(r.usable_ms for r in overviews),
             max(r.usable_ms for r in overviews), OVERVIEW_GOAL_MS)):
        verdict = "met" if median <= goal else "NOT MET"
        print(f"goal: {what}, usable within {goal / 1000:g} s: median {median / 1000:.2f} s, "
              f"worst {worst_ms / 1000:.2f} s: {verdict}"
              + ("" if worst_ms <= goal or median > goal else " (the worst round was over)"))


if __name__ == "__main__":
    main()
