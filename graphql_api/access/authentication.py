"""Who is calling: no ``Authorization`` header is an anonymous caller (open data only); an
agency client sends ``Authorization: Bearer kho_<key id>_<secret>`` and, for personal data,
the purpose of the request in ``X-Purpose`` (or the body's ``extensions.purpose``:
``caller.declared_purpose``). A header that is sent must be usable: an empty
``Authorization``, or two of them, is refused rather than read as anonymous or as either.

Keys are checked against ``api.api_keys`` (their SHA-256; the comparison takes constant
time) and remembered per process for ``KEY_CACHE_SECONDS``: revoking a key or a client
takes effect on every replica within that time.
"""

from __future__ import annotations

import datetime
import hmac
import time

from starlette.requests import Request

from graphql_api.access.caller import PURPOSE_HEADER, Caller, PurposeError, declared_purpose
from graphql_api.access.clients import secret_digest, split_key
from graphql_api.access.grants import DataClass
from graphql_api.core.database import UNAVAILABLE, Database
from graphql_api.core.errors import BAD_USER_INPUT, SERVICE_UNAVAILABLE

KEY_CACHE_SECONDS = 10.0
KEY_CACHE_SIZE = 10_000
UNAUTHENTICATED = "UNAUTHENTICATED"

KEY_RECORD = """
select k.key_id, k.secret_sha256, k.expires_at, k.revoked_at as key_revoked_at,
       c.client_id::text, c.name, c.agency, c.revoked_at as client_revoked_at,
       c.rate_limit_per_minute,
       coalesce((select jsonb_object_agg(g.dataset, g.data_class) from api.client_grants g
                 where g.client_id = c.client_id), '{}') as grants
from api.api_keys k join api.clients c using (client_id)
where k.key_id = %s
"""


class AuthError(Exception):
    """A request refused before it is read: HTTP ``status`` with a coded GraphQL error."""

    def __init__(self, message: str, code: str = UNAUTHENTICATED, status: int = 401,
                 key_id: str | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.key_id = message, code, status, key_id


class Authenticator:
    def __init__(self, database: Database):
        self.database = database
        self._records: dict[str, tuple[float, dict | None]] = {}

    async def caller(self, request: Request, remote_addr: str | None) -> Caller:
        purposes = request.headers.getlist(PURPOSE_HEADER)
        if len(purposes) > 1:
            raise AuthError(f"send one {PURPOSE_HEADER} header, not {len(purposes)}",
                            code=BAD_USER_INPUT, status=400)
        try:
            purpose = declared_purpose(purposes[0] if purposes else None, header=True)
        except PurposeError as err:
            raise AuthError(str(err), code=BAD_USER_INPUT, status=400) from None
        headers = request.headers.getlist("authorization")
        if not headers:
            return Caller(remote_addr=remote_addr, purpose=purpose)
        if len(headers) > 1:
            raise AuthError(f"send one Authorization header, not {len(headers)}")
        scheme, _, key = headers[0].strip().partition(" ")
        parts = split_key(key) if scheme.lower() == "bearer" else None
        if parts is None:
            raise AuthError("send the API key as Authorization: Bearer kho_<key id>_<secret>")
        key_id, secret = parts
        record = await self._record(key_id)
        if record is None or not hmac.compare_digest(bytes(record["secret_sha256"]),
                                                     secret_digest(secret)):
            raise AuthError("unknown API key", key_id=key_id)
        revoked_at = record["key_revoked_at"] or record["client_revoked_at"]
        if revoked_at is not None:
            raise AuthError(f"this API key was revoked on {revoked_at:%Y-%m-%d %H:%M} UTC",
                            key_id=key_id)
        expires_at = record["expires_at"]
        if expires_at is not None and expires_at <= datetime.datetime.now(datetime.UTC):
            raise AuthError(f"this API key expired on {expires_at:%Y-%m-%d %H:%M} UTC",
                            key_id=key_id)
        return Caller(
            client_id=record["client_id"], client_name=record["name"], key_id=key_id,
            grants={dataset: DataClass[data_class.upper()]
                    for dataset, data_class in record["grants"].items()},
            purpose=purpose, remote_addr=remote_addr,
            rate_limit_per_minute=record["rate_limit_per_minute"], agency=record["agency"],
            key_expires_at=expires_at)

    async def _record(self, key_id: str) -> dict | None:
        now = time.monotonic()
        cached = self._records.get(key_id)
        if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        try:
            async with self.database.pool.connection() as conn:
                cursor = await conn.execute(KEY_RECORD, (key_id,))
                record = await cursor.fetchone()
        except UNAVAILABLE:
            raise AuthError("the warehouse cannot be reached to check the API key; retry "
                            "shortly", code=SERVICE_UNAVAILABLE, status=503,
                            key_id=key_id) from None
        # Least recently fetched first out; unknown key IDs are remembered too, so that
        # guessing costs the warehouse one lookup per ID and cannot flush real keys out.
        self._records.pop(key_id, None)
        if len(self._records) >= KEY_CACHE_SIZE:
            del self._records[next(iter(self._records))]
        self._records[key_id] = (now, record)
        return record

