"""The compiled executor against the resolvers: the same documents, variables and callers sent
to the API with the compiler on and to one with it off (``KHO_API_COMPILER=off``) must get
byte for byte the same ``data`` and ``errors``. Every root the compiler covers is asked,
with aliases, fragments, variables, nested relations and pages after a cursor, by an
anonymous caller, a client holding shared grants, clients holding personal grants (one
dataset, all of them) with and without a purpose. A compiled answer runs one SQL statement;
a document the compiler does not cover, or a request only the resolvers answer, says so.
"""

from __future__ import annotations

import json

import httpx
import pytest
from graphql import parse
from hypothesis import given
from hypothesis import strategies as st

from graphql_api.access.caller import Caller
from graphql_api.access.grants import DataClass
from graphql_api.compiler.json_text import dumps
from graphql_api.compiler.plan import Plans
from graphql_api.schema import schema
from tests.api.conftest import FULL_ACCESS
from tests.api.helpers import parcel_units
from tests.api.test_access import entries
from tests.api.test_metrics import scrape, value
from tests.conftest import bearer, create_client, running_api

PURPOSE = "kiểm tra trình biên dịch truy vấn"
PERSON_FIELDS = """fragment PersonFields on Person {
    id recordStatus personalIdNumber idCardNumber fullName sex birthDate birthDatePrecision
    isDeceased deathDate sourceSystems mentionCount lastSourceUpdateAt __typename }"""
PERSON_WITH_HOLDINGS = """query PersonWithHoldings($id: ID!) {
  person(id: $id) {
    id fullName birthDate personalIdNumber
    landRights {
      id ownershipShare validFrom landParcel { id landUseCode areaM2 currentCommuneCode }
    }
    enterpriseRoles { id role organization { id name enterpriseCode status } }
  }
}"""
PERSON_EVERYTHING = """query Everything($id: ID!, $day: Date) {
  who: person(id: $id) {
    ...PersonFields
    rights: landRights { id holderType holderName ownershipShare certificateSerial
      certificateIssuedOn validFrom validTo isCurrent sourceUpdatedAt
      holder: person { ...PersonFields birthCommune { name } birthLegacyCommune { code } }
      organization { id name }
      landParcel { id legacyCommuneCode areaM2 boundaryWkt certificateSerial
        holders { id holderName person { id fullName personalIdNumber } } } }
    then: landRights(asOf: $day) { id validFrom }
    enterpriseRoles { id role fullName registeredOn
      person { id fullName idCardNumber }
      organization { id recordStatus organizationType name enterpriseCode industryCode
        status statusNameVi registeredOn asOf sourceUpdatedAt commune { id name } } }
    rolesThen: enterpriseRoles(asOf: $day) { id }
  }
  again: person(id: $id) { ... on Person { id fullName } }
}
""" + PERSON_FIELDS
COMMUNE_PARCELS = """query CommuneParcels($code: String!) {
  landParcels(first: 100, filter: {adminUnit: {code: $code, generation: CURRENT}}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id mapSheetNumber parcelNumber areaM2 landUseCode
      holders {
        holderType holderName ownershipShare person { id fullName } organization { id name }
      }
    }
  }
}"""
OPEN_PARCELS = """query OpenParcels($after: String) {
  landParcels(first: 100, after: $after) {
    nodes { id legacyCommuneCode currentCommuneCode mapSheetNumber parcelNumber areaM2
      landUseCode landUseGroup landUseNameVi landUseNameEn planningZone }
  }
}"""
PAGES = """query Pages($f: LandParcelFilter, $order: LandParcelOrder!, $first: Int,
                     $after: String) {
  landParcels(filter: $f, orderBy: $order, first: $first, after: $after) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { cursor __typename node { id areaM2 parcelNumber certificateSerial
      rights { id validTo holderName }
      commune { id code name shortName unitType level generation provinceCode latitude
        longitude areaKm2 __typename }
      legacyCommune { name } } }
    n: nodes { ... on LandParcel { id landUseCode asOf certificateIssuedOn sourceUpdatedAt } }
    total: totalCount
  }
}"""
AREAS = """query Areas($f: LandParcelFilter, $by: [LandAreaDimension!]) {
  landAreaByUse(filter: $f, groupBy: $by) {
    __typename communeCode legacyCommuneCode landUseCode landUseNameVi landUseNameEn
    landUseGroup planningZone parcelCount totalAreaM2 }
  byDefault: landAreaByUse { landUseCode parcelCount totalAreaM2 }
}"""
PARCEL = """query Parcel($id: ID!) {
  landParcel(id: $id) { id areaM2 certificateSerial __typename
    holders { id holderName person { id fullName sex } }
    rights { id validFrom validTo }
    past: holders(asOf: "2010-01-01") { id } }
  __typename
}"""
MIXED = """query Mixed($id: ID!, $code: String!, $province: String!) {
  person(id: $id) { id fullName landRights { id } }
  landParcels(first: 5, filter: {adminUnit: {code: $code}}) { nodes { id } }
  landAreaByUse(filter: {adminUnit: {code: $province}}) { landUseCode parcelCount }
}"""
# Covered roots whose requests the resolvers answer: arguments they refuse, IDs no longer
# in the marts, admin units kho does not know.
REFUSED = [
    ("{ landParcels(first: 0) { nodes { id } } }", {}),
    ('{ landParcels(first: 5, after: "bm90IGEgY3Vyc29y") { nodes { id } } }', {}),
    ('{ landParcels(filter: {adminUnit: {code: "99999"}}) { nodes { id } } }', {}),
    ('{ landAreaByUse(filter: {adminUnit: {code: "00"}}) { parcelCount } }', {}),
    ('{ person(id: "not-a-uuid") { id } }', {}),
    ('{ person(id: "00000000-0000-0000-0000-000000000000") { id fullName } }', {}),
    ('{ landAreaByUse(filter: {areaMinM2: 5, areaMaxM2: 1}) { parcelCount } }', {}),
]
# Documents the compiler does not cover.
NOT_COVERED = [
    ("{ persons(first: 3) { nodes { id } } }", {}),
    ("{ landParcels(first: 3) { nodes { id provenance { attribute } } } }", {}),
    ('{ person(id: "00000000-0000-0000-0000-000000000000") { birthCommune { name } } }', {}),
    ("query($skip: Boolean!) { landParcels(first: 3) { nodes { id @skip(if: $skip) } } }",
     {"skip": False}),
]


