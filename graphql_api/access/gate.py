"""The gate of every HTTP request, GraphQL and downloads alike, and the answer of a request
refused there (or at the edge, before GraphQL reads it). The caller's rate-limit quota goes
out with whatever the request is answered (``RateLimitHeaders``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graphql_api.access import log_writer, rate_limits
from graphql_api.access.authentication import Authenticator, AuthError
from graphql_api.access.caller import Caller
from graphql_api.access.log_writer import AccessLog
from graphql_api.access.remote_address import remote_address
from graphql_api.core.database import Database
from graphql_api.core.errors import SERVICE_UNAVAILABLE

RATE_LIMITED = "RATE_LIMITED"
JSON = "application/json"
RETRY_AFTER_SECONDS = 5  # what a caller refused while the warehouse is unreachable waits


class Gate:
    """What every request passes before it is read: who calls (auth), whether they are
    over their rate, and the access-log entry of a request refused here."""

    def __init__(self, database: Database, settings, access_log: AccessLog | None):
        self.auth = Authenticator(database)
        self.limiter = rate_limits.limiter(settings.redis_url)
        self.settings = settings
        self.access_log = access_log

    async def admit(self, request: Request, operation: str,
                    media_type: str = JSON) -> Caller | Response:
        address = remote_address(request, self.settings.trusted_proxies)
        if self.access_log is not None and self.access_log.full:
            # Nothing is answered that the log could not take (what it cannot is counted).
            self.record(Caller(remote_addr=address), operation, "failed", SERVICE_UNAVAILABLE)
            return refusal("the access log cannot record requests at the moment; try again "
                           "shortly", SERVICE_UNAVAILABLE, 503,
                           {"Retry-After": str(RETRY_AFTER_SECONDS)}, media_type)
        try:
            caller = await self.auth.caller(request, address)
        except AuthError as err:
            # A refused key counts against its address's limit, like an anonymous request:
            # guessing keys is as limited as anything else.
            anonymous = Caller(remote_addr=address)
            limited = await self._over_limit(request, anonymous, operation, media_type)
            if limited is not None:
                return limited
            outcome = "failed" if err.status == 503 else "unauthenticated"
            self.record(anonymous, operation, outcome, err.code, key_id=err.key_id)
            headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else \
                {"Retry-After": str(RETRY_AFTER_SECONDS)} if err.status == 503 else {}
            return refusal(err.message, err.code, err.status, headers, media_type)
        return await self._over_limit(request, caller, operation, media_type) or caller

    async def _over_limit(self, request: Request, caller: Caller, operation: str,
                          media_type: str) -> Response | None:
        key, per_minute = rate_limits.bucket_of(caller, self.settings.rate_limit_anonymous,
                                                self.settings.rate_limit_client)
        quota = await self.limiter.take(key, per_minute)
        caller.quota = quota
        request.state.rate_limit = quota
        if quota.allowed:
            return None
        self.record(caller, operation, "rate_limited", RATE_LIMITED)
        wait = rate_limits.retry_after(quota.wait)
        return refusal(f"more than {per_minute} requests a minute; retry after {wait} s",
                       RATE_LIMITED, 429, {"Retry-After": wait}, media_type)

    def record(self, caller: Caller, operation: str, outcome: str, code: str | None,
               key_id: str | None = None) -> None:
        if self.access_log is not None:
            self.access_log.record(log_writer.entry(caller, outcome, operation_type=operation,
                                                    error_codes=[code] if code else [],
                                                    key_id=key_id))


def refusal(message: str, code: str, status: int, headers: dict | None = None,
            media_type: str = JSON, extensions: dict | None = None) -> Response:
    """A request refused before GraphQL reads it, answered in the shape of a GraphQL error
    (without ``data``: no operation ran), in the media type the caller accepts."""
    return JSONResponse({"errors": [{"message": message,
                                     "extensions": {"code": code, **(extensions or {})}}]},
                        status_code=status, headers=headers, media_type=media_type)


class RateLimitHeaders:
    """ASGI middleware: the ``RateLimit-*`` headers of the quota the gate left on the
    request's state, on its answer whatever produced it (GraphQL, GraphiQL, a download, a
    refusal)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_quota(message) -> None:
            quota = state.get("rate_limit")
            if message["type"] == "http.response.start" and quota is not None:
                message = {**message, "headers": [
                    *message.get("headers", ()),
                    *((name.lower().encode("latin-1"), value.encode("latin-1"))
                      for name, value in quota.headers().items())]}
            await send(message)

        await self.app(scope, receive, send_with_quota)
