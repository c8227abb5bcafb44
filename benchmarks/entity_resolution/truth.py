"""The generator's ground truth, copied beside the mentions so that scoring is one join.

The truth database says what each source row describes (``source_records``: source,
table, record key, role, entity kind and number). The pipelines never read it; the
benchmark copies the person and organization rows of the tables that name one into
``bench_er.truth_records`` of the warehouse, untimed.

``PERSON_ROLES`` and ``ORGANIZATION_ROLES`` map the warehouse's role of a mention to the
truth's, table by table; a mention whose (table, role) is not there finds no truth link and
is reported, not scored.
"""

from __future__ import annotations

from psycopg import sql

from kho import db

SCHEMA = "bench_er"

# (source system, source table, role in the warehouse) -> role in the truth. The
# warehouse's roles mostly are the truth's; the table says so explicitly, one by one.
PERSON_ROLES: dict[tuple[str, str, str], str] = {
    ("civil_registry", "khai_sinh", "subject"): "subject",
    ("civil_registry", "khai_sinh", "father"): "father",
    ("civil_registry", "khai_sinh", "mother"): "mother",
    ("civil_registry", "khai_tu", "subject"): "subject",
    ("civil_registry", "ket_hon", "husband"): "husband",
    ("civil_registry", "ket_hon", "wife"): "wife",
    ("cadre", "ho_so_can_bo", "subject"): "subject",
    ("enterprise", "enterprises", "legal_representative"): "legal_representative",
    ("enterprise", "household_businesses", "owner"): "owner",
    ("land", "chu_su_dung", "holder"): "holder",
}

ORGANIZATION_ROLES: dict[tuple[str, str, str], str] = {
    ("enterprise", "enterprises", "subject"): "subject",
    ("enterprise", "household_businesses", "subject"): "subject",
    ("cadre", "dm_co_quan", "subject"): "subject",
    ("cadre", "ho_so_can_bo", "agency"): "agency",
    ("cadre", "qua_trinh_cong_tac", "agency"): "agency",
    ("land", "chu_su_dung", "holder"): "holder",
}


def copy_truth(truth_url: str, warehouse_url: str) -> int:
    """Copy the truth rows of the tables that name persons or organizations; rows copied."""
    tables = sorted({(s, t) for s, t, _ in (*PERSON_ROLES, *ORGANIZATION_ROLES)})
    wanted = sql.SQL(" or ").join(
        sql.SQL("(source = {} and table_name = {})").format(sql.Literal(s), sql.Literal(t))
        for s, t in tables)
    query = sql.SQL(
        "copy (select source, table_name, record_key, role, entity_kind, entity_no "
        "from source_records where entity_kind in ('person', 'organization') and ({})) "
        "to stdout (format binary)").format(wanted)
    with db.connect(warehouse_url) as out:
        out.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        out.execute(f"drop table if exists {SCHEMA}.truth_records")
        out.execute(f"""create table {SCHEMA}.truth_records (
            source text, table_name text, record_key text, role text, entity_kind text,
            entity_no integer)""")
        with db.connect(truth_url) as src, src.cursor().copy(query) as reader, \
                out.cursor().copy(f"copy {SCHEMA}.truth_records from stdin (format binary)"
                                  ) as writer:
            for block in reader:
                writer.write(block)
        out.execute(f"create index on {SCHEMA}.truth_records "
                    "(source, table_name, record_key, role)")
        out.execute(f"analyze {SCHEMA}.truth_records")
        return out.execute(f"select count(*) from {SCHEMA}.truth_records").fetchone()[0]


def role_map_sql(roles: dict[tuple[str, str, str], str]) -> sql.Composable:
    """The role mapping as a ``values`` relation (source_system, source_table, role,
    truth_role)."""
    return sql.SQL("(values {}) as role_map (source_system, source_table, role, truth_role)"
                   ).format(sql.SQL(", ").join(
                       sql.SQL("({}, {}, {}, {})").format(*map(sql.Literal, (*key, truth)))
                       for key, truth in roles.items()))


def label_mentions(warehouse_url: str, mentions: str, key_columns: tuple[str, ...],
                   name_column: str, roles: dict[tuple[str, str, str], str], kind: str,
                   table: str) -> tuple[int, int]:
    """Write ``bench_er.<table>``: each mention of the relation ``mentions`` (its key
    columns, its true entity number, null when the truth has no row for it, and whether
    it states a name). Returns (mentions, mentions with a truth link)."""
    keys = sql.SQL(", ").join(sql.SQL("m.{}").format(sql.Identifier(c)) for c in key_columns)
    query = sql.SQL("""
        create table {target} as
        select {keys}, t.entity_no, m.{name} is not null as named
        from {mentions} as m
        left join {role_map}
            on m.source_system = role_map.source_system
            and m.source_table = role_map.source_table and m.role = role_map.role
        left join {schema}.truth_records as t
            on t.source = m.source_system and t.table_name = m.source_table
            and t.record_key = m.source_record_key and t.role = role_map.truth_role
            and t.entity_kind = {kind}
    """).format(target=sql.Identifier(SCHEMA, table), keys=keys,
                name=sql.Identifier(name_column), mentions=sql.SQL(mentions),
                role_map=role_map_sql(roles),
                schema=sql.Identifier(SCHEMA), kind=sql.Literal(kind))
    with db.connect(warehouse_url) as conn:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(SCHEMA, table)))
        conn.execute(query)
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(SCHEMA, table)))
        total, linked = conn.execute(sql.SQL(
            "select count(*), count(entity_no) from {}").format(
                sql.Identifier(SCHEMA, table))).fetchone()
    return total, linked