@pytest.fixture(scope="module")
def resolvers(deployment):
    with running_api(deployment, {"KHO_API_COMPILER": "off"}) as base:
        yield base


@pytest.fixture(scope="module")
def callers(deployment) -> dict[str, dict]:
    shared = create_client(deployment, "compiler-shared", "land:shared", "enterprise:shared")
    land = create_client(deployment, "compiler-land", "land:personal")
    return {
        "anonymous": {},
        "shared": bearer(shared),
        "land-personal": bearer(land, PURPOSE),
        "every-grant": FULL_ACCESS,
        "every-grant-no-purpose": {"Authorization": FULL_ACCESS["Authorization"]},
    }


@pytest.fixture(scope="module")
def sample(wh) -> dict:
    """Persons and places the documents ask about: a person with land rights and business
    roles, one the land register does not mention (its personal fields need another
    dataset's grant), the commune with most parcels, its province, a parcel."""
    both = str(wh.execute("""
        select person_id from marts.fct_land_right intersect
        select person_id from marts.fct_enterprise_role order by 1 limit 1""").fetchone()[0])
    elsewhere = str(wh.execute("""
        select person_id from marts.dim_person where not 'land' = any(source_systems)
        and personal_id_number is not null order by 1 limit 1""").fetchone()[0])
    commune = wh.execute("select current_commune_code from marts.dim_land_parcel "
                         "group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    parcel = str(wh.execute("""
        select land_parcel_id from marts.fct_land_right where person_id is not null
        and is_current order by 1 limit 1""").fetchone()[0])
    return {"both": both, "elsewhere": elsewhere, "commune": commune, "parcel": parcel,
            "province": parcel_units(wh)["current_province"].split(":")[-1]}


def answer(base: str, query: str, variables: dict, headers: dict) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                      headers=headers, timeout=60)


def without_extensions(body: bytes) -> bytes:
    """The body's ``data`` and ``errors`` as sent (``extensions`` is the last key)."""
    end = body.rfind(b',"extensions":')
    return body[:end] + b"}" if end > 0 else body


def documents(sample: dict, cursor: str) -> list[tuple[str, dict]]:
    parcels_filter = {"landUseCode": ["ont", "LUC", "CLN"], "areaMinM2": 50.5}
    return [
        (PERSON_WITH_HOLDINGS, {"id": sample["both"]}),
        (PERSON_WITH_HOLDINGS, {"id": sample["elsewhere"]}),
        (PERSON_EVERYTHING, {"id": sample["both"], "day": "2015-06-30"}),
        (PERSON_EVERYTHING, {"id": sample["elsewhere"], "day": None}),
        (COMMUNE_PARCELS, {"code": sample["commune"]}),
        (OPEN_PARCELS, {"after": None}),
        (OPEN_PARCELS, {"after": cursor}),
        (PAGES, {"f": None, "order": "ID", "first": 7, "after": None}),
        (PAGES, {"f": parcels_filter, "order": "AREA_DESC", "first": 4, "after": None}),
        (PAGES, {"f": {"adminUnit": {"code": sample["province"]}}, "order": "PARCEL_NUMBER",
                 "first": 3, "after": None}),
        (PAGES, {"f": {"landUseGroup": "residential", "areaMaxM2": 400}, "order": "AREA_ASC",
                 "first": 5, "after": None}),
        (AREAS, {"f": {"adminUnit": {"code": sample["province"], "generation": "CURRENT"}},
                 "by": ["COMMUNE", "LAND_USE"]}),
        (AREAS, {"f": None, "by": ["LAND_USE_GROUP", "PLANNING_ZONE", "LEGACY_COMMUNE"]}),
        (AREAS, {"f": {"landUseGroup": "agricultural"}, "by": []}),
        (PARCEL, {"id": sample["parcel"]}),
        (PARCEL, {"id": "00000000-0000-0000-0000-000000000001"}),
        (MIXED, {"id": sample["both"], "code": sample["commune"],
                 "province": sample["province"]}),
    ]


def test_the_compiled_executor_answers_as_the_resolvers_do(api, resolvers, callers, sample):
    cursor = answer(resolvers, "{ landParcels(first: 100) { pageInfo { endCursor } } }", {},
                    FULL_ACCESS).json()["data"]["landParcels"]["pageInfo"]["endCursor"]
    compared = 0
    before = scrape(api)
    for query, variables in documents(sample, cursor):
        for who, headers in callers.items():
            compiled = answer(api, query, variables, headers)
            # Asked again, the answer comes straight from the plan the first one proved.
            again = answer(api, query, variables, headers)
            resolved = answer(resolvers, query, variables, headers)
            where = f"{who}: {query[:60]!r} {variables}"
            assert compiled.status_code == resolved.status_code, where
            assert without_extensions(compiled.content) == without_extensions(
                resolved.content), where
            assert again.content == compiled.content, where
            extensions = compiled.json()["extensions"]
            assert extensions["executor"] == {"name": "compiled"}, where
            assert extensions["sqlStatements"] == 1, where
            assert "executor" not in resolved.json()["extensions"], where
            compared += 1
    assert compared == 17 * len(callers)
    assert prepared_answers(api, before) >= compared


def prepared_answers(base: str, before: dict) -> float:
    """How many compiled answers came straight from a proven plan since ``before``."""
    return (value(scrape(base), "kho_graphql_executor_total", executor="compiled",
                  prepared="yes")
            - value(before, "kho_graphql_executor_total", executor="compiled", prepared="yes"))


PREPARED_PERSON = "query P($id: ID!) { person(id: $id) { id fullName birthDate } }"
# About 221 objects a parcel: a small page is within the cost budget, a full one is not.
PREPARED_DEEP = """query Deep($n: Int) { landParcels(first: $n) { nodes { id
  holders { person { id landRights { id landParcel { id } } } } } } }"""
PREPARED_PARCELS = """query L($first: Int, $after: String, $code: String!) {
  landParcels(first: $first, after: $after, filter: {adminUnit: {code: $code}}) {
    totalCount nodes { id areaM2 } } }"""


def test_a_proven_plan_leaves_to_the_resolvers_what_is_theirs(api, resolvers, callers,
                                                              sample):
    """A document answered by its plan goes straight to it afterwards; a request of it that
    the limits, the variables' types or the resolvers refuse, or that names what only the
    resolvers answer, is answered as the resolvers answer it, and the plan stays good."""
    person, parcels = {"id": sample["both"]}, {"first": 5, "code": sample["commune"]}
    cases = [
        (PREPARED_PERSON, person, [
            {"id": "00000000-0000-0000-0000-000000000000"},  # not in the marts
            {"id": "not-a-uuid"}, {"id": 12}, {"id": None}, {}]),
        (PREPARED_PARCELS, parcels, [
            {**parcels, "first": 0}, {**parcels, "first": 5000},
            {**parcels, "after": "bm90IGEgY3Vyc29y"}, {**parcels, "code": "99999"},
            {**parcels, "first": "five"}, {"first": 5}]),
        (PREPARED_DEEP, {"n": 2}, [{"n": 100}]),  # over the cost budget: COST_LIMIT
    ]
    for who, headers in callers.items():
        for query, good, bad in cases:
            first = answer(api, query, good, headers)
            before = scrape(api)
            again = answer(api, query, good, headers)
            assert again.content == first.content, who
            assert prepared_answers(api, before) == 1, who
            for variables in bad:
                where = f"{who}: {query[:30]!r} {variables}"
                compiled = answer(api, query, variables, headers)
                resolved = answer(resolvers, query, variables, headers)
                assert compiled.status_code == resolved.status_code, where
                assert without_extensions(compiled.content) == without_extensions(
                    resolved.content), where
                if query is PREPARED_DEEP:
                    assert [e["extensions"]["code"] for e in compiled.json()["errors"]] == [
                        "COST_LIMIT"], where
                executor = compiled.json().get("extensions", {}).get("executor")
                refused_at_root = query is PREPARED_PERSON and who == "anonymous"
                if not refused_at_root:  # else the plan refuses it, as the resolvers do
                    assert executor is None or executor["name"] == "resolvers", where
            assert answer(api, query, good, headers).content == first.content, who


def test_requests_only_the_resolvers_answer_say_so_and_answer_the_same(api, resolvers,
                                                                       callers):
    for query, variables in REFUSED + NOT_COVERED:
        for who, headers in callers.items():
            compiled = answer(api, query, variables, headers)
            resolved = answer(resolvers, query, variables, headers)
            where = f"{who}: {query!r}"
            assert without_extensions(compiled.content) == without_extensions(
                resolved.content), where
            executor = compiled.json()["extensions"].get("executor")
            refused_at_root = query.startswith("{ person(") and who == "anonymous"
            if not refused_at_root:
                assert executor["name"] == "resolvers" and executor["reason"], where


def test_a_compiled_answer_logs_the_persons_it_released(deployment, api, resolvers, wh,
                                                        sample):
    """The access log's entry names the same persons, whichever executor answered, and
    whether the compiled answer came straight from its proven plan (each document is asked
    twice)."""
    released = {}
    for base, name in ((api, "compiler-log-compiled"), (resolvers, "compiler-log-resolved")):
        key = create_client(deployment, name, "land:personal", "enterprise:personal")
        for query, variables in ((PERSON_WITH_HOLDINGS, {"id": sample["both"]}),
                                 (COMMUNE_PARCELS, {"code": sample["commune"]})):
            for _ in range(2):
                body = answer(base, query, variables, bearer(key, PURPOSE)).json()
                assert "errors" not in body, body
        rows = entries(wh, "client_name = %s", (name,), count=4)
        released[base] = [sorted(map(str, row["person_ids"])) for row in rows]
        assert [row["outcome"] for row in rows] == ["ok"] * 4
        assert len({row["query_hash"] for row in rows}) == 2
        # Sent without operationName, each entry names the document's operation.
        assert [row["operation_name"] for row in rows] == [
            "PersonWithHoldings", "PersonWithHoldings", "CommuneParcels", "CommuneParcels"]
    assert released[api] == released[resolvers]
    assert released[api][0] == released[api][1]
    assert sample["both"] in released[api][0]
    assert released[api][2], "the holders' names are personal: their persons are logged"


def test_a_plan_is_made_once_per_document_and_caller_class():
    """Clients holding the same grants share a plan (the wording of a refusal, which names
    the client, is made per request); a caller without a purpose gets a plan of its own,
    in which the personal fields are refused."""
    plans = Plans()
    document = parse(PERSON_WITH_HOLDINGS)

    def plan(caller: Caller):
        return plans.get(schema._schema, PERSON_WITH_HOLDINGS, document, None, caller)

    grants = {"land": DataClass.PERSONAL, "enterprise": DataClass.SHARED}
    first = plan(Caller(client_id="a", client_name="a", grants=grants, purpose="audit"))
    assert plan(Caller(client_id="b", client_name="b", grants=dict(grants),
                       purpose="another")) is first
    unpurposed = plan(Caller(client_id="a", client_name="a", grants=grants))
    assert unpurposed is not first

    def full_name(p):
        return next(s for s in p.roots[0].children if s.key == "fullName")

    assert full_name(first).allowed_through == ("land",)
    assert full_name(unpurposed).allowed_through == ()
    assert (first.personal, unpurposed.personal) == (True, False)


@given(st.text())
def test_answers_are_utf8_json_that_reads_back_as_written(text):
    """Any text, lone surrogates included (a caller's own input echoed in an error), is
    written as valid UTF-8 JSON that reads back as the same text."""
    written = dumps({"data": {"text": text}})
    assert json.loads(written.decode("utf-8")) == {"data": {"text": text}}


def test_answers_leave_characters_as_they_are_as_postgresql_does():
    assert dumps("Nguyễn Thị Hòa\x7f") == '"Nguyễn Thị Hòa\x7f"'.encode()
    assert dumps("a\nb\x1f\"\\") == b'"a\\nb\\u001f\\"\\\\"'
    assert dumps("ab\ud800") == b'"ab\\ud800"'  # a lone surrogate, as its escape
