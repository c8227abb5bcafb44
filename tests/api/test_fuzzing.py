"""The GraphQL endpoint under generated input, over real HTTP: documents generated from the
schema (valid ones, and ones with one violation each), known documents with random
variables, and random bodies. Whatever comes in, nothing answers 5xx and every error
carries ``extensions.code``. Bounded (a few hundred requests, well under a minute) and
derandomized, so a run is repeatable; a failure prints the input that caused it.
"""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes, queries

from graphql_api.schema import schema
from tests.api.conftest import FULL_ACCESS

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCALARS = {
    "Date": st.one_of(st.dates().map(lambda d: nodes.String(d.isoformat())),
                      st.text(max_size=12).map(nodes.String)),
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat())),
}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12)
WITH_VARIABLES = (
    "query($f: LandParcelFilter, $n: Int, $a: String, $o: LandParcelOrder!) { landParcels("
    "filter: $f, first: $n, after: $a, orderBy: $o) { totalCount nodes { id areaM2 } } }",
    "query($f: PersonFilter, $n: Int, $a: String) { persons(filter: $f, first: $n, after: $a) "
    "{ nodes { id fullName birthDate } } }",
    "query($f: OrganizationFilter, $g: [EnterpriseDimension!]!) { enterpriseStatistics(filter: $f, "
    "groupBy: $g) { organizationCount } }",
    "query($id: ID!, $d: Date) { node(id: $id) { id } landParcel(id: $id, asOf: $d) { id } }",
    "query($n: String!) { personByIdNumber(number: $n) { id } }",
)


def answered(api: str, **request) -> None:
    response = httpx.post(f"{api}/graphql", headers={**FULL_ACCESS, **request.pop(
        "headers", {})}, timeout=60, **request)
    assert response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert "errors" in body or "data" in body, body
    for error in body.get("errors", ()):
        assert error["extensions"]["code"], error


def test_generated_documents(api):
    sdl = schema.as_str()

    @FUZZ
    @given(st.one_of(queries(sdl, custom_scalars=SCALARS),
                     queries(sdl, custom_scalars=SCALARS, mode=Mode.NEGATIVE)))
    def check(query: str) -> None:
        answered(api, json={"query": query})

    check()


def test_known_documents_with_random_variables(api):
    @FUZZ
    @given(st.sampled_from(WITH_VARIABLES),
           st.dictionaries(st.sampled_from(["f", "n", "a", "o", "g", "id", "d"]), JSON_VALUES,
                           max_size=4))
    def check(query: str, variables: dict) -> None:
        answered(api, json={"query": query, "variables": variables})

    check()


def test_random_bodies(api):
    bodies = st.one_of(
        st.binary(max_size=200),
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries({"query": st.text(max_size=200)},
                              optional={"variables": JSON_VALUES,
                                        "operationName": JSON_VALUES,
                                        "extensions": JSON_VALUES})
        .map(lambda value: json.dumps(value).encode()))

    @FUZZ
    @given(bodies, st.sampled_from(["application/json", "application/json; charset=utf-8",
                                    "text/plain", "application/graphql"]))
    def check(body: bytes, content_type: str) -> None:
        answered(api, content=body, headers={"Content-Type": content_type})

    check()
