"""``dataQualityIssues(agency, kind, status, first, after)``: an agency's issues, in a
stable order (by issue ID), for a caller holding a shared grant on its dataset."""

from __future__ import annotations

import strawberry

from graphql_api.access.grants import shared
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.quality.types import (
    DataQualityIssue,
    DataQualityIssueKind,
    DataQualityIssuePage,
    DataQualityIssueStatus,
    SourceSystem,
)

MAX_ISSUES = 500
ISSUE_COLUMNS = """issue_id, kind, status, source_system, source_table, source_record_key,
       person_id, attribute, rule, source_value, master_value, master_source_system,
       first_seen_at, last_seen_at, status_changed_at, acknowledged_by"""
ISSUES = f"""
select {ISSUE_COLUMNS}
from changes.quality_issues
where source_system = %(agency)s and issue_id > %(after)s
    and (%(kind)s::text is null or kind = %(kind)s)
    and (%(status)s::text is null or status = %(status)s)
order by issue_id
limit %(limit)s
"""


@strawberry.type
class QualityQueries:
    @strawberry.field(description="The data-quality issues in an agency's records (for "
                                  "clients with a shared grant on its dataset; the values in "
                                  "conflict need a personal one).")
    async def data_quality_issues(self, info: Info, agency: SourceSystem,
                                  kind: DataQualityIssueKind | None = None,
                                  status: DataQualityIssueStatus | None = None,
                                  first: int = 50, after: str | None = None
                                  ) -> DataQualityIssuePage:
        info.context.caller.require(shared(agency.value), "dataQualityIssues")
        if not 1 <= first <= MAX_ISSUES:
            raise CodedError(f"first must be between 1 and {MAX_ISSUES}, got {first}",
                             BAD_USER_INPUT)
        rows = await info.context.session.fetch_all(ISSUES, {
            "agency": agency.value, "after": after or "", "limit": first + 1,
            "kind": kind.value if kind else None, "status": status.value if status else None})
        page = rows[:first]
        issues = [issue_of(row) for row in page]
        return DataQualityIssuePage(issues=issues,
                                    end_cursor=page[-1]["issue_id"] if page else after,
                                    has_next_page=len(rows) > first)


def issue_of(row: dict) -> DataQualityIssue:
    return DataQualityIssue(**{**row, "kind": DataQualityIssueKind(row["kind"]),
                               "status": DataQualityIssueStatus(row["status"])})
