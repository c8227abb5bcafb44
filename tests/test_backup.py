"""Backups on a real warehouse: the restore drill (back up, destroy, rebuild from the
sources, restore: the same person IDs, the old key works, the access log verifies), and a
tampered, incomplete or foreign backup refused with nothing changed."""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from kho import db, migrations
from tests.conftest import (
    Deployment,
    bearer,
    create_client,
    graphql,
    kho_fails,
    make_deployment,
    running_api,
    teardown_deployment,
)

SCALE = "300"
PURPOSE = "restore drill"
PERSON = "query($id: ID!) { person(id: $id) { id fullName } }"


@dataclass
class Site:
    deployment: Deployment
    url: str
    key: str
    person_ids: list[str]
    anchors: Path


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def wait_for_log(url: str, count: int) -> None:
    for _ in range(200):
        if rows(url, "select count(*) from api.access_log where person_ids <> '{}'")[0][0] \
                >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} access log entries with persons")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("backup")
    deployment = make_deployment("embedded", home)
    anchors = home / "audit-anchors.txt"
    deployment.env["KHO_AUDIT_ANCHORS"] = str(anchors)
    try:
        deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "5")
        deployment.kho("materialize")
        key = create_client(deployment, "drill", "civil_registry:personal", "land:personal",
                            "enterprise:personal", "cadre:personal")
        url = deployment.warehouse_url
        person_ids = [str(r[0]) for r in rows(
            url, "select person_id from marts.dim_person order by person_id limit 3")]
        with running_api(deployment) as base:
            for person_id in person_ids:
                body = graphql(base, PERSON, {"id": person_id}, bearer(key, PURPOSE))
                assert body["data"]["person"]["id"] == person_id, body
        wait_for_log(url, len(person_ids))
        with psycopg.connect(url) as conn:
            conn.execute("insert into master_data.person_link_reviews (identity_key, "
                         "anchor_key, decision, reviewed_by, note) values ('id_card:1', "
                         "'personal_id:2', 'reject', 'steward', 'two people')")
        anchors.touch()
        deployment.kho("audit", "verify", "--record")
        yield Site(deployment, url, key, person_ids, anchors)
    finally:
        teardown_deployment(deployment)


def state(url: str) -> dict[str, list[tuple]]:
    """What the drill must get back, each as sorted rows."""
    queries = {
        "published person IDs": "select person_id from marts.dim_person",
        "person ID registry": "select id, anchor_key, status, merged_into "
                              "from master_data.person_ids",
        "organization ID registry": "select id, anchor_key, status, merged_into "
                                    "from master_data.organization_ids",
        "person ID map": "select source_table, source_record_key, role, id "
                         "from master_data.person_id_map",
        "steward decisions": "select * from master_data.person_link_reviews",
        "secrets": "select * from kho_secrets.keys",
        "installation": "select * from api.installation",
        "clients": "select * from api.clients",
        "keys": "select * from api.api_keys",
        "grants": "select * from api.client_grants",
        "access log": "select entry_id, entry_hash, person_ids from api.access_log",
        "access log head": "select * from api.access_log_head",
        "snapshot of enterprises": "select dbt_scd_id, dbt_valid_from, dbt_valid_to "
                                   "from snapshots.snp_enterprise__enterprises",
        "watermarks": "select source, table_name, watermark from ingest.watermarks",
        "match weights": "select * from entity_resolution.int_persons__match_weights",
    }
    return {name: sorted(rows(url, query), key=repr) for name, query in queries.items()}


@pytest.fixture(scope="module")
def backup_file(site, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "kho.zip"
    out = site.deployment.kho("backup", str(path)).stdout
    assert path.is_file() and "with the anchors file" in out, out
    return path


def rewritten(source: Path, target: Path, member: str, change) -> Path:
    """A copy of the backup with one member's bytes changed by ``change``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, change(data) if info.filename == member else data)
    return target


def test_restore_refuses_a_tampered_or_foreign_backup(site, backup_file, tmp_path):
    site.deployment.kho("clients", "create", "after-backup", "--agency", "kho tests")
    before = state(site.url)
    # A key hash swapped for the attacker's own, with the manifest left alone.
    tampered = rewritten(backup_file, tmp_path / "tampered.zip", "tables/api.api_keys.copy",
                         lambda data: data.replace(data[:12], b"kho_attacker"[:12], 1))
    refused = kho_fails(site.deployment, "restore", str(tampered))
    assert "does not verify" in refused.stderr and "api.api_keys" in refused.stderr
    # A backup of another revision: every member intact, the manifest says 0000.
    foreign = rewritten(backup_file, tmp_path / "foreign.zip", "manifest.json",
                        lambda data: data.replace(f'"revision": "{migrations.head()}"'.encode(),
                                                  b'"revision": "0000"'))
    refused = kho_fails(site.deployment, "restore", str(foreign))
    assert "revision 0000" in refused.stderr, refused.stderr
    # A member dropped from the file.
    with zipfile.ZipFile(backup_file) as old, \
            zipfile.ZipFile(tmp_path / "short.zip", "w") as new:
        for info in old.infolist():
            if info.filename != "tables/kho_secrets.keys.copy":
                new.writestr(info, old.read(info))
    refused = kho_fails(site.deployment, "restore", str(tmp_path / "short.zip"))
    assert "kho_secrets.keys" in refused.stderr, refused.stderr
    assert state(site.url) == before
    assert "after-backup" in site.deployment.kho("clients", "list").stdout


def test_restore_drill(site, tmp_path):
    deployment = site.deployment
    backup = tmp_path / "drill.zip"
    deployment.kho("backup", str(backup))
    before = state(site.url)
    anchors = site.anchors.read_text()
    assert before["access log"] and before["steward decisions"] and before["person ID map"]

    # The warehouse and the anchors file are lost; the sources are not.
    db.drop_database(site.url)
    site.anchors.unlink()
    deployment.kho("materialize")
    rebuilt = state(site.url)
    # Rebuilt alone, with a new installation key: other person IDs, no client.
    assert not set(rebuilt["published person IDs"]) & set(before["published person IDs"])
    assert rebuilt["clients"] == []
    assert rebuilt["match weights"] != before["match weights"]  # estimated anew

    out = deployment.kho("restore", str(backup)).stdout
    assert "restored the anchors file" in out, out
    deployment.kho("materialize")
    after = state(site.url)
    for name, expected in before.items():
        if name not in ("access log", "access log head"):
            assert after[name] == expected, name
    assert site.anchors.read_text() == anchors
    verified = deployment.kho("audit", "verify").stdout
    assert f"{len(before['access log'])} entries" in verified
    assert "it holds all 1 recorded head(s)" in verified

    # The old key still works, and the log goes on from the restored head.
    with running_api(deployment) as base:
        body = graphql(base, PERSON, {"id": site.person_ids[0]}, bearer(site.key, PURPOSE))
        assert body["data"]["person"]["fullName"], body
    wait_for_log(site.url, len(before["access log"]) + 1)
    deployment.kho("audit", "verify")
