"""Master data in Dagster: the master-ID map after each publication, and checks on the match
quality signals a data steward watches.

``master_data/master_ids`` runs after ``marts/published`` and brings the persistent ID map
and its history up to the published xref marts (see :mod:`pipelines.master_data.ids`).
Its checks (WARN: they ask a person to look, they do not stop the pipeline):

- ``cluster_sizes``: how many source records each master person has; a master with more
  than ``KHO_MAX_PERSON_RECORDS`` (default 200) records is most likely two people glued
  together by a shared or mistyped ID;
- ``share_matched_per_source``: per source, the share of its person records that resolve
  to a master also known to another source, and the share of its CMND-only records that
  entity resolution linked to a 12-digit personal ID; a share below
  ``KHO_MIN_LINKED_SHARE`` (default 0.5) of linkable records fails the check.
"""

import dagster as dg

from kho import db
from kho.settings import load_settings
from pipelines.master_data.ids import record_master_ids
from pipelines.resources import WarehouseResource

MASTER_IDS = dg.AssetKey(["master_data", "master_ids"])
PUBLISHED = dg.AssetKey(["marts", "published"])


@dg.asset(
    key=MASTER_IDS,
    group_name="master_data",
    kinds={"postgres"},
    deps=[PUBLISHED],
    description="The persistent map from every source record to its master person and "
                "organization ID, with merges (old IDs keep resolving to the survivor), "
                "splits, moves and retirements (schema master_data).",
)
def master_ids(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    figures = record_master_ids(warehouse.url())
    context.log.info(f"master IDs: {figures}")
    return dg.MaterializeResult(metadata={
        f"{entity}_{name}": value
        for entity, counts in figures.items() for name, value in counts.items()})


@dg.asset_check(asset=MASTER_IDS, name="cluster_sizes",
                description="Source records per master person; none above the limit.")
def cluster_sizes(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = load_settings().max_person_records
    with db.connect(warehouse.url()) as conn:
        buckets = conn.execute("""
            select case when n = 1 then '1' when n <= 3 then '2-3' when n <= 10 then '4-10'
                        when n <= 50 then '11-50' else '51+' end as bucket, count(*), max(n)
            from (select count(*) as n from marts.xref_person group by person_id) sizes
            group by 1 order by min(n)""").fetchall()
    largest = max((n for _, _, n in buckets), default=0)
    return dg.AssetCheckResult(
        passed=largest <= limit, severity=dg.AssetCheckSeverity.WARN,
        metadata={"largest_master": largest, "limit": limit,
                  **{f"masters_with_{bucket}_records": n for bucket, n, _ in buckets}})


@dg.asset_check(asset=MASTER_IDS, name="share_matched_per_source",
                description="Per source: records whose master another source also knows, "
                            "and CMND-only records linked to a personal ID.")
def share_matched_per_source(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    floor = load_settings().min_linked_share
    with db.connect(warehouse.url()) as conn:
        rows = conn.execute("""
            with masters as (
                select person_id, count(distinct source_system) as systems
                from marts.xref_person group by person_id)
            select x.source_system,
                   avg((m.systems > 1)::int)::float as cross_source,
                   avg((x.match_rule like 'id_card_linked%%')::int)
                       filter (where x.identity_key like 'id_card:%%')::float as cmnd_linked
            from marts.xref_person x join masters m using (person_id)
            group by x.source_system order by 1""").fetchall()
    metadata = {}
    passed = True
    for source, cross_source, cmnd_linked in rows:
        metadata[f"{source}_matched_across_sources"] = round(cross_source, 4)
        if cmnd_linked is not None:
            metadata[f"{source}_cmnd_records_linked"] = round(cmnd_linked, 4)
            passed = passed and cmnd_linked >= floor
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN,
                               metadata={**metadata, "min_linked_share": floor})


defs = dg.Definitions(assets=[master_ids], asset_checks=[cluster_sizes, share_matched_per_source])
