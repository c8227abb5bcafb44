"""Personal data crosses no dataset, whatever path a query takes to a person.

The paths are read from the schema itself (introspection over HTTP): every chain of fields
from a root of ``Query`` to a field whose type is ``Person``, up to ``MAX_HOPS`` relations,
so a relation added later is walked too. Each path is asked by a client holding a personal
grant on exactly one dataset (and shared grants on the others, so that every path is open
to it), with a purpose, and by a client holding every grant. A person's personal fields
must come back only where the path reached them through the client's dataset, or, for a
person found at the root, where that dataset mentions them (``sourceSystems``); elsewhere
they are withheld (``FORBIDDEN``) and the ID numbers masked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.api.conftest import FULL_ACCESS
from tests.conftest import bearer, create_client

DATASETS = ("land", "enterprise", "civil_registry", "cadre")
PURPOSE = "kiểm tra quyền truy cập dữ liệu cá nhân"
MASKED = re.compile(r"^\d{3}\*+\d{2}$")
MAX_HOPS = 4
ROOT = "root"
# The dataset a relation to a person belongs to, by the type it leaves from (a person's
# mergedInto keeps the way the person was reached). A type missing here fails the test:
# a new relation to persons must say which dataset it belongs to.
RELATION_DATASET = {
    "Query": ROOT, "PersonConnection": ROOT, "PersonEdge": ROOT,
    "LandRight": "land", "LandTransfer": "land", "EnterpriseRole": "enterprise",
    "Employment": "cadre", "CivilEvent": "civil_registry",
}
PERSON_SELECTION = "id sourceSystems fullName birthDate personalIdNumber"

INTROSPECTION = """{ __schema { types { name kind possibleTypes { name }
  fields { name args { name defaultValue type { kind ofType { kind } } }
           type { kind name ofType { kind name ofType { kind name ofType { kind name
                  ofType { kind name } } } } } } } } }"""


def named(type_ref: dict) -> tuple[str, str]:
    while type_ref["ofType"] is not None:
        type_ref = type_ref["ofType"]
    return type_ref["kind"], type_ref["name"]


@dataclass(frozen=True)
class Hop:
    """One relation: from a type, by a field, to a type (through ``... on`` for an
    interface)."""

    parent: str
    field: str
    target: str
    fragment: bool = False


def schema_graph(api: str) -> dict[str, list[Hop]]:
    """Each object type's relations to object types, read over HTTP."""
    body = httpx.post(f"{api}/graphql", json={"query": INTROSPECTION}, timeout=60).json()
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    graph: dict[str, list[Hop]] = {}
    for name, type_ in types.items():
        if type_["kind"] != "OBJECT" or name.startswith("__"):
            continue
        graph[name] = []
        for field in type_["fields"]:
            kind, target = named(field["type"])
            if kind == "OBJECT":
                graph[name].append(Hop(name, field["name"], target))
            elif kind == "INTERFACE":
                graph[name] += [Hop(name, field["name"], t["name"], fragment=True)
                                for t in types[target]["possibleTypes"]]
            else:
                continue
            required = [a["name"] for a in field["args"] if a["type"]["kind"] == "NON_NULL"
                        and a["defaultValue"] is None]
            # The walk starts at Query; Mutation is never walked (it writes, it reads no
            # path to a person), so only their fields may need arguments.
            assert name in ("Query", "Mutation") or not required, (
                f"{name}.{field['name']} needs arguments {required}: give the walk values")
    return graph


def relations(hop: Hop) -> int:
    """A connection's nodes and edges are the page of its relation, not another one."""
    return 0 if hop.parent.endswith(("Connection", "Edge")) else 1


def paths_to_persons(graph: dict[str, list[Hop]]) -> list[tuple[Hop, ...]]:
    """Every chain of ``MAX_HOPS`` relations or fewer from Query to a Person."""
    distance = {"Person": 0}  # relations from a type to a person, at fewest
    for _ in range(2 * MAX_HOPS):
        for name, hops in graph.items():
            for hop in hops:
                if hop.target in distance:
                    distance[name] = min(distance.get(name, MAX_HOPS + 1),
                                         distance[hop.target] + relations(hop))
    found: list[tuple[Hop, ...]] = []

    def walk(path: tuple[Hop, ...], at: str, length: int) -> None:
        for hop in graph[at]:
            further = length + relations(hop)
            if hop.target not in distance or further + distance[hop.target] > MAX_HOPS:
                continue
            if hop.field == "mergedInto" and len(path) > 1:
                continue  # only a tombstone has one, and only a lookup by ID finds those
            longer = (*path, hop)
            if hop.target == "Person":
                found.append(longer)
            walk(longer, hop.target, further)

    walk((), "Query", 0)
    return found


