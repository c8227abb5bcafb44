"""An agency's data-quality issues as one CSV file: ``GET /quality/{agency}.csv``.

The same issues ``dataQualityIssues`` pages through, for a clerk who fixes them in a
spreadsheet: every issue of the agency's records (``status`` and ``kind`` narrow them, as
the query's arguments do), ordered by issue ID, streamed as PostgreSQL's COPY writes it.
The caller needs a shared grant on the agency's dataset; the values in conflict
(``source_value``, ``master_value``) are personal data, filled only under a personal grant
and a declared purpose and otherwise left empty, with the columns withheld named in the
``Kho-Withheld-Columns`` header. A file that released them is logged with the persons it
named, like a personal read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from graphql_api.access import log_writer
from graphql_api.access.grants import personal, shared
from graphql_api.core.database import Session
from graphql_api.core.errors import BAD_USER_INPUT, NOT_FOUND, CodedError
from graphql_api.opendata.downloads import Downloads, stream_copy
from graphql_api.quality.types import DataQualityIssueKind, DataQualityIssueStatus
from kho.settings import SOURCES

WITHHELD_HEADER = "Kho-Withheld-Columns"
PERSONAL_COLUMNS = ("source_value", "master_value")
FILTERS = {"status": [s.value for s in DataQualityIssueStatus],
           "kind": [k.value for k in DataQualityIssueKind]}
CONDITION = """
from changes.quality_issues
where source_system = %(agency)s
    and (%(status)s::text is null or status = %(status)s)
    and (%(kind)s::text is null or kind = %(kind)s)
"""


def issue_filters(params) -> dict[str, str | None]:
    """``status`` and ``kind`` from the query string, each once and one of its values; any
    other parameter is refused, never ignored."""
    unknown = sorted(set(params) - set(FILTERS))
    if unknown:
        raise CodedError(f"unknown parameter {unknown[0]!r}; the issues download filters by "
                         f"{', '.join(FILTERS)}", BAD_USER_INPUT)
    values: dict[str, str | None] = {}
    for name, allowed in FILTERS.items():
        given = params.getlist(name)
        if len(given) > 1:
            raise CodedError(f"{name} is given more than once", BAD_USER_INPUT)
        if given and given[0] not in allowed:
            raise CodedError(f"{name} must be one of {', '.join(allowed)}, got {given[0]!r}",
                             BAD_USER_INPUT)
        values[name] = given[0] if given else None
    return values


def issues_select(released: bool) -> str:
    values = ", ".join(name if released else f"null::text as {name}"
                       for name in PERSONAL_COLUMNS)
    return (f"select issue_id, kind, status, source_system, source_table, source_record_key, "
            f"person_id, attribute, rule, {values}, master_source_system, first_seen_at, "
            f"last_seen_at, status_changed_at, acknowledged_by{CONDITION}order by issue_id")


class QualityIssueDownloads(Downloads):
    async def csv(self, request: Request) -> Response:
        agency = request.path_params["agency"]
        operation = f"download quality issues {agency}.csv"
        admitted = await self.gate.admit(request, operation)
        if isinstance(admitted, Response):
            return admitted
        parameters = {key: request.query_params.getlist(key) for key in request.query_params}
        persons: list[str] = []

        def record(outcome: str, code: str | None = None) -> None:
            if self.access_log is not None:
                self.access_log.record(log_writer.entry(
                    admitted, outcome, operation_type=operation, variables=parameters or None,
                    error_codes=[code] if code else [], person_ids=persons))

        async def start() -> tuple[AsyncIterator[bytes], dict[str, str]]:
            if agency not in SOURCES:
                raise CodedError(f"no agency {agency!r}; one of {', '.join(SOURCES)}",
                                 NOT_FOUND)
            arguments = {"agency": agency, **issue_filters(request.query_params)}
            admitted.require(shared(agency), f"the data-quality issues of {agency}")
            released = admitted.refusal(personal(agency), "the values in conflict") is None
            if released:
                row = await Session(self.database).fetch_one(
                    "select coalesce(array_agg(distinct person_id::text) filter (where "
                    f"person_id is not null), '{{}}') as persons{CONDITION}", arguments)
                persons.extend(row["persons"])
            return (stream_copy(self.database, issues_select(released), arguments),
                    {} if released else {WITHHELD_HEADER: ",".join(PERSONAL_COLUMNS)})

        return await self.respond(start, record, operation, f"quality_issues_{agency}.csv",
                                  "text/csv; charset=utf-8")
