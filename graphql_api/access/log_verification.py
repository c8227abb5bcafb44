"""Checking the access log (``kho audit verify``): its hash chain rebuilt from the rows alone,
and the heads recorded outside the warehouse (anchors) still in it.

The chain is written by the database (a trigger numbers, times and chains every entry the
API's writer, ``log_writer``, inserts); this module only reads it, as the warehouse owner.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

import psycopg

from kho import db

GENESIS = "0" * 64


# The texts the digest is taken over, rendered by PostgreSQL exactly as the trigger sees them.
VERIFY_ROWS = """
select entry_id, concat_ws(chr(31),
        entry_id::text,
        to_char(logged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(client_id::text, ''), coalesce(client_name, ''), coalesce(key_id, ''),
        coalesce(remote_addr, ''), coalesce(operation_type, ''),
        coalesce(operation_name, ''), coalesce(query_hash, ''),
        coalesce(variables::text, ''), coalesce(purpose, ''), outcome,
        array_to_string(error_codes, ','), coalesce(duration_ms::text, ''),
        array_to_string(person_ids, ',')) as body, previous_hash, entry_hash
from api.access_log order by entry_id
"""


@dataclass(frozen=True)
class Verification:
    entries: int
    head_entry_id: int
    head_hash: str
    broken_entry_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_entry_id is None


# --- anchors: heads recorded outside the warehouse -------------------------------------------
#
# The chain shows an entry edited or deleted, but not the warehouse's owner rewriting every
# hash from an entry onwards, or cutting the tail and rewinding the head: what the database
# holds is then a valid chain again. A head recorded somewhere the owner cannot write (another
# host, a ticket, paper) pins the chain down to it: ``kho audit verify --anchors FILE
# --record`` checks the log against every head recorded so far and appends today's.


class AnchorError(ValueError):
    """An anchor file that cannot be read as anchors."""


def read_anchors(text: str, source: str = "anchors") -> dict[int, str]:
    """``<entry id> <entry hash> [anything]`` per line; blank lines and # comments skipped."""
    anchors: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if (len(fields) < 2 or not (fields[0].isascii() and fields[0].isdigit())
                or len(fields[1]) != 64
                or any(c not in "0123456789abcdef" for c in fields[1])):
            raise AnchorError(f"{source}, line {number}: expected '<entry id> <sha-256 hex>', "
                              f"found {line.strip()!r}")
        entry_id = int(fields[0])
        if anchors.get(entry_id, fields[1]) != fields[1]:
            raise AnchorError(f"{source}, line {number}: entry {entry_id} is recorded twice "
                              f"with different hashes")
        anchors[entry_id] = fields[1]
    return anchors


def anchor_line(result: Verification) -> str:
    recorded = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{result.head_entry_id} {result.head_hash} recorded {recorded}\n"


def verify(url: str, anchors: dict[int, str] | None = None) -> Verification:
    """Walk the chain from the first entry; the first entry that breaks it, and why. Each
    anchor (entry ID -> hash recorded outside the warehouse) must still be in the chain."""
    anchors = anchors or {}
    if anchors.get(0, GENESIS) != GENESIS:  # the head of an empty log
        return Verification(0, 0, GENESIS, 0, "entry 0 was recorded with a hash other than "
                            "the empty log's: the anchors are not this log's")
    with db.connect(url) as conn:
        # One snapshot for the head and the rows: entries written meanwhile are not read.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        head_id, head_hash = conn.execute(
            "select entry_id, entry_hash from api.access_log_head").fetchone()
        expected_id, previous, count = 1, GENESIS, 0
        with conn.cursor(name="kho_audit_verify") as cursor:
            cursor.itersize = 10_000
            cursor.execute(VERIFY_ROWS)
            for entry_id, body, previous_hash, entry_hash in cursor:
                count += 1
                broken = _check(entry_id, body, previous_hash, entry_hash, expected_id,
                                previous)
                if broken is None and anchors.get(entry_id, entry_hash) != entry_hash:
                    broken = entry_id, (
                        f"entry {entry_id} is not the one recorded outside the warehouse "
                        f"(its hash was {anchors[entry_id]}): the log was rewritten from "
                        f"this entry or an earlier one")
                if broken is not None:
                    return Verification(count, head_id, head_hash, *broken)
                expected_id, previous = entry_id + 1, entry_hash
        if expected_id - 1 != head_id or previous != head_hash:
            return Verification(count, head_id, head_hash, expected_id,
                                f"the log ends at entry {expected_id - 1} but its head "
                                f"records entry {head_id}: entries were deleted from the end")
        beyond = [n for n in anchors if n >= expected_id]
        if beyond:
            return Verification(count, head_id, head_hash, expected_id,
                                f"the log ends at entry {expected_id - 1} but entry "
                                f"{min(beyond)} was recorded outside the warehouse: entries "
                                f"were deleted from the end and the head set back")
    return Verification(count, head_id, head_hash)


def _check(entry_id: int, body: str, previous_hash: str, entry_hash: str, expected_id: int,
           previous: str) -> tuple[int, str] | None:
    if entry_id != expected_id:
        return expected_id, (f"entry {expected_id} is missing (the next one is {entry_id}): "
                             f"deleted")
    if previous_hash != previous:
        return entry_id, (f"entry {entry_id} does not chain to entry {entry_id - 1}: an "
                          f"entry before it was deleted or rewritten")
    digest = hashlib.sha256(f"{body}\x1f{previous_hash}".encode()).hexdigest()
    if digest != entry_hash:
        return entry_id, f"entry {entry_id} does not match its hash: it was altered"
    return None
