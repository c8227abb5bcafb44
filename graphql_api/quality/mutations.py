"""``acknowledgeDataQualityIssue(issueId, note)``: an agency says it has seen an issue in its
own records, as ``kho issues acknowledge`` does. The only write the API takes: the API's
role may call ``changes.acknowledge_issue`` (which sets the status and writes the change
feed's event) and write nothing else (``access/api_grants.sql``). The caller needs a shared
grant on the issue's dataset; an issue of a dataset it holds no grant on is answered as no
issue at all."""

from __future__ import annotations

import strawberry

from graphql_api.access.grants import ANY, shared
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, NOT_FOUND, CodedError
from graphql_api.quality.queries import ISSUE_COLUMNS, issue_of
from graphql_api.quality.types import DataQualityIssue
from kho.quality_issues import ACKNOWLEDGE, ISSUE_STATE, acknowledgement, not_acknowledgeable

MAX_NOTE_LENGTH = 2_000


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
        # Anonymous callers and clients without a shared grant have no issues at all.
        caller.require(shared(ANY), "acknowledgeDataQualityIssue")
        if note is not None and (len(note) > MAX_NOTE_LENGTH or "\x00" in note):
            raise CodedError(f"note must be at most {MAX_NOTE_LENGTH} characters, without "
                             f"NUL characters", BAD_USER_INPUT)
        session = info.context.session
        state = await session.fetch_one(ISSUE_STATE, (str(issue_id),))
        # Another agency's issue is none of the caller's business: answered as none.
        if state is None or not caller.holds(shared(state["source_system"])):
            raise CodedError(f"no data-quality issue {issue_id!s} in a dataset client "
                             f"{caller.client_name} holds a grant on", NOT_FOUND)
        row = await session.fetch_one(
            ACKNOWLEDGE.format(columns=ISSUE_COLUMNS),
            acknowledgement(str(issue_id), acknowledged_by(caller), note))
        if row is None:
            raise CodedError(not_acknowledgeable(str(issue_id), state["status"]),
                             BAD_USER_INPUT)
        return issue_of(row)
