"""How well and how fast kho resolves persons and organizations, against a plain Splink model.

    .venv/bin/python benchmarks/entity_resolution --scales 100000,1000000
        [--seed 42] [--no-splink] [--noise KIND=RATE ...] [--noise-level F]

For each scale, on the configured warehouse server (the embedded one unless
KHO_WAREHOUSE_URL is set): seeds the simulated sources at the noise asked for (the
default unless ``--noise`` / ``--noise-level`` say otherwise, as ``kho sources seed`` takes
them) into ``<db>_bench_er<scale>[_noise<digest>]_src_<source>`` and ``..._ground_truth``
unless they already hold that scale, seed and noise, loads them and the reference data
into ``..._warehouse`` unless it already holds them, builds the dbt seeds and models of
resolution and all they read, without tests, and copies the truth beside the mentions (all
untimed). Then, in the same run:

- kho: times ``dbt run --full-refresh --select tag:entity_resolution`` (every model that
  matches, clusters or builds the xref marts, rebuilt from scratch), samples the
  PostgreSQL server's memory meanwhile (server_memory.py), and reads its clusters from
  ``marts_build.xref_person`` and ``marts_build.xref_organization``;
- Splink: a plain Splink 5 model of each (splink_baseline.py) on the same mentions, timed
  from reading them out of PostgreSQL to its clusters, in a child process of its own.

Both are scored alike over every truth record of a person or an organization
(universe.py): a record that never reached the mentions (quarantined, dropped by a staging
filter) or that the matcher did not resolve is a miss, a cluster of its own. For each it
prints pairwise precision, recall and F1 against the generator's ground truth
(scoring.py), how many records each source lost and why, the same over the records whose
mention states a name (a plain Splink model cannot link one that gives only an ID number
or code, see splink_baseline.py), and per noise kind over the pairs that involve a record
carrying it (held-out kinds apart). Goals: persons precision at least 0.998 and recall at
least 0.99; organizations none lost, and the same precision and recall; kho's resolution
under 5 minutes at 1,000,000 persons.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import splink_baseline
import truth
import universe
from databases import bench_databases, dbt, has_relation, prepare, tagged_models
from mentions import KEY_COLUMNS, KINDS, UPSTREAM_MODELS, EntityKind
from noise_options import add_noise_options, describe, noise_settings
from psycopg import sql
from scoring import ALL, PairwiseScores, scores, self_check, touching, within
from server_memory import INTERVAL, PeakMemory, server_process

from kho import db, warehouse
from simulated_sources import noise as noise_kinds
from simulated_sources.noise import NoiseSettings

TAG = "entity_resolution"
GOAL_PRECISION, GOAL_RECALL, GOAL_SECONDS, GOAL_SCALE = 0.998, 0.99, 300.0, 1_000_000
HELD_OUT_KINDS = frozenset(getattr(noise_kinds, "HELD_OUT_KINDS", ()))
MIB = 1024 * 1024


def kho_clusters_sql(kind: EntityKind) -> str:
    keys = ", ".join(KEY_COLUMNS)
    return (f"select distinct on ({keys}) {keys}, {kind.cluster_column} as cluster "
            f"from {kind.xref}")


def splink_clusters_sql(kind: EntityKind, clusters_table: str) -> str:
    return (f"select {', '.join(f'm.{c}' for c in KEY_COLUMNS)}, c.cluster_id as cluster "
            f"from {clusters_table} as c join ({kind.mentions_sql}) as m using (unique_id)")


def duplicated_keys(url: str, kind: EntityKind) -> int:
    """Mention keys kho's xref mart holds more than once (one is scored)."""
    keys = sql.SQL(", ").join(map(sql.Identifier, KEY_COLUMNS))
    with db.connect(url) as conn:
        return conn.execute(sql.SQL(
            "select count(*) from (select 1 from {} group by {} having count(*) > 1) as d"
        ).format(sql.Identifier(*kind.xref.split(".")), keys)).fetchone()[0]


