"""Agency clients, their API keys and grants (schema ``api``), as the ``kho clients``
commands manage them. Runs as the warehouse owner; the API itself only reads these tables.

A key reads ``kho_<key id>_<secret>``: the key ID is public (listings, the access log), the
secret is 256 random bits, shown once and stored as its SHA-256.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from graphql_api.access.grants import DATASETS, ROLE_GRANTS, DataClass
from kho import db, warehouse

API_GRANTS = Path(__file__).with_name("api_grants.sql")
KEY_PATTERN = re.compile(r"^kho_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


class ClientError(ValueError):
    """A client command that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Grant:
    dataset: str
    data_class: DataClass

    def __str__(self) -> str:
        return self.dataset if self.dataset in ROLE_GRANTS else \
            f"{self.dataset}:{self.data_class.label}"


def parse_grant(text: str) -> Grant:
    """``DATASET:CLASS`` (land, enterprise, civil_registry, cadre; open, shared, personal),
    ``audit`` (the data protection officer's reading of the access log) or ``steward`` (a
    data steward's reading of the review queue of person links)."""
    text = text.strip().lower()
    if text in ROLE_GRANTS:
        return Grant(text, DataClass.PERSONAL)
    dataset, _, data_class = text.partition(":")
    if dataset not in DATASETS or data_class not in ("open", "shared", "personal"):
        raise ClientError(f"{text!r} is not a grant: use DATASET:CLASS with a dataset of "
                          f"{', '.join(DATASETS)} and a class of open, shared, personal; "
                          f"or {' or '.join(ROLE_GRANTS)}")
    return Grant(dataset, DataClass[data_class.upper()])


def secret_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def split_key(key: str) -> tuple[str, str] | None:
    match = KEY_PATTERN.match(key.strip())
    return (match.group(1), match.group(2)) if match else None


def _new_key() -> tuple[str, str, str]:
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"kho_{key_id}_{secret}"


def prepare(url: str) -> None:
    """Create the roles if missing and grant the API's role what it may do in the api
    schema (idempotent; the schema itself is the migrations')."""
    warehouse.prepare_roles(url)
    grants = API_GRANTS.read_text(encoding="utf-8")
    with db.connect(url, autocommit=True) as conn:
        statement = sql.SQL(grants).format(
            api_role=sql.Identifier(warehouse.api_role()),
            reader_role=sql.Identifier(warehouse.READER_ROLE))
        # Two processes preparing at once (kho serve's workers) take turns.
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('kho api schema'))")
            conn.execute(statement)


@dataclass(frozen=True)
class NewKey:
    client: str
    key_id: str
    key: str
    expires_at: datetime.datetime | None


def _expiry(days: int | None) -> datetime.datetime | None:
    if days is None:
        return None
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)


def _insert_key(conn: psycopg.Connection, client_id, name: str,
                expires_in_days: int | None) -> NewKey:
    key_id, secret, key = _new_key()
    expires_at = _expiry(expires_in_days)
    conn.execute("insert into api.api_keys (key_id, client_id, secret_sha256, expires_at) "
                 "values (%s, %s, %s, %s)", (key_id, client_id, secret_digest(secret),
                                             expires_at))
    return NewKey(name, key_id, key, expires_at)


def create_client(url: str, name: str, agency: str, grants: list[Grant],
                  expires_in_days: int | None = None,
                  rate_limit_per_minute: int | None = None) -> NewKey:
    prepare(url)
    with db.connect(url) as conn:
        try:
            client_id = conn.execute(
                "insert into api.clients (name, agency, rate_limit_per_minute) "
                "values (%s, %s, %s) returning client_id",
                (name, agency, rate_limit_per_minute)).fetchone()[0]
        except psycopg.errors.UniqueViolation:
            raise ClientError(f"a client named {name!r} exists already") from None
        except psycopg.errors.CheckViolation:
            raise ClientError(f"{name!r} is not a client name: 2 to 63 lower-case letters, "
                              f"digits, dots, dashes or underscores") from None
        for grant in _strongest(grants):
            conn.execute("insert into api.client_grants (client_id, dataset, data_class) "
                         "values (%s, %s, %s)", (client_id, grant.dataset,
                                                 grant.data_class.label))
        return _insert_key(conn, client_id, name, expires_in_days)


def _strongest(grants: list[Grant]) -> list[Grant]:
    best: dict[str, Grant] = {}
    for grant in grants:
        if grant.dataset not in best or grant.data_class > best[grant.dataset].data_class:
            best[grant.dataset] = grant
    return list(best.values())


def _client_id(conn: psycopg.Connection, name: str):
    row = conn.execute("select client_id, revoked_at from api.clients where name = %s",
                       (name,)).fetchone()
    if row is None:
        raise ClientError(f"no client is named {name!r}")
    return row


def revoke(url: str, name: str, key_id: str | None = None) -> int:
    """Revoke one key of a client, or the client and all its keys; the number revoked."""
    prepare(url)
    with db.connect(url) as conn:
        client_id, _ = _client_id(conn, name)
        if key_id is not None:
            revoked = conn.execute(
                "update api.api_keys set revoked_at = now() where client_id = %s "
                "and key_id = %s and revoked_at is null", (client_id, key_id)).rowcount
            if not revoked and not conn.execute(
                    "select 1 from api.api_keys where client_id = %s and key_id = %s",
                    (client_id, key_id)).fetchone():
                raise ClientError(f"client {name!r} has no key {key_id!r}")
            return revoked
        conn.execute("update api.clients set revoked_at = coalesce(revoked_at, now()) "
                     "where client_id = %s", (client_id,))
        return conn.execute("update api.api_keys set revoked_at = now() where client_id = %s "
                            "and revoked_at is null", (client_id,)).rowcount


def rotate_key(url: str, name: str, expires_in_days: int | None = None,
               grace_hours: float = 0) -> NewKey:
    """A new key for the client; its other keys stop working now, or after the grace time
    (so its systems can switch over), whichever their own expiry does not make sooner."""
    prepare(url)
    with db.connect(url) as conn:
        client_id, revoked_at = _client_id(conn, name)
        if revoked_at is not None:
            raise ClientError(f"client {name!r} was revoked; create a new client instead")
        if grace_hours > 0:
            conn.execute("update api.api_keys set expires_at = least(coalesce(expires_at, "
                         "'infinity'), now() + %s * interval '1 hour') where client_id = %s "
                         "and revoked_at is null", (grace_hours, client_id))
        else:
            conn.execute("update api.api_keys set revoked_at = now() where client_id = %s "
                         "and revoked_at is null", (client_id,))
        return _insert_key(conn, client_id, name, expires_in_days)


def list_clients(url: str) -> list[dict]:
    prepare(url)
    with db.connect(url, row_factory=dict_row) as conn:
        return conn.execute("""
            select c.name, c.agency, c.created_at, c.revoked_at, c.rate_limit_per_minute,
                   coalesce((select array_agg(case when g.dataset in ('audit', 'steward')
                                                   then g.dataset
                                                   else g.dataset || ':' || g.data_class end
                                              order by g.dataset)
                             from api.client_grants g where g.client_id = c.client_id),
                            '{}') as grants,
                   coalesce((select array_agg(k.key_id order by k.created_at)
                             from api.api_keys k where k.client_id = c.client_id
                               and k.revoked_at is null
                               and (k.expires_at is null or k.expires_at > now())),
                            '{}') as active_keys,
                   (select max(l.logged_at) from api.access_log l
                     where l.client_id = c.client_id) as last_seen_at
            from api.clients c order by c.name
        """).fetchall()
