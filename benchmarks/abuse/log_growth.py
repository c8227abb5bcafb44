"""What the runs added to ``api.access_log``: its rows after an entry ID remembered before,
by remote address and client, with their size as stored (``pg_column_size`` of each row,
its TOASTed values as stored, compressed or not)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kho import db

# The API's workers write their entries in batches after the answers have gone: the log is
# read once it has stopped growing for this long (or after SETTLE_LIMIT seconds).
SETTLED_SECONDS = 2.0
SETTLE_LIMIT = 30.0


@dataclass(frozen=True)
class Rows:
    rows: int
    bytes: int


def last_entry(url: str) -> int:
    with db.connect(url) as conn:
        return conn.execute("select coalesce(max(entry_id), 0) from api.access_log"
                            ).fetchone()[0]


def settle(url: str) -> None:
    """Wait until no entry has been added for ``SETTLED_SECONDS``."""
    deadline = time.monotonic() + SETTLE_LIMIT
    last, since = last_entry(url), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < SETTLED_SECONDS:
        time.sleep(0.25)
        if (now := last_entry(url)) != last:
            last, since = now, time.monotonic()


def growth(url: str, after: int) -> dict[tuple[str | None, str | None], Rows]:
    """Rows after entry ``after``, by (remote address, client name)."""
    with db.connect(url) as conn:
        rows = conn.execute(
            "select t.remote_addr, t.client_name, count(*), sum(pg_column_size(t.*)) "
            "from api.access_log as t where t.entry_id > %s group by 1, 2", (after,)
        ).fetchall()
    return {(address, client): Rows(count, int(size)) for address, client, count, size in rows}
