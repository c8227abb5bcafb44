"""How well and how fast kho resolves persons and organizations, against a plain Splink model.

    .venv/bin/python benchmarks/entity_resolution --scales 100000,1000000

For each scale, on the configured warehouse server (the embedded one unless
KHO_WAREHOUSE_URL is set): seeds the simulated sources at the default noise into
``<db>_bench_er<scale>_src_<source>`` and ``<db>_bench_er<scale>_ground_truth`` unless they
already hold that scale, loads them and the reference data into
``<db>_bench_er<scale>_warehouse`` unless it already holds them, builds the dbt seeds and
models of resolution and all they read, without tests, and copies the truth beside the
mentions (all untimed). Then, in the same run:

- kho: times ``dbt run --select tag:entity_resolution`` (every model that matches, clusters
  or builds the xref marts, rebuilt from scratch) and reads its clusters from
  ``marts_build.xref_person`` and ``marts_build.xref_organization``;
- Splink: a plain Splink 5 model of each (splink_baseline.py) on the same mentions, timed
  from reading them out of PostgreSQL to its clusters, in a child process of its own.

For each it prints pairwise precision, recall and F1 against the generator's ground truth
(scoring.py) over the mentions the truth describes, with mention and cluster counts and the
run time (kho's: the wall time of the dbt command), and again over the mentions that state
a name, leaving out those that give only an ID number or code, which a plain Splink model
cannot link (see splink_baseline.py). Goals: person precision at least 0.995 and recall at
least 0.98, a better person F1 than the plain Splink model, and kho's resolution under
5 minutes at 1,000,000 persons.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mentions
import splink_baseline
import truth
from databases import bench_databases, dbt, has_relation, prepare, tagged_models
from psycopg import sql
from scoring import PairwiseScores, contingency_sql, pairwise_scores, self_check

from kho import db, warehouse

TAG = "entity_resolution"
GOAL_PRECISION, GOAL_RECALL, GOAL_SECONDS, GOAL_SCALE = 0.995, 0.98, 300.0, 1_000_000


def kho_scores(url: str, labels_table: str, xref: str, cluster_column: str
               ) -> tuple[PairwiseScores, PairwiseScores, int, int]:
    """Scores of kho's clusters in ``xref``, over all mentions and over those with a name;
    also the labelled mentions it lacks (each counted as a cluster of its own) and the
    mention keys it holds more than once."""
    keys = sql.SQL(", ").join(map(sql.Identifier, mentions.KEY_COLUMNS[1:]))
    xref_name = sql.Identifier(*xref.split("."))
    with db.connect(url) as conn:
        duplicated = conn.execute(sql.SQL(
            "select count(*) from (select 1 from {} group by {} having count(*) > 1) as d"
        ).format(xref_name, keys)).fetchone()[0]
        conn.execute(sql.SQL("""
            create temp view labelled as
            select coalesce(xref.{cluster}::text, 'unresolved:' || labels.unique_id)
                    as predicted,
                labels.entity_no as truth,
                labels.named,
                xref.{cluster} is null as unresolved
            from {labels} as labels
            left join (select distinct on ({keys}) * from {xref}) as xref using ({keys})
            where labels.entity_no is not null
        """).format(cluster=sql.Identifier(cluster_column), keys=keys, xref=xref_name,
                    labels=sql.Identifier(truth.SCHEMA, labels_table)))
        missing = conn.execute("select count(*) from labelled where unresolved").fetchone()[0]
        scores, named_scores = (pairwise_scores(conn.execute(contingency_sql(named)).fetchall())
                                for named in (False, True))
    return scores, named_scores, missing, duplicated


def figures(label: str, scores: PairwiseScores, entity: str, seconds: float,
            extra: str = "") -> str:
    return (f"{label:<24} precision {scores.precision:.4f} recall {scores.recall:.4f} "
            f"F1 {scores.f1:.4f}  ({scores.mentions:,} mentions, "
            f"{scores.predicted_clusters:,} clusters; {scores.true_entities:,} true "
            f"{entity}) in {seconds:.1f} s{extra}")


def named_figures(scores: PairwiseScores) -> str:
    """The same over the mentions that state a name (not those that give only an ID
    number or code: a birth record's parents, a civil servant's agency)."""
    return (f"{'  of which with a name:':<24} precision {scores.precision:.4f} recall "
            f"{scores.recall:.4f} F1 {scores.f1:.4f}  ({scores.mentions:,} mentions)")


def unlinked_report(url: str, labels_table: str) -> str:
    with db.connect(url) as conn:
        rows = conn.execute(sql.SQL(
            "select source_system, source_table, role, count(*) from {} "
            "where entity_no is null group by 1, 2, 3 order by 1, 2, 3").format(
                sql.Identifier(truth.SCHEMA, labels_table))).fetchall()
    return "; ".join(f"{s}.{t} as {r}: {n:,}" for s, t, r, n in rows)


def label(url: str, kind: str) -> tuple[str, str]:
    """Label the mentions of ``kind`` with their true entity; the labels table and the
    line saying how many found their truth link."""
    relation, name, table = {
        "person": (mentions.PERSON_MENTIONS_SQL, "full_name_key", "person_truth"),
        "organization": (mentions.ORGANIZATION_MENTIONS_SQL, "name_key", "organization_truth"),
    }[kind]
    total, linked = truth.label_mentions(url, f"({relation})", mentions.KEY_COLUMNS, name,
                                         kind, table)
    line = (f"{kind} mentions with a truth link: {linked:,} of {total:,} "
            f"({100 * linked / max(total, 1):.2f}%)")
    if linked < total:
        line += f"; without one: {unlinked_report(url, table)}"
    return table, line


def run_scale(server: str, scale: int, seed: int, with_splink: bool) -> None:
    databases = bench_databases(server, scale)
    print(f"\n== {scale:,} persons (seed {seed}, default noise); warehouse "
          f"{db.redact(databases.warehouse)}", flush=True)
    for done in prepare(databases, seed):
        print(done, flush=True)
    url = databases.warehouse

    # Everything the tagged models read is built first, the tagged models included: some
    # read models that in turn read tagged ones (dim_person reads the person clusters), so
    # no selection builds their inputs without them. The timed run then rebuilds exactly
    # the tagged models, from scratch as every run does.
    with tempfile.TemporaryDirectory() as target:
        upstream, _ = dbt(url, Path(target), "build", "--exclude-resource-type", "test",
                          "--select", f"+tag:{TAG}", *mentions.UPSTREAM_MODELS)
        models = tagged_models(Path(target), TAG)
        print(f"dbt build (no tests) of resolution and all it reads: {upstream:.1f} s "
              "(untimed)", flush=True)
        kho_seconds, results = (dbt(url, Path(target), "run", "--select", f"tag:{TAG}")
                                if models else (None, []))

    truth_rows = truth.copy_truth(databases.truth, url)
    print(f"copied {truth_rows:,} rows of ground truth beside the mentions (untimed)")
    labels = {kind: label(url, kind) for kind in ("person", "organization")}
    for _, line in labels.values():
        print(line)

    lines: dict[tuple[str, str], tuple[PairwiseScores, float]] = {}
    if kho_seconds is not None:
        slowest = sorted(results, key=lambda r: -r["execution_time"])[:5]
        print(f"kho's resolution: dbt run of {len(models)} models tagged {TAG} in "
              f"{kho_seconds:.1f} s; slowest: " + ", ".join(
                  f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f} s"
                  for r in slowest))
        for kind, entity, column in (("person", "persons", "person_id"),
                                     ("organization", "organizations", "organization_id")):
            if not has_relation(url, f"marts_build.xref_{kind}"):
                print(f"{entity}, kho: no marts_build.xref_{kind}; left out")
                continue
            scores, named_scores, missing, duplicated = kho_scores(
                url, labels[kind][0], f"marts_build.xref_{kind}", column)
            lines[(entity, "kho")] = (scores, kho_seconds)
            notes = "".join((
                f"; {missing:,} mentions not in xref_{kind}" if missing else "",
                f"; {duplicated:,} mention keys more than once in xref_{kind}"
                if duplicated else ""))
            print(figures(f"{entity}, kho:", scores, entity, kho_seconds, notes))
            print(named_figures(named_scores), flush=True)
    else:
        print(f"kho: no dbt model carries the tag {TAG} yet; its figures are left out")

    if with_splink:
        for kind, entity in (("person", "persons"), ("organization", "organizations")):
            result = splink_baseline.run_isolated(
                entity, url, f"select unique_id, entity_no::text as truth, named "
                f"from {truth.SCHEMA}.{labels[kind][0]} where entity_no is not null")
            lines[(entity, "Splink")] = (result.scores, result.seconds)
            print(figures(f"{entity}, Splink:", result.scores, entity, result.seconds,
                          f", peak memory {result.peak_mib:,.0f} MiB"))
            print(named_figures(result.named_scores), flush=True)

    if ("persons", "kho") in lines:
        kho, seconds = lines[("persons", "kho")]
        goals = [f"person precision {kho.precision:.4f} (goal >= {GOAL_PRECISION}): "
                 f"{met(kho.precision >= GOAL_PRECISION)}",
                 f"recall {kho.recall:.4f} (goal >= {GOAL_RECALL}): "
                 f"{met(kho.recall >= GOAL_RECALL)}"]
        if ("persons", "Splink") in lines:
            splink = lines[("persons", "Splink")][0]
            goals.append(f"F1 {kho.f1:.4f} vs Splink {splink.f1:.4f} (goal: better): "
                         f"{met(kho.f1 > splink.f1)}")
        if scale >= GOAL_SCALE:
            goals.append(f"time {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s at "
                         f"{GOAL_SCALE:,} persons): {met(seconds < GOAL_SECONDS)}")
        print("goals: " + "; ".join(goals))


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000",
                        help="persons per run, comma-separated; each in its own databases")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-splink", dest="splink", action="store_false",
                        help="leave out the Splink comparison (for quick runs of kho alone)")
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]

    self_check()
    server = warehouse.ensure_warehouse()
    print(f"warehouse server {db.redact(server)}; Splink "
          f"{splink_baseline.SPLINK_VERSION}, clusters at match probability "
          f"{splink_baseline.MATCH_PROBABILITY_THRESHOLD}")
    started = time.perf_counter()
    for scale in scales:
        run_scale(server, scale, args.seed, args.splink)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
