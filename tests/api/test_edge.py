"""The API at its edge, over real HTTP: limits checked before anything is parsed (body,
document, variables; introspection counted), bad bodies, content types and characters
answered with coded 4xx errors in JSON and logged, the GraphQL-over-HTTP media types, CORS,
the Authorization header, the caller's address behind trusted proxies only, the rate
limiter's memory, and a warehouse outage (503 at once, recovery without a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import selectors
import socket
import threading
import time
import uuid

import httpx
import pytest
from graphql import get_introspection_query

from graphql_api.access.caller import Caller
from graphql_api.access.rate_limits import BUCKETS, LocalLimiter, bucket_of
from graphql_api.access.remote_address import parse_address
from graphql_api.core.document_cache import MAX_BYTES, Documents
from graphql_api.core.http import GRAPHQL_RESPONSE, response_media_type
from graphql_api.core.limits import (
    MAX_ALIASES,
    MAX_BODY_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_VARIABLES_BYTES,
)
from kho import db
from kho.settings import load_settings
from tests.api.conftest import FULL_ACCESS
from tests.api.helpers import logged
from tests.conftest import create_client, running_api

ORIGIN = "https://planning.example.gov.vn"
SMALL = "{ adminUnits(first: 1) { totalCount } }"


def purpose() -> str:
    """A purpose no other request sends: its access-log entries are this request's."""
    return f"edge test {uuid.uuid4().hex}"


def last_entry_id(wh) -> int:
    time.sleep(0.2)  # the entries of the requests before have been written
    return wh.execute("select coalesce(max(entry_id), 0) from api.access_log").fetchone()[0]


def logged_after(wh, entry_id: int, condition: str, params=(), count: int = 1) -> list[tuple]:
    """(outcome, error_codes) of the entries after one that meet a condition, once there are
    ``count`` of them."""
    for _ in range(400):
        rows = wh.execute(f"select outcome, error_codes from api.access_log where entry_id > "
                          f"%s and {condition} order by entry_id", (entry_id, *params)).fetchall()
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} access-log entries where {condition}")


