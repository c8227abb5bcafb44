"""The generator's ground truth, copied beside the mentions so that scoring is one join.

The truth database says what each source row describes (``source_records``: source,
table, record key, role, entity kind and number). The pipelines never read it; the
benchmark copies its person and organization rows into ``bench_er.truth_records`` of the
warehouse, untimed. A mention's role in the warehouse is the truth's role (subject, father,
holder, ...), so a mention finds its truth row by (source, table, record key, role); one
that finds none is reported, not scored.
"""

from __future__ import annotations

from psycopg import sql

from kho import db

SCHEMA = "bench_er"

def copy_truth(truth_url: str, warehouse_url: str) -> int:
    """Copy the truth rows that name persons or organizations; rows copied."""
    query = ("copy (select source, table_name, record_key, role, entity_kind, entity_no "
             "from source_records where entity_kind in ('person', 'organization')) "
             "to stdout (format binary)")
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


def label_mentions(warehouse_url: str, mentions: str, key_columns: tuple[str, ...],
                   name_column: str, kind: str, table: str) -> tuple[int, int]:
    """Write ``bench_er.<table>``: each mention of the relation ``mentions`` (its key
    columns, its true entity number, null when the truth has no row for it, and whether
    it states a name). Returns (mentions, mentions with a truth link)."""
    keys = sql.SQL(", ").join(sql.SQL("m.{}").format(sql.Identifier(c)) for c in key_columns)
    query = sql.SQL("""
        create table {target} as
        select {keys}, t.entity_no, m.{name} is not null as named
        from {mentions} as m
        left join {schema}.truth_records as t
            on t.source = m.source_system and t.table_name = m.source_table
            and t.record_key = m.source_record_key and t.role = m.role
            and t.entity_kind = {kind}
    """).format(target=sql.Identifier(SCHEMA, table), keys=keys,
                name=sql.Identifier(name_column), mentions=sql.SQL(mentions),
                schema=sql.Identifier(SCHEMA), kind=sql.Literal(kind))
    with db.connect(warehouse_url) as conn:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(SCHEMA, table)))
        conn.execute(query)
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(SCHEMA, table)))
        total, linked = conn.execute(sql.SQL(
            "select count(*), count(entity_no) from {}").format(
                sql.Identifier(SCHEMA, table))).fetchone()
    return total, linked
