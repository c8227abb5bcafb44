"""The request limits and their error codes: depth, aliases, tokens and cost (fragments
counted without being spread), parse, validation and variable errors, the statement
timeout, and the cost and statements every response reports.
"""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import psycopg
import pytest

from graphql_api.core.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_FIELDS, MAX_TOKENS
from tests.api.conftest import FULL_ACCESS
from tests.api.helpers import codes, logged, ok, post, value
from tests.conftest import running_api
from tests.test_token_count import lexed


def nested_parents(levels: int) -> str:
    """adminUnit { parent { parent ... { name } } }: levels + 2 fields deep."""
    return "{ adminUnit(code: \"00001\") { " + "parent { " * levels + "name" + " }" * levels + \
        " } }"


def test_depth_limit(api):
    body = post(api, nested_parents(MAX_DEPTH - 2))
    assert "errors" not in body, body  # exactly MAX_DEPTH deep
    body = post(api, nested_parents(MAX_DEPTH - 1))
    assert codes(body) == ["DEPTH_LIMIT"]
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == MAX_DEPTH
    assert body["errors"][0]["extensions"]["depth"] == MAX_DEPTH + 1


def aliased(count: int) -> str:
    return "{ " + " ".join(f'a{i}: adminUnit(code: "80") {{ code }}' for i in range(count)) + \
        " }"


def test_alias_limit(api):
    body = post(api, aliased(MAX_ALIASES))
    assert "errors" not in body, body
    assert len(body["data"]) == MAX_ALIASES
    body = post(api, aliased(MAX_ALIASES + 1))
    assert codes(body) == ["ALIAS_LIMIT"]
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == MAX_ALIASES


def listed_codes(count: int) -> str:
    """A query of about count tokens: a list of count land-use codes."""
    listed = " ".join(f'"X{i}"' for i in range(count))
    return f"{{ landParcels(filter: {{landUseCode: [{listed}]}}) {{ totalCount }} }}"


def test_token_limit(api, wh):
    body = post(api, listed_codes(MAX_TOKENS - 20))
    assert "errors" not in body, body
    assert body["data"] == {"landParcels": {"totalCount": 0}}
    # One over is refused at the edge, counted without graphql-core's parser (which would
    # read up to the limit before giving up): the answer says how many tokens there were.
    purpose = f"token limit {uuid.uuid4().hex}"
    over = listed_codes(MAX_TOKENS) + " # a comment is no token"
    response = httpx.post(f"{api}/graphql", json={"query": over},
                          headers={**FULL_ACCESS, "X-Purpose": purpose}, timeout=60)
    assert response.status_code == 400, response.text
    body = response.json()
    assert codes(body) == ["TOKEN_LIMIT"] and "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["limit"] == MAX_TOKENS
    assert error["extensions"]["tokens"] == lexed(over) > MAX_TOKENS
    assert f"{error['extensions']['tokens']} tokens" in error["message"]
    [entry] = logged(wh, purpose)
    assert (entry["outcome"], entry["error_codes"]) == ("failed", ["TOKEN_LIMIT"])


def test_cost_limit(api):
    expensive = """{ landParcels(first: 100) { nodes { holders { person {
                       landRights { landParcel { rights { id } } } } } } } }"""
    body = post(api, expensive)
    assert codes(body) == ["COST_LIMIT"]
    assert body["data"] is None
    error = body["errors"][0]["extensions"]
    assert error["budget"] == MAX_COST < error["cost"]
    assert body["extensions"]["cost"] == {"estimated": error["cost"], "budget": MAX_COST}
    assert body["extensions"]["sqlStatements"] == 0  # refused before anything is read
    # The same with a smaller page, or fewer relations, fits.
    for cheaper in ("""{ landParcels(first: 2) { nodes { holders { person {
                           landRights { landParcel { rights { id } } } } } } } }""",
                    "{ landParcels(first: 100) { nodes { holders { person { id } } } } }"):
        body = post(api, cheaper)
        assert "errors" not in body, body
        assert 0 < body["extensions"]["cost"]["estimated"] <= MAX_COST
    # The page size in a variable counts too.
    body = post(api, """query($n: Int) { landParcels(first: $n) { nodes { holders { person {
                           landRights { landParcel { rights { id } } } } } } } }""", {"n": 100})
    assert codes(body) == ["COST_LIMIT"]


@pytest.mark.parametrize("query, code", [
    ('{ adminUnit(code: "80" { code } }', "GRAPHQL_PARSE_FAILED"),
    ("{ adminUnit(code: ", "GRAPHQL_PARSE_FAILED"),
    ('{ adminUnit(code: "80") { nope } }', "GRAPHQL_VALIDATION_FAILED"),
    ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ adminUnit(code: 80) { code } }', "GRAPHQL_VALIDATION_FAILED"),
    ("{ adminUnit { code } }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ landParcels(orderBy: NAME) { totalCount } }', "GRAPHQL_VALIDATION_FAILED"),
], ids=["syntax", "unterminated", "unknown field", "unknown root", "argument type",
        "missing argument", "unknown enum value"])