def coded(response: httpx.Response, status: int, code: str,
          media_type: str = "application/json") -> dict:
    """The body of a refusal: the status, the media type, one coded error, no data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == media_type, response.headers
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
    return body


def post_raw(api: str, content: bytes, headers: dict | None = None,
             content_type: str = "application/json") -> httpx.Response:
    return httpx.post(f"{api}/graphql", content=content,
                      headers={"Content-Type": content_type, **(headers or {})}, timeout=30)


# --- limits at the edge ------------------------------------------------------------------

def raw_exchange(api: str, head: bytes, body: bytes = b"") -> tuple[int, bytes, float]:
    """Send a request as bytes and read the answer: (status, body, seconds taken)."""
    host, port = api.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received or not _complete(received):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    headers, _, content = received.partition(b"\r\n\r\n")
    return int(headers.split()[1]), content, time.monotonic() - started


def _complete(received: bytes) -> bool:
    headers, _, content = received.partition(b"\r\n\r\n")
    for line in headers.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(content) >= int(line.split(b":")[1])
    return False


def test_a_body_past_the_limit_is_refused_before_it_is_read(api, wh):
    said = purpose()
    # Announced as 200 MB and never sent: the answer comes from the headers alone.
    head = (f"POST /graphql HTTP/1.1\r\nHost: kho\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\nX-Purpose: {said}\r\n\r\n").encode()
    status, content, seconds = raw_exchange(api, head)
    assert status == 413 and seconds < 2
    assert json.loads(content)["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    # Sent in chunks with no length: read only until it passes the limit.
    chunk = b"x" * (MAX_BODY_BYTES + 1)
    head = (f"POST /graphql HTTP/1.1\r\nHost: kho\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nX-Purpose: {said}\r\n\r\n").encode()
    status, content, _ = raw_exchange(api, head, b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    assert status == 413
    assert json.loads(content)["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    entries = logged(wh, said, 2)
    assert [(e["outcome"], e["error_codes"], e["operation_type"]) for e in entries] == \
        [("failed", ["REQUEST_TOO_LARGE"], "graphql")] * 2


def test_a_huge_comment_or_document_is_refused_at_once(api, wh):
    said = purpose()
    for comment_bytes in (10 * 1024 * 1024, MAX_DOCUMENT_BYTES):
        query = "#" + "x" * comment_bytes + "\n{ __typename }"
        started = time.monotonic()
        response = httpx.post(f"{api}/graphql", json={"query": query},
                              headers={"X-Purpose": said}, timeout=30)
        assert time.monotonic() - started < 2
        coded(response, 413, "REQUEST_TOO_LARGE")
    # Whitespace counts as well; just under the limit, the document is read.
    padded = "{ __typename }" + " " * (MAX_DOCUMENT_BYTES - 20)
    response = httpx.post(f"{api}/graphql", json={"query": padded}, timeout=30)
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
    response = httpx.post(f"{api}/graphql", json={"query": padded + " " * 40},
                          headers={"X-Purpose": said}, timeout=30)
    coded(response, 413, "REQUEST_TOO_LARGE")
    assert len(logged(wh, said, 3)) == 3


def test_variables_past_the_limit_are_refused(api):
    query = "query($f: AdminUnitFilter) { adminUnits(filter: $f) { totalCount } }"
    response = httpx.post(f"{api}/graphql", json={
        "query": query, "variables": {"f": {"name": "x" * MAX_VARIABLES_BYTES}}}, timeout=30)
    coded(response, 413, "REQUEST_TOO_LARGE")


def test_introspection_counts_in_the_alias_and_cost_limits(api):
    aliased = "{ " + " ".join(f"a{i}: __schema {{ types {{ name }} }}"
                              for i in range(MAX_ALIASES + 1)) + " }"
    body = httpx.post(f"{api}/graphql", json={"query": aliased}, timeout=30).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["ALIAS_LIMIT"]
    # A dozen copies of every type's fields with their types: each fits, together they
    # cost more than the budget.
    copies = "{ " + " ".join(
        f"a{i}: __schema {{ types {{ name fields {{ name type {{ name ofType {{ name }} }} }} "
        f"}} }}" for i in range(12)) + " }"
    body = httpx.post(f"{api}/graphql", json={"query": copies}, timeout=30).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["COST_LIMIT"]
    assert body["data"] is None
    one = copies.split(" a1:")[0] + " }"
    assert "errors" not in httpx.post(f"{api}/graphql", json={"query": one}, timeout=30).json()
    # GraphiQL's own introspection still fits.
    body = httpx.post(f"{api}/graphql", json={"query": get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True)}, timeout=30).json()
    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_the_document_cache_is_bounded_in_bytes():
    cache = Documents()
    small = "{ __typename }"
    large = "{ " + " ".join(f"a{i}: __typename" for i in range(600)) + " }"
    kept = cache.parsed(small, {"max_tokens": 2_000})
    for i in range(200):
        cache.parsed(f"{large} # {i}", {"max_tokens": 2_000})
        assert cache.parsed(small, {"max_tokens": 2_000}) is kept  # in use, so kept
    assert cache.size_bytes <= MAX_BYTES
    assert 10 < len(cache) < 100


# --- bad bodies, content types and characters ---------------------------------------------

BAD_BODIES = {
    "null": (b"null", 400, "BAD_REQUEST"),
    "a string": (b'"x"', 400, "BAD_REQUEST"),
    "a number past a double": (b"1e999999", 400, "BAD_REQUEST"),
    "a variable past a double": (b'{"query": "{ __typename }", "variables": {"n": 1e999999}}',
                                 400, "BAD_REQUEST"),
    "invalid UTF-8": (b'{"query": "{ __typename \xff\xfe }"}', 400, "BAD_REQUEST"),
    "a lone surrogate": (b'{"query": "{ __typename }", "operationName": "\\ud800"}', 400,
                         "BAD_REQUEST"),
    "nested 10,000 deep": (b"[" * 10_000 + b"]" * 10_000, 400, "BAD_REQUEST"),
    "variables nested 100 deep": (
        b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100 + b"]" * 100 + b"}}",
        400, "BAD_REQUEST"),
    "not JSON": (b"{ __typename }", 400, "BAD_REQUEST"),
    "empty": (b"", 400, "BAD_REQUEST"),
    "a batch": (b'[{"query": "{ __typename }"}]', 400, "BAD_REQUEST"),
    "no query": (b'{"variables": {}}', 400, "BAD_REQUEST"),
    "a query that is not a string": (b'{"query": 5}', 400, "BAD_REQUEST"),
    "variables that are a list": (b'{"query": "{ __typename }", "variables": [1]}', 400,
                                  "BAD_REQUEST"),
    "an unknown operation name": (b'{"query": "query A { __typename }", '
                                  b'"operationName": "B"}', 400, "BAD_REQUEST"),
    "NUL in a variable": (b'{"query": "query($n: String) { adminUnits(filter: {name: $n}) '
                          b'{ totalCount } }", "variables": {"n": "Long\\u0000An"}}', 400,
                          "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_a_bad_body_is_answered_with_a_coded_4xx_in_json_and_logged(api, wh, name):
    content, status, code = BAD_BODIES[name]
    said = purpose()
    coded(post_raw(api, content, {"X-Purpose": said}), status, code)
    [entry] = logged(wh, said)
    assert (entry["outcome"], entry["error_codes"]) == ("failed", [code])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1", ""])
def test_a_body_that_is_not_json_by_its_content_type_is_refused(api, wh, content_type):
    said = purpose()
    response = post_raw(api, b'{"query": "{ __typename }"}', {"X-Purpose": said},
                        content_type=content_type)
    coded(response, 415, "BAD_REQUEST")
    assert logged(wh, said)[0]["error_codes"] == ["BAD_REQUEST"]


def test_other_methods_are_answered_coded(api):
    for method in ("PUT", "DELETE", "PATCH"):
        response = httpx.request(method, f"{api}/graphql", json={"query": SMALL}, timeout=30)
        coded(response, 405, "BAD_REQUEST")
        assert response.headers["allow"] == "POST"
    # A GET is GraphiQL for a browser, and refused with a code for anything else.
    assert "graphiql" in httpx.get(f"{api}/graphql", headers={"Accept": "text/html"},
                                   timeout=30).text.lower()
    coded(httpx.get(f"{api}/graphql", params={"query": SMALL},
                    headers={"Accept": "application/json"}, timeout=30), 405, "BAD_REQUEST")


def test_nul_in_a_filter_or_a_download_is_bad_user_input(api, wh):
    said = purpose()
    query = '{ adminUnits(filter: {name: "Long\\u0000An"}) { totalCount } }'
    response = httpx.post(f"{api}/graphql", json={"query": query},
                          headers={"X-Purpose": said}, timeout=30)
    coded(response, 400, "BAD_USER_INPUT")
    for params in ({"land_use_code": "LU\x00C"}, {"admin_unit": "80\x00"},
                   {"land\x00use": "x"}):
        response = httpx.get(f"{api}/opendata/land_parcels.csv", params=params,
                             headers={"X-Purpose": said}, timeout=30)
        coded(response, 400, "BAD_USER_INPUT")
    entries = logged(wh, said, 4)
    assert {(e["outcome"], tuple(e["error_codes"])) for e in entries} == \
        {("failed", ("BAD_USER_INPUT",))}


def test_a_download_is_logged_ok_once_it_has_all_gone_out(api, wh):
    said = purpose()
    response = httpx.get(f"{api}/opendata/land_parcels.geojson", headers={"X-Purpose": said},
                         timeout=60)
    assert response.status_code == 200 and response.json()["features"]
    [entry] = logged(wh, said)
    assert entry["outcome"] == "ok"


# --- GraphQL over HTTP: media types ---------------------------------------------------------

def test_the_graphql_response_media_type_answers_request_errors_400_without_data(api):
    accept = {"Accept": GRAPHQL_RESPONSE}
    for query, variables, code in (
            ("{ adminUnits(first: 1) { ", None, "GRAPHQL_PARSE_FAILED"),
            ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
            ("query($n: Int) { adminUnits(first: $n) { totalCount } }", {"n": "ten"},
             "BAD_USER_INPUT")):
        response = httpx.post(f"{api}/graphql", json={"query": query, "variables": variables},
                              headers=accept, timeout=30)
        body = coded(response, 400, code, GRAPHQL_RESPONSE)
        assert "data" not in body
    response = httpx.post(f"{api}/graphql", json={"query": SMALL}, headers=accept, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["data"]["adminUnits"]["totalCount"] > 0
    # Refusals at the edge speak the same media type.
    coded(post_raw(api, b"null", accept), 400, "BAD_REQUEST", GRAPHQL_RESPONSE)
    # application/json stays the default, with data null and 200 for the same errors.
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"},
                    {"Accept": f"application/json, {GRAPHQL_RESPONSE};q=0.5"}):
        response = httpx.post(f"{api}/graphql", json={"query": "{ nope }"}, headers=headers,
                              timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["data"] is None


def test_the_accept_header_is_ranked_by_quality_then_by_name():
    assert response_media_type(None) == "application/json"
    assert response_media_type("text/html") == "application/json"
    assert response_media_type(GRAPHQL_RESPONSE) == GRAPHQL_RESPONSE
    assert response_media_type(f"{GRAPHQL_RESPONSE}, application/json;q=0.9") == \
        GRAPHQL_RESPONSE
    assert response_media_type(f"application/json;q=0.9, {GRAPHQL_RESPONSE}") == \
        GRAPHQL_RESPONSE
    assert response_media_type(f"*/*, {GRAPHQL_RESPONSE}") == GRAPHQL_RESPONSE
    assert response_media_type(f"{GRAPHQL_RESPONSE};q=0, */*") == "application/json"


# --- Authorization ---------------------------------------------------------------------------

def test_an_empty_or_doubled_authorization_header_is_refused(api, wh):
    said = purpose()
    before = last_entry_id(wh)
    for headers in ([("Authorization", ""), ("X-Purpose", said)],
                    [("Authorization", "Bearer"), ("X-Purpose", said)],
                    [("Authorization", FULL_ACCESS["Authorization"]),
                     ("Authorization", FULL_ACCESS["Authorization"]), ("X-Purpose", said)],
                    [("Authorization", FULL_ACCESS["Authorization"]),
                     ("Authorization", ""), ("X-Purpose", said)]):
        response = httpx.post(f"{api}/graphql", json={"query": SMALL}, headers=headers,
                              timeout=30)
        coded(response, 401, "UNAUTHENTICATED")
    assert logged_after(wh, before, "operation_type = 'graphql' and key_id is null", (), 4) \
        == [("unauthenticated", ["UNAUTHENTICATED"])] * 4


# --- CORS and trusted proxies ----------------------------------------------------------------

@pytest.fixture(scope="module")
def edge_api(deployment):
    """A server that allows one browser origin and trusts loopback as its proxy."""
    with running_api(deployment, {"KHO_CORS_ORIGINS": f"{ORIGIN}, https://other.example",
                                  "KHO_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}) as base:
        yield base


def preflight(api: str, origin: str) -> httpx.Response:
    return httpx.options(f"{api}/graphql", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-purpose"},
        timeout=30)


def test_cors_allows_the_listed_origins_only(api, edge_api):
    allowed = preflight(edge_api, ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert {h.strip().lower() for h in allowed.headers["access-control-allow-headers"]
            .split(",")} >= {"authorization", "content-type", "x-purpose"}
    assert "POST" in allowed.headers["access-control-allow-methods"]
    answer = httpx.post(f"{edge_api}/graphql", json={"query": SMALL},
                        headers={"Origin": ORIGIN}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    for server, origin in ((edge_api, "https://evil.example"), (api, ORIGIN)):
        denied = preflight(server, origin)
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        answer = httpx.post(f"{server}/graphql", json={"query": SMALL},
                            headers={"Origin": origin}, timeout=30)
        assert "access-control-allow-origin" not in answer.headers


def addresses_logged(wh, server: str, forwarded: str) -> str:
    said = purpose()
    httpx.post(f"{server}/graphql", json={"query": SMALL},
               headers={"X-Forwarded-For": forwarded, "X-Purpose": said}, timeout=30)
    return logged(wh, said)[0]["remote_addr"]


def test_x_forwarded_for_is_read_from_trusted_proxies_only(api, edge_api, wh):
    # No trusted proxy: the header is the caller's own words, and ignored.
    assert addresses_logged(wh, api, "203.0.113.9") == "127.0.0.1"
    assert addresses_logged(wh, api, "anything at all") == "127.0.0.1"
    # Behind trusted proxies: the right-most address that is not one of them.
    assert addresses_logged(wh, edge_api, "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert addresses_logged(wh, edge_api, "203.0.113.9, 10.1.2.3") == "203.0.113.9"
    assert addresses_logged(wh, edge_api, "2001:db8::1") == "2001:db8::1"
    assert addresses_logged(wh, edge_api, "not an address") == "127.0.0.1"


def test_addresses_and_buckets():
    assert str(parse_address("192.0.2.7:5123")) == "192.0.2.7"
    assert str(parse_address("[2001:db8::7]:5123")) == "2001:db8::7"
    assert str(parse_address("::ffff:192.0.2.7")) == "192.0.2.7"
    assert parse_address("192.0.2.7<script>") is None
    # One IPv6 subscriber (a /64) is one bucket, however many addresses it uses.
    first, _ = bucket_of(Caller(remote_addr="2001:db8:1:2::1"), 300, 6000)
    second, _ = bucket_of(Caller(remote_addr="2001:db8:1:2:ffff::9"), 300, 6000)
    assert first == second == "ip:2001:db8:1:2::/64"


def test_the_settings_of_the_edge_are_read_and_checked():
    settings = load_settings({"KHO_CORS_ORIGINS": f"{ORIGIN}/, *",
                              "KHO_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16, fd00::/8"})
    assert settings.cors_origins == (ORIGIN, "*")
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16",
                                                          "fd00::/8"]
    assert load_settings({}).cors_origins == () and load_settings({}).trusted_proxies == ()
    for name, wrong in (("KHO_CORS_ORIGINS", "planning.example.gov.vn"),
                        ("KHO_CORS_ORIGINS", "https://a.example/path"),
                        ("KHO_TRUSTED_PROXIES", "10.0.0.x"),
                        ("KHO_TRUSTED_PROXIES", "localhost")):
        with pytest.raises(ValueError, match=name):
            load_settings({name: wrong})


def test_the_limiter_forgets_the_least_recently_seen_buckets_not_all():
    async def run() -> tuple[float, int]:
        limiter = LocalLimiter()
        await limiter.take("ip:victim", 1)  # its one request a minute, spent
        for i in range(BUCKETS + 10):
            await limiter.take(f"ip:other-{i}", 1)
            if i % 1_000 == 0:
                await limiter.take("ip:victim", 1)
        return (await limiter.take("ip:victim", 1)).wait, len(limiter._buckets)

    wait, kept = asyncio.run(run())
    assert wait > 0  # still limited: its bucket was kept
    assert kept == BUCKETS


# --- a warehouse outage ---------------------------------------------------------------------

class Outage:
    """A TCP port forwarding to the warehouse's socket that can be cut (every connection
    closed, new ones refused) and restored."""

    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        self.port = 0
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.socket_path)
            with self.lock:
                self.connections += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        self.listener.close()
        with self.lock:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self.connections = []


@pytest.fixture(scope="module")
def outage(deployment):
    url = db.parse(deployment.warehouse_url)
    forwarder = Outage(f"{url.query['host']}/.s.PGSQL.{url.port or 5432}")
    forwarder.start()
    api_url = f"postgresql://kho_api@127.0.0.1:{forwarder.port}/{url.database}"
    try:
        yield forwarder, api_url
    finally:
        forwarder.cut()


def test_while_the_warehouse_is_down_requests_answer_503_at_once_and_recover(
        deployment, outage, wh):
    forwarder, api_url = outage
    fresh_key = create_client(deployment, "edge-outage", "land:shared")
    with running_api(dataclasses.replace(
            deployment, env={**deployment.env, "KHO_API_DATABASE_URL": api_url})) as base:
        assert httpx.post(f"{base}/graphql", json={"query": SMALL}, timeout=30) \
            .status_code == 200
        said = purpose()
        forwarder.cut()
        for headers in ({"X-Purpose": said},
                        {"Authorization": f"Bearer {fresh_key}", "X-Purpose": said}):
            for _ in range(2):  # the pool's broken connections first, then none at all
                started = time.monotonic()
                response = httpx.post(f"{base}/graphql", json={"query": SMALL},
                                      headers=headers, timeout=30)
                assert time.monotonic() - started < 3.5
                coded(response, 503, "SERVICE_UNAVAILABLE")
                assert response.headers["retry-after"]
        started = time.monotonic()
        health = httpx.get(f"{base}/healthz", timeout=30)
        assert health.status_code == 503 and time.monotonic() - started < 1.5
        download = httpx.get(f"{base}/opendata/land_parcels.csv", timeout=30)
        coded(download, 503, "SERVICE_UNAVAILABLE")

        forwarder.start()  # the warehouse is back, on the same port
        deadline = time.monotonic() + 40
        while True:
            response = httpx.post(f"{base}/graphql", json={"query": SMALL}, timeout=30)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["adminUnits"]["totalCount"] > 0
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        # The refusals were logged once the log could be written again: the key's under its
        # ID (its purpose was never read, the key not being checked).
        for condition, value in (("purpose = %s", said),
                                 ("key_id = %s", fresh_key.split("_")[1])):
            assert logged_after(wh, 0, condition, (value,), 2) == \
                [("failed", ["SERVICE_UNAVAILABLE"])] * 2, condition
