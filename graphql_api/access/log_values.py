"""What an access-log entry may hold: whatever a caller sent, made storable and bounded
before the entry is queued.

The log cannot be pruned, and anyone may write to it (every anonymous request is an entry),
so no caller decides how large an entry is, and no value may make PostgreSQL refuse one:

- a NUL character (which ``text`` and ``jsonb`` cannot hold) and a lone UTF-16 surrogate
  (which UTF-8 cannot encode) are written out as the six characters ``\\u0000``,
  ``\\ud800``;
- a string longer than ``MAX_STRING`` characters keeps its first ``KEPT_OF_STRING``,
  followed by ``…[cut: <n> characters, sha256:<hex>]``, the SHA-256 of the whole string in
  UTF-8;
- a list or object nested deeper than ``MAX_DEPTH`` becomes such a string too, with the
  SHA-256 of its canonical JSON (keys sorted, ASCII, no spaces);
- variables larger than ``MAX_VARIABLES_BYTES`` (as stored, JSON in UTF-8) become
  ``{"$cut": "<n> bytes of variables", "$sha256": "<hex>"}`` over their canonical JSON;
- integers beyond 64 bits and non-finite numbers become their decimal text.

So an entry stays within a few kB whatever was sent, its hash chain is taken over what is
stored, and whoever holds the original value can show it is the one logged (a digest is
only ever taken of values that are not personal: personal ones are already HMACs).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

MAX_STRING = 1_000
KEPT_OF_STRING = 900
MAX_DEPTH = 8
MAX_VARIABLES_BYTES = 4_096

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT64 = range(-(2**63), 2**63)


def _escaped(value: str) -> str:
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", value)


def sha256_of_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_json(value: Any) -> str:
    """The JSON a digest of a structure is taken over: keys sorted, ASCII (a lone surrogate
    is ``\\ud800`` in it), no spaces."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"),
                      default=str)


def text(value: str | None) -> str | None:
    """A string the caller sent, storable and at most about ``MAX_STRING`` characters."""
    if value is None:
        return None
    if len(value) <= MAX_STRING:
        escaped = _escaped(value)
        if len(escaped) <= MAX_STRING:
            return escaped
    return (f"{_escaped(value[:KEPT_OF_STRING])[:KEPT_OF_STRING]}…[cut: {len(value)} "
            f"characters, sha256:{sha256_of_text(value)}]")


class _TooLarge(Exception):
    pass


def variables(value: dict | None) -> dict | None:
    """Variables (or a download's parameters) storable and at most about
    ``MAX_VARIABLES_BYTES``; the walk stops as soon as they are known to be larger."""
    if value is None:
        return None
    budget = [MAX_VARIABLES_BYTES]
    try:
        return _walk(value, 0, budget)
    except _TooLarge:
        whole = canonical_json(value)
        return {"$cut": f"{len(whole.encode())} bytes of variables",
                "$sha256": hashlib.sha256(whole.encode()).hexdigest()}


def _spend(budget: list[int], size: int) -> None:
    budget[0] -= size
    if budget[0] < 0:
        raise _TooLarge


def _walk(value: Any, depth: int, budget: list[int]) -> Any:
    if isinstance(value, str):
        stored = text(value)
        _spend(budget, len(stored.encode()) + 3)
        return stored
    if value is None or isinstance(value, bool):
        _spend(budget, 6)
        return value
    if isinstance(value, int):
        _spend(budget, 21)
        return value if value in _INT64 else text(str(value))
    if isinstance(value, float):
        _spend(budget, 25)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            whole = canonical_json(value)
            stored = (f"…[cut: nested deeper than {MAX_DEPTH} levels, "
                      f"sha256:{hashlib.sha256(whole.encode()).hexdigest()}]")
            _spend(budget, len(stored))
            return stored
        _spend(budget, 2)
        if isinstance(value, dict):
            return {_walk(str(key), depth + 1, budget): _walk(item, depth + 1, budget)
                    for key, item in value.items()}
        return [_walk(item, depth + 1, budget) for item in value]
    return _walk(str(value), depth, budget)
