"""The change feed on a real deployment: seeded and published (a snapshot), then 300 days of
the province's changes advanced and published again; the events against the ground truth
and against the marts themselves, and what `changes` shows each caller over HTTP."""

from __future__ import annotations

import csv
import http.server
import io
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from standardwebhooks import Webhook

from kho import db
from pipelines.dbt.changes import LOCK_ID
from tests.conftest import (
    bearer,
    create_client,
    free_port,
    graphql,
    kho_fails,
    make_deployment,
    running_api,
    teardown_deployment,
)

SCALE = "1500"
DAYS = "300"
PURPOSE = "đối soát dữ liệu"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Published once (a snapshot); the clients and their webhook subscriptions made (to a
    receiver's port, which the webhook tests start); advanced and published again."""
    deployment = make_deployment("server", tmp_path_factory.mktemp("change-feed"))
    try:
        deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "5")
        deployment.kho("materialize")
        deployment.first_publication = published(deployment)
        deployment.keys = make_clients(deployment)
        deployment.receiver_port = free_port()
        # The snapshot's feed holds the issues it found only: subscribers start after them.
        deployment.subscribed_after = latest_cursor(deployment)
        deployment.secrets = make_subscriptions(deployment, deployment.receiver_port)
        deployment.kho("sources", "advance", "--days", DAYS)
        deployment.kho("materialize")
        yield deployment
    finally:
        teardown_deployment(deployment)


def make_clients(deployment) -> dict[str, str]:
    return {
        "full": create_client(deployment, "feed-full", "land:personal", "enterprise:personal",
                              "civil_registry:personal", "cadre:personal"),
        "shared": create_client(deployment, "feed-shared", "land:shared",
                                "civil_registry:shared"),
    }


# Subscriptions: (client, path on the receiver, types, purpose).
SUBSCRIPTIONS = {
    "tax-office": ("feed-full", "/tax", ("person", "land_right", "employment"), PURPOSE),
    "district": ("feed-shared", "/district", (), PURPOSE),
    "dead": ("feed-full", None, ("person",), PURPOSE),
}


def make_subscriptions(deployment, port: int) -> dict[str, str]:
    made = {}
    for name, (client, path, types, purpose) in SUBSCRIPTIONS.items():
        # The dead one points at a port nothing listens on.
        endpoint = f"http://127.0.0.1:{port}{path}" if path else \
            f"http://127.0.0.1:{free_port()}/gone"
        args = ["subscriptions", "create", name, "--client", client, "--endpoint", endpoint,
                "--purpose", purpose]
        for entity_type in types:
            args += ["--type", entity_type]
        output = deployment.kho(*args).stdout
        made[name] = re.search(r"^\s+(whsec_\S+)$", output, re.MULTILINE).group(1)
    return made


def published(deployment) -> int:
    with psycopg.connect(deployment.warehouse_url) as conn:
        return conn.execute("select max(publication_id) from kho_meta.publications"
                            ).fetchone()[0]


def latest_cursor(deployment) -> int:
    return rows(deployment, "select coalesce(max(cursor), 0) from changes.events")[0][0]


def rows(deployment, query: str, params=()) -> list[tuple]:
    with psycopg.connect(deployment.warehouse_url) as conn:
        return conn.execute(query, params).fetchall()


def truth(deployment, query: str, params=()) -> list[tuple]:
    url = deployment.warehouse_url
    with db.connect(db.with_database(url, f"{db.database_name(url)}_ground_truth")) as conn:
        return conn.execute(query, params).fetchall()


def test_the_first_publication_is_a_snapshot_without_record_events(deployment):
    """No event for the records (subscribers start from the bulk downloads); the issues it
    found are each a created event, with the issue as it was found."""
    first = deployment.first_publication
    issues = rows(deployment, "select issue_id, kind, source_system from "
                              "changes.quality_issues where first_publication_id = %s "
                              "order by issue_id", (first,))
    assert issues
    assert rows(deployment, "select snapshot, events, note like 'first publication%%' "
                "from changes.publications where publication_id = %s", (first,)) == \
        [(True, len(issues), True)]
    assert rows(deployment, "select master_id, payload ->> 'kind', datasets[1] "
                            "from changes.events where publication_id = %s "
                            "and entity_type = 'data_quality_issue' and kind = 'created' "
                            "and payload ->> 'status' = 'open' order by master_id",
                (first,)) == issues