def reached_through(path: tuple[Hop, ...]) -> str:
    """The dataset whose relation last led to a person on the path (ROOT: a root lookup)."""
    dataset = None
    for hop in path:
        if hop.target == "Person" and hop.parent != "Person":
            dataset = RELATION_DATASET[hop.parent]
    assert dataset is not None, path
    return dataset


def root_arguments(wh, merged: str) -> dict[str, list[str]]:
    """Arguments of each root field the walk starts from, each an alias of the query:
    chosen so that the paths below them meet persons of every dataset (``merged``: a merged
    person ID)."""
    def one(query: str) -> str:
        row = wh.execute(query).fetchone()
        assert row is not None, query
        return str(row[0])

    person = one("""select person_id from marts.dim_person where personal_id_number is not null
        order by cardinality(source_systems) desc, person_id limit 1""")
    seller = one("""select from_person_id from marts.fct_land_transfer t
        join marts.dim_person p on p.person_id = t.from_person_id
        where p.full_name is not null and (p.personal_id_number is not null
                                           or p.id_card_number is not null)
        order by 1 limit 1""")
    servant = one("select person_id from marts.fct_employment order by 1 limit 1")
    numbers = [one(f"select coalesce(personal_id_number, id_card_number) "
                   f"from marts.dim_person where person_id = '{i}'") for i in (person, seller)]
    enterprise = one("""select o.enterprise_code from marts.dim_organization o
        join marts.dim_organization b on b.parent_organization_id = o.organization_id
        join marts.fct_enterprise_role r on r.organization_id = b.organization_id
        where o.organization_type = 'enterprise' order by 1 limit 1""")
    represented = one(f"select organization_id from marts.dim_organization "
                      f"where enterprise_code = '{enterprise}'")
    agency = one("""select organization_id from marts.fct_employment
        where valid_to is null group by 1 order by count(*) desc, 1 limit 1""")
    transferred = one("""select land_parcel_id from marts.fct_land_transfer
        where from_person_id is not null and to_person_id is not null order by 1 limit 1""")
    holding = one("""select r.organization_id from marts.fct_land_right r
        join marts.fct_land_right other on other.land_parcel_id = r.land_parcel_id
        where r.organization_id is not null and other.person_id is not null order by 1 limit 1""")
    commune = one(f"select current_commune_code from marts.dim_land_parcel "
                  f"where land_parcel_id = '{transferred}'")
    persons = (person, seller, servant, merged)
    return {
        "person": [f'id: "{i}"' for i in persons],
        "personByIdNumber": [f'number: "{n}"' for n in numbers],
        "persons": ["first: 10", *(f'first: 5, filter: {{sourceSystem: "{d}"}}'
                                   for d in DATASETS)],
        "node": [f'id: "{i}"' for i in (*persons, represented, agency, transferred, holding)],
        "organization": [f'id: "{i}"' for i in (represented, agency, holding)],
        "enterprise": [f'code: "{enterprise}"'],
        "organizations": ["first: 3, filter: {organizationType: [STATE_AGENCY]}",
                          "first: 3, filter: {organizationType: [ENTERPRISE]}"],
        "landParcel": [f'id: "{transferred}"'],
        "landParcels": [f'first: 3, filter: {{adminUnit: {{code: "{commune}"}}}}'],
        "civilServantStatistics": [f'groupBy: [AGENCY], filter: {{agencyId: "{agency}"}}'],
    }


@pytest.fixture
def merged_person(wh) -> Iterator[str]:
    """A person ID merged into a living person, for the paths through ``mergedInto``."""
    survivor = wh.execute("""select m.person_id from marts.dim_person m
        join master_data.person_ids r on r.id = m.person_id and r.status = 'active'
        where m.full_name is not null order by cardinality(m.source_systems) desc, 1
        limit 1""").fetchone()[0]
    merged = uuid.uuid4()
    wh.execute("insert into master_data.person_ids (id, anchor_key, status, merged_into) "
               "values (%s, %s, 'merged', %s)", (merged, f"test:{merged}", survivor))
    try:
        yield str(merged)
    finally:
        wh.execute("delete from master_data.person_ids where id = %s", (merged,))


def query_of(path: tuple[Hop, ...], arguments: list[str]) -> str:
    """One alias per set of root arguments; connections below the root ask for 2 rows."""
    inner = PERSON_SELECTION
    for hop in reversed(path[1:]):
        args = "(first: 2)" if hop.target.endswith("Connection") else ""
        inner = f"{hop.field}{args} {{ {inner} }}"
        if hop.fragment:
            inner = f"... on {hop.target} {{ {inner} }}"
    first = path[0]
    roots = []
    for i, args in enumerate(arguments):
        body = f"... on {first.target} {{ {inner} }}" if first.fragment else inner
        roots.append(f"r{i}: {first.field}({args}) {{ {body} }}")
    return "{ " + " ".join(roots) + " }"


