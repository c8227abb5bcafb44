"""What an agency developer finds on day one: a Vietnamese purpose sent however their client
can send it (raw UTF-8 header bytes, percent-encoded, or ``extensions.purpose``) and logged
as text; ``viewer`` to check a key; rate-limit headers on every answer; GraphiQL opened
from a link with the query filled in."""

from __future__ import annotations

import datetime
import http.client
import json
import urllib.parse
import uuid

import httpx
import pytest

from graphql_api.graphiql import EXAMPLES
from tests.api.test_access import entries
from tests.api.test_ui import browser, fresh_page  # noqa: F401 (a fixture, and pages)
from tests.conftest import create_client

VIEWER = ("{ viewer { client agency grants keyExpiresAt purpose "
          "rateLimit { limit remaining resetAt } } }")


@pytest.fixture(scope="module")
def developer_key(deployment) -> str:
    return create_client(deployment, "viewer-dev", "land:personal", "audit",
                         agency="Sở Tư pháp", extra=("--expires-in-days", "30",
                                                     "--rate-limit", "600"))


def said() -> str:
    """A Vietnamese purpose no other request declared."""
    return f"phát triển tích hợp {uuid.uuid4().hex[:8]}"


def raw_post(api: str, body: dict, headers: list[tuple[str, bytes]]) -> dict:
    """A POST by http.client, its headers sent as the bytes given."""
    url = urllib.parse.urlparse(api)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", "/graphql")
        payload = json.dumps(body).encode()
        for name, value in [("Content-Type", b"application/json"),
                            ("Content-Length", str(len(payload)).encode()), *headers]:
            connection.putheader(name, value)
        connection.endheaders(payload)
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


def logged_purpose(wh, purpose: str) -> None:
    [entry] = entries(wh, "purpose = %s and client_name = 'viewer-dev'", (purpose,))
    assert entry["outcome"] == "ok"


def test_a_vietnamese_purpose_as_raw_utf8_header_bytes(api, wh, developer_key):
    purpose = said()
    body = raw_post(api, {"query": VIEWER}, [
        ("Authorization", f"Bearer {developer_key}".encode()),
        ("X-Purpose", purpose.encode())])
    assert body["data"]["viewer"]["purpose"] == purpose
    logged_purpose(wh, purpose)


