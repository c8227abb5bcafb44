"""The benchmark's warehouse: ``<db>_bench_ui`` on the configured server, with one commune of
at least ``--parcels`` parcels, prepared once and kept between runs.

At the default scale the simulated province spreads its parcels over some 186 communes, a
few dozen each. So the simulated sources are seeded into databases of this benchmark's own
(``<db>_bench_ui_src_<source>``, ``<db>_bench_ui_ground_truth``: the other benchmarks' shared
sources are left as seeded), and the land register (``thua_dat``, with a certificate each in
``giay_chung_nhan``) gets ``--parcels`` more parcels of one legacy commune, written by the
simulator's own row builders: the register's formats, sheets and parcel numbers of their
own, drawn land uses, areas and planning zones, laid out by the simulator's cadastre: each
map sheet tiled by its parcels and the roads and canals between them. The ground truth
records them like seeded parcels. The commune is the one with most seeded parcels among
those whose whole territory went to a single current commune (the 2025 crosswalk), so the
current commune's page shows them all.

Then the real pipelines run over it, as an operator runs them: ``kho materialize
--full-refresh`` (Dagster: extract and load, reference data, dbt build with its checks,
publication, master IDs), in a process of its own with ``KHO_WAREHOUSE_URL`` and the
``KHO_SOURCE_*_URL`` variables naming the benchmark's databases, and ``KHO_HOME`` a folder
of its own (``$KHO_HOME/bench_ui``: its Dagster runs and logs stay apart from the
operator's). ``public.bench_ui_build`` records what was built (scale, seed, parcels and
the dbt project's digest); a run that finds the same record reuses the warehouse.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from kho import db
from kho.settings import SOURCES, load_settings, source_url_variable
from pipelines.reference.admin_units import crosswalk_rows
from simulated_sources import cadastre
from simulated_sources.admin_units import Commune, long_an_communes
from simulated_sources.noise import NoiseSettings
from simulated_sources.population import (
    LAND_USE_RURAL,
    LAND_USE_URBAN,
    PLANNING_ZONES,
    WORLD_DATE,
    Parcel,
    Province,
    Weighted,
    random_date,
)
from simulated_sources.seed import TruthWriter, ensure_seeded, read_seed_info, write_entities
from simulated_sources.systems import (
    Renderer,
    giay_chung_nhan_record,
    tables_of,
    thua_dat_record,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # for prepare.py
from prepare import project_digest

# What was added to the seeded land register: in the ground truth (beside seed_info).
ADDED_TABLE = "public.bench_ui_parcels"
# What the warehouse was built from: in the warehouse.
BUILD_TABLE = "public.bench_ui_build"

# The seeded register uses map sheets 1 to 80; the added parcels' sheets come after, so
# (commune, sheet, parcel number) stays unique; a sheet of a surveyed commune holds a few
# hundred parcels.
FIRST_SHEET = 101
SHEET_PARCELS = 200


@dataclass(frozen=True)
class Warehouse:
    url: str
    legacy_commune: str
    current_commune: str
    added_parcels: int
    done: list[str]


def _row(url: str, query: str) -> tuple | None:
    """The first row of ``query``, None when the database or the table is not there."""
    try:
        with db.connect(url) as conn:
            return conn.execute(query).fetchone()
    except psycopg.Error:
        return None


def single_successors() -> dict[str, str]:
    """Legacy communes of the simulated province whose whole territory went to one current
    commune in 2025: legacy code -> current code."""
    codes = {c.code for c in long_an_communes()}
    successors: dict[str, list[str]] = {}
    for legacy, current, _default, _date in crosswalk_rows():
        if legacy in codes:
            successors.setdefault(legacy, []).append(current)
    return {legacy: currents[0] for legacy, currents in successors.items()
            if len(currents) == 1}


def choose_commune(land_url: str) -> Commune:
    """The legacy commune with most seeded parcels (the lowest code among equals) of those
    that map to a single current commune."""
    with db.connect(land_url) as conn:
        counts = Counter(dict(conn.execute(
            "select btrim(ma_xa), count(*) from thua_dat group by 1").fetchall()))
    single = single_successors()
    code = min(single, key=lambda c: (-counts[c], c))
    return next(c for c in long_an_communes() if c.code == code)


def tiled_parcels(commune: Commune, count: int, first_no: int, seed: int) -> list[Parcel]:
    """``count`` parcels of ``commune`` numbered from ``first_no`` on map sheets of their own
    (from FIRST_SHEET, SHEET_PARCELS a sheet), land use, area and planning zone drawn as the
    simulator draws them, laid out by the simulator's cadastre (``cadastre.lay_out``): each
    sheet tiled by its parcels and the roads and canals between them, in VN-2000 metres as
    the land register keeps them. Returns the parcels and those strips."""
    rng = random.Random(f"{seed}:bench_ui:{commune.code}")
    urban = commune.kind in ("Phường", "Thị trấn")
    pick_use = Weighted(LAND_USE_URBAN if urban else LAND_USE_RURAL)
    parcels = []
    for n in range(count):
        sheet, number = FIRST_SHEET + n // SHEET_PARCELS, n % SHEET_PARCELS + 1
        land_use = pick_use(rng)
        area = math.exp(rng.gauss(4.8, 0.6) if land_use in ("ODT", "ONT", "TMD")
                        else rng.gauss(7.4, 0.9))
        issued = random_date(rng, date(1994, 1, 1), WORLD_DATE)
        parcels.append(Parcel(
            parcel_no=first_no + n, commune=commune.code, map_sheet=sheet,
            parcel_number=number, area_m2=round(area, 1), land_use=land_use,
            planning_zone=rng.choice(PLANNING_ZONES), polygon=[], holders=[],
            certificate_serial=f"C{rng.choice('KLMNOP')} {first_no + n:06d}",
            certificate_issued_on=issued, held_since=issued))
    strips = cadastre.lay_out(parcels, {commune.code: commune}, seed)
    return parcels + strips


def add_parcels(land_url: str, truth_url: str, commune: Commune, count: int, seed: int
                ) -> None:
    """Write ``count`` tiled parcels of ``commune`` (and the roads and canals between them),
    each parcel with its certificate, into the
    seeded land register, clean (no noise, no broken rows), and their truth beside the
    seeded truth; then record them in ADDED_TABLE."""
    info = read_seed_info(truth_url)
    with db.connect(land_url) as conn:
        first_no = 1 + conn.execute(
            "select greatest((select max(id) from thua_dat), "
            "(select max(id) from giay_chung_nhan), 0)").fetchone()[0]
    parcels = tiled_parcels(commune, count, first_no, seed)
    province = Province(seed=seed, scale=info["scale"], world_date=info["world_date"],
                        communes=long_an_communes(), persons=[], marriages=[],
                        organizations=[], parcels=parcels, employments=[])
    clean = NoiseSettings().scaled(0)
    builders = {"thua_dat": thua_dat_record, "giay_chung_nhan": giay_chung_nhan_record}
    truth = TruthWriter(truth_url)
    try:
        with db.connect(land_url) as conn:
            for table in tables_of("land"):
                build = builders.get(table.name)
                if build is None:
                    continue
                renderer = Renderer(province, table, clean,
                                    random.Random(f"{seed}:bench_ui:{table.name}"))
                with conn.cursor().copy(f"copy {table.name} ({', '.join(table.column_names)})"
                                        " from stdin") as copy, \
                        truth.table(table, province.world_date) as write_truth:
                    for parcel in parcels:
                        if table.name == "giay_chung_nhan" and parcel.certificate_serial is None:
                            continue  # roads and canals have no certificate
                        record = build(renderer, parcel)
                        copy.write_row(record.row)
                        write_truth(record)
        truth.commit()
    finally:
        truth.close()
    with db.connect(truth_url) as conn:
        write_entities(conn, province, parcels=parcels)
        conn.execute(f"create table {ADDED_TABLE} (legacy_commune_code text not null, "
                     "parcels integer not null, seed integer not null, first_id integer "
                     "not null)")
        conn.execute(f"insert into {ADDED_TABLE} values (%s, %s, %s, %s)",
                     (commune.code, count, seed, first_no))


def materialize(url: str, sources: dict[str, str]) -> float:
    """``kho materialize --full-refresh`` into the (new) warehouse at ``url`` from
    ``sources``; seconds taken. A failed run stops the benchmark with its output."""
    home = load_settings().home / "bench_ui"
    env = {**os.environ, "KHO_HOME": str(home), "KHO_WAREHOUSE_URL": url,
           **{source_url_variable(s): sources[s] for s in SOURCES}}
    env.pop("DAGSTER_HOME", None)  # $KHO_HOME/dagster
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "kho.cli", "materialize", "--full-refresh"],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"kho materialize --full-refresh failed (exit code "
                         f"{result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
    return time.perf_counter() - started


def bench_warehouse(server: str, scale: int, seed: int, parcels: int) -> Warehouse:
    """The benchmark's warehouse, ready: seeded, ``parcels`` added, built and published."""
    base = db.database_name(server)
    sources = {s: db.with_database(server, f"{base}_bench_ui_src_{s}") for s in SOURCES}
    truth = db.with_database(server, f"{base}_bench_ui_ground_truth")
    url = db.with_database(server, f"{base}_bench_ui")
    done = []
    added = _row(truth, f"select legacy_commune_code, parcels, seed from {ADDED_TABLE}")
    if added is None or added[1:] != (parcels, seed):
        db.drop_database(truth)  # so that ensure_seeded seeds afresh
    started = time.perf_counter()
    fresh = ensure_seeded(scale, seed, sources, truth)
    if fresh:
        commune = choose_commune(sources["land"])
        add_parcels(sources["land"], truth, commune, parcels, seed)
        done.append(f"seeded {scale:,} persons and added {parcels:,} parcels of legacy "
                    f"commune {commune.code} ({commune.name}) in "
                    f"{time.perf_counter() - started:.1f} s")
        added = (commune.code, parcels, seed)
    legacy = added[0]
    built = (scale, seed, parcels, legacy, project_digest())
    if fresh or _row(url, f"select scale, seed, parcels, legacy_commune_code, "
                          f"project_digest from {BUILD_TABLE}") != built:
        db.drop_database(url)
        seconds = materialize(url, sources)
        with db.connect(url) as conn:
            conn.execute(f"create table {BUILD_TABLE} (scale integer, seed integer, "
                         "parcels integer, legacy_commune_code text, project_digest text, "
                         "built_at timestamptz not null default now())")
            conn.execute(f"insert into {BUILD_TABLE} values (%s, %s, %s, %s, %s)", built)
        done.append(f"ran kho materialize --full-refresh (extract, load, dbt build, "
                    f"publish, master IDs) in {seconds:.1f} s")
    return Warehouse(url, legacy, single_successors()[legacy], parcels, done)
