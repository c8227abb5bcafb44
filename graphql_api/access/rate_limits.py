"""Requests per minute per agency client (per IP address for anonymous callers): a token
bucket holding a minute's worth, refilled continuously. Past it, HTTP 429 with
``Retry-After``. Each request takes a token and learns its ``Quota``: the limit, the whole
tokens left, and when the bucket is full again (the ``RateLimit-*`` headers of every answer,
and ``viewer.rateLimit``).

In process by default: each worker counts on its own, so ``kho serve --workers N`` lets
up to N times the limit through, and a worker keeps at most ``BUCKETS`` buckets, forgetting
first those untouched the longest (a bucket untouched for a minute is full again, so
forgetting it changes nothing). With ``KHO_REDIS_URL`` every worker and replica shares
one bucket per caller in Redis (one atomic script per request, Redis's clock).

An IPv6 caller is counted per /64 network, the block one subscriber line holds: its
addresses are too many to count one by one.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from graphql_api.access.caller import Caller

BUCKETS = 100_000
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
IPV6_PREFIX = 64

# KEYS[1] the bucket; ARGV: capacity (= the per-minute limit), tokens per second.
# Returns {the milliseconds until a token is there (0: taken), the whole tokens left, the
# milliseconds until the bucket is full}.
TOKEN_BUCKET = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {wait, math.floor(tokens), math.ceil((capacity - tokens) / rate)}
"""


@dataclass(frozen=True)
class Quota:
    """A caller's bucket after its request: ``wait`` 0 when the request was let through,
    else the seconds until it could be; ``full_in``: seconds until the bucket is full."""

    limit: int
    remaining: int
    wait: float
    full_in: float

    @property
    def allowed(self) -> bool:
        return self.wait <= 0

    def headers(self) -> dict[str, str]:
        """The IETF draft's rate-limit fields (draft-ietf-httpapi-ratelimit-headers, the
        three-field form): the limit, the requests left, seconds until all are back."""
        values = (self.limit, self.remaining, math.ceil(self.full_in))
        return {name: str(value) for name, value in zip(RATE_LIMIT_HEADERS, values, strict=True)}


def bucket_of(caller: Caller, anonymous_limit: int, client_limit: int) -> tuple[str, int]:
    if caller.is_anonymous:
        return f"ip:{_network(caller.remote_addr)}", anonymous_limit
    return f"client:{caller.client_id}", caller.rate_limit_per_minute or client_limit


def _network(address: str | None) -> str | None:
    if address is None or ":" not in address:
        return address
    try:
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_PREFIX}", strict=False))
    except ValueError:
        return address


class LocalLimiter:
    def __init__(self, size: int = BUCKETS):
        self.size = size
        # Least recently touched first: the first to be forgotten.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, per_minute: int) -> Quota:
        """A token for the request, if there is one; the bucket after it."""
        now = time.monotonic()
        rate = per_minute / 60.0
        tokens, at = self._buckets.get(key, (float(per_minute), now))
        tokens = min(per_minute, tokens + (now - at) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return Quota(per_minute, math.floor(tokens), wait, (per_minute - tokens) / rate)

    async def close(self) -> None:
        pass


class RedisLimiter:
    def __init__(self, url: str):
        import redis.asyncio  # imported here: only a server given KHO_REDIS_URL loads it

        self.redis = redis.asyncio.Redis.from_url(url)
        self.script = self.redis.register_script(TOKEN_BUCKET)

    async def take(self, key: str, per_minute: int) -> Quota:
        wait_ms, remaining, full_ms = await self.script(
            keys=[f"kho:ratelimit:{key}"], args=[per_minute, per_minute / 60.0])
        return Quota(per_minute, int(remaining), int(wait_ms) / 1000.0, int(full_ms) / 1000.0)

    async def close(self) -> None:
        await self.redis.aclose()


def limiter(redis_url: str | None) -> LocalLimiter | RedisLimiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
