"""``acknowledgeDataQualityIssue(issueId, note)``: an agency says it has seen an issue in its
own records, as ``kho issues acknowledge`` does. The only write the API takes: the API's
role may update the status columns of ``changes.quality_issues`` and nothing else
(``access/api_grants.sql``). The caller needs a shared grant on the issue's dataset; an
issue of a dataset it holds no grant on is answered as no issue at all."""

from __future__ import annotations

import strawberry

from graphql_api.access.grants import ANY, shared
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, NOT_FOUND, CodedError
from graphql_api.quality.queries import ISSUE_COLUMNS, issue_of
from graphql_api.quality.types import DataQualityIssue

MAX_NOTE_LENGTH = 2_000
ACKNOWLEDGEABLE = ("open", "reopened")
ISSUE_STATE = "select source_system, status from changes.quality_issues where issue_id = %s"
ACKNOWLEDGE = f"""
update changes.quality_issues
set status = 'acknowledged', status_changed_at = now(), acknowledged_by = %(by)s,
    note = %(note)s
where issue_id = %(issue_id)s and status = any(%(acknowledgeable)s)
returning {ISSUE_COLUMNS}
"""


def acknowledged_by(caller) -> str:
    """Who acknowledged, as the issue keeps it: the client, and its agency when it has one."""
    if caller.agency and caller.agency != caller.client_name:
        return f"{caller.agency} (client {caller.client_name})"
    return f"client {caller.client_name}"


@strawberry.type(description="What a caller may change: the status of the data-quality issues "
                             "in its own agency's records, nothing else.")
class Mutation:
    @strawberry.mutation(description="Say that an open (or reopened) data-quality issue has "
                                     "been seen, for clients with a shared grant on its "
                                     "dataset; it resolves by itself once the source is "
                                     "corrected.")
    async def acknowledge_data_quality_issue(self, info: Info, issue_id: strawberry.ID,
                                             note: str | None = None) -> DataQualityIssue:
        caller = info.context.caller
        if note is not None and (len(note) > MAX_NOTE_LENGTH or "\x00" in note):
            raise CodedError(f"note must be at most {MAX_NOTE_LENGTH} characters, without "
                             f"NUL characters", BAD_USER_INPUT)
        session = info.context.session
        state = await session.fetch_one(ISSUE_STATE, (str(issue_id),))
        if state is not None and not caller.is_anonymous \
                and not caller.holds(shared(state["source_system"])):
            state = None  # another agency's issue is none of the caller's business
        if state is None:
            caller.require(shared(ANY), "acknowledgeDataQualityIssue")
            raise CodedError(f"no data-quality issue {issue_id!s} in a dataset client "
                             f"{caller.client_name} holds a grant on", NOT_FOUND)
        caller.require(shared(state["source_system"]), "acknowledgeDataQualityIssue")
        row = await session.fetch_one(ACKNOWLEDGE, {
            "issue_id": str(issue_id), "by": acknowledged_by(caller), "note": note,
            "acknowledgeable": list(ACKNOWLEDGEABLE)})
        if row is None:
            raise CodedError(f"issue {issue_id!s} is {state['status']}: only an open or "
                             f"reopened issue is acknowledged", BAD_USER_INPUT)
        return issue_of(row)
