"""``kho webhooks deliver``: sends the change feed to every active subscription, signed.

One process, in the foreground, for a service manager. Each subscription is delivered on
its own: a message is the next events after the subscription's cursor (at most
``KHO_WEBHOOK_BATCH``, of its entity types, as its client may see them:
:func:`graphql_api.changes.visibility.visible`), POSTed with Standard Webhooks headers
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``, by the ``standardwebhooks``
library). Only a 2xx answer moves the cursor on, so every event arrives at least once and in
order; the same range of events is the same message ID. A failure (an error status, no
answer within ``KHO_WEBHOOK_TIMEOUT``, a refused connection) waits ``KHO_WEBHOOK_RETRY_DELAY``
seconds, doubling after each one up to ``KHO_WEBHOOK_MAX_RETRY_DELAY``; after
``KHO_WEBHOOK_MAX_ATTEMPTS`` failures in a row the subscription is parked until an operator
resumes or replays it. Every attempt is recorded in ``changes.delivery_attempts``; a message
that carried personal data is written to the access log under the client and its persons.

Up to ``KHO_WEBHOOK_CONCURRENCY`` subscriptions are delivered side by side, each under a
lease in the table (so deliverers on several machines share the work): a slow or dead
subscriber holds one slot for at most the timeout and never the others, and publication
never waits for delivery (the deliverer only reads the feed).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import signal
import time
import uuid
from dataclasses import dataclass

import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from standardwebhooks import Webhook

from graphql_api.access.caller import Caller
from graphql_api.access.grants import DataClass
from graphql_api.changes.visibility import (
    EVENTS_AFTER,
    SCOPE,
    VisibleEvent,
    scope_params,
    visible,
    visible_types,
)
from kho import db
from kho.settings import Settings, load_settings

log = logging.getLogger(__name__)

MESSAGE_TYPE = "kho.changes"
IDLE_POLL_SECONDS = 1.0  # how often an idle subscription looks for new events

CLAIM = """
update changes.subscriptions s
set leased_until = now() + make_interval(secs => %(lease)s)
from api.clients c
where s.client_id = c.client_id
    and s.subscription_id in (
        select subscription_id from changes.subscriptions
        where status = 'active' and next_attempt_at <= now()
            and (leased_until is null or leased_until < now())
            and subscription_id <> all(%(busy)s)
        order by next_attempt_at
        limit %(limit)s
        for update skip locked)
returning s.subscription_id, s.name, s.endpoint, s.entity_types, s.purpose, s.secret,
          s.cursor, s.failures, c.client_id, c.name as client_name, c.revoked_at,
          (select coalesce(jsonb_object_agg(g.dataset, g.data_class), '{}')
           from api.client_grants g where g.client_id = c.client_id) as grants
"""


@dataclass
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


def message_id(subscription_id: uuid.UUID, after: int, last: int) -> str:
    return f"msg_{subscription_id.hex}_{after}_{last}"


def event_json(event: VisibleEvent, published_at: datetime.datetime) -> dict:
    """An event as the API's ``ChangeEvent`` names it."""
    return {"cursor": str(event.cursor), "publicationId": event.publication_id,
            "publishedAt": published_at.isoformat(), "entityType": event.entity_type.upper(),
            "masterId": event.master_id, "kind": event.kind.upper(),
            "relatedId": event.related_id, "changedAttributes": event.changed_attributes,
            "attributes": event.attributes, "previous": event.previous}


def message_body(subscription: str, after: int, last: int, events: list[dict],
                 timestamp: str) -> bytes:
    return json.dumps({"type": MESSAGE_TYPE, "timestamp": timestamp,
                       "data": {"subscription": subscription, "after": str(after),
                                "cursor": str(last), "events": events}},
                      ensure_ascii=False, separators=(",", ":")).encode()


