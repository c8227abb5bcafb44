"""One writer of the warehouse at a time, however its run was started.

Every run that writes the warehouse holds a PostgreSQL advisory lock on the warehouse
database while its steps run: ``kho materialize`` (in process, outside Dagster's run queue),
the runs the daemon takes from the queue, a run started from the Dagster UI. The queue
already keeps the daemon's runs to one at a time; the lock keeps them apart from the runs
the queue never saw, from whatever machine they were started. The lock belongs to a
session of its own, named after the run (``application_name``), so that a writer that has
to wait can say for what; a writer that dies loses its session and so the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from kho import db

# pg_advisory_lock(int4, int4): "kho" in ASCII, then 1 for "writes the warehouse".
LOCK_KEYS = (0x6B686F, 1)
# PostgreSQL keeps the first 63 bytes of an application_name.
_NAME_BYTES = 63


class WarehouseBusy(Exception):
    """Another run holds the warehouse (the message says which, and since when)."""


def holder_name(run_id: str, job: str, started_by: str) -> str:
    """How a writer names itself to the others: ``run 5f3a0c21 of materialize_all (kho
    materialize)``, the run ID as short as Dagster's UI shows it."""
    return f"run {run_id[:8]} of {job} ({started_by})"


def holder(conn) -> tuple[str, datetime | None] | None:
    """The session holding this database's lock (None: nobody): the name it gave itself
    and when it last changed state. The lock's keys are the same in every database of the
    server; only this database's holder counts."""
    return conn.execute(
        "select a.application_name, a.state_change from pg_locks l "
        "join pg_stat_activity a on a.pid = l.pid "
        "where l.locktype = 'advisory' and l.granted and l.classid = %s and l.objid = %s "
        "and l.objsubid = 2 and l.database = (select oid from pg_database "
        "where datname = current_database())", LOCK_KEYS).fetchone()


def describe_holder(conn) -> str:
    """Who holds the lock, as the session holding it named itself."""
    row = holder(conn)
    if row is None:
        return "another run writes the warehouse"
    name, since = row
    # An idle session's state_change is when its last statement, the lock, was taken.
    when = f" since {since:%Y-%m-%d %H:%M:%S %Z}" if since is not None else ""
    return f"{name or 'another session'} writes the warehouse{when}"


@contextmanager
def writing_the_warehouse(url: str, name: str, *, wait: bool = True,
                          on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse for the ``with`` block. When another run holds it: wait for it
    (``on_wait`` is told once whom for), or with ``wait`` False raise
    :class:`WarehouseBusy`. Waiters queue in PostgreSQL's lock manager, so they get the
    warehouse in the order they asked: a ``kho materialize`` waiting behind a daemon run
    is not overtaken by the runs the daemon starts after it."""
    application_name = name.encode()[:_NAME_BYTES].decode(errors="ignore")
    with db.connect(url, autocommit=True, application_name=application_name) as conn:
        conn.execute("set time zone 'UTC'")
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", LOCK_KEYS).fetchone()[0]:
            busy = describe_holder(conn)
            if not wait:
                raise WarehouseBusy(busy)
            if on_wait is not None:
                on_wait(busy)
            # Blocks until granted (no statement or lock timeout on this session; Ctrl+C
            # cancels the wait, and a writer that dies leaves the queue with its session).
            conn.execute("set statement_timeout = 0")
            conn.execute("set lock_timeout = 0")
            conn.execute("select pg_advisory_lock(%s, %s)", LOCK_KEYS)
        yield
