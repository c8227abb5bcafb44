"""``kho issues``: the data-quality issues kept for the owning agencies (made and resolved
at each publication by :mod:`pipelines.dbt.quality_issues`), listed and acknowledged."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from kho import db
from kho.settings import SOURCES

STATUSES = ("open", "acknowledged", "resolved", "reopened")
KINDS = ("person_conflict", "deceased_still_active", "mistyped_identity_number",
         "invalid_source_value")
# The issues' entity type in the change feed: a trigger on changes.quality_issues (migration
# 0007) writes an event for every new issue and every change to one.
ISSUE_TYPE = "data_quality_issue"
# What an agency's acknowledgement does, from the CLI here or through the API
# (graphql_api/quality/mutations.py): changes.acknowledge_issue (migration 0007) takes the
# change feed's lock, sets the status of an open or reopened issue, writes the feed's event
# and returns the issue; it returns nothing for an issue of another status.
ACKNOWLEDGE = "select {columns} from changes.acknowledge_issue(%(issue_id)s, %(by)s, %(note)s)"
ISSUE_STATE = "select source_system, status from changes.quality_issues where issue_id = %s"
BUSY = ("a publication is writing the change feed at the moment; acknowledge again in a "
        "minute")


class IssueError(ValueError):
    """An issues command that cannot be done as asked; the message says why."""


def list_issues(url: str, agency: str | None, status: str | None, kind: str | None,
                limit: int) -> list[dict]:
    for value, allowed, what in ((agency, SOURCES, "agency"), (status, STATUSES, "status"),
                                 (kind, KINDS, "kind")):
        if value is not None and value not in allowed:
            raise IssueError(f"unknown {what} {value!r}; one of {', '.join(allowed)}")
    with db.connect(url, row_factory=dict_row) as conn:
        return conn.execute("""
            select * from changes.quality_issues
            where (%(agency)s::text is null or source_system = %(agency)s)
                and (%(status)s::text is null or status = %(status)s)
                and (%(kind)s::text is null or kind = %(kind)s)
            order by source_system, kind, issue_id
            limit %(limit)s""", {"agency": agency, "status": status, "kind": kind,
                                 "limit": limit}).fetchall()


def acknowledge(url: str, issue_id: str, by: str, note: str | None) -> str:
    """Mark an open (or reopened) issue as seen by its agency; returns its kind."""
    if not by.strip():
        raise IssueError("--by names who acknowledges the issue")
    with db.connect(url) as conn:
        try:
            done = conn.execute(ACKNOWLEDGE.format(columns="kind"),
                                acknowledgement(issue_id, by.strip(), note)).fetchone()
        except psycopg.errors.LockNotAvailable:
            raise IssueError(BUSY) from None
        if done is not None:
            return done[0]
        row = conn.execute(ISSUE_STATE, (issue_id,)).fetchone()
    if row is None:
        raise IssueError(f"no issue {issue_id!r} (kho issues list)")
    raise IssueError(not_acknowledgeable(issue_id, row[1]))


def acknowledgement(issue_id: str, by: str, note: str | None) -> dict:
    """The parameters of ``ACKNOWLEDGE``."""
    return {"issue_id": issue_id, "by": by, "note": note}


def not_acknowledgeable(issue_id: str, status: str) -> str:
    return f"issue {issue_id} is {status}: only an open or reopened issue is acknowledged"
