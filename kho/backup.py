"""Backups of what the warehouse cannot rebuild from the agencies' databases, and their
restore.

What is backed up: every table of the schemas the migrations keep (``kho_secrets``: the
key behind stable person IDs; ``master_data``: the master-ID map, its events, the person
links and the stewards' decisions; ``api``: clients, key hashes, grants, the installation's
HMAC key, the access log and its head; ``ingest`` and ``quarantine``: watermarks, batches
and quarantined rows; ``kho_meta``: the record of publications; ``changes``: the change
feed, the webhook subscriptions with their deliveries, the data-quality issues and their
status) and dbt's snapshots
(``snapshots``: every version of a record kho has observed, behind every ``asOf`` answer)
and the entity-resolution match weights (``entity_resolution``: estimated once and kept,
so that a restored warehouse links records as before), plus the audit anchors file.
Everything else (the raw layer, staging, intermediate, the marts, ``reference``) is
rebuilt from the sources by ``kho materialize``.

The file is a zip: ``manifest.json`` (format, kho version, migration revision, creation
time, and per table its columns, row count and the SHA-256 of its member) and one member
per table, the table in COPY's text format, all read in one REPEATABLE READ transaction,
so that the backup is of one moment. Plain COPY needs no ``pg_dump`` of the server's
version, and works against any PostgreSQL kho works with.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

import kho
from kho import db, migrations

FORMAT = "kho-backup/1"
MANIFEST = "manifest.json"
ANCHORS_MEMBER = "audit_anchors.txt"
# Schemas whose tables the migrations make, less SKIPPED_TABLES.
MIGRATED_SCHEMAS = ("kho_secrets", "master_data", "api", "ingest", "quarantine", "kho_meta",
                    "changes")
# Schemas dbt makes whose rows no source keeps: restored as the backup describes them.
DBT_SCHEMAS = ("snapshots", "entity_resolution")
# The version table is in the manifest; the incremental basis describes staging tables a
# backup does not hold, so a restored warehouse's first build is a full one.
SKIPPED_TABLES = {(migrations.VERSION_SCHEMA, migrations.VERSION_TABLE),
                  ("kho_meta", "incremental_basis")}
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup that cannot be made, or a file that cannot be restored; the message says
    why (nothing was changed)."""


@dataclass(frozen=True)
class TableEntry:
    schema: str
    table: str
    kept_by: str  # migrations, dbt
    columns: list[tuple[str, str]]  # (name, type as format_type gives it)
    rows: int
    sha256: str
    bytes: int

    @property
    def member(self) -> str:
        return f"tables/{self.schema}.{self.table}.copy"

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)


@dataclass(frozen=True)
class Manifest:
    revision: str
    created_at: str
    kho_version: str
    tables: list[TableEntry]
    anchors: dict | None  # {"sha256", "bytes"} of ANCHORS_MEMBER

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "kho_version": self.kho_version, "revision": self.revision,
            "created_at": self.created_at,
            "tables": [{"schema": t.schema, "table": t.table, "kept_by": t.kept_by,
                        "member": t.member, "columns": [list(c) for c in t.columns],
                        "rows": t.rows, "sha256": t.sha256, "bytes": t.bytes}
                       for t in self.tables],
            "anchors": self.anchors and {"member": ANCHORS_MEMBER, **self.anchors},
        }, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise BackupError(f"not a kho backup of format {FORMAT} (its manifest says "
                              f"{data.get('format')!r})")
        tables = [TableEntry(t["schema"], t["table"], t["kept_by"],
                             [tuple(c) for c in t["columns"]], t["rows"], t["sha256"],
                             t["bytes"]) for t in data["tables"]]
        anchors = data.get("anchors")
        return cls(data["revision"], data["created_at"], data["kho_version"], tables,
                   anchors and {"sha256": anchors["sha256"], "bytes": anchors["bytes"]})


def _tables(conn: psycopg.Connection) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(schema, table, kept_by, columns) of every table to back up, parents before the
    tables whose foreign keys point at them."""
    found = conn.execute("""
        select c.oid, n.nspname, c.relname,
               array_agg(a.attname::text order by a.attnum),
               array_agg(format_type(a.atttypid, a.atttypmod) order by a.attnum)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any(%s)
        group by c.oid, n.nspname, c.relname
        order by n.nspname, c.relname""", (list(MIGRATED_SCHEMAS + DBT_SCHEMAS),)).fetchall()
    found = [f for f in found if (f[1], f[2]) not in SKIPPED_TABLES]
    parents = {oid: set() for oid, *_ in found}
    for child, parent in conn.execute(
            "select conrelid, confrelid from pg_constraint where contype = 'f' "
            "and conrelid <> confrelid and conrelid = any(%s)", (list(parents),)):
        if parent in parents:
            parents[child].add(parent)
    ordered: list[int] = []
    while len(ordered) < len(found):
        ready = [oid for oid, *_ in found if oid not in ordered and parents[oid] <= set(ordered)]
        if not ready:
            raise BackupError("the foreign keys between the tables to back up form a cycle")
        ordered += ready
    by_oid = {f[0]: f for f in found}
    return [(by_oid[o][1], by_oid[o][2],
             "dbt" if by_oid[o][1] in DBT_SCHEMAS else "migrations",
             list(zip(by_oid[o][3], by_oid[o][4], strict=True))) for o in ordered]


def _copy_statement(schema: str, table: str, columns: list[tuple[str, str]],
                    out: bool) -> sql.Composed:
    """COPY of the table's columns, in the text format, to or from the client."""
    return sql.SQL("copy {} ({}) " + ("to stdout" if out else "from stdin")).format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns))


