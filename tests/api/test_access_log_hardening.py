"""The access log stands up to what callers send, over HTTP: values PostgreSQL cannot store
(a lone surrogate, NUL, a 100-digit integer), refused at the edge or stored escaped, neither
stop the writer nor withhold the next personal answer; no anonymous caller makes an entry
of more than a few kB (long values are cut with the digest of what was sent); a personal
answer arrives only once its entry is written; an entry PostgreSQL refuses all the same
is written as a placeholder, not lost and not in the way of the others; ``/healthz`` shows
the writer's state and answers 503 while it falls behind; and the chain still verifies.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import time

import httpx
import psycopg
import pytest

from graphql_api.access import log_values
from graphql_api.access.caller import Caller
from graphql_api.access.log_writer import BEHIND_SECONDS, AccessLog, entry
from tests.api.test_access import PURPOSE, held_person, log_rows, verify
from tests.conftest import bearer, create_client

NAME_QUERY = "query($n: String) { organizations(filter: {name: $n}) { totalCount } }"
PERSON_QUERY = "query Hardening($id: ID!) { person(id: $id) { fullName } }"


@pytest.fixture(scope="module")
def personal(deployment) -> dict:
    key = create_client(deployment, "hardening-personal", "land:personal",
                        "enterprise:personal", "civil_registry:personal", "cadre:personal")
    return bearer(key, PURPOSE)


def raw_post(api: str, body: str, headers: dict | None = None) -> httpx.Response:
    """A body as the caller wrote it: JSON escapes (a lone \\ud800) that a client library
    would refuse to encode."""
    return httpx.post(f"{api}/graphql", content=body.encode(), timeout=60,
                      headers={"content-type": "application/json", **(headers or {})})


def name_search(operation: str, value: str) -> str:
    """The body of an organization search by name, the value spliced in as JSON text."""
    query = (f"query {operation}($n: String) {{ organizations(filter: {{name: $n}}) "
             f"{{ totalCount }} }}")
    return json.dumps({"query": query, "operationName": operation,
                       "variables": {"n": "VALUE"}}).replace('"VALUE"', value)


def head(wh) -> int:
    return wh.execute("select coalesce(max(entry_id), 0) from api.access_log").fetchone()[0]


def wait_for(wh, condition: str, params=(), seconds: float = 10) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = log_rows(wh, condition, params)
        if rows:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"no access log entry where {condition} {params}")


def personal_answer_is_logged_before_it_arrives(api, wh, personal) -> None:
    person_id, *_ = held_person(wh)
    before = head(wh)
    response = httpx.post(f"{api}/graphql", json={"query": PERSON_QUERY,
                                                  "variables": {"id": person_id}},
                          headers=personal, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["person"]["fullName"]
    # Read at once, no waiting: the entry was committed before the answer was sent.
    [logged] = log_rows(wh, "entry_id > %s and client_name = 'hardening-personal'", (before,))
    assert logged["outcome"] == "ok" and [str(p) for p in logged["person_ids"]] == [person_id]


# Each value as sent (JSON) and as stored.
UNSTORABLE = {
    "lone surrogate": ('"ab\\ud800"', "ab\\ud800"),
    "NUL": ('"a\\u0000b"', "a\\u0000b"),
    "NUL and surrogate in a key": ('{"k\\u0000\\udfff": 1}', {"k\\u0000\\udfff": 1}),
    "integer beyond 64 bits": ("1" + "0" * 100, "1" + "0" * 100),
}


@pytest.mark.parametrize("case", UNSTORABLE)
def test_an_unstorable_value_is_stored_escaped_or_refused_and_blocks_nothing(api, wh, personal,
                                                                             case):
    """The edge refuses most such bodies before GraphQL reads them (coded, and logged);
    what it lets through is stored escaped. Either way the next personal answer is logged
    before it arrives."""
    sent, stored = UNSTORABLE[case]
    before = head(wh)
    operation = f"Unstorable{list(UNSTORABLE).index(case)}"
    response = raw_post(api, name_search(operation, sent))
    if response.status_code == 200:
        [logged] = wait_for(wh, "entry_id > %s and operation_name = %s", (before, operation))
        # A 100-digit integer may be kept as the number itself (jsonb's numeric) or as its
        # digits: either way every digit is there.
        kept = logged["variables"]["n"]
        assert (str(kept) if isinstance(kept, int) else kept) == stored
        assert logged["outcome"] in ("ok", "failed")
    else:
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        code = error["extensions"]["code"]
        assert code in ("BAD_REQUEST", "BAD_USER_INPUT")
        [logged] = wait_for(wh, "entry_id > %s and %s = any(error_codes)", (before, code))
        assert logged["outcome"] == "failed"
    assert logged["client_id"] is None
    personal_answer_is_logged_before_it_arrives(api, wh, personal)


# 30 levels of lists: within what the edge reads (64), deeper than the log keeps (8).
NESTED = "[" * 30 + "]" * 30


def test_nesting_deeper_than_the_log_keeps_is_cut_with_its_digest(api, wh, personal):
    before = head(wh)
    assert raw_post(api, name_search("Deep", NESTED)).status_code == 200
    [logged] = wait_for(wh, "entry_id > %s and operation_name = 'Deep'", (before,))
    stored = json.dumps(logged["variables"])
    inner = json.loads(NESTED)
    for _ in range(log_values.MAX_DEPTH - 1):
        inner = inner[0]
    digest = hashlib.sha256(log_values.canonical_json(inner).encode()).hexdigest()
    assert f"nested deeper than {log_values.MAX_DEPTH} levels, sha256:{digest}" in stored
    assert len(stored) < 1_000
    personal_answer_is_logged_before_it_arrives(api, wh, personal)


def entry_size(wh, entry_id: int) -> int:
    return wh.execute("select pg_column_size(l.*) from api.access_log l where entry_id = %s",
                      (entry_id,)).fetchone()[0]


def test_an_anonymous_caller_cannot_make_entries_larger_than_a_few_kb(api, wh, personal):
    # A megabyte is refused at the edge, and its entry stays small.
    before = head(wh)
    response = httpx.post(f"{api}/graphql", json={"query": NAME_QUERY,
                                                  "variables": {"n": "x" * 1_000_000}},
                          timeout=60)
    assert response.status_code == 413, response.text
    [logged] = wait_for(wh, "entry_id > %s and 'REQUEST_TOO_LARGE' = any(error_codes)",
                        (before,))
    assert entry_size(wh, logged["entry_id"]) < 4_096

    # Within the edge's limits, a long value is cut with the digest of the whole.
    big = "x" * 59_000 + "đ" * 500
    before = head(wh)
    assert httpx.post(f"{api}/graphql", json={"query": NAME_QUERY, "variables": {"n": big}},
                      timeout=60).status_code == 200
    [logged] = wait_for(wh, "entry_id > %s and client_id is null and operation_type = "
                        "'query'", (before,))
    kept = logged["variables"]["n"]
    assert kept.startswith("x" * log_values.KEPT_OF_STRING + "…[cut")
    assert kept.endswith(f"…[cut: {len(big)} characters, "
                         f"sha256:{hashlib.sha256(big.encode()).hexdigest()}]")
    assert entry_size(wh, logged["entry_id"]) < 4_096

    # Many values: the whole variables give way to their size and digest.
    many = {"n": ["kho"] * 9_000}
    before = head(wh)
    assert httpx.post(f"{api}/graphql", json={"query": NAME_QUERY, "variables": many},
                      timeout=60).status_code == 200
    [logged] = wait_for(wh, "entry_id > %s and client_id is null and operation_type = "
                        "'query'", (before,))
    whole = log_values.canonical_json(many)
    assert logged["variables"] == {"$cut": f"{len(whole)} bytes of variables",
                                   "$sha256": hashlib.sha256(whole.encode()).hexdigest()}
    personal_answer_is_logged_before_it_arrives(api, wh, personal)


def test_an_entry_postgresql_refuses_is_written_as_a_placeholder(deployment, wh):
    """Unit level, on the deployment's warehouse: a batch holding entries the writer cannot
    serialise or PostgreSQL refuses is split, the others land whole, the bad ones as
    placeholders that keep the request's time, outcome and persons."""
    person_id, *_ = held_person(wh)
    marker = f"split-{time.time_ns()}"

    def row(**unsafe) -> dict:
        return {**entry(Caller(remote_addr="10.0.0.1"), "ok", operation_type=marker,
                        person_ids=[person_id]), **unsafe}

    rows = []
    for unsafe in ({}, {"purpose": "lone \ud800"}, {}, {"operation_name": "nul \x00"}, {}):
        rows.append(row(**unsafe))
        time.sleep(0.002)  # each its own time, which finds it again

    async def write() -> None:
        access_log = AccessLog(deployment.warehouse_url, lambda key: None)
        await access_log.open()
        for each in rows:
            access_log.record(each)
        await access_log.close()
        assert access_log.state()["queued"] == 0

    asyncio.run(write())
    logged = log_rows(wh, "operation_type = %s or (variables ? '$unstorable' and "
                      "logged_at = any(%s::timestamptz[]))",
                      (marker, [rows[1]["logged_at"], rows[3]["logged_at"]]))
    assert len(logged) == 5
    by_time = {e["logged_at"]: e for e in logged}
    for index, sent in enumerate(rows):
        stored = by_time[datetime.datetime.fromisoformat(sent["logged_at"])]
        assert [str(p) for p in stored["person_ids"]] == [person_id]
        assert stored["outcome"] == "ok"
        if index in (1, 3):
            assert stored["error_codes"] == ["UNSTORABLE_ENTRY"]
            assert stored["operation_name"] is None and stored["purpose"] is None
            assert stored["variables"] == {"$unstorable": "sha256:" + hashlib.sha256(
                log_values.canonical_json(sent).encode()).hexdigest()}
        else:
            assert stored["error_codes"] == [] and stored["operation_type"] == marker