class Deliverer:
    def __init__(self, url: str, settings: Settings | None = None):
        self.url = db.libpq_url(url)
        self.settings = settings or load_settings()
        self.delivered = 0  # events, for the log

    def backoff(self, failures: int) -> float:
        s = self.settings
        return min(s.webhook_retry_delay_seconds * 2 ** (failures - 1),
                   s.webhook_max_retry_delay_seconds)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        s = self.settings
        lease = s.webhook_timeout_seconds * 2 + 30
        async with AsyncConnectionPool(self.url, min_size=1,
                                       max_size=s.webhook_concurrency + 1,
                                       kwargs={"autocommit": True, "row_factory": dict_row},
                                       open=False) as pool, \
                httpx.AsyncClient(timeout=s.webhook_timeout_seconds) as http:
            await pool.open()
            busy: dict[uuid.UUID, asyncio.Task] = {}
            log.info("delivering webhooks (%d side by side)", s.webhook_concurrency)
            while not stop.is_set():
                free = s.webhook_concurrency - len(busy)
                if free > 0:
                    async with pool.connection() as conn:
                        claimed = await (await conn.execute(CLAIM, {
                            "lease": lease, "busy": list(busy), "limit": free})).fetchall()
                    for subscription in claimed:
                        busy[subscription["subscription_id"]] = asyncio.create_task(
                            self._deliver(pool, http, subscription))
                waiting = [*busy.values(), asyncio.create_task(stop.wait())]
                await asyncio.wait(waiting, timeout=0.2 if busy else IDLE_POLL_SECONDS / 4,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiting[-1].cancel()
                for key, task in list(busy.items()):
                    if task.done():
                        del busy[key]
                        if task.exception() is not None:
                            log.error("delivery failed", exc_info=task.exception())
            for task in busy.values():
                task.cancel()

    async def _deliver(self, pool: AsyncConnectionPool, http: httpx.AsyncClient,
                       sub: dict) -> None:
        """One message to one subscription, or nothing when it has none due."""
        sid = sub["subscription_id"]
        caller = Caller(client_id=str(sub["client_id"]), client_name=sub["client_name"],
                        purpose=sub["purpose"],
                        grants={d: DataClass[c.upper()] for d, c in sub["grants"].items()})
        types = [t for t in visible_types(caller) if t in sub["entity_types"]]
        after = sub["cursor"]
        rows = []
        if sub["revoked_at"] is None and types:
            async with pool.connection() as conn:
                rows = await (await conn.execute(EVENTS_AFTER, {
                    "after": after, "types": types, "limit": self.settings.webhook_batch,
                    **scope_params(caller)})).fetchall()
        if not rows:
            # Nothing of its types after the cursor: it moves on to the feed's end, read in
            # the same snapshot (publications append whole), and looks again shortly.
            async with pool.connection() as conn:
                latest = (await (await conn.execute(
                    "select coalesce(max(cursor), 0) as latest from changes.events where "
                    "not exists (select from changes.events as e where e.cursor > %(after)s "
                    f"and e.entity_type = any(%(types)s) and {SCOPE})",
                    {"after": after, "types": types, **scope_params(caller)})).fetchone()
                          )["latest"]
            await self._release(pool, sid, "cursor = greatest(cursor, %s), next_attempt_at = "
                                           "now() + make_interval(secs => %s)",
                                (latest if sub["revoked_at"] is None else after,
                                 IDLE_POLL_SECONDS))
            return
        last = rows[-1]["cursor"]
        shown = [(visible(caller, row), row["published_at"]) for row in rows]
        events = [event_json(event, at) for event, at in shown if event is not None]
        if not events:  # nothing in this range the client may see: move on silently
            await self._release(pool, sid, "cursor = %s, next_attempt_at = now()", (last,))
            return
        persons = sorted({e.released_person for e, _ in shown
                          if e is not None and e.released_person})
        msg_id = message_id(sid, after, last)
        now = datetime.datetime.now(datetime.UTC)
        body = message_body(sub["name"], after, last, events,
                            rows[-1]["published_at"].isoformat())
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": Webhook(sub["secret"]).sign(msg_id, now, body),
                   "content-type": "application/json"}
        started = time.perf_counter()
        outcome = await self._post(http, sub["endpoint"], body, headers)
        duration_ms = (time.perf_counter() - started) * 1000
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("""
                insert into changes.delivery_attempts (subscription_id, message_id,
                    after_cursor, last_cursor, events, duration_ms, status_code, error,
                    delivered)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                               (sid, msg_id, after, last, len(events), duration_ms,
                                outcome.status_code, outcome.error, outcome.delivered))
            if any(e.personal for e, _ in shown if e is not None):
                await self._log_access(conn, sub, msg_id, after, last, persons, outcome,
                                       duration_ms)
            if outcome.delivered:
                self.delivered += len(events)
                await conn.execute("""
                    update changes.subscriptions
                    set cursor = %s, failures = 0, next_attempt_at = now(),
                        leased_until = null
                    where subscription_id = %s and cursor = %s""", (last, sid, after))
                return
            failures = sub["failures"] + 1
            if failures >= self.settings.webhook_max_attempts:
                reason = f"{failures} failed attempts in a row at {msg_id}: " \
                         f"{outcome.error or outcome.status_code}"
                log.warning("parked subscription %s: %s", sub["name"], reason)
                await conn.execute("""
                    update changes.subscriptions
                    set status = 'parked', failures = %s, parked_reason = %s,
                        leased_until = null, updated_at = now()
                    where subscription_id = %s""", (failures, reason, sid))
            else:
                await conn.execute("""
                    update changes.subscriptions
                    set failures = %s, leased_until = null,
                        next_attempt_at = now() + make_interval(secs => %s)
                    where subscription_id = %s""", (failures, self.backoff(failures), sid))

    async def _post(self, http: httpx.AsyncClient, endpoint: str, body: bytes,
                    headers: dict[str, str]) -> Outcome:
        try:
            response = await http.post(endpoint, content=body, headers=headers)
        except httpx.TimeoutException:
            return Outcome(False, None, f"no answer within "
                                        f"{self.settings.webhook_timeout_seconds:g} s")
        except httpx.HTTPError as err:
            return Outcome(False, None, f"{type(err).__name__}: {err}"[:500])
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code)
        return Outcome(False, response.status_code, f"HTTP {response.status_code}")

    async def _release(self, pool: AsyncConnectionPool, sid: uuid.UUID, assignments: str,
                       params: tuple) -> None:
        async with pool.connection() as conn:
            await conn.execute(f"update changes.subscriptions set {assignments}, "
                               f"leased_until = null where subscription_id = %s",
                               (*params, sid))

    async def _log_access(self, conn: psycopg.AsyncConnection, sub: dict, msg_id: str,
                          after: int, last: int, persons: list[str], outcome: Outcome,
                          duration_ms: float) -> None:
        """A message that carried personal data, in the access log like a personal read."""
        await conn.execute("""
            insert into api.access_log (client_id, client_name, operation_type,
                operation_name, variables, purpose, outcome, error_codes, duration_ms,
                person_ids)
            values (%s, %s, 'webhook', %s, %s, %s, %s, %s, %s, %s::uuid[])""",
                           (sub["client_id"], sub["client_name"], sub["name"],
                            Jsonb({"endpoint": sub["endpoint"], "messageId": msg_id,
                                   "after": str(after), "cursor": str(last)}),
                            sub["purpose"], "ok" if outcome.delivered else "failed",
                            [] if outcome.delivered else ["WEBHOOK_NOT_DELIVERED"],
                            duration_ms, persons))


def deliver_forever(url: str) -> None:
    """Run until interrupted (SIGINT or SIGTERM, as a service manager stops it)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Deliverer(url).run(stop)

    asyncio.run(main())
