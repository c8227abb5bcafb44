"""The persistent map from source records to master IDs, and the history of those IDs.

dbt derives each master's ID from its anchor (the personal ID, CMND, enterprise code, ...),
so a re-run or a rebuild from raw data gives the same IDs. What dbt cannot know is what an
ID *was*: when a person known by a CMND is linked to a 12-digit personal ID, the CMND-based
ID gives way to the personal-ID one, and agencies that stored the old ID must still reach the
person. After each publication, :func:`record_master_ids` compares the published
``marts.xref_<entity>`` with the map and, in one transaction:

- adds every new master ID and every new (source record -> ID) pair;
- marks an ID whose records all went to another master as ``merged`` into it (the master
  that received most of them); chains are shortened so that every old ID points straight
  at a live one;
- records a ``split`` when records leave a master that lives on for a new one, ``moved``
  when they go to another existing master, ``reinstated`` when a merged ID comes back, and
  ``retired`` when every record of an ID was deleted in its source.

Tables, in schema ``master_data`` (kept by every rebuild; dbt never touches it):
``<entity>_ids`` (ID, anchor, status, merged_into, first/last published),
``<entity>_id_map`` (source record -> ID, first/last published) and
``<entity>_id_events``, made by the migrations (:mod:`kho.migrations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from kho import db
from kho.settings import load_settings


@dataclass(frozen=True)
class Entity:
    name: str  # person, organization
    id_column: str

    def table(self, suffix: str) -> sql.Identifier:
        return sql.Identifier("master_data", f"{self.name}_{suffix}")

    @property
    def xref(self) -> sql.Identifier:
        return sql.Identifier("marts", f"xref_{self.name}")


ENTITIES = (Entity("person", "person_id"), Entity("organization", "organization_id"))

LOCK_ID = 2_024_061_7  # pg_advisory_xact_lock key: one map update at a time


class MassRetirement(RuntimeError):
    """A publication would retire more master IDs at once than an operator would believe."""


def max_retired_share() -> float:
    return load_settings().max_retired_share


def _record(conn, entity: Entity) -> dict[str, int]:
    names = {"ids": entity.table("ids"), "map": entity.table("id_map"),
             "events": entity.table("id_events"), "xref": entity.xref,
             "id": sql.Identifier(entity.id_column)}

    def run(statement: str) -> int:
        return conn.execute(sql.SQL(statement).format(**names)).rowcount

    run("""create temp table _current on commit drop as
           select source_system, source_table, source_record_key, role, {id} as id,
                  anchor_key
           from {xref}""")
    conn.execute("create index on _current (source_table, source_record_key, role)")
    run("""create temp table _live on commit drop as
           select id, min(anchor_key) as anchor_key, count(*) as records
           from _current group by id""")
    conn.execute("alter table _live add primary key (id)")
    conn.execute("analyze _current, _live")
    # Records whose master changed since the last publication: (old, new, how many).
    run("""create temp table _moves on commit drop as
           select m.id as old_id, c.id as new_id, count(*)::integer as records
           from {map} m
           join _current c using (source_table, source_record_key, role)
           where m.id <> c.id
           group by m.id, c.id""")
    figures: dict[str, int] = {}
    figures["new_ids"] = run("""insert into {ids} (id, anchor_key)
                                select id, anchor_key from _live
                                on conflict (id) do nothing""")
    # Old IDs that no longer name a master: merged into where most of their records went.
    figures["merged"] = run("""
        with gone as (
            select distinct on (old_id) old_id, new_id, records
            from _moves
            where old_id not in (select id from _live)
            order by old_id, records desc, new_id
        ), merged as (
            update {ids} i set status = 'merged', merged_into = gone.new_id,
                              last_published_at = now()
            from gone where i.id = gone.old_id and i.status <> 'merged'
            returning gone.old_id, gone.new_id, gone.records
        )
        insert into {events} (event, id, other_id, records)
        select 'merged', old_id, new_id, records from merged""")
    # Records that went elsewhere while (or besides where) their old master lives on.
    figures["split_or_moved"] = run("""
        insert into {events} (event, id, other_id, records)
        select case when i.first_published_at = now() then 'split' else 'moved' end,
               mv.old_id, mv.new_id, mv.records
        from _moves mv
        join {ids} i on i.id = mv.new_id
        join {ids} o on o.id = mv.old_id
        where o.merged_into is distinct from mv.new_id""")
    figures["reinstated"] = run("""
        with back as (
            update {ids} i set status = 'active', merged_into = null,
                              last_published_at = now()
            from _live l
            where i.id = l.id and i.status <> 'active'
            returning i.id
        )
        insert into {events} (event, id) select 'reinstated', id from back""")
    active, retiring = conn.execute(sql.SQL(
        "select count(*), count(*) filter (where id not in (select id from _live)) "
        "from {ids} where status = 'active'").format(**names)).fetchone()
    limit = max_retired_share()
    if retiring > 100 and retiring > limit * active:
        raise MassRetirement(
            f"refusing to retire {retiring:,} of {active:,} active {entity.name} IDs at once "
            f"(more than KHO_MAX_RETIRED_SHARE={limit:g}): has a source come back empty or "
            "been pointed at the wrong database? Nothing was changed.")
    figures["retired"] = run("""
        with gone as (
            update {ids} i set status = 'retired', last_published_at = now()
            where i.status = 'active' and i.id not in (select id from _live)
            returning i.id
        )
        insert into {events} (event, id) select 'retired', id from gone""")
    # Every merged ID points straight at a live one (A -> B -> C becomes A -> C).
    while run("""update {ids} i set merged_into = target.merged_into
                 from {ids} target
                 where i.merged_into = target.id and target.status = 'merged'"""):
        pass
    # Only what changed is written: at a million persons, rewriting every row of the map
    # at each publication would be millions of row versions for nothing.
    figures["records_mapped"] = run("""
        insert into {map} (source_system, source_table, source_record_key, role, id)
        select source_system, source_table, source_record_key, role, id from _current
        on conflict (source_table, source_record_key, role) do update
            set id = excluded.id, last_published_at = now()
            where {map}.id is distinct from excluded.id""")
    conn.execute("drop table _current, _live, _moves")
    return figures


def _keep_person_links(conn) -> dict[str, int]:
    """Keep the links between groups without a personal ID (CMND groups, records with no
    or a disputed ID) and personal-ID groups that this publication carried (dbt's
    int_persons__links holds them in later builds while the evidence allows) and forget
    those it broke."""
    kept = conn.execute("""
        insert into master_data.person_links (identity_key, anchor_key, evidence)
        select distinct on (identity_key) identity_key, anchor_key,
               regexp_replace(match_rule, '^(id_card|name|disputed_id)_linked_by_', '')
        from marts.xref_person
        where match_rule ~ '^(id_card|name|disputed_id)_linked_by_'
        order by identity_key
        on conflict (identity_key) do update
            set anchor_key = excluded.anchor_key, evidence = excluded.evidence,
                last_published_at = now()
            where person_links.anchor_key is distinct from excluded.anchor_key""").rowcount
    broken = conn.execute("""
        delete from master_data.person_links l
        where not exists (select from marts.xref_person x
                          where x.identity_key = l.identity_key
                            and x.anchor_key = l.anchor_key)""").rowcount
    return {"links_new_or_changed": kept, "links_broken": broken}


def record_master_ids(warehouse_url: str) -> dict[str, dict[str, int]]:
    """Bring the master-ID map up to the published xref marts; figures per entity. Both
    marts are read in one snapshot (a publication cannot land between them)."""
    with db.connect(warehouse_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
        figures = {entity.name: _record(conn, entity) for entity in ENTITIES}
        figures["person"].update(_keep_person_links(conn))
        conn.commit()
    return figures


def resolve(warehouse_url: str, entity: str, master_id: str) -> tuple[str, str] | None:
    """(live ID, status of the ID asked for) for any ID ever published, else None."""
    table = sql.Identifier("master_data", f"{entity}_ids")
    with db.connect(warehouse_url) as conn:
        row = conn.execute(sql.SQL(
            "select coalesce(merged_into, id)::text, status from {} where id = %s"
        ).format(table), (master_id,)).fetchone()
    return (row[0], row[1]) if row else None
