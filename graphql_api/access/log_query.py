"""``accessLog(personId)``: for a data protection officer's client (the ``audit`` grant),
who saw a person's personal data, when, and for what declared purpose."""

from __future__ import annotations

import datetime

import strawberry

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import AUDIT, DataClass, Need
from graphql_api.core.context import PROVINCE_TIME_ZONE, Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError, parse_uuid

MAX_ENTRIES = 1_000
AUDIT_NEED = Need(AUDIT, DataClass.PERSONAL)

ENTRIES = """
select l.entry_id, l.logged_at, l.client_name, c.agency, l.key_id, l.remote_addr,
       l.operation_type, l.operation_name, l.query_hash, l.purpose, l.outcome, l.error_codes
from api.access_log l left join api.clients c using (client_id)
where l.person_ids @> array[%s::uuid] and l.logged_at >= %s and l.logged_at < %s
order by l.entry_id desc limit %s
"""


@strawberry.type(description="One request that released a person's personal data.")
class AccessLogEntry:
    entry_id: int = strawberry.field(description="Its place in the hash-chained log.")
    logged_at: datetime.datetime
    client_name: str | None
    agency: str | None = strawberry.field(description="The agency that owns the client.")
    key_id: str | None
    remote_addr: str | None
    operation_type: str | None
    operation_name: str | None
    query_hash: str | None = strawberry.field(
        description="HMAC-SHA256 of the GraphQL document sent, under the installation's key.")
    purpose: str | None = strawberry.field(description="The purpose the client declared.")
    outcome: str
    error_codes: list[str]


@strawberry.type
class AccessLogQueries:
    @strawberry.field(description="Who saw this person's personal data, newest first "
                                  "(for clients with the audit grant).")
    async def access_log(self, info: Info, person_id: strawberry.ID,
                         since: datetime.date | None = None,
                         until: datetime.date | None = None,
                         first: int = 100) -> list[AccessLogEntry] | None:
        person = parse_uuid(person_id, "personId")
        if not 1 <= first <= MAX_ENTRIES:
            raise CodedError(f"first must be between 1 and {MAX_ENTRIES}", BAD_USER_INPUT)
        # Days are the province's, like "today" everywhere in the API.
        start = datetime.datetime.combine(since or datetime.date(1900, 1, 1), datetime.time(),
                                          PROVINCE_TIME_ZONE)
        end = datetime.datetime.combine(until or datetime.date(9999, 12, 30), datetime.time(),
                                        PROVINCE_TIME_ZONE) + datetime.timedelta(days=1)
        rows = await info.context.session.fetch_all(ENTRIES, [person, start, end, first])
        return [AccessLogEntry(**row) for row in rows]


CLASSIFICATION = Classification(types={"AccessLogEntry": AUDIT_NEED},
                                fields={"Query.accessLog": Rule(AUDIT_NEED)})
