"""The generator's ground truth, copied beside the mentions so that scoring is one join.

The truth database says what each source row describes (``source_records``: source,
table, record key, role, entity kind and number) and which of its columns got which noise
(``source_noise``). The pipelines never read it; the benchmark copies the person and
organization rows and all the noise into ``bench_er.truth_records`` and
``bench_er.truth_noise`` of the warehouse, untimed. ``kho sources advance`` deletes a
deleted row's truth with it (the deletion itself goes to ``changes``), so these are the
rows the sources hold now.
"""

from __future__ import annotations

from psycopg import sql

from kho import db

SCHEMA = "bench_er"

COPIES = {
    "truth_records": (
        "source text, table_name text, record_key text, role text, entity_kind text, "
        "entity_no integer",
        "select source, table_name, record_key, role, entity_kind, entity_no "
        "from source_records where entity_kind in ('person', 'organization')",
        "(source, table_name, record_key, role)"),
    "truth_noise": (
        "source text, table_name text, record_key text, column_name text, kind text",
        "select source, table_name, record_key, column_name, kind from source_noise",
        "(source, table_name, record_key)"),
}


def copy_truth(truth_url: str, warehouse_url: str) -> dict[str, int]:
    """Copy the truth rows that name persons or organizations, and the noise; rows copied
    per table."""
    copied = {}
    with db.connect(warehouse_url) as out, db.connect(truth_url) as src:
        out.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        for table, (columns, query, index) in COPIES.items():
            name = sql.Identifier(SCHEMA, table)
            out.execute(sql.SQL("drop table if exists {}").format(name))
            out.execute(sql.SQL("create table {} ({})").format(name, sql.SQL(columns)))
            with src.cursor().copy(sql.SQL("copy ({}) to stdout (format binary)").format(
                    sql.SQL(query))) as reader, out.cursor().copy(sql.SQL(
                    "copy {} from stdin (format binary)").format(name)) as writer:
                for block in reader:
                    writer.write(block)
            out.execute(sql.SQL("create index on {} {}").format(name, sql.SQL(index)))
            out.execute(sql.SQL("analyze {}").format(name))
            copied[table] = out.execute(sql.SQL("select count(*) from {}").format(name)
                                        ).fetchone()[0]
    return copied
