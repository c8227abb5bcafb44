"""The comparison: a plain Splink 5 model (DuckDB backend) trained on the same mentions.

"Plain" means built the way Splink's quickstart and tutorials build one, nothing tuned to
this data: the comparison library's standard comparison for each column there is (names
without diacritics by ``NameComparison``, with its term-frequency adjustment; birth dates
by ``DateOfBirthComparison``; the rest ``ExactMatch``), prediction blocking of the usual
kind (each identifier; name and birth year), the match prior (lambda) from deterministic
rules on the identifiers with an assumed recall of 0.8, u by random sampling (1e7 pairs,
seeded), EM on two blocking rules, prediction at match weight -10 as the quickstart does,
and connected components at the quickstart's 0.95 match probability. Splink's log is kept
to errors; its warnings (m values it could not train) are those of any plain model.

A mention that gives only an identifier (a birth record's parents, a civil servant's
agency) is where a plain model falls short: u from random sampling puts the chance that
two random mentions share an ID at about the share of pairs that are matches, so an
identical ID weighs about as much as the prior against a match, and such a pair stays
well under the threshold (about 0.5; 0.67 with the same sex). Hence the benchmark's
second line per model, over the records whose mention states a name.

Each model runs in a forked child (``run_isolated``), so its peak memory is its own and
DuckDB's memory goes back when it ends. The timed part is the whole Splink run: reading
the mentions out of PostgreSQL into DuckDB (``COPY ... TO STDOUT`` as CSV, read back with
``read_csv``), training, prediction and clustering. Then, untimed, the clusters go back to
the warehouse (``bench_er.splink_<kind>_clusters``: unique_id, cluster_id), where they are
scored over the same truth records as kho's, by the same SQL.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import mentions
import splink
import splink.comparison_library as cl
from psycopg import sql
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from truth import SCHEMA

from kho import db

SPLINK_VERSION = splink.__version__
MATCH_PROBABILITY_THRESHOLD = 0.95
U_SAMPLE_PAIRS = 1e7
SEED = 42

PERSON_COLUMNS = {
    "unique_id": "varchar", "personal_id_number": "varchar", "id_card_number": "varchar",
    "full_name_key": "varchar", "sex": "varchar", "birth_date": "date",
    "birth_current_commune_code": "varchar",
}
ORGANIZATION_COLUMNS = {
    "unique_id": "varchar", "name_key": "varchar", "code_key": "varchar",
    "legacy_commune_code": "varchar",
}


@dataclass(frozen=True)
class Model:
    """One plain Splink model: what it reads, how it compares, blocks and trains."""

    mentions_sql: str
    columns: dict[str, str]
    settings: SettingsCreator
    deterministic_rules: list
    deterministic_recall: float
    em_blocking_rules: list


def person_model() -> Model:
    return Model(
        mentions_sql=mentions.PERSON_MENTIONS_SQL,
        columns=PERSON_COLUMNS,
        settings=SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("full_name_key"),
                cl.DateOfBirthComparison("birth_date", input_is_string=False),
                cl.ExactMatch("sex"),
                cl.ExactMatch("personal_id_number"),
                cl.ExactMatch("id_card_number"),
                cl.ExactMatch("birth_current_commune_code"),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("personal_id_number"),
                block_on("id_card_number"),
                block_on("full_name_key", "year(birth_date)"),
            ],
        ),
        deterministic_rules=[block_on("personal_id_number"), block_on("id_card_number")],
        deterministic_recall=0.8,
        em_blocking_rules=[block_on("full_name_key", "birth_date"),
                           block_on("personal_id_number")],
    )


def organization_model() -> Model:
    return Model(
        mentions_sql=mentions.ORGANIZATION_MENTIONS_SQL,
        columns=ORGANIZATION_COLUMNS,
        settings=SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("name_key"),
                cl.ExactMatch("code_key"),
                cl.ExactMatch("legacy_commune_code"),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("code_key"),
                block_on("name_key"),
            ],
        ),
        deterministic_rules=[block_on("code_key")],
        deterministic_recall=0.8,
        em_blocking_rules=[block_on("name_key"), block_on("code_key")],
    )


@dataclass(frozen=True)
class SplinkResult:
    clusters_table: str  # in the warehouse
    seconds: float
    peak_mib: float


def copy_into_duckdb(con: duckdb.DuckDBPyConnection, url: str, query: str,
                     columns: dict[str, str], table: str, workdir: Path) -> None:
    """Stream ``columns`` of a PostgreSQL query out as CSV and read them into a DuckDB
    table."""
    path = workdir / f"{table}.csv"
    query = f"select {', '.join(columns)} from ({query}) as q"
    with db.connect(url) as conn, path.open("wb") as out, conn.cursor().copy(
            sql.SQL("copy ({}) to stdout (format csv, header)").format(sql.SQL(query))
    ) as reader:
        for block in reader:
            out.write(block)
    # The dialect is PostgreSQL's CSV, stated rather than sniffed: sniffing a sample can
    # miss the quoting that names with commas ("ubnd phuong 5, thanh pho tan an") need.
    con.execute(f"create or replace table {table} as select * from read_csv(?, header = true, "
                f"delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
                f"columns = {columns!r})", [str(path)]).fetchall()
    path.unlink()


def copy_into_postgres(con: duckdb.DuckDBPyConnection, query: str, url: str, table: str,
                       workdir: Path) -> None:
    """Write a DuckDB query's rows (two text columns) into a new warehouse table ``table``,
    through a CSV file, so neither side holds them all in memory."""
    path = workdir / "clusters.csv"
    con.execute(f"copy ({query}) to '{path}' (format csv, header)").fetchall()
    target = sql.Identifier(SCHEMA, table)
    with db.connect(url) as conn:
        conn.execute(sql.SQL("drop table if exists {}").format(target))
        conn.execute(sql.SQL("create table {} (unique_id text primary key, cluster_id text)"
                             ).format(target))
        with path.open("rb") as source, conn.cursor().copy(sql.SQL(
                "copy {} from stdin (format csv, header)").format(target)) as writer:
            while block := source.read(1 << 20):
                writer.write(block)
        conn.execute(sql.SQL("analyze {}").format(target))
    path.unlink()


def run(model: Model, url: str, clusters_table: str) -> SplinkResult:
    """Train, predict and cluster; then write the clusters into ``bench_er.<clusters_table>``
    of the warehouse."""
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        db_api = DuckDBAPI()
        con = db_api.duckdb_con
        copy_into_duckdb(con, url, model.mentions_sql, model.columns, "mentions",
                         Path(workdir))
        linker = Linker(db_api.register("mentions"), model.settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            model.deterministic_rules, recall=model.deterministic_recall)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
        for rule in model.em_blocking_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict(threshold_match_weight=-10)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=MATCH_PROBABILITY_THRESHOLD)
        seconds = time.perf_counter() - started

        copy_into_postgres(con, f"select unique_id, cluster_id::text from "
                           f"{clusters.physical_name}", url, clusters_table, Path(workdir))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return SplinkResult(f"{SCHEMA}.{clusters_table}", seconds, peak)


MODELS = {"persons": person_model, "organizations": organization_model}


def _run_by_name(model_name: str, url: str) -> SplinkResult:
    return run(MODELS[model_name](), url, f"splink_{model_name}_clusters")


def run_isolated(model_name: str, url: str) -> SplinkResult:
    """``run`` in a forked child: its own peak memory, its memory returned at the end."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_run_by_name, model_name, url).result()