def test_a_percent_encoded_purpose_is_decoded(api, wh, developer_key):
    purpose = said()
    encoded = urllib.parse.quote(purpose)
    assert encoded.isascii() and "%C3%A1" in encoded
    response = httpx.post(f"{api}/graphql", json={"query": VIEWER}, timeout=30, headers={
        "Authorization": f"Bearer {developer_key}", "X-Purpose": encoded})
    assert response.json()["data"]["viewer"]["purpose"] == purpose
    logged_purpose(wh, purpose)
    # A per cent sign without two hex digits is text, and bad escapes are refused.
    response = httpx.post(f"{api}/graphql", json={"query": VIEWER}, timeout=30,
                          headers={"X-Purpose": "100% kiểm tra".encode()})
    assert response.json()["data"]["viewer"]["purpose"] == "100% kiểm tra"
    response = httpx.post(f"{api}/graphql", json={"query": VIEWER}, timeout=30,
                          headers={"X-Purpose": "bad %C3%28 escape"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_purpose_in_the_body_extensions_and_the_header_wins(api, wh, developer_key):
    purpose, other = said(), said()
    key = {"Authorization": f"Bearer {developer_key}"}
    body = httpx.post(f"{api}/graphql", headers=key, timeout=30, json={
        "query": VIEWER, "extensions": {"purpose": purpose}}).json()
    assert body["data"]["viewer"]["purpose"] == purpose
    logged_purpose(wh, purpose)
    # Personal data is released under it, as under the header.
    parcel_holders = ("{ landParcels(first: 5) { nodes { holders { holderName } } } }")
    body = httpx.post(f"{api}/graphql", headers=key, timeout=30, json={
        "query": parcel_holders, "extensions": {"purpose": purpose}}).json()
    assert "errors" not in body
    body = httpx.post(f"{api}/graphql", timeout=30, json={
        "query": VIEWER, "extensions": {"purpose": other}},
        headers={**key, "X-Purpose": urllib.parse.quote(purpose)}).json()
    assert body["data"]["viewer"]["purpose"] == purpose
    response = httpx.post(f"{api}/graphql", headers=key, timeout=30, json={
        "query": VIEWER, "extensions": {"purpose": 42}})
    assert response.status_code == 400


def test_viewer_of_an_agency_client(api, developer_key):
    before = datetime.datetime.now(datetime.UTC)
    response = httpx.post(f"{api}/graphql", json={"query": VIEWER}, timeout=30,
                          headers={"Authorization": f"Bearer {developer_key}"})
    viewer = response.json()["data"]["viewer"]
    assert viewer["client"] == "viewer-dev" and viewer["agency"] == "Sở Tư pháp"
    assert viewer["grants"] == ["audit", "land:personal"]
    expires = datetime.datetime.fromisoformat(viewer["keyExpiresAt"])
    assert abs(expires - (before + datetime.timedelta(days=30))) < datetime.timedelta(hours=1)
    assert viewer["purpose"] is None
    rate = viewer["rateLimit"]
    assert rate["limit"] == 600 and 0 <= rate["remaining"] < 600
    assert str(rate["remaining"]) == response.headers["RateLimit-Remaining"]
    reset = datetime.datetime.fromisoformat(rate["resetAt"])
    assert before - datetime.timedelta(seconds=1) <= reset \
        <= before + datetime.timedelta(seconds=62)


def test_viewer_of_an_anonymous_caller(api):
    viewer = httpx.post(f"{api}/graphql", json={"query": VIEWER}, timeout=30
                        ).json()["data"]["viewer"]
    assert viewer["client"] is None and viewer["agency"] is None
    assert viewer["grants"] == [] and viewer["keyExpiresAt"] is None
    assert viewer["rateLimit"]["limit"] == 300  # KHO_RATE_LIMIT_ANONYMOUS's default


def test_every_answer_carries_the_rate_limit_and_its_remaining_decreases(deployment, api):
    # Ten a minute: one token back every six seconds, so three quick requests see 9, 8, 7.
    key = create_client(deployment, "viewer-ten", "land:shared", extra=("--rate-limit", "10"))
    headers = {"Authorization": f"Bearer {key}"}
    seen = []
    for _ in range(3):
        response = httpx.post(f"{api}/graphql", json={"query": "{ __typename }"},
                              headers=headers, timeout=30)
        assert response.headers["RateLimit-Limit"] == "10"
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
        seen.append(int(response.headers["RateLimit-Remaining"]))
    assert seen == [9, 8, 7]
    download = httpx.get(f"{api}/opendata/land_parcels.csv", headers=headers, timeout=60)
    assert download.headers["RateLimit-Remaining"] == "6"
    refused = None
    for _ in range(10):
        refused = httpx.post(f"{api}/graphql", json={"query": "{ __typename }"},
                             headers=headers, timeout=30)
        if refused.status_code == 429:
            break
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_a_graphiql_link_opens_with_the_query_filled_in(api, browser):  # noqa: F811
    query = "query Mine { viewer { client grants rateLimit { limit } } }"
    variables = '{"unused": 1}'
    link = f"{api}/graphql?" + urllib.parse.urlencode({"query": query, "variables": variables})
    # A machine's GET still gets no answer to a query: queries go by POST.
    assert httpx.get(link, headers={"Accept": "application/json"}, timeout=30
                     ).status_code == 405
    with fresh_page(browser) as page:
        page.goto(link)
        page.wait_for_selector(".graphiql-query-editor .CodeMirror")
        editors = page.evaluate("""() => [...document.querySelectorAll('.CodeMirror')]
            .map(e => e.CodeMirror.getValue())""")
        assert query in editors and variables in editors
        headers = next(json.loads(e) for e in editors if "X-Purpose" in e)
        assert set(headers) == {"Authorization", "X-Purpose"}
        # Run it: the template's placeholders are not sent, so it runs anonymously.
        page.click(".graphiql-execute-button")
        page.wait_for_function("""() => document.querySelector(
            '.graphiql-response .CodeMirror').CodeMirror.getValue().includes('rateLimit')""")
        answer = json.loads(page.evaluate(
            "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"))
        assert answer["data"]["viewer"] == {"client": None, "grants": [],
                                            "rateLimit": {"limit": 300}}
    # Without a link, kho's examples open as tabs.
    with fresh_page(browser) as page:
        page.goto(f"{api}/graphql")
        page.wait_for_selector(".graphiql-query-editor .CodeMirror")
        assert page.locator(".graphiql-tab").count() == len(EXAMPLES)