def test_the_second_publication_records_the_births_deaths_and_transfers(deployment):
    second = published(deployment)
    [(snapshot, events, first, last)] = rows(
        deployment, "select snapshot, events, first_cursor, last_cursor "
        "from changes.publications where publication_id = %s", (second,))
    assert not snapshot and events > 0 and last - first + 1 >= events
    world_date = truth(deployment, "select seeded_world_date from seed_info")[0][0]
    born = {r[0] for r in truth(deployment, "select personal_id from persons "
                                "where birth_date > %s", (world_date,))}
    died = {r[0] for r in truth(deployment, "select personal_id from persons "
                                "where death_date > %s", (world_date,))}
    assert born and died
    created = {r[0] for r in rows(deployment, """
        select payload ->> 'personalIdNumber' from changes.events
        where publication_id = %s and entity_type = 'person' and kind = 'created'""",
                                  (second,))}
    assert born <= created
    # A death: the person's isDeceased turns true (or they were born and died meanwhile).
    deceased = {r[0] for r in rows(deployment, """
        select p.personal_id_number from changes.events e
        join marts.dim_person p on p.person_id::text = e.master_id
        where e.publication_id = %s and e.entity_type = 'person'
            and (e.payload -> 'isDeceased')::boolean
            and (e.kind = 'created' or (e.kind = 'updated'
                 and 'isDeceased' = any(e.changed_attributes)
                 and not (e.previous -> 'isDeceased')::boolean))""", (second,))}
    assert died <= deceased
    transfers = truth(deployment, "select count(distinct record_key) from changes "
                      "where event = 'transfer' and table_name = 'bien_dong'")[0][0]
    land_right_events = rows(deployment, "select kind, count(*) from changes.events "
                             "where publication_id = %s and entity_type = 'land_right' "
                             "group by kind", (second,))
    assert transfers > 0 and dict(land_right_events).get("created", 0) > 0


def test_events_are_exactly_the_difference_between_the_two_publications(deployment):
    """Each person's events applied to the outgoing marts give the incoming ones."""
    second = published(deployment)
    old = {r[0]: r[1] for r in rows(deployment, """
        select person_id::text, jsonb_build_object('fullName', full_name, 'isDeceased',
               is_deceased, 'deathDate', death_date, 'mentionCount', mention_count)
        from marts_previous.dim_person""")}
    new = {r[0]: r[1] for r in rows(deployment, """
        select person_id::text, jsonb_build_object('fullName', full_name, 'isDeceased',
               is_deceased, 'deathDate', death_date, 'mentionCount', mention_count)
        from marts.dim_person""")}
    state = {k: dict(v) for k, v in old.items()}
    for master_id, kind, payload in rows(deployment, """
            select master_id, kind, payload from changes.events
            where publication_id = %s and entity_type = 'person' order by cursor""",
                                         (second,)):
        if kind == "created":
            assert master_id not in state
            state[master_id] = {k: payload[k] for k in new[master_id]}
        elif kind == "updated":
            state[master_id].update({k: v for k, v in payload.items()
                                     if k in state[master_id]})
        elif kind in ("retired", "merged_into"):
            del state[master_id]
    assert state == new


def test_merges_agree_with_the_master_id_registry(deployment):
    second = published(deployment)
    merges = rows(deployment, """
        select e.master_id, e.related_id, i.status, i.merged_into::text
        from changes.events e join master_data.person_ids i on i.id::text = e.master_id
        where e.publication_id = %s and e.kind = 'merged_into'""", (second,))
    for _, related, status, merged_into in merges:
        assert status == "merged"
        assert merged_into == related or rows(
            deployment, "select 1 from master_data.person_ids where id = %s "
            "and merged_into::text = %s", (related, merged_into))


# --- changes over HTTP ----------------------------------------------------------------------

FEED = """query Feed($after: String, $types: [ChangeEntityType!], $first: Int!) {
  changes(after: $after, types: $types, first: $first) {
    events { cursor publicationId entityType masterId kind relatedId changedAttributes
             attributes previous }
    endCursor hasNextPage latestCursor
  }
}"""


@pytest.fixture(scope="module")
def api(deployment):
    with running_api(deployment) as base:
        yield base


@pytest.fixture(scope="module")
def keys(deployment):
    return deployment.keys


def read_feed(api, headers=None, types=None, first=100, after=None) -> list[dict]:
    """Every event the caller sees, page by page."""
    events, seen_ends = [], set()
    while True:
        answer = graphql(api, FEED, {"after": after, "types": types, "first": first},
                         headers)
        assert "errors" not in answer, answer
        page = answer["data"]["changes"]
        events += page["events"]
        assert page["endCursor"] not in seen_ends
        seen_ends.add(page["endCursor"])
        after = page["endCursor"]
        if not page["hasNextPage"]:
            return events