def untracked_mentions(url: str, kind: EntityKind) -> list[tuple[str, str, str, int]]:
    """Mentions whose key no truth record of the kind has: a sign that keys or roles of the
    mentions and the truth drifted apart (those records would look missed)."""
    with db.connect(url) as conn:
        return conn.execute(sql.SQL("""
            select m.source_system, m.source_table, m.role, count(*)
            from ({mentions}) as m
            where not exists (
                select from {schema}.truth_records as t
                where t.entity_kind = {kind} and t.source = m.source_system
                    and t.table_name = m.source_table and t.record_key = m.source_record_key
                    and t.role = m.role)
            group by 1, 2, 3 order by 1, 2, 3
        """).format(mentions=sql.SQL(kind.mentions_sql), schema=sql.Identifier(truth.SCHEMA),
                    kind=sql.Literal(kind.kind))).fetchall()


def p_r_f1(s: PairwiseScores) -> str:
    return f"{s.precision:.4f} / {s.recall:.4f} / {s.f1:.4f}"


def missing_report(kind: EntityKind, outcome: universe.Outcome) -> list[str]:
    """Per source, and per table and role, the truth records and those kho missed."""
    total = sum(m.records for m in outcome.missing)
    lines = [f"{kind.plural}: {total:,} truth records; missed by kho, per source and per "
             "table and role:",
             f"  {'':<56} {'records':>10} {'quarantined':>12} {'other':>8}"]
    for source in sorted({m.source for m in outcome.missing}):
        rows = [m for m in outcome.missing if m.source == source]
        lines.append(f"  {source:<56} {sum(m.records for m in rows):>10,} "
                     f"{sum(m.quarantined for m in rows):>12,} {sum(m.other for m in rows):>8,}")
        for m in rows:
            name = f"{m.table} as {m.role}" + (f", through {m.through}" if m.through else "")
            lines.append(f"    {name:<54} {m.records:>10,} {m.quarantined:>12,} {m.other:>8,}")
    lines.append(f"  {'all sources':<56} {total:>10,} "
                 f"{sum(m.quarantined for m in outcome.missing):>12,} "
                 f"{sum(m.other for m in outcome.missing):>8,}")
    return lines


def missed(outcome: universe.Outcome) -> int:
    return sum(m.quarantined + m.other for m in outcome.missing)


def noise_table(kind: EntityKind, outcomes: dict[str, universe.Outcome]) -> list[str]:
    """Per noise kind (held-out kinds apart), P / R / F1 of each matcher over the pairs
    that involve a record carrying it, and the records carrying it; then the pairs among
    records carrying no noise at all."""
    first = next(iter(outcomes.values()))
    kinds = sorted(m.removeprefix("noise:") for m in first.sizes if m.startswith("noise:"))
    header = (f"  {'':<30} {'records':>9}" + "".join(
        f"   {matcher + ' P / R / F1':<26}" for matcher in outcomes)).rstrip()

    def line(label: str, mark: str, counted) -> str:
        carrying = scores(first.sizes[mark], counted).records
        return (f"  {label:<30} {carrying:>9,}" + "".join(
            f"   {p_r_f1(scores(o.sizes[mark], counted)):<26}" for o in outcomes.values())
        ).rstrip()

    lines = [f"{kind.plural} by noise kind, over the pairs that involve a record carrying it:",
             header]
    lines += [line(k, f"noise:{k}", touching) for k in kinds if k not in HELD_OUT_KINDS]
    if "clean" in first.sizes:
        lines.append(line("no noise (pairs among them)", "clean", within))
    held_out = [k for k in kinds if k in HELD_OUT_KINDS]
    if held_out:
        lines.append(f"{kind.plural}, held-out noise kinds:")
        lines += [line(k, f"noise:{k}", touching) for k in held_out]
    return lines


