"""The benchmark's warehouse: ``<db>_bench_ui`` on the configured server, with one commune of
at least ``--parcels`` parcels, prepared once and kept between runs.

At the default scale the simulated province spreads its parcels over some 186 communes, a
few dozen each. So the simulated sources are seeded into databases of this benchmark's own
(``<db>_bench_ui_src_<source>``, ``<db>_bench_ui_ground_truth``: the other benchmarks' shared
sources are left as seeded), and the land register (``thua_dat``, with a certificate each in
``giay_chung_nhan``) gets ``--parcels`` more parcels of one legacy commune, written by the
simulator's own row builders: the register's formats, sheets and parcel numbers of their
own, drawn land uses, areas and planning zones, and small non-overlapping rectangles on a
grid around the commune's centre. The ground truth records them like seeded parcels. The
commune is the one with most seeded parcels among those whose whole territory went to a
single current commune (the 2025 crosswalk), so the current commune's page shows them all.

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

# The seeded register uses map sheets 1 to 80; the added parcels' sheets come after, each
# covering SHEET_CELLS x SHEET_CELLS cells of the grid, so (commune, sheet, parcel number)
# stays unique.
FIRST_SHEET = 101
SHEET_CELLS = 10
# Grid cell side and the least gap between neighbouring parcels, in metres.
CELL_M = 40.0
GAP_M = 2.0


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


def grid_parcels(commune: Commune, count: int, first_no: int, seed: int) -> list[Parcel]:
    """``count`` parcels of ``commune`` numbered from ``first_no``: one per cell of a square
    grid centred on the commune's centre, each an axis-aligned rectangle inside its cell
    (so none overlap), land use, area and planning zone drawn as the simulator draws them
    (areas capped by the cell), map sheets from FIRST_SHEET."""
    rng = random.Random(f"{seed}:bench_ui:{commune.code}")
    urban = commune.kind in ("Phường", "Thị trấn")
    pick_use = Weighted(LAND_USE_URBAN if urban else LAND_USE_RURAL)
    columns = math.ceil(math.sqrt(count))
    sheets_across = math.ceil(columns / SHEET_CELLS)
    centre_e, centre_n = cadastre.to_vn2000().transform(commune.lon, commune.lat)
    room = CELL_M - GAP_M
    numbers: Counter[int] = Counter()
    parcels = []
    for n in range(count):
        row, column = divmod(n, columns)
        sheet = FIRST_SHEET + (row // SHEET_CELLS) * sheets_across + column // SHEET_CELLS
        numbers[sheet] += 1
        land_use = pick_use(rng)
        area = math.exp(rng.gauss(4.8, 0.6) if land_use in ("ODT", "ONT", "TMD")
                        else rng.gauss(7.4, 0.9))
        ratio = rng.uniform(1.0, 2.0)
        width = math.sqrt(area / ratio)
        length = width * ratio
        shrink = min(1.0, room / length)
        width, length = width * shrink, length * shrink
        if rng.random() < 0.5:
            width, length = length, width
        # The rectangle's south-west corner, in metres from the grid's centre.
        west = (column - columns / 2) * CELL_M + GAP_M / 2 + rng.uniform(0, room - length)
        south = (row - columns / 2) * CELL_M + GAP_M / 2 + rng.uniform(0, room - width)
        # In VN-2000 metres, as the land register keeps boundaries.
        corners = [(round(centre_e + x, cadastre.COORDINATE_DECIMALS),
                    round(centre_n + y, cadastre.COORDINATE_DECIMALS))
                   for x, y in ((west, south), (west + length, south),
                                (west + length, south + width), (west, south + width),
                                (west, south))]
        issued = random_date(rng, date(1994, 1, 1), WORLD_DATE)
        parcels.append(Parcel(
            parcel_no=first_no + n, commune=commune.code, map_sheet=sheet,
            parcel_number=numbers[sheet], area_m2=round(width * length, 1), land_use=land_use,
            planning_zone=rng.choice(PLANNING_ZONES), polygon=corners, holders=[],
            certificate_serial=f"C{rng.choice('KLMNOP')} {first_no + n:06d}",
            certificate_issued_on=issued, held_since=issued))
    return parcels


def add_parcels(land_url: str, truth_url: str, commune: Commune, count: int, seed: int
                ) -> None:
    """Write ``count`` grid parcels of ``commune``, each with its certificate, into the
    seeded land register, clean (no noise, no broken rows), and their truth beside the
    seeded truth; then record them in ADDED_TABLE."""
    info = read_seed_info(truth_url)
    with db.connect(land_url) as conn:
        first_no = 1 + conn.execute(
            "select greatest((select max(id) from thua_dat), "
            "(select max(id) from giay_chung_nhan), 0)").fetchone()[0]
    parcels = grid_parcels(commune, count, first_no, seed)
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