def persons_on(data, path: tuple[Hop, ...]) -> Iterator[dict]:
    """The persons an answer holds at the end of the path."""
    def follow(value, hops: tuple[Hop, ...]) -> Iterator[dict]:
        if value is None:
            return
        if isinstance(value, list):
            for item in value:
                yield from follow(item, hops)
            return
        if not hops:
            if value:  # not {}: a node of another type than the fragment's
                yield value
            return
        yield from follow(value.get(hops[0].field), hops[1:])

    for alias_value in data.values():
        yield from follow(alias_value, path[1:])


def found_only_where_shown(api: str, arguments: list[str]) -> dict[str, set[str]]:
    """``personByIdNumber`` searches only the persons the client's datasets mention: per
    alias of its query, those datasets."""
    data = ask(api, query_of((Hop("Query", "personByIdNumber", "Person"),), arguments),
               FULL_ACCESS)["data"]
    return {alias: set(person["sourceSystems"]) for alias, person in data.items()}


def ask(api: str, query: str, headers: dict) -> dict:
    response = httpx.post(f"{api}/graphql", json={"query": query}, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    unexpected = [e for e in body.get("errors", []) if e["extensions"]["code"] != "FORBIDDEN"]
    assert not unexpected, (query, unexpected)
    return body


@pytest.fixture(scope="module")
def one_dataset_clients(deployment) -> dict[str, dict]:
    """Per dataset, the headers of a client holding its personal grant and shared grants on
    the other datasets, with a purpose."""
    clients = {}
    for dataset in DATASETS:
        grants = [f"{d}:{'personal' if d == dataset else 'shared'}" for d in DATASETS]
        key = create_client(deployment, f"paths-{dataset.replace('_', '-')}", *grants)
        clients[dataset] = bearer(key, PURPOSE)
    return clients


def test_personal_fields_come_back_only_through_the_clients_dataset(
        api, wh, one_dataset_clients, merged_person):
    paths = paths_to_persons(schema_graph(api))
    arguments = root_arguments(wh, merged_person)
    assert {path[0].field for path in paths} - arguments.keys() == set(), \
        "root fields the walk has no arguments for"
    assert {reached_through(path) for path in paths} == {ROOT, *DATASETS}

    searched = found_only_where_shown(api, arguments["personByIdNumber"])
    covered: list[tuple[Hop, ...]] = []
    for path in paths:
        dataset = reached_through(path)
        query = query_of(path, arguments[path[0].field])
        whole_answer = ask(api, query, FULL_ACCESS)["data"]
        full = {p["id"]: p for p in persons_on(whole_answer, path)}
        if not any(p["fullName"] for p in full.values()):
            continue  # no data fills it (an organization's own land rights name no person)
        covered.append(path)
        for holder, headers in one_dataset_clients.items():
            body = ask(api, query, headers)
            seen = list(persons_on(body["data"], path))
            if holder != "civil_registry" and any(h.target == "CivilEvent" for h in path):
                assert seen == [], (holder, query)  # civil events are personal throughout
                continue
            expected = whole_answer
            if path[0].field == "personByIdNumber":
                unfound = {a for a, sources in searched.items() if holder not in sources}
                assert all(body["data"][alias] is None for alias in unfound), (holder, query)
                expected = {a: v for a, v in whole_answer.items() if a not in unfound}
            assert {p["id"] for p in seen} == {p["id"] for p in persons_on(expected, path)}, \
                (holder, query)
            for person in seen:
                whole = full[person["id"]]
                # (A merged ID's own record, mentioned by none, holds nothing personal.)
                shown = (holder in (person["sourceSystems"] or DATASETS) if dataset == ROOT
                         else holder == dataset)
                where = (holder, dataset, query, person["id"])
                if shown:
                    assert person == whole, where
                    continue
                assert (person["fullName"], person["birthDate"]) == (None, None), where
                number = person["personalIdNumber"]
                assert number is None if whole["personalIdNumber"] is None \
                    else MASKED.match(number), where
            refused = {e["extensions"]["required"] for e in body.get("errors", [])
                       if e["path"][-1] in ("fullName", "birthDate")}
            assert f"{holder}:personal" not in refused, (holder, query)
            if dataset not in (ROOT, holder) and seen:
                assert refused == {f"{dataset}:personal"}, (holder, query)
    # Every root and every relation to a person was walked with persons at its end, and
    # half the paths at least: the others are ones no data fills (an agency's legal
    # representatives, a branch's staff, the relations of a merged organization).
    assert {p[0].field for p in covered} == {p[0].field for p in paths}
    assert {p[-1] for p in covered} == {p[-1] for p in paths}
    assert len(covered) >= len(paths) // 2, sorted(
        ".".join(h.field for h in p) for p in set(paths) - set(covered))
