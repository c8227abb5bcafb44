"""What every score counts over: each truth record of a person or an organization.

The universe of a kind is every row of the truth's ``source_records`` of that kind (source,
table, record key, role, entity), whatever became of it in kho: quarantined, dropped by a
staging filter, or resolved. A matcher's answer for a record is the cluster of its mention
(its own key); a record the matcher has no cluster for is a miss, a cluster of its own
(scoring.py). Some rows name their person or organization only by another row's key (a land
right or transfer by its land user's id, an assignment by its civil servant's code); kho
resolves those through that row, as its facts join them, so their answer is the cluster of
the row their staged key points to (``REFERENCES``); a row whose key points nowhere is a
miss.

Each record carries marks for the slices scored apart: ``noise:<kind>`` for each noise kind
the truth's ``source_noise`` records on a column of its row that belongs to its role
(``column_role``), ``clean`` when it carries none, ``named`` when its mention states a
name.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from scoring import GROUPINGS, GroupSizes, gather, group_sizes_sql
from truth import SCHEMA

from kho import db


@dataclass(frozen=True)
class Reference:
    """Truth records of (source, table, role) that name their entity by another row's key:
    the staging model that holds their key and that reference, and the role of the row it
    points to, in ``mention_table``."""

    source: str
    table: str
    role: str
    staging: str
    key_column: str
    reference_column: str
    mention_table: str
    mention_role: str


REFERENCES = (
    Reference("land", "quyen_su_dung", "holder", "stg_land__land_rights",
              "land_right_source_id", "land_user_source_id", "chu_su_dung", "holder"),
    Reference("land", "bien_dong", "from", "stg_land__land_transfers",
              "land_transfer_source_id", "from_land_user_source_id", "chu_su_dung", "holder"),
    Reference("land", "bien_dong", "to", "stg_land__land_transfers",
              "land_transfer_source_id", "to_land_user_source_id", "chu_su_dung", "holder"),
    Reference("cadre", "qua_trinh_cong_tac", "subject", "stg_cadre__assignments",
              "assignment_source_id", "civil_servant_code", "ho_so_can_bo", "subject"),
)

# The role each noisy column belongs to, for tables whose rows name more than one person or
# organization: (column prefix, role), the first that matches; role None, or no match,
# sends the noise to every role of the row. That is for a row's key (a duplicate record
# names again everyone its row names: the child and both parents of a birth, a civil servant
# and the agency) and for columns that describe no one role, which cannot tell. Tables not
# listed name one person or organization per row (a land user, a death, an agency), so every
# column is that role's.
COLUMN_ROLES: dict[tuple[str, str], tuple[tuple[str, str | None], ...]] = {
    ("enterprise", "enterprises"): (("legal_rep_", "legal_representative"), ("", "subject")),
    ("enterprise", "household_businesses"): (("owner_", "owner"), ("", "subject")),
    ("civil_registry", "khai_sinh"): (
        ("cha_", "father"), ("me_", "mother"), ("so_dinh_danh", "subject"),
        ("ho_ten", "subject"), ("gioi_tinh", "subject"), ("ngay_sinh", "subject"),
        ("noi_sinh_", "subject")),
    ("civil_registry", "ket_hon"): (("chong_", "husband"), ("vo_", "wife")),
    ("cadre", "ho_so_can_bo"): (("ma_can_bo", None), ("ma_co_quan", "agency"),
                                ("", "subject")),
    ("cadre", "qua_trinh_cong_tac"): (("id", None), ("ma_co_quan", "agency"), ("", "subject")),
    ("land", "bien_dong"): (("ben_chuyen_", "from"), ("ben_nhan_", "to")),
}


def column_role(source: str, table: str, column: str) -> str | None:
    """The role a noisy column belongs to; None: every role of its row."""
    for prefix, role in COLUMN_ROLES.get((source, table), ()):
        if column.startswith(prefix):
            return role
    return None


def _table(kind: str, what: str) -> sql.Identifier:
    return sql.Identifier(SCHEMA, f"{kind}_{what}")


def noisy_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(sql.SQL(
        "select distinct source, table_name, column_name from {}.truth_noise").format(
            sql.Identifier(SCHEMA))).fetchall()


def every_role_columns(url: str) -> list[str]:
    """The noisy columns whose noise goes to every role of a row that names more than one
    person or organization, for the log: a new column lands here until a rule names it."""
    with db.connect(url) as conn:
        several_roles = set(conn.execute(sql.SQL(
            "select source, table_name from {}.truth_records group by 1, 2 "
            "having count(distinct role) > 1").format(sql.Identifier(SCHEMA))).fetchall())
        return sorted(f"{s}.{t}.{c}" for s, t, c in noisy_columns(conn)
                      if (s, t) in several_roles and column_role(s, t, c) is None)


def build(url: str, kind: str, mentions_sql: str, name_column: str) -> None:
    """Write ``bench_er.<kind>_universe`` (one row per truth record: its key, true entity,
    the key of the mention it resolves through, whether it states a name, whether its key
    is in quarantine) and ``bench_er.<kind>_marks``."""
    universe, marks = _table(kind, "universe"), _table(kind, "marks")
    is_reference = sql.SQL(" or ").join(
        sql.SQL("(t.source, t.table_name, t.role) = ({}, {}, {})").format(
            sql.Literal(r.source), sql.Literal(r.table), sql.Literal(r.role))
        for r in REFERENCES)
    references = sql.SQL(" union all ").join(
        sql.SQL("select {source} as source, {table} as table_name, {key}::text as record_key, "
                "{role} as role, {mention_table} as mention_table, "
                "{reference}::text as mention_key, {mention_role} as mention_role "
                "from staging.{staging}").format(
            source=sql.Literal(r.source), table=sql.Literal(r.table),
            key=sql.Identifier(r.key_column), role=sql.Literal(r.role),
            mention_table=sql.Literal(r.mention_table),
            reference=sql.Identifier(r.reference_column),
            mention_role=sql.Literal(r.mention_role), staging=sql.Identifier(r.staging))
        for r in REFERENCES)
    with db.connect(url) as conn:
        for table in (universe, marks):
            conn.execute(sql.SQL("drop table if exists {}").format(table))
        conn.execute(sql.SQL("""
            create table {universe} as
            with
            truth as (
                select * from {schema}.truth_records where entity_kind = {kind}
            ),
            mentions as ({mentions}),
            references_ as ({references}),
            quarantined as (
                select source, table_name, record_key
                from quarantine.rows where released_at is null
            ),
            flagged as (
                select t.*, {is_reference} as is_reference from truth as t
            ),
            resolved_through as (
                select
                    f.*,
                    case when f.is_reference then r.mention_table else f.table_name end
                        as mention_table,
                    case when f.is_reference then r.mention_key else f.record_key end
                        as mention_key,
                    case when f.is_reference then r.mention_role else f.role end
                        as mention_role
                from flagged as f
                left join references_ as r using (source, table_name, record_key, role)
            )
            select
                row_number() over (
                    order by t.source, t.table_name, t.record_key, t.role) as record_no,
                t.source, t.table_name, t.record_key, t.role, t.entity_no,
                t.mention_table, t.mention_key, t.mention_role, t.is_reference,
                coalesce(m.{name} is not null, false) as named,
                q.record_key is not null as quarantined
            from resolved_through as t
            left join mentions as m
                on m.source_system = t.source and m.source_table = t.table_name
                and m.source_record_key = t.record_key and m.role = t.role
            left join quarantined as q using (source, table_name, record_key)
        """).format(universe=universe, schema=sql.Identifier(SCHEMA), kind=sql.Literal(kind),
                    mentions=sql.SQL(mentions_sql), references=references,
                    is_reference=is_reference, name=sql.Identifier(name_column)))
        conn.execute(sql.SQL("create index on {} (source, table_name, record_key)"
                             ).format(universe))

        columns = noisy_columns(conn)
        conn.execute("create temp table column_roles (source text, table_name text, "
                     "column_name text, role text)")
        with conn.cursor().copy("copy column_roles from stdin") as copy:
            for source, table, column in columns:
                copy.write_row((source, table, column, column_role(source, table, column)))
        conn.execute(sql.SQL("""
            create table {marks} as
            with noise as (
                select distinct u.record_no, 'noise:' || n.kind as mark
                from {universe} as u
                join {schema}.truth_noise as n using (source, table_name, record_key)
                join column_roles as c using (source, table_name, column_name)
                where c.role is null or c.role = u.role
            )
            select * from noise
            union all
            select record_no, 'clean' from {universe} as u
            where not exists (select from noise where noise.record_no = u.record_no)
            union all
            select record_no, 'named' from {universe} where named
        """).format(marks=marks, universe=universe, schema=sql.Identifier(SCHEMA)))
        for table in (universe, marks):
            conn.execute(sql.SQL("analyze {}").format(table))


@dataclass(frozen=True)
class Missing:
    """Records of one source table and role, and how many of them a matcher missed."""

    source: str
    table: str
    role: str
    records: int
    quarantined: int  # missed, their key held in quarantine
    other: int  # missed for any other reason

    @property
    def through(self) -> str | None:
        """The table whose rows these records are resolved through, if another."""
        return next((r.mention_table for r in REFERENCES
                     if (r.source, r.table, r.role) == (self.source, self.table, self.role)),
                    None)


@dataclass(frozen=True)
class Outcome:
    sizes: dict[str, GroupSizes]  # per mark (scoring.ALL, noise:<kind>, clean, named)
    missing: list[Missing]
    entities_lost: int  # true entities none of whose records the matcher resolved


def score(url: str, kind: str, clusters_sql: str) -> Outcome:
    """Label each truth record of ``kind`` with its predicted cluster from ``clusters_sql``
    (source_system, source_table, source_record_key, role, cluster: one row per mention
    key), a cluster of its own when it has none, and count the group sizes per mark."""
    with db.connect(url) as conn:
        conn.execute(sql.SQL("""
            create temp table labelled as
            select
                u.record_no,
                u.entity_no::text as truth,
                coalesce(c.cluster::text, 'missing:' || u.record_no) as predicted,
                c.cluster is null as missing
            from {universe} as u
            left join ({clusters}) as c
                on c.source_system = u.source and c.source_table = u.mention_table
                and c.source_record_key = u.mention_key and c.role = u.mention_role
        """).format(universe=_table(kind, "universe"), clusters=sql.SQL(clusters_sql)))
        conn.execute("analyze labelled")
        conn.execute(sql.SQL("create temp view marks as select * from {}").format(
            _table(kind, "marks")))
        rows = {grouping: conn.execute(group_sizes_sql(grouping)).fetchall()
                for grouping in GROUPINGS}
        missing = [Missing(*row) for row in conn.execute(sql.SQL("""
            select
                u.source, u.table_name, u.role,
                count(*),
                count(*) filter (where l.missing and u.quarantined),
                count(*) filter (where l.missing and not u.quarantined)
            from {universe} as u join labelled as l using (record_no)
            group by u.source, u.table_name, u.role
            order by u.source, u.table_name, u.role
        """).format(universe=_table(kind, "universe"))).fetchall()]
        (entities_lost,) = conn.execute(
            "select count(*) from (select truth from labelled group by truth "
            "having bool_and(missing)) as lost").fetchone()
    return Outcome(gather(rows), missing, entities_lost)
