"""Data stewards' decisions on person links: the clerical review queue.

Entity resolution (dbt's ``int_persons__links``) links a group without a personal ID to a
personal-ID group on its own only when the match probability is high; between the review and
the accept thresholds, and when two CMND groups would take one personal ID, the case waits
in ``marts.review_person_links`` with both sides' evidence. A steward accepts or rejects it
here; the decision lands in ``master_data.person_link_reviews`` (which no rebuild touches)
and outranks the model from the next build on. A decision may also be taken on any other
candidate of ``int_persons__links``, such as a link the model made on its own: rejecting it
splits the records off at the next publication, which the master-ID history records.

A case is named by ``review_id``: md5 of ``<identity_key>|<anchor_key>`` as a UUID, the
same in every build.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from kho import db

DECISIONS = ("accept", "reject")

QUEUE = """
select review_id, reason, evidence, match_probability, record_full_names, record_birth_dates,
       candidate_full_names, candidate_birth_dates, identity_key, anchor_key
from marts.review_person_links
order by match_probability desc, review_id
limit %s
"""

CANDIDATE = """
select md5(identity_key || '|' || anchor_key)::uuid as review_id, identity_key, anchor_key,
       outcome, evidence, name_level, birth_date_level, sex_level, place_level,
       household_level, match_weight, match_score, candidate_rank, candidates, is_accepted
from intermediate.int_persons__links
where md5(identity_key || '|' || anchor_key)::uuid = %s
"""

SIDES = """
select x.person_id, m.full_name, m.birth_date, m.birth_date_precision, m.sex,
       m.source_system || '.' || m.source_table || ':' || m.source_record_key
       || ' (' || m.role || ')' as record
from intermediate.int_persons__identities i
join intermediate.int_persons__mentions m using (person_mention_id)
join marts.xref_person x using (person_mention_id)
where i.identity_key = %s
order by m.source_system, m.source_table, m.source_record_key
"""

DECIDE = """
insert into master_data.person_link_reviews (identity_key, anchor_key, decision, reviewed_by,
                                             note)
values (%s, %s, %s, %s, %s)
on conflict (identity_key, anchor_key) do update
    set decision = excluded.decision, reviewed_by = excluded.reviewed_by,
        reviewed_at = now(), note = excluded.note
"""


class ReviewError(RuntimeError):
    """A decision that cannot be taken as asked (an unknown case, no build yet)."""


@dataclass(frozen=True)
class Case:
    review_id: uuid.UUID
    identity_key: str
    anchor_key: str
    facts: dict
    record_side: list[dict]
    candidate_side: list[dict]


def review_id(identity_key: str, anchor_key: str) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"{identity_key}|{anchor_key}".encode()).hexdigest())


def queue(url: str, limit: int) -> list[dict]:
    with _connect(url) as conn:
        return conn.execute(QUEUE, (limit,)).fetchall()


def case(url: str, case_id: uuid.UUID) -> Case:
    with _connect(url) as conn:
        facts = conn.execute(CANDIDATE, (case_id,)).fetchone()
        if facts is None:
            raise ReviewError(f"no candidate link {case_id}; kho review list shows the queue")
        return Case(case_id, facts["identity_key"], facts["anchor_key"], facts,
                    conn.execute(SIDES, (facts["identity_key"],)).fetchall(),
                    conn.execute(SIDES, (facts["anchor_key"],)).fetchall())


def decide(url: str, case_id: uuid.UUID, decision: str, reviewed_by: str,
           note: str | None = None) -> Case:
    """Record a steward's decision on a candidate link; it applies from the next build."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reviewed_by.strip():
        raise ReviewError("say who decides (--by): decisions are accountable")
    found = case(url, case_id)
    with _connect(url) as conn:
        conn.execute(DECIDE, (found.identity_key, found.anchor_key, decision,
                              reviewed_by.strip(), note))
    return found


@contextmanager
def _connect(url: str) -> Iterator[psycopg.Connection]:
    with db.connect(url, row_factory=dict_row) as conn:
        missing = conn.execute(
            "select to_regclass('master_data.person_link_reviews') is null "
            "or to_regclass('intermediate.int_persons__links') is null "
            "or to_regclass('marts.review_person_links') is null as missing").fetchone()
        if missing["missing"]:
            raise ReviewError("nothing to review yet: run kho materialize first")
        yield conn