def health(api: str) -> httpx.Response:
    return httpx.get(f"{api}/healthz", timeout=10)


def test_healthz_shows_the_writer_and_fails_while_it_falls_behind(api, wh, personal):
    httpx.post(f"{api}/graphql", json={"query": "{ adminUnits(first: 1) { totalCount } }"},
               timeout=60)
    time.sleep(0.5)
    response = health(api)
    assert response.status_code == 200, response.text
    writer = response.json()["access_log"]
    assert writer["state"] == "writing" and writer["behind"] is False
    assert writer["queued"] == 0 and writer["failing_since"] is None
    assert datetime.datetime.fromisoformat(writer["last_written_at"]) > (
        datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=30))

    person_id, *_ = held_person(wh)
    before = head(wh)
    wh.execute("revoke insert on api.access_log from kho_api")
    try:
        httpx.post(f"{api}/graphql", json={"query": "{ adminUnits(first: 1) { totalCount } }"},
                   timeout=60)
        # A personal answer whose entry cannot be written does not go out.
        body = httpx.post(f"{api}/graphql", json={"query": PERSON_QUERY,
                                                  "variables": {"id": person_id}},
                          headers=personal, timeout=60).json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
        writer = health(api).json()["access_log"]
        assert writer["state"] == "failing" and writer["failing_since"]
        assert writer["queued"] >= 1
        deadline = time.monotonic() + BEHIND_SECONDS + 10
        while (response := health(api)).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert response.status_code == 503, response.text
        assert response.json()["status"] == "unavailable"
        assert response.json()["access_log"]["behind"] is True
    finally:
        wh.execute("grant insert on api.access_log to kho_api")
    # Caught up: nothing kept meanwhile is missing, and the refused answer is logged so.
    [refused] = wait_for(wh, "entry_id > %s and client_name = 'hardening-personal'",
                         (before,))
    assert refused["outcome"] == "failed" and refused["person_ids"] == []
    assert refused["error_codes"] == ["SERVICE_UNAVAILABLE"]
    assert log_rows(wh, "entry_id > %s and operation_type = 'query' and client_id is null",
                    (before,))
    deadline = time.monotonic() + 10
    while (response := health(api)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert response.status_code == 200 and response.json()["access_log"]["state"] == "writing"


def test_the_chain_verifies_after_all_of_it(deployment, api, wh):
    with psycopg.connect(deployment.warehouse_url) as conn:
        stored = conn.execute("select count(*) from api.access_log where variables::text "
                              "like '%\\\\u0000%' or variables ? '$unstorable'").fetchone()[0]
    assert stored > 0
    code, said = verify(deployment)
    assert code == 0 and "intact" in said, said