def backup(url: str, path: Path, anchors: Path | None = None,
           echo: Callable[[str], None] = lambda _: None) -> Manifest:
    """Write the backup of the warehouse at ``url`` (and the anchors file) to ``path``:
    written aside and renamed into place, so that ``path`` is whole or absent."""
    if anchors is not None and not anchors.is_file():
        raise BackupError(f"no anchors file at {anchors}")
    path = path.resolve()
    partial = path.with_name(f".{path.name}.partial")
    entries: list[TableEntry] = []
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
                db.connect(url) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                revision, _ = migrations.read_version(conn)
                if revision is None:
                    raise BackupError("the warehouse has no migration revision: run kho "
                                      "migrate first")
                created_at = conn.execute("select now()").fetchone()[0]
                cur = conn.cursor()
                for schema, table, kept_by, columns in _tables(conn):
                    digest, rows, size = hashlib.sha256(), 0, 0
                    member = zipfile.ZipInfo(f"tables/{schema}.{table}.copy",
                                             created_at.timetuple()[:6])
                    member.compress_type = zipfile.ZIP_DEFLATED
                    with archive.open(member, "w", force_zip64=True) as out, \
                            cur.copy(_copy_statement(schema, table, columns, out=True)) as copy:
                        for block in copy:
                            digest.update(block)
                            rows += bytes(block).count(b"\n")
                            size += len(block)
                            out.write(block)
                    entries.append(TableEntry(schema, table, kept_by, columns, rows,
                                              digest.hexdigest(), size))
                    echo(f"{schema + '.' + table:<48} {rows:>12,} rows")
            anchor_entry = None
            if anchors is not None:
                content = anchors.read_bytes()
                archive.writestr(ANCHORS_MEMBER, content)
                anchor_entry = {"sha256": hashlib.sha256(content).hexdigest(),
                                "bytes": len(content)}
            manifest = Manifest(revision, created_at.astimezone(datetime.UTC).isoformat(),
                                kho.__version__, entries, anchor_entry)
            archive.writestr(MANIFEST, manifest.to_json())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _member_digest(archive: zipfile.ZipFile, member: str) -> tuple[str, int, int]:
    digest, rows, size = hashlib.sha256(), 0, 0
    with archive.open(member) as src:
        while block := src.read(CHUNK):
            digest.update(block)
            rows += block.count(b"\n")
            size += len(block)
    return digest.hexdigest(), rows, size