def test_a_caller_with_personal_grants_and_a_purpose_reads_the_whole_feed(deployment, api, keys):
    events = read_feed(api, bearer(keys["full"], PURPOSE), first=37)
    stored = rows(deployment, "select cursor, master_id, kind, changed_attributes, payload "
                  "from changes.events order by cursor")
    assert [(int(e["cursor"]), e["masterId"], e["kind"].lower(), e["changedAttributes"],
             e["attributes"]) for e in events] == [tuple(r) for r in stored]
    # Every personal read is logged under the person it showed.
    shown = {e["masterId"] for e in events if e["entityType"] == "PERSON"
             and {"fullName", "birthDate", "isDeceased"} & set(e["attributes"])}
    logged = {str(p) for (p,) in rows(
        deployment, "select distinct unnest(person_ids) from api.access_log "
        "where client_name = 'feed-full' and operation_name = 'Feed'")}
    assert shown and shown <= logged


def test_without_a_personal_grant_personal_attributes_are_withheld(deployment, api, keys):
    events = read_feed(api, bearer(keys["shared"], PURPOSE))
    persons = [e for e in events if e["entityType"] == "PERSON"]
    assert persons
    personal = {"fullName", "sex", "birthDate", "birthDatePrecision", "isDeceased",
                "deathDate", "birthCommune", "birthLegacyCommune"}
    for event in events:
        assert not personal & set(event["attributes"]), event
        assert not personal & set(event["changedAttributes"]), event
        assert "holderName" not in event["attributes"] and "fullName" not in event["attributes"]
        if event["kind"] == "UPDATED":
            assert event["changedAttributes"], event
    # The ID numbers show masked, as on the record.
    numbers = [e["attributes"]["personalIdNumber"] for e in persons
               if e["attributes"].get("personalIdNumber")]
    assert numbers and all("*" in n and len(n) == 12 for n in numbers)
    # No cadre or enterprise grant: no employment or role events at all.
    assert not {e["entityType"] for e in events} & {"EMPLOYMENT", "ENTERPRISE_ROLE"}
    # A person's update is shown iff something besides personal attributes changed.
    shown = {e["cursor"] for e in persons if e["kind"] == "UPDATED"}
    updates = rows(deployment, "select cursor::text, changed_attributes from changes.events "
                   "where entity_type = 'person' and kind = 'updated' and not "
                   "changed_attributes && array['personalIdNumber', 'idCardNumber']")
    assert {cursor for cursor, changed in updates if set(changed) - personal} == \
        shown - {e["cursor"] for e in persons if {"personalIdNumber", "idCardNumber"}
                 & set(e["changedAttributes"])}


def test_a_personal_grant_without_a_purpose_shows_no_personal_attribute(api, keys):
    events = read_feed(api, bearer(keys["full"]), types=["PERSON", "EMPLOYMENT"])
    assert events
    for event in events:
        assert not {"fullName", "birthDate", "salaryCoefficient"} & set(event["attributes"])


def test_anonymous_callers_see_open_records_only(api):
    events = read_feed(api, types=None)
    assert events and {e["entityType"] for e in events} <= {
        "LAND_PARCEL", "ORGANIZATION", "ADMIN_UNIT"}
    asked = graphql(api, FEED, {"types": ["PERSON"], "first": 10})["data"]["changes"]
    assert asked["events"] == [] and not asked["hasNextPage"]


