"""The change feed: what a publication changed in the published master records.

:func:`record_changes` runs inside the publication's transaction, after the swap, with the
outgoing marts in ``marts_previous`` and the incoming ones in ``marts``. It compares them in
set-based SQL and appends to ``changes.events`` (schema made by the migrations):

- per record, a hash of its published attributes (those the API shows, named as its
  fields) on both sides; only records whose hash differs are looked at further;
- ``created`` (every attribute), ``updated`` (the changed attributes, their new and
  previous values) and ``retired`` (gone from the marts);
- for persons and organizations, an ID that is gone while its source records now resolve
  to another master is ``merged_into`` the master that received most of them (the rule the
  master-ID registry applies, :mod:`pipelines.master_data.ids`, which records the same
  merge once the publication is in), and a new ID that took records from a master that
  lives on is a ``split`` of that master.

Within a publication the events come in this order: created, updated, split, merged_into,
retired; entities in the order of ``FEED`` (retirements in reverse), records by ID; then
the data-quality issues' events (:mod:`pipelines.dbt.quality_issues`). The
cursor (an identity) is drawn under a transaction-level lock, so cursors become visible in
order. The first publication (no outgoing marts) writes no events: it is a snapshot, and a
subscriber starts from the bulk downloads, which say the cursor they were taken at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from kho.quality_issues import ISSUE_TYPE

OLD_SCHEMA = "marts_previous"
NEW_SCHEMA = "marts"
# pg_advisory_xact_lock key: one publication appends to the feed at a time.
LOCK_ID = 0x6B686F43


@dataclass(frozen=True)
class FeedEntity:
    """A kind of published record: its mart, key, and published attributes (API field
    name -> mart column)."""

    entity_type: str
    mart: str
    key: str
    attributes: dict[str, str]
    person: str | None = None  # the column naming whose personal data the record is
    datasets: str | None = None  # the column listing the datasets that mention it
    xref: str | None = None  # the cross-reference mart that says merges and splits
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        used = [self.key, *self.attributes.values(), self.person, self.datasets]
        object.__setattr__(self, "columns", tuple(dict.fromkeys(c for c in used if c)))


def _same(*names: str) -> dict[str, str]:
    """Attributes whose API field is the column in camelCase."""
    return {_camel(name): name for name in names}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FEED = (
    FeedEntity("admin_unit", "dim_admin_unit", "admin_unit_id", {
        "code": "admin_unit_code", "name": "admin_unit_name", "parent": "parent_admin_unit_id",
        **_same("short_name", "unit_type", "level", "generation", "province_code", "latitude",
                "longitude")}),
    FeedEntity("person", "dim_person", "person_id", {
        "birthCommune": "birth_current_commune_code",
        "birthLegacyCommune": "birth_legacy_commune_code",
        **_same("personal_id_number", "id_card_number", "full_name", "sex", "birth_date",
                "birth_date_precision", "is_deceased", "death_date", "source_systems",
                "mention_count", "last_source_update_at")},
        person="person_id", datasets="source_systems", xref="xref_person"),
    FeedEntity("organization", "dim_organization", "organization_id", {
        "name": "organization_name",
        **_same("organization_type", "enterprise_code", "industry_code",
                "industry_division_code", "industry_section_code", "industry_section_name_vi",
                "industry_section_name_en", "status", "status_name_vi", "status_name_en",
                "legacy_commune_code", "current_commune_code", "address_line",
                "registered_on", "source_system", "source_updated_at")},
        xref="xref_organization"),
    FeedEntity("land_parcel", "dim_land_parcel", "land_parcel_id", _same(
        "legacy_commune_code", "current_commune_code", "map_sheet_number", "parcel_number",
        "area_m2", "land_use_code", "land_use_group", "land_use_name_vi", "land_use_name_en",
        "planning_zone", "boundary_wkt", "certificate_serial", "certificate_issued_on",
        "source_updated_at")),
    FeedEntity("land_right", "fct_land_right", "land_right_id", {
        "landParcel": "land_parcel_id", "person": "person_id",
        "organization": "organization_id",
        **_same("holder_type", "holder_name", "ownership_share", "certificate_serial",
                "certificate_issued_on", "valid_from", "valid_to", "is_current",
                "source_updated_at")},
        person="person_id"),
    FeedEntity("enterprise_role", "fct_enterprise_role", "enterprise_role_id", {
        "organization": "organization_id", "person": "person_id",
        **_same("role", "full_name", "registered_on")},
        person="person_id"),
    FeedEntity("employment", "fct_employment", "employment_id", {
        "person": "person_id", "organization": "organization_id",
        **_same("civil_servant_code", "full_name", "agency_code", "position_title",
                "grade_code", "grade_name_vi", "grade_name_en", "salary_coefficient",
                "valid_from", "valid_to", "is_current", "is_active_after_death")},
        person="person_id"),
)
# Data-quality issues are in the feed too, as their status changes, at a publication or
# between two.
ENTITY_TYPES = (*(entity.entity_type for entity in FEED), ISSUE_TYPE)
KINDS = ("created", "updated", "split", "merged_into", "retired")


@dataclass(frozen=True)
class FeedFigures:
    snapshot: bool
    events: dict[str, int]  # per kind
    seconds: float
    note: str | None = None


def table_columns(conn: psycopg.Connection, schema: str, table: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = %s and table_name = %s", (schema, table))}


def _missing(conn: psycopg.Connection) -> list[str]:
    """Marts or columns the feed reads that either side lacks (a release that changed the
    marts): the publication is then a snapshot."""
    missing = []
    for entity in FEED:
        for schema in (OLD_SCHEMA, NEW_SCHEMA):
            present = table_columns(conn, schema, entity.mart)
            missing += [f"{schema}.{entity.mart}.{c}" for c in entity.columns
                        if c not in present]
            if entity.xref and not table_columns(conn, schema, entity.xref) >= {
                    entity.key, "source_table", "source_record_key", "role"}:
                missing.append(f"{schema}.{entity.xref}")
    return missing


def _json(entity: FeedEntity, alias: str) -> sql.Composable:
    return sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(
        sql.SQL("{}, {}.{}").format(sql.Literal(name), sql.Identifier(alias),
                                    sql.Identifier(column))
        for name, column in entity.attributes.items()))


def _names(entity: FeedEntity) -> dict[str, sql.Composable]:
    hashed = sql.SQL(", ").join(sql.Identifier(c) for c in entity.attributes.values())
    return {
        "old": sql.Identifier(OLD_SCHEMA, entity.mart),
        "new": sql.Identifier(NEW_SCHEMA, entity.mart),
        "key": sql.Identifier(entity.key),
        "hash": sql.SQL("md5(row({})::text)").format(hashed),
        "type": sql.Literal(entity.entity_type),
        "new_json": _json(entity, "n"),
        "old_json": _json(entity, "o"),
        "person": sql.SQL("n.{}").format(sql.Identifier(entity.person)) if entity.person
        else sql.SQL("null::uuid"),
        "old_person": sql.SQL("o.{}").format(sql.Identifier(entity.person)) if entity.person
        else sql.SQL("null::uuid"),
        "datasets": sql.SQL("n.{}").format(sql.Identifier(entity.datasets))
        if entity.datasets else sql.SQL("null::text[]"),
        "old_datasets": sql.SQL("o.{}").format(sql.Identifier(entity.datasets))
        if entity.datasets else sql.SQL("null::text[]"),
        "old_xref": sql.Identifier(OLD_SCHEMA, entity.xref or entity.mart),
        "new_xref": sql.Identifier(NEW_SCHEMA, entity.xref or entity.mart),
        "diff": sql.Identifier(f"_diff_{entity.entity_type}"),
        "moves": sql.Identifier(f"_moves_{entity.entity_type}"),
    }


def _diff(conn: psycopg.Connection, entity: FeedEntity) -> None:
    """``_diff_<type>``: the keys whose published attributes differ (a null hash: absent on
    that side), and for persons and organizations ``_moves_<type>``: the source records
    that went from a master that is gone, or to one that is new, to another master."""
    names = _names(entity)
    conn.execute(sql.SQL("""
        create temp table {diff} on commit drop as
        select coalesce(n.id, o.id) as id, o.hash as old_hash, n.hash as new_hash
        from (select {key} as id, {hash} as hash from {old}) as o
        full join (select {key} as id, {hash} as hash from {new}) as n on n.id = o.id
        where o.hash is distinct from n.hash""").format(**names))
    conn.execute(sql.SQL("create index on {diff} (id)").format(**names))
    if entity.xref is None:
        return
    conn.execute(sql.SQL("""
        create temp table {moves} on commit drop as
        select ox.{key} as old_id, nx.{key} as new_id, count(*) as records
        from {old_xref} as ox
        join {new_xref} as nx using (source_table, source_record_key, role)
        where ox.{key} <> nx.{key}
            and (ox.{key} in (select id from {diff} where new_hash is null)
                 or nx.{key} in (select id from {diff} where old_hash is null))
        group by ox.{key}, nx.{key}""").format(**names))


# Per kind, the events of one entity, in order of ID; %(publication)s is the publication.
_EVENTS = {
    "created": """
        insert into changes.events (publication_id, entity_type, master_id, kind, payload,
                                    person_id, datasets)
        select %(publication)s, {type}, d.id::text, 'created', {new_json}, {person},
               {datasets}
        from {diff} as d join {new} as n on n.{key} = d.id
        where d.old_hash is null
        order by d.id""",
    "updated": """
        insert into changes.events (publication_id, entity_type, master_id, kind,
                                    changed_attributes, payload, previous, person_id, datasets)
        select %(publication)s, {type}, id::text, 'updated', changed,
               (select jsonb_object_agg(k, new_values -> k) from unnest(changed) as k),
               (select jsonb_object_agg(k, old_values -> k) from unnest(changed) as k),
               person_id, datasets
        from (
            select d.id, j.new_values, j.old_values, {person} as person_id,
                   {datasets} as datasets,
                   array(select e.key from jsonb_each(j.new_values) as e
                         where e.value is distinct from j.old_values -> e.key
                         order by e.key) as changed
            from {diff} as d
            join {new} as n on n.{key} = d.id
            join {old} as o on o.{key} = d.id
            cross join lateral (select {new_json} as new_values, {old_json} as old_values) as j
            where d.old_hash is not null and d.new_hash is not null
        ) as updated
        where cardinality(changed) > 0
        order by id""",
    "split": """
        insert into changes.events (publication_id, entity_type, master_id, kind,
                                    related_id, person_id)
        select %(publication)s, {type}, old_id::text, 'split', new_id::text, {person}
        from (select distinct old_id, new_id from {moves}
              where new_id in (select id from {diff} where old_hash is null)
                  and old_id not in (select id from {diff} where new_hash is null)) as s
        join {new} as n on n.{key} = s.old_id
        order by old_id, new_id""",
    "merged_into": """
        insert into changes.events (publication_id, entity_type, master_id, kind,
                                    related_id, person_id)
        select %(publication)s, {type}, old_id::text, 'merged_into', new_id::text, {old_person}
        from (select distinct on (old_id) old_id, new_id from {moves}
              where old_id in (select id from {diff} where new_hash is null)
              order by old_id, records desc, new_id) as m
        join {old} as o on o.{key} = m.old_id
        order by old_id""",
    "retired": """
        insert into changes.events (publication_id, entity_type, master_id, kind, person_id,
                                    datasets)
        select %(publication)s, {type}, d.id::text, 'retired', {old_person}, {old_datasets}
        from {diff} as d join {old} as o on o.{key} = d.id
        where d.new_hash is null
            {not_merged}
        order by d.id""",
}


def record_changes(conn: psycopg.Connection, publication_id: int) -> FeedFigures:
    """Append what publication ``publication_id`` changed to the feed, in the caller's
    transaction (the publication's, after the swap)."""
    started = time.perf_counter()
    conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
    exists = conn.execute("select exists (select from pg_namespace where nspname = %s)",
                          (OLD_SCHEMA,)).fetchone()[0]
    note = None
    if not exists:
        note = "first publication: subscribers start from the bulk downloads"
    else:
        missing = _missing(conn)
        if missing:
            note = "the marts changed shape (" + ", ".join(missing[:5]) + \
                   (" ..." if len(missing) > 5 else "") + "): subscribers start again " \
                   "from the bulk downloads"
    counts = dict.fromkeys(KINDS, 0)
    if note is None:
        for entity in FEED:
            _diff(conn, entity)
        for kind in KINDS:
            entities = reversed(FEED) if kind == "retired" else FEED
            for entity in entities:
                if kind in ("split", "merged_into") and entity.xref is None:
                    continue
                names = _names(entity)
                names["not_merged"] = sql.SQL(
                    "and d.id not in (select old_id from {moves})").format(**names) \
                    if entity.xref else sql.SQL("")
                counts[kind] += conn.execute(sql.SQL(_EVENTS[kind]).format(**names),
                                             {"publication": publication_id}).rowcount
        for entity in FEED:
            names = _names(entity)
            conn.execute(sql.SQL("drop table {diff}").format(**names))
            if entity.xref:
                conn.execute(sql.SQL("drop table {moves}").format(**names))
    seconds = time.perf_counter() - started
    return FeedFigures(note is not None, counts, seconds, note)


def close_publication(conn: psycopg.Connection, publication_id: int,
                      feed: FeedFigures) -> None:
    """Record where the publication's events start and end in the feed: those of the
    records and of the data-quality issues, in the caller's transaction, last."""
    conn.execute("""
        insert into changes.publications (publication_id, snapshot, note, first_cursor,
                                          last_cursor, events, seconds)
        select %s, %s, %s, min(cursor), max(cursor), count(*), %s
        from changes.events where publication_id = %s""",
                 (publication_id, feed.snapshot, feed.note, feed.seconds, publication_id))