def verify(path: Path) -> Manifest:
    """The manifest of the backup at ``path`` once every member has been read and found as
    the manifest describes it; else ``BackupError`` naming what differs."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = Manifest.from_json(archive.read(MANIFEST).decode("utf-8"))
            except KeyError:
                raise BackupError(f"{path} holds no {MANIFEST}: not a kho backup") from None
            except (ValueError, TypeError) as err:
                raise BackupError(f"the manifest of {path} cannot be read: {err}") from None
            expected = {t.member for t in manifest.tables} | {MANIFEST} | (
                {ANCHORS_MEMBER} if manifest.anchors else set())
            present = set(archive.namelist())
            if present != expected:
                raise BackupError(
                    f"{path} does not verify: its members differ from its manifest (missing: "
                    f"{sorted(expected - present) or 'none'}; not in the manifest: "
                    f"{sorted(present - expected) or 'none'})")
            for t in manifest.tables:
                digest, rows, size = _member_digest(archive, t.member)
                if (digest, rows, size) != (t.sha256, t.rows, t.bytes):
                    raise BackupError(
                        f"{path} does not verify: {t.member} has SHA-256 {digest} and "
                        f"{rows:,} rows, its manifest says {t.sha256} and {t.rows:,}: the "
                        f"file was damaged or altered; restore another backup")
            if manifest.anchors:
                digest, _, size = _member_digest(archive, ANCHORS_MEMBER)
                if (digest, size) != (manifest.anchors["sha256"], manifest.anchors["bytes"]):
                    raise BackupError(f"{path} does not verify: {ANCHORS_MEMBER} differs "
                                      f"from its manifest")
    except zipfile.BadZipFile as err:
        raise BackupError(f"{path} does not verify: {err}") from None
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err}") from None
    return manifest


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute(
        "select attname::text, format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped order by attnum",
        (sql.Identifier(schema, table).as_string(conn),))]


def _owned_sequences(conn: psycopg.Connection,
                     tables: list[TableEntry]) -> Iterator[tuple[str, TableEntry, str]]:
    """(sequence, table, column) of the serial and identity columns of ``tables``."""
    for t in tables:
        for sequence, column in conn.execute("""
                select s.oid::regclass::text, a.attname::text
                from pg_depend d
                join pg_class s on s.oid = d.objid and s.relkind = 'S'
                join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                where d.refobjid = to_regclass(%s) and d.deptype in ('a', 'i')""",
                                             (t.identifier().as_string(conn),)):
            yield sequence, t, column


def restore(url: str, path: Path, anchors: Path | None = None,
            echo: Callable[[str], None] = lambda _: None) -> Manifest:
    """Replace what the backup at ``path`` holds in the warehouse at ``url``, in one
    transaction, once the whole file has verified. The warehouse must be at the backup's
    migration revision; an empty one is first migrated to it."""
    manifest = verify(path)
    echo(f"{path} verifies: {len(manifest.tables)} tables, revision "
         f"{migrations.describe(manifest.revision)}, made {manifest.created_at} by kho "
         f"{manifest.kho_version}")
    found = migrations.status(url)
    if found.current is None and not found.previous_release:
        if manifest.revision not in found.pending:
            raise BackupError(f"the backup is at revision {manifest.revision}, which this "
                              f"release of kho does not know: restore it with the release "
                              f"that made it (kho {manifest.kho_version})")
        migrations.upgrade(url, revision=manifest.revision)
        echo(f"migrated the empty warehouse to revision {manifest.revision}")
    elif found.current != manifest.revision:
        raise BackupError(
            f"the backup is at revision {migrations.describe(manifest.revision)}, the "
            f"warehouse at {migrations.describe(found.current)}: restore into a warehouse "
            f"at the backup's revision (an empty one is migrated to it)")
    with zipfile.ZipFile(path) as archive, db.connect(url) as conn:
        for t in manifest.tables:
            if t.kept_by == "dbt":
                conn.execute(sql.SQL("create schema if not exists {}").format(
                    sql.Identifier(t.schema)))
                conn.execute(sql.SQL("drop table if exists {}").format(t.identifier()))
                conn.execute(sql.SQL("create table {} ({})").format(
                    t.identifier(), sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                        for name, kind in t.columns)))
            elif _columns(conn, t.schema, t.table) != t.columns:
                raise BackupError(f"{t.name} in the warehouse does not have the columns the "
                                  f"backup has, though both are at revision "
                                  f"{manifest.revision}: has it been altered by hand?")
        migrated = [t for t in manifest.tables if t.kept_by == "migrations"]
        # The access log's triggers refuse a truncate and would re-chain copied entries:
        # off for this transaction only (ALTER TABLE is transactional).
        for t in migrated:
            conn.execute(sql.SQL("alter table {} disable trigger user").format(t.identifier()))
        conn.execute(sql.SQL("truncate {}").format(
            sql.SQL(", ").join(t.identifier() for t in migrated)))
        cur = conn.cursor()
        for t in manifest.tables:
            with archive.open(t.member) as src, \
                    cur.copy(_copy_statement(t.schema, t.table, t.columns, out=False)) as copy:
                while block := src.read(CHUNK):
                    copy.write(block)
            echo(f"{t.name:<48} {t.rows:>12,} rows")
        for t in migrated:
            conn.execute(sql.SQL("alter table {} enable trigger user").format(t.identifier()))
        for sequence, t, column in _owned_sequences(conn, migrated):
            conn.execute(sql.SQL("select setval({}, coalesce(max({}), 0) + 1, false) "
                                 "from {}").format(sql.Literal(sequence),
                                                   sql.Identifier(column), t.identifier()))
    if manifest.anchors:
        with zipfile.ZipFile(path) as archive:
            content = archive.read(ANCHORS_MEMBER)
        if anchors is None:
            echo("the backup holds the audit anchors file; pass --anchors FILE (or set "
                 "KHO_AUDIT_ANCHORS) to restore it")
        elif anchors.exists() and anchors.stat().st_size > 0:
            echo(f"kept the anchors file {anchors} (it exists; the backup's copy is "
                 f"{len(content):,} bytes)")
        else:
            anchors.parent.mkdir(parents=True, exist_ok=True)
            anchors.write_bytes(content)
            echo(f"restored the anchors file {anchors}")
    return manifest