def score_line(label: str, kind: EntityKind, outcome: universe.Outcome, extra: str) -> str:
    s = scores(outcome.sizes[ALL])
    return (f"{label:<24} precision {s.precision:.4f} recall {s.recall:.4f} F1 {s.f1:.4f}  "
            f"({s.records:,} records, {s.predicted_clusters:,} clusters; "
            f"{s.true_entities:,} true {kind.plural}; {missed(outcome):,} missed){extra}")


def named_line(outcome: universe.Outcome) -> str:
    """The same over the records whose mention states a name (not those that give only an
    ID number or code: a birth record's parents, a civil servant's agency)."""
    s = scores(outcome.sizes["named"], within) if "named" in outcome.sizes else None
    if s is None:
        return f"{'  of which with a name:':<24} none"
    return (f"{'  of which with a name:':<24} precision {s.precision:.4f} recall "
            f"{s.recall:.4f} F1 {s.f1:.4f}  ({s.records:,} records)")


def goals(outcomes: dict[tuple[str, str], universe.Outcome], seconds: float | None,
          scale: int) -> list[str]:
    lines = []
    for plural in ("persons", "organizations"):
        outcome = outcomes.get((plural, "kho"))
        if outcome is None:
            continue
        s = scores(outcome.sizes[ALL])
        if plural == "organizations":
            # An organization is lost when none of its records reaches a master: a record
            # kho cannot resolve (a land right whose holder was left empty) costs recall.
            lines.append(f"  organizations lost (no record of theirs resolved; "
                         f"{missed(outcome):,} records missed in all): "
                         f"{outcome.entities_lost:,} (goal: none): "
                         f"{met(outcome.entities_lost == 0)}")
        lines += [f"  {plural} precision {s.precision:.4f} (goal >= {GOAL_PRECISION}): "
                  f"{met(s.precision >= GOAL_PRECISION)}",
                  f"  {plural} recall {s.recall:.4f} (goal >= {GOAL_RECALL}): "
                  f"{met(s.recall >= GOAL_RECALL)}"]
    if seconds is not None and scale >= GOAL_SCALE:
        lines.append(f"  time {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s at "
                     f"{GOAL_SCALE:,} persons): {met(seconds < GOAL_SECONDS)}")
    return ["goals, kho over every truth record:", *lines] if lines else []


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run_scale(server: str, scale: int, seed: int, noise: NoiseSettings, noise_level: float,
              with_splink: bool) -> None:
    databases = bench_databases(server, scale, noise)
    print(f"\n== {scale:,} persons (seed {seed}, {describe(noise, noise_level)}); warehouse "
          f"{db.redact(databases.warehouse)}", flush=True)
    for done in prepare(databases, seed):
        print(done, flush=True)
    url = databases.warehouse

    # Everything the tagged models read is built first, the tagged models included: some
    # read models that in turn read tagged ones (dim_person reads the person clusters), so
    # no selection builds their inputs without them. The timed run then rebuilds exactly
    # the tagged models, from scratch (--full-refresh: the incremental ones too, as a full
    # build does; a warehouse kept from an earlier release's run is rebuilt so as well).
    postmaster = server_process(url)
    with tempfile.TemporaryDirectory() as target:
        upstream, _ = dbt(url, Path(target), "build", "--full-refresh",
                          "--exclude-resource-type", "test",
                          "--select", f"+tag:{TAG}", *UPSTREAM_MODELS)
        models = tagged_models(Path(target), TAG)
        print(f"dbt build (no tests) of resolution and all it reads: {upstream:.1f} s "
              "(untimed)", flush=True)
        with PeakMemory(postmaster) if postmaster else contextlib.nullcontext() as peak:
            kho_seconds, results = (dbt(url, Path(target), "run", "--full-refresh",
                                        "--select", f"tag:{TAG}")
                                    if models else (None, []))

    copied = truth.copy_truth(databases.truth, url)
    print("copied the ground truth beside the mentions (untimed): " + ", ".join(
        f"{n:,} rows of {table}" for table, n in copied.items()))
    for kind in KINDS:
        universe.build(url, kind.kind, kind.mentions_sql, kind.name_column)
        for source, table, role, n in untracked_mentions(url, kind):
            print(f"{kind.plural}: {n:,} mentions of {source}.{table} as {role} have no truth "
                  "record (they are not scored)")
    every_role = universe.every_role_columns(url)
    if every_role:
        print("noise on these columns goes to every person and organization their row "
              "names (universe.py): " + ", ".join(every_role))

    outcomes: dict[tuple[str, str], universe.Outcome] = {}
    notes: dict[tuple[str, str], str] = {}
    if kho_seconds is not None:
        slowest = sorted(results, key=lambda r: -r["execution_time"])[:5]
        memory = (f"the PostgreSQL server's peak memory {peak.above / MIB:,.0f} MiB above the "
                  f"{peak.before / MIB:,.0f} MiB it held before (sum of the RSS of its "
                  f"processes, sampled every {INTERVAL} s)" if postmaster else
                  "the PostgreSQL server is not on this machine: its memory is not sampled")
        print(f"kho's resolution: dbt run of {len(models)} models tagged {TAG} in "
              f"{kho_seconds:.1f} s; {memory}; slowest: " + ", ".join(
                  f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f} s"
                  for r in slowest))
        for kind in KINDS:
            if not has_relation(url, kind.xref):
                print(f"{kind.plural}, kho: no {kind.xref}; left out")
                continue
            outcomes[(kind.plural, "kho")] = universe.score(url, kind.kind,
                                                            kho_clusters_sql(kind))
            duplicated = duplicated_keys(url, kind)
            notes[(kind.plural, "kho")] = f" in {kho_seconds:.1f} s" + (
                f"; {duplicated:,} mention keys more than once in {kind.xref}"
                if duplicated else "")
    else:
        print(f"kho: no dbt model carries the tag {TAG} yet; its figures are left out")

    if with_splink:
        for kind in KINDS:
            result = splink_baseline.run_isolated(kind.plural, url)
            outcomes[(kind.plural, "Splink")] = universe.score(
                url, kind.kind, splink_clusters_sql(kind, result.clusters_table))
            notes[(kind.plural, "Splink")] = (f" in {result.seconds:.1f} s, peak memory "
                                              f"{result.peak_mib:,.0f} MiB")

    for kind in KINDS:
        by_matcher = {matcher: outcome for (plural, matcher), outcome in outcomes.items()
                      if plural == kind.plural}
        if not by_matcher:
            continue
        print()
        if "kho" in by_matcher:
            print("\n".join(missing_report(kind, by_matcher["kho"])))
        for matcher, outcome in by_matcher.items():
            print(score_line(f"{kind.plural}, {matcher}:", kind, outcome,
                             notes[(kind.plural, matcher)]))
            print(named_line(outcome))
        print("\n".join(noise_table(kind, by_matcher)), flush=True)

    lines = goals(outcomes, kho_seconds, scale)
    if lines:
        print()
        print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000",
                        help="persons per run, comma-separated; each in its own databases")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-splink", dest="splink", action="store_false",
                        help="leave out the Splink comparison (for quick runs of kho alone)")
    add_noise_options(parser)
    args = parser.parse_args()
    noise = noise_settings(parser, args)
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]

    self_check()
    server = warehouse.ensure_warehouse()
    print(f"warehouse server {db.redact(server)}; Splink "
          f"{splink_baseline.SPLINK_VERSION}, clusters at match probability "
          f"{splink_baseline.MATCH_PROBABILITY_THRESHOLD}")
    started = time.perf_counter()
    for scale in scales:
        run_scale(server, scale, args.seed, noise, args.noise_level, args.splink)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
