"""GraphiQL, as kho serves it at ``GET /graphql`` to a browser: GraphiQL's own scripts from
kho's static files (no CDN), opened on kho's example queries (each one of docs/api.md's,
which a test runs), or filled in from a link ``/graphql?query=...&variables=...``, with a
headers template for the API key and the purpose."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

from graphql_api.access.caller import PURPOSE_HEADER

TEMPLATE = Path(__file__).with_name("graphiql.html")
# A header whose value still holds "<" is not sent: the template runs anonymously as it is.
HEADERS = {"Authorization": "Bearer <your key: kho_...>",
           PURPOSE_HEADER: "<why you read personal data, in any language>"}

# The tabs GraphiQL opens with; each is an example of docs/api.md, verbatim.
EXAMPLES = [
    """\
{
  viewer { client agency grants keyExpiresAt rateLimit { limit remaining resetAt } }
}""",
    """\
{
  persons(first: 5, filter: {name: "nguyen"}) {
    totalCount
    nodes { id fullName birthDate personalIdNumber }
  }
}""",
    """\
{
  landParcels(first: 50, orderBy: AREA_DESC,
              filter: {adminUnit: {code: "80"}, landUseCode: ["ONT", "CLN"]}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id mapSheetNumber parcelNumber areaM2 landUseCode commune { name }
            legacyCommune { name parent { name } }
            holders { holderName ownershipShare person { id } organization { id name } } }
  }
}""",
    """\
{
  organizations(filter: {name: "xay dung", status: ["active"], organizationType: [ENTERPRISE]}) {
    nodes { name enterpriseCode enterprise { legalFormNameVi charterCapitalVnd }
            legalRepresentatives { fullName person { id } } branches { enterpriseCode } }
  }
}""",
    """\
{
  adminUnit(code: "27712", generation: LEGACY) { name successors { isDefault current { id name } } }
  current: adminUnit(code: "27712") { name predecessors { legacy { id name parent { name } } } }
}""",
    """\
{
  landAreaByUse(filter: {adminUnit: {code: "80"}}, groupBy: [COMMUNE, LAND_USE]) {
    communeCode landUseCode landUseNameVi parcelCount totalAreaM2
  }
  enterpriseStatistics(filter: {adminUnit: {code: "80"}}, groupBy: [INDUSTRY_DIVISION, STATUS]) {
    industryDivisionCode status organizationCount
  }
}""",
]


def wants_graphiql(request: Request) -> bool:
    """A browser's GET (``Accept`` names ``text/html``), with or without a query to fill
    in; a GET accepting anything (``*/*``) without a query, as before links could fill it."""
    if request.method != "GET":
        return False
    accept = ", ".join(request.headers.getlist("accept"))
    return "text/html" in accept or ("*/*" in accept and "query" not in request.query_params)


def page() -> str:
    config = json.dumps({"examples": [{"query": query} for query in EXAMPLES],
                         "headers": json.dumps(HEADERS, indent=2, ensure_ascii=False)},
                        ensure_ascii=False)
    # Inside <script>, "</" could close the element: JSON may spell "<" as \u003c.
    return TEMPLATE.read_text(encoding="utf-8").replace(
        "__KHO_GRAPHIQL__", config.replace("<", "\\u003c"))


class GraphiQL:
    """The page, rendered once per process."""

    def __init__(self):
        self.html = page()

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html)