def test_the_feed_pages_by_type_from_any_cursor(deployment, api, keys):
    headers = bearer(keys["full"], PURPOSE)
    land = read_feed(api, headers, types=["LAND_RIGHT", "LAND_PARCEL"], first=7)
    assert land == [e for e in read_feed(api, headers)
                    if e["entityType"] in ("LAND_RIGHT", "LAND_PARCEL")]
    middle = land[len(land) // 2]["cursor"]
    assert read_feed(api, headers, types=["LAND_RIGHT", "LAND_PARCEL"], after=middle) == \
        land[len(land) // 2 + 1:]


@pytest.mark.parametrize("after, first", [("-1", 10), ("abc", 10), ("1" * 40, 10),
                                           (None, 0), (None, 1001)])
def test_a_bad_cursor_or_page_size_is_refused_with_a_code(api, after, first):
    answer = graphql(api, FEED, {"after": after, "first": first})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer


def test_the_catalogue_and_the_downloads_say_the_cursor_they_were_taken_at(deployment, api):
    latest = str(rows(deployment, "select max(cursor) from changes.events")[0][0])
    catalogue = graphql(api, "{ datasets { name changeCursor } }")["data"]["datasets"]
    assert {d["changeCursor"] for d in catalogue} == {latest}
    download = httpx.get(f"{api}/opendata/land_parcels.csv", timeout=60)
    assert download.status_code == 200 and download.headers["Kho-Change-Cursor"] == latest


# --- webhooks to a real receiver ------------------------------------------------------------

# What the receiver answers each path's requests, in turn, before it accepts: a 500, no
# answer within the deliverer's timeout (KHO_WEBHOOK_TIMEOUT below), a 503.
FAULTS = {"/tax": ["500", "hang", "503"], "/district": ["hang", "500"]}
TIMEOUT_SECONDS = 1


class Receiver:
    """An HTTP server on the port the subscriptions name: answers each path's injected
    faults first, then 204; keeps every request, and the accepted ones apart."""

    def __init__(self, port: int):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.accepted: dict[str, list[tuple[dict, bytes]]] = {}
        self.faults = {path: list(faults) for path, faults in FAULTS.items()}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.requests.append((self.path, headers, body))
                    faults = receiver.faults.get(self.path, [])
                    fault = faults.pop(0) if faults else None
                    if fault is None:
                        receiver.accepted.setdefault(self.path, []).append((headers, body))
                if fault == "hang":
                    time.sleep(TIMEOUT_SECONDS * 3)
                    fault = "500"  # too late: the deliverer has given up on it
                self.send_response(int(fault) if fault else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, path: str, secret: str) -> list[dict]:
        """The accepted messages' events, each message verified with the secret."""
        events = []
        for headers, body in self.accepted.get(path, []):
            message = Webhook(secret).verify(body, headers)
            assert message["type"] == "kho.changes"
            events += message["data"]["events"]
        return events

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver(deployment):
    receiver = Receiver(deployment.receiver_port)
    yield receiver
    receiver.close()


@contextmanager
def delivering(deployment):
    """``kho webhooks deliver`` running, with short timeouts and backoff."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kho.cli", "webhooks", "deliver"],
        env={**deployment.env, "KHO_WEBHOOK_TIMEOUT": str(TIMEOUT_SECONDS),
             "KHO_WEBHOOK_RETRY_DELAY": "0.2", "KHO_WEBHOOK_MAX_ATTEMPTS": "4",
             "KHO_WEBHOOK_BATCH": "40"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        assert process.returncode == 0, output


def wait_for(condition, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.3)


def expected(api, key: str, after: int, types=None) -> list[dict]:
    """What the API's changes shows the client (with the subscriptions' purpose) after a
    cursor."""
    return [{k: e[k] for k in ("cursor", "entityType", "masterId", "kind", "relatedId",
                               "changedAttributes", "attributes", "previous")}
            for e in read_feed(api, bearer(key, PURPOSE), types=types, first=1000,
                               after=str(after))]


def received(events: list[dict]) -> list[dict]:
    return [{k: e[k] for k in ("cursor", "entityType", "masterId", "kind", "relatedId",
                               "changedAttributes", "attributes", "previous")}
            for e in events]


def subscription(deployment, name: str) -> dict:
    [(status, cursor, failures)] = rows(
        deployment, "select status, cursor, failures from changes.subscriptions "
        "where name = %s", (name,))
    return {"status": status, "cursor": cursor, "failures": failures}


def test_webhooks_deliver_the_changes_signed_in_order_once_each(deployment, api, receiver):
    latest = rows(deployment, "select max(cursor) from changes.events")[0][0]
    start = deployment.subscribed_after
    tax = expected(api, deployment.keys["full"], start, ["PERSON", "LAND_RIGHT", "EMPLOYMENT"])
    district = expected(api, deployment.keys["shared"], start)
    assert tax and district
    with delivering(deployment):
        wait_for(lambda: all(subscription(deployment, n)["cursor"] == latest
                             for n in ("tax-office", "district")), "both subscribers")
        wait_for(lambda: subscription(deployment, "dead")["status"] == "parked", "parking")
    # Through a 500, a timeout and a 503: every event once, in order, each message signed.
    assert received(receiver.events("/tax", deployment.secrets["tax-office"])) == tax
    assert received(receiver.events("/district", deployment.secrets["district"])) == district
    cursors = [int(e["cursor"]) for e in tax]
    assert cursors == sorted(set(cursors))
    # The births, deaths and merges reached the tax office with their personal attributes.
    kinds = {(e["entityType"], e["kind"]) for e in tax}
    assert {("PERSON", "CREATED"), ("PERSON", "UPDATED"), ("LAND_RIGHT", "CREATED")} <= kinds
    assert any("fullName" in e["attributes"] for e in tax)
    # Without a personal grant: no personal attribute at all.
    personal = {"fullName", "sex", "birthDate", "isDeceased", "deathDate", "holderName"}
    assert all(not personal & set(e["attributes"]) for e in district)
    # A message that failed was sent again as the same message; the dead one was parked
    # after 4 attempts, and every attempt is recorded.
    first_tax = [h["webhook-id"] for p, h, _ in receiver.requests if p == "/tax"][:4]
    assert len(set(first_tax)) == 1
    attempts = dict(rows(deployment, """
        select s.name, count(*) filter (where not a.delivered)
        from changes.delivery_attempts a join changes.subscriptions s using (subscription_id)
        group by s.name"""))
    assert attempts == {"tax-office": 3, "district": 2, "dead": 4}
    # Personal data sent is in the access log under the client and the persons.
    logged = rows(deployment, "select count(*), count(*) filter (where cardinality(person_ids) "
                  "> 0) from api.access_log where operation_type = 'webhook' "
                  "and client_name = 'feed-full' and outcome = 'ok'")
    assert logged[0][0] > 0 and logged[0][1] > 0
    assert rows(deployment, "select count(*) from api.access_log where operation_type = "
                "'webhook' and client_name = 'feed-shared'") == [(0,)]


def test_a_replay_from_a_cursor_repeats_exactly(deployment, api, receiver):
    before = received(receiver.events("/tax", deployment.secrets["tax-office"]))
    middle = int(before[len(before) // 2]["cursor"])
    deployment.kho("subscriptions", "replay", "tax-office", "--after", str(middle))
    deployment.kho("subscriptions", "pause", "district")
    count = len(receiver.accepted["/tax"])
    with delivering(deployment):
        # It moves on past the events of other types after its last (the issues' events).
        wait_for(lambda: subscription(deployment, "tax-office")["cursor"] >= int(
            before[-1]["cursor"]) and len(receiver.accepted["/tax"]) > count, "the replay")
    again = []
    for headers, body in receiver.accepted["/tax"][count:]:
        again += Webhook(deployment.secrets["tax-office"]).verify(body, headers)["data"][
            "events"]
    assert received(again) == [e for e in before if int(e["cursor"]) > middle]
    listing = deployment.kho("subscriptions", "list").stdout
    assert re.search(r"dead\s+parked", listing) and re.search(r"district\s+paused", listing)
    deployment.kho("subscriptions", "delete", "dead")
    assert "dead" not in deployment.kho("subscriptions", "list").stdout


@pytest.mark.parametrize("args, message", [
    (("--client", "feed-full", "--endpoint", "ftp://x/y"), "http:// or https://"),
    (("--client", "feed-full", "--endpoint", "http://x/y", "--type", "tax"),
     "unknown event type 'tax'"),
    (("--client", "nobody", "--endpoint", "http://x/y"), "no client 'nobody'"),
    (("--client", "feed-full", "--endpoint", "http://x/y", "--after", "999999999"),
     "--after must be a cursor"),
])
def test_a_subscription_asked_for_wrongly_is_refused_and_nothing_is_made(deployment, args,
                                                                        message):
    before = rows(deployment, "select name from changes.subscriptions order by name")
    refused = kho_fails(deployment, "subscriptions", "create", "new-one", *args)
    assert message in refused.stderr, refused.stderr
    assert rows(deployment, "select name from changes.subscriptions order by name") == before
    assert "no subscription 'nope'" in kho_fails(deployment, "subscriptions", "resume",
                                                 "nope").stderr


def test_the_api_role_reads_the_feed_but_not_the_subscriptions_secrets(deployment, api):
    """``api`` is running: the API's role has been granted what it may do."""
    as_api = db.parse(deployment.warehouse_url).set(username="kho_api").render_as_string(
        hide_password=False)
    with psycopg.connect(as_api) as conn:
        assert conn.execute("select count(*) from changes.events").fetchone()[0] > 0
    for table in ("changes.subscriptions", "changes.delivery_attempts"):
        with psycopg.connect(as_api) as conn, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select * from {table}")


# --- data-quality issues (last: it publishes once more) ---------------------------------------

ISSUES = """query Issues($agency: SourceSystem!, $after: String) {
  dataQualityIssues(agency: $agency, kind: DECEASED_STILL_ACTIVE, first: 1, after: $after) {
    issues { issueId status sourceRecordKey attribute sourceValue masterValue personId }
    endCursor hasNextPage
  }
}"""


def test_an_agency_reads_its_issues_under_its_grants(deployment, api, keys):
    stored = [r[0] for r in rows(deployment, "select issue_id from changes.quality_issues "
                                 "where source_system = 'land' and kind = "
                                 "'deceased_still_active' order by issue_id")]
    assert stored
    seen, after = [], None
    while True:
        answer = graphql(api, ISSUES, {"agency": "LAND", "after": after},
                         bearer(keys["full"], PURPOSE))
        page = answer["data"]["dataQualityIssues"]
        seen += page["issues"]
        after = page["endCursor"]
        if not page["hasNextPage"]:
            break
    assert [i["issueId"] for i in seen] == stored
    assert all(i["masterValue"].startswith("deceased on") for i in seen)
    # land:shared: the issues, without the values in conflict (personal data).
    shared_answer = graphql(api, ISSUES, {"agency": "LAND"}, bearer(keys["shared"], PURPOSE))
    issue = shared_answer["data"]["dataQualityIssues"]["issues"][0]
    assert issue["issueId"] == stored[0] and issue["masterValue"] is None
    assert {e["extensions"]["code"] for e in shared_answer["errors"]} == {"FORBIDDEN"}
    # No grant on the cadre dataset: no cadre issues at all.
    refused = graphql(api, ISSUES, {"agency": "CADRE"}, bearer(keys["shared"], PURPOSE))
    assert refused["data"] is None or refused["data"]["dataQualityIssues"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_agency_downloads_its_issues_as_csv_under_its_grants(deployment, api, keys):
    stored = rows(deployment, "select issue_id, kind, status, person_id::text "
                              "from changes.quality_issues where source_system = 'land' "
                              "order by issue_id")
    assert stored

    def download(key, path="land.csv", params=None):
        return httpx.get(f"{api}/quality/{path}", params=params,
                         headers=bearer(key, PURPOSE), timeout=30)

    full = download(keys["full"])
    assert full.status_code == 200, full.text
    assert full.headers["content-type"].startswith("text/csv")
    assert "kho-withheld-columns" not in full.headers
    table = list(csv.DictReader(io.StringIO(full.text)))
    assert [(r["issue_id"], r["kind"], r["status"], r["person_id"] or None)
            for r in table] == [tuple(r) for r in stored]
    assert all(r["master_value"].startswith("deceased on") for r in table
               if r["kind"] == "deceased_still_active")
    # The file named its persons: logged like a personal read (once it has gone out).
    logged, deadline = [], time.monotonic() + 15
    while not logged and time.monotonic() < deadline:
        logged = rows(deployment, "select person_ids::text[] from api.access_log "
                                  "where operation_type = 'download quality issues land.csv' "
                                  "and client_name = 'feed-full' and outcome = 'ok'")
        time.sleep(0.2)
    assert [sorted(persons) for (persons,) in logged] == [sorted({p for *_, p in stored if p})]
    narrowed = list(csv.DictReader(io.StringIO(download(
        keys["full"], params={"kind": "deceased_still_active", "status": "open"}).text)))
    assert [r["issue_id"] for r in narrowed] == [
        i for i, kind, status, _ in stored if (kind, status) == ("deceased_still_active", "open")]
    # land:shared: every issue, the values in conflict withheld and said to be.
    shared = download(keys["shared"])
    assert shared.status_code == 200
    assert shared.headers["kho-withheld-columns"] == "source_value,master_value"
    withheld = list(csv.DictReader(io.StringIO(shared.text)))
    assert [r["issue_id"] for r in withheld] == [i for i, *_ in stored]
    assert {(r["source_value"], r["master_value"]) for r in withheld} == {("", "")}
    # No grant on cadre; no such agency; a parameter it does not know or a value it is not.
    for answer, status, code in (
            (download(keys["shared"], "cadre.csv"), 403, "FORBIDDEN"),
            (download(keys["full"], "tax.csv"), 404, "NOT_FOUND"),
            (download(keys["full"], params={"agency": "land"}), 400, "BAD_USER_INPUT"),
            (download(keys["full"], params={"status": "closed"}), 400, "BAD_USER_INPUT"),
            (download(keys["full"], params=[("kind", "person_conflict")] * 2), 400,
             "BAD_USER_INPUT")):
        assert answer.status_code == status, answer.text
        assert answer.json()["errors"][0]["extensions"]["code"] == code


def test_a_mistyped_personal_id_is_an_issue_for_the_agency_that_wrote_it(deployment):
    """Each record whose personal ID is its person's mistyped by one keystroke is an open
    issue of its agency, with the number it wrote and the person's."""
    mistyped = rows(deployment, "select source_system, source_table, source_record_key, "
                                "recorded_personal_id_number, personal_id_number, "
                                "person_id::text from marts.dq_mistyped_identity_numbers "
                                "order by 1, 2, 3")
    assert mistyped
    issues = rows(deployment, "select source_system, source_table, source_record_key, "
                              "source_value, master_value, person_id::text "
                              "from changes.quality_issues "
                              "where kind = 'mistyped_identity_number' and status = 'open' "
                              "and attribute = 'personal_id_number' order by 1, 2, 3")
    assert issues == mistyped
    listed = deployment.kho("issues", "list", "--kind", "mistyped_identity_number").stdout
    assert "mistyped_identity_number: personal_id_number of " in listed


def test_a_value_ingestion_set_aside_is_an_issue_until_the_agency_corrects_it(deployment, api,
                                                                               keys):
    """Each value a record landed without (it broke its column's rule) is an issue of its
    agency (the source's column, the value as written, the rule); those the agencies
    corrected in the days since are resolved, the others still open."""
    select = ("select source_system, source_table, source_record_key, column_name, raw_value, "
              "rule from {}.dq_source_values where outcome = 'set_aside'")
    first = set(rows(deployment, select.format("marts_previous")))
    now = set(rows(deployment, select.format("marts")))
    assert first and len({r[0] for r in first}) >= 2
    issues = {tuple(r[:6]): r[6] for r in rows(
        deployment, "select source_system, source_table, source_record_key, attribute, "
                    "source_value, rule, status from changes.quality_issues "
                    "where kind = 'invalid_source_value'")}
    assert set(issues) == first | now
    assert {key for key, status in issues.items() if status == "open"} == now
    assert {key for key, status in issues.items() if status == "resolved"} == first - now
    assert first - now, "300 days of the agencies' corrections resolve some"
    agency = sorted(first)[0][0]
    answer = graphql(api, """query($agency: SourceSystem!) { dataQualityIssues(
                                 agency: $agency, kind: INVALID_SOURCE_VALUE, first: 500) {
                                 issues { sourceRecordKey attribute sourceValue rule status }
                             } }""", {"agency": agency.upper()}, bearer(keys["full"], PURPOSE))
    assert "errors" not in answer, answer
    assert sorted((i["sourceRecordKey"], i["attribute"], i["sourceValue"], i["rule"],
                   i["status"].lower())
                  for i in answer["data"]["dataQualityIssues"]["issues"]) == sorted(
        (key, column, raw, rule, status)
        for (system, _, key, column, raw, rule), status in issues.items() if system == agency)


ACKNOWLEDGE = """mutation Ack($id: ID!, $note: String) {
  acknowledgeDataQualityIssue(issueId: $id, note: $note) { issueId status acknowledgedBy }
}"""


def test_an_agency_acknowledges_its_own_issue_through_the_api(deployment, api, keys):
    def state(issue_id):
        return rows(deployment, "select status, acknowledged_by, note from "
                                "changes.quality_issues where issue_id = %s", (issue_id,))[0]

    (land_issue,) = rows(deployment, "select issue_id from changes.quality_issues where "
                                     "source_system = 'land' and status = 'open' "
                                     "order by issue_id limit 1")[0]
    (cadre_issue,) = rows(deployment, "select issue_id from changes.quality_issues where "
                                      "source_system = 'cadre' and status = 'open' "
                                      "order by issue_id limit 1")[0]
    cadre_before = state(cadre_issue)

    def code(answer):
        assert answer["data"] is None, answer
        return answer["errors"][0]["extensions"]["code"]

    # Not an agency's business: another agency's issue, one that does not exist, anyone
    # anonymous, a note that cannot be kept.
    assert code(graphql(api, ACKNOWLEDGE, {"id": cadre_issue}, bearer(keys["shared"]))) \
        == "NOT_FOUND"
    assert state(cadre_issue) == cadre_before
    assert code(graphql(api, ACKNOWLEDGE, {"id": "no-such-issue"},
                        bearer(keys["shared"]))) == "NOT_FOUND"
    assert code(graphql(api, ACKNOWLEDGE, {"id": land_issue})) == "FORBIDDEN"
    assert code(graphql(api, ACKNOWLEDGE, {"id": land_issue, "note": "x" * 2001},
                        bearer(keys["shared"]))) == "BAD_USER_INPUT"
    assert state(land_issue)[0] == "open"
    # While a publication writes the change feed (it holds the feed's lock), the
    # acknowledgement waits a little, then asks to be sent again; nothing is written.
    events_before = latest_cursor(deployment)
    with psycopg.connect(deployment.warehouse_url) as publishing:
        publishing.execute("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
        busy = httpx.post(f"{api}/graphql", json={"query": ACKNOWLEDGE,
                                                  "variables": {"id": land_issue}},
                          headers=bearer(keys["shared"]), timeout=30)
    assert busy.status_code == 503, busy.text
    assert busy.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert state(land_issue)[0] == "open" and latest_cursor(deployment) == events_before
    # land:shared acknowledges a land issue: kept with who and why, once.
    answer = graphql(api, ACKNOWLEDGE, {"id": land_issue, "note": "đang xác minh"},
                     bearer(keys["shared"]))
    assert answer["data"]["acknowledgeDataQualityIssue"] == {
        "issueId": land_issue, "status": "ACKNOWLEDGED",
        "acknowledgedBy": "kho tests (client feed-shared)"}, answer
    assert state(land_issue) == ("acknowledged", "kho tests (client feed-shared)",
                                 "đang xác minh")
    again = graphql(api, ACKNOWLEDGE, {"id": land_issue}, bearer(keys["shared"]))
    assert code(again) == "BAD_USER_INPUT"
    assert "only an open or reopened issue" in again["errors"][0]["message"]
    # The acknowledgement is the feed's newest event, at once, under the publication served.
    assert rows(deployment, "select master_id, kind, changed_attributes, payload ->> 'status', "
                            "payload ->> 'acknowledgedBy', previous ->> 'status', "
                            "publication_id from changes.events where cursor = %s",
                (latest_cursor(deployment),)) == [
        (land_issue, "updated", ["acknowledgedBy", "status", "statusChangedAt"],
         "acknowledged", "kho tests (client feed-shared)", "open", published(deployment))]
    assert latest_cursor(deployment) == events_before + 1
    # Each of the six is in the access log, as a mutation (written shortly after).
    logged, deadline = 0, time.monotonic() + 15
    while logged < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
        logged = rows(deployment, "select count(*) from api.access_log where client_name = "
                                  "'feed-shared' and operation_type = 'mutation' and "
                                  "operation_name = 'Ack'")[0][0]
    assert logged == 6


def test_a_deceased_person_still_employed_is_an_issue_until_the_source_closes_it(deployment):
    """Open for the cadre agency, acknowledged through the CLI, resolved by itself when the
    cadre database closes the assignment."""
    issues = rows(deployment, """
        select q.issue_id, q.source_record_key, q.status, q.person_id::text
        from changes.quality_issues q
        where q.kind = 'deceased_still_active' and q.attribute = 'still_employed'
            and q.source_system = 'cadre' order by q.issue_id""")
    assert issues and {status for _, _, status, _ in issues} == {"open"}
    issue_id, assignment, _, person = issues[0]
    died = rows(deployment, "select death_date from marts.dim_person where person_id = %s",
                (person,))[0][0]
    assert died is not None
    listed = deployment.kho("issues", "list", "--agency", "cadre", "--status", "open").stdout
    assert issue_id in listed
    assert f"acknowledged deceased_still_active issue {issue_id}" in deployment.kho(
        "issues", "acknowledge", issue_id, "--by", "Sở Nội vụ: phòng công chức").stdout
    deployment.acknowledged_issue = (issue_id, published(deployment))
    assert "only an open or reopened issue" in kho_fails(
        deployment, "issues", "acknowledge", issue_id, "--by", "again").stderr
    # The cadre database closes the assignment on the day of death.
    with psycopg.connect(deployment.source_url("cadre")) as cadre:
        assert cadre.execute(
            "update qua_trinh_cong_tac set den_ngay = %s, ngay_sua = (select max(ngay_sua) "
            "from qua_trinh_cong_tac) + interval '1 day' where id = %s",
            (died, int(assignment.split(":")[-1]) if ":" in assignment else int(assignment))
        ).rowcount == 1
    deployment.kho("materialize")
    after = dict(rows(deployment, "select issue_id, status from changes.quality_issues "
                      "where issue_id = any(%s)", ([i for i, *_ in issues],)))
    assert after[issue_id] == "resolved"
    assert all(status == "open" for i, status in after.items() if i != issue_id)
    deployment.resolved_by = published(deployment)


ISSUE_FEED = ["DATA_QUALITY_ISSUE"]


def test_an_issue_s_life_is_in_the_change_feed_for_its_agency_only(deployment, api, keys):
    """Opened, acknowledged between publications, resolved at the next: three events, as
    the issue was at each; another agency's client never sees them, a client without a
    personal grant sees them without the values in conflict."""
    issue_id, acknowledged_under = deployment.acknowledged_issue
    events = [e for e in read_feed(api, bearer(keys["full"], PURPOSE), types=ISSUE_FEED)
              if e["masterId"] == issue_id]
    assert [(e["kind"], e["attributes"]["status"], e["publicationId"]) for e in events] == [
        ("CREATED", "open", deployment.first_publication),
        ("UPDATED", "acknowledged", acknowledged_under),
        ("UPDATED", "resolved", deployment.resolved_by)]
    created, acknowledged, resolved = events
    assert created["attributes"]["sourceSystem"] == "cadre"
    assert created["attributes"]["masterValue"].startswith("deceased on")
    assert acknowledged["attributes"]["acknowledgedBy"] == "Sở Nội vụ: phòng công chức"
    assert resolved["previous"]["status"] == "acknowledged"
    assert set(resolved["changedAttributes"]) == {"status", "statusChangedAt"}
    # land:shared and civil_registry:shared: their issues' events, without the values.
    stored = rows(deployment, "select cursor from changes.events where entity_type = "
                              "'data_quality_issue' and datasets && array['land', "
                              "'civil_registry'] order by cursor")
    shared = read_feed(api, bearer(keys["shared"], PURPOSE), types=ISSUE_FEED, first=50)
    assert [int(e["cursor"]) for e in shared] == [c for (c,) in stored] and shared
    assert {e["attributes"]["sourceSystem"] for e in shared if e["kind"] == "CREATED"} <= {
        "land", "civil_registry"}
    assert all(not {"sourceValue", "masterValue"} & set(e["attributes"]) for e in shared)
    assert all(e["changedAttributes"] for e in shared if e["kind"] == "UPDATED")
    # Anonymous callers: none, even when asked for.
    assert read_feed(api, types=ISSUE_FEED) == []
