"""``kho subscriptions``: an agency client's webhook subscriptions to the change feed.

A subscription names a client (whose grants decide what its messages carry, as they decide
what ``changes`` shows it), an endpoint, the entity types it wants, and the purpose declared
for the personal data its grants allow. Its secret (Standard Webhooks: ``whsec_`` and
base64) is made here and shown once; the subscriber verifies each message with it. The
subscription starts after the feed's latest cursor (a subscriber takes the bulk downloads
first), or after the cursor given.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from psycopg.rows import dict_row

from kho import db
from pipelines.dbt.changes import ENTITY_TYPES

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
ENDPOINT = re.compile(r"^https?://[^/\s]+\S*$")


class SubscriptionError(ValueError):
    """A subscription command that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class NewSubscription:
    name: str
    secret: str
    cursor: int


def parse_types(types: tuple[str, ...]) -> list[str]:
    chosen = [t.strip().lower() for t in types] or list(ENTITY_TYPES)
    unknown = sorted(set(chosen) - set(ENTITY_TYPES))
    if unknown:
        raise SubscriptionError(f"unknown event type {unknown[0]!r}; the feed has "
                                f"{', '.join(ENTITY_TYPES)}")
    return sorted(set(chosen), key=ENTITY_TYPES.index)


def latest_cursor(conn) -> int:
    return conn.execute("select coalesce(max(cursor), 0) from changes.events").fetchone()[0]


def create(url: str, name: str, client: str, endpoint: str, types: tuple[str, ...],
           purpose: str | None, after: int | None) -> NewSubscription:
    if not NAME.match(name):
        raise SubscriptionError(f"a subscription name is 2 to 63 of a-z, 0-9, '.', '_', '-' "
                                f"(starting with a letter or digit), got {name!r}")
    if not ENDPOINT.match(endpoint):
        raise SubscriptionError(f"the endpoint must be an http:// or https:// URL, got "
                                f"{endpoint!r}")
    entity_types = parse_types(types)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with db.connect(url) as conn:
        found = conn.execute("select client_id, revoked_at from api.clients where name = %s",
                             (client,)).fetchone()
        if found is None:
            raise SubscriptionError(f"no client {client!r} (kho clients list)")
        if found[1] is not None:
            raise SubscriptionError(f"client {client!r} is revoked")
        latest = latest_cursor(conn)
        if after is not None and not 0 <= after <= latest:
            raise SubscriptionError(f"--after must be a cursor from 0 to {latest} (the "
                                    f"feed's latest), got {after}")
        start = latest if after is None else after
        if conn.execute("select 1 from changes.subscriptions where name = %s",
                        (name,)).fetchone():
            raise SubscriptionError(f"there is already a subscription {name!r}")
        conn.execute("""
            insert into changes.subscriptions (name, client_id, endpoint, entity_types,
                                               purpose, secret, cursor)
            values (%s, %s, %s, %s, %s, %s, %s)""",
                     (name, found[0], endpoint, entity_types, purpose or None, secret, start))
    return NewSubscription(name, secret, start)


def list_subscriptions(url: str) -> list[dict]:
    with db.connect(url, row_factory=dict_row) as conn:
        return conn.execute("""
            select s.name, c.name as client, s.endpoint, s.entity_types, s.status, s.cursor,
                   s.failures, s.next_attempt_at, s.parked_reason, s.purpose,
                   (select max(cursor) from changes.events) as latest,
                   a.attempted_at as last_attempt_at, a.delivered as last_delivered,
                   a.status_code as last_status, a.error as last_error
            from changes.subscriptions s
            join api.clients c using (client_id)
            left join lateral (
                select * from changes.delivery_attempts d
                where d.subscription_id = s.subscription_id
                order by attempt_id desc limit 1) as a on true
            order by s.name""").fetchall()


def _update(url: str, name: str, assignments: str, params: tuple = ()) -> None:
    with db.connect(url) as conn:
        changed = conn.execute(
            f"update changes.subscriptions set {assignments}, updated_at = now() "
            f"where name = %s", (*params, name)).rowcount
    if not changed:
        raise SubscriptionError(f"no subscription {name!r} (kho subscriptions list)")


def pause(url: str, name: str) -> None:
    _update(url, name, "status = 'paused'")


def resume(url: str, name: str) -> None:
    """Active again, a parked one too: its next message is tried at once."""
    _update(url, name, "status = 'active', failures = 0, parked_reason = null, "
                       "next_attempt_at = now()")


def replay(url: str, name: str, after: int) -> None:
    """Deliver again everything after ``after`` (active, at once)."""
    with db.connect(url) as conn:
        latest = latest_cursor(conn)
    if not 0 <= after <= latest:
        raise SubscriptionError(f"--after must be a cursor from 0 to {latest} (the feed's "
                                f"latest), got {after}")
    _update(url, name, "cursor = %s, status = 'active', failures = 0, parked_reason = null, "
                       "next_attempt_at = now()", (after,))


def delete(url: str, name: str) -> None:
    with db.connect(url) as conn:
        if not conn.execute("delete from changes.subscriptions where name = %s",
                            (name,)).rowcount:
            raise SubscriptionError(f"no subscription {name!r} (kho subscriptions list)")