def test_parse_and_validation_errors(api, query, code):
    body = post(api, query)
    assert codes(body) == [code]
    assert body["data"] is None


@pytest.mark.parametrize("query, variables", [
    ("query($n: Int) { landParcels(first: $n) { totalCount } }", {"n": "ten"}),
    ("query($n: Int) { landParcels(first: $n) { totalCount } }", {"n": 1.5}),
    ("query($d: Date) { landParcel(id: \"00000000-0000-0000-0000-000000000000\", asOf: $d) "
     "{ id } }", {"d": "not a date"}),
    ("query($f: LandParcelFilter) { landParcels(filter: $f) { totalCount } }",
     {"f": {"areaMinM2": "big"}}),
    ("query($f: LandParcelFilter) { landParcels(filter: $f) { totalCount } }",
     {"f": {"adminUnit": {"code": "80", "generation": "NEW"}}}),
    ("query($id: ID!) { person(id: $id) { id } }", {}),
    ("query($id: ID!) { person(id: $id) { id } }", {"id": None}),
], ids=["string for Int", "float for Int", "bad Date", "string for Float in an input",
        "unknown enum value", "missing", "null for non-null"])
def test_a_variable_of_the_wrong_type_is_bad_user_input(api, query, variables):
    body = post(api, query, variables)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["data"] is None


def test_every_successful_response_reports_its_cost_and_statements(api, wh):
    parcel = value(wh, "select land_parcel_id::text from marts.dim_land_parcel limit 1")
    for query in ("{ adminUnits(first: 1) { totalCount } }",
                  "{ landParcels(first: 3) { nodes { id holders { person { id } } } } }",
                  f'{{ landParcel(id: "{parcel}") {{ id commune {{ name }} }} }}',
                  "{ enterpriseStatistics(groupBy: [STATUS]) { organizationCount } }"):
        body = post(api, query)
        assert "errors" not in body, body
        extensions = body["extensions"]
        assert extensions["cost"]["budget"] == MAX_COST
        assert isinstance(extensions["cost"]["estimated"], int)
        assert 0 < extensions["cost"]["estimated"] <= MAX_COST
        assert isinstance(extensions["sqlStatements"], int) and extensions["sqlStatements"] > 0
    # A larger page of the same shape is estimated to cost more.
    small, large = (post(api, f"{{ landParcels(first: {n}) {{ nodes {{ id holders {{ id }} }} }} }}"
                         )["extensions"]["cost"]["estimated"] for n in (5, 50))
    assert large > small


def test_a_statement_past_the_timeout_answers_timeout_and_the_server_recovers(deployment):
    """KHO_API_STATEMENT_TIMEOUT_MS bounds every SQL statement of a request. A lock the test
    holds on the parcels keeps the API's read waiting past it; once released, the same
    server answers again."""
    impatient = dataclasses.replace(
        deployment, env={**deployment.env, "KHO_API_STATEMENT_TIMEOUT_MS": "300"})
    query = "{ landParcels(first: 3) { nodes { id } } }"
    with running_api(impatient) as base, psycopg.connect(deployment.warehouse_url) as holder:
        holder.execute("lock table marts.dim_land_parcel in access exclusive mode")
        body = post(base, query)
        holder.rollback()
        assert codes(body) == ["TIMEOUT"]
        assert "300 ms" in body["errors"][0]["message"]
        assert len(ok(base, query)["landParcels"]["nodes"]) == 3


def test_fragments_spread_twice_per_level_are_refused_fast(api):
    """Each fragment spreads the next one twice: 2^40 field selections once spread, in a
    document of a few hundred tokens. It is refused by count, without being spread."""
    levels = 40
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                         for i in range(levels))
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ adminUnit(code: \"80\") " \
            "{ code } }"
    body = post(api, query)
    assert codes(body) == ["COST_LIMIT"], body
    assert body["errors"][0]["extensions"]["fields"] > MAX_FIELDS


def test_a_page_size_given_as_a_whole_float_counts_in_the_cost(api):
    query = "query($n: Int) { landParcels(first: $n) { nodes { holders { id } } } }"
    as_int = post(api, query, {"n": 100})["extensions"]["cost"]["estimated"]
    as_float = post(api, query, {"n": 100.0})["extensions"]["cost"]["estimated"]
    assert as_float == as_int > post(api, query, {"n": 20})["extensions"]["cost"]["estimated"]
