"""``viewer``: who the API takes the caller for, what it holds and how much of its rate is
left, so that a developer can check a key (and an agency its integration) in one request.
Open: a caller only ever sees itself."""

from __future__ import annotations

import datetime
import math

import strawberry

from graphql_api.access.clients import Grant
from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import open_
from graphql_api.core.context import Info


@strawberry.type(description="The caller's rate limit after this request: a bucket of "
                             "`limit` requests refilled continuously over a minute.")
class RateLimit:
    limit: int = strawberry.field(description="Requests a minute.")
    remaining: int = strawberry.field(description="Requests that may be sent right now.")
    reset_at: datetime.datetime = strawberry.field(
        description="When the bucket is full again, if no request is sent until then.")


@strawberry.type(description="The caller of this request, as the API sees it.")
class Viewer:
    client: str | None = strawberry.field(
        description="The agency client's name; null for an anonymous caller.")
    agency: str | None = strawberry.field(description="The agency that owns the client.")
    grants: list[str] = strawberry.field(
        description="The client's grants, as `kho clients` writes them (`land:personal`, "
                    "`audit`); empty for an anonymous caller.")
    key_expires_at: datetime.datetime | None = strawberry.field(
        description="When the key of this request expires; null if it does not.")
    purpose: str | None = strawberry.field(
        description="The purpose this request declared (X-Purpose or extensions.purpose).")
    rate_limit: RateLimit | None = strawberry.field(
        description="The caller's rate limit (per client, or per address when anonymous).")


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The caller of this request: its client, grants, key "
                                  "expiry and rate limit.")
    def viewer(self, info: Info) -> Viewer:
        caller = info.context.caller
        quota = caller.quota
        rate_limit = None if quota is None else RateLimit(
            limit=quota.limit, remaining=quota.remaining,
            reset_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0)
            + datetime.timedelta(seconds=math.ceil(quota.full_in)))
        return Viewer(
            client=caller.client_name, agency=caller.agency,
            grants=sorted(str(Grant(dataset, data_class))
                          for dataset, data_class in caller.grants.items()),
            key_expires_at=caller.key_expires_at, purpose=caller.purpose,
            rate_limit=rate_limit)


CLASSIFICATION = Classification(types={"Viewer": open_(), "RateLimit": open_()})
