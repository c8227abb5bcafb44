"""`kho demo`, the README's first command, from an empty KHO_HOME on the embedded warehouse."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_deployment, teardown_deployment


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("demo"))
    yield deployment
    teardown_deployment(deployment)


def test_demo_builds_everything_then_reuses_it(deployment):
    first = deployment.kho("demo", "--scale", "300", "--seed", "3", "--no-serve").stdout
    assert re.search(r"seeded [\d,]+ rows", first)
    assert re.search(r"succeeded in [\d.]+ s: \d+ assets materialized", first)
    marts = dict(re.findall(r"marts\.(\w+)\s+([\d,]+)", first))
    assert set(marts) >= {"dim_person", "dim_organization", "dim_land_parcel", "dim_admin_unit"}
    # Every mart holds data, except the data-quality lists and the stewards' review queue,
    # which are empty when nothing is wrong or in doubt.
    assert {"xref_person", "dq_person_conflicts", "dq_shared_identity_numbers"} <= set(marts)
    assert all(int(n.replace(",", "")) > 0 for mart, n in marts.items()
               if not mart.startswith(("dq_", "review_"))), marts

    second = deployment.kho("demo", "--scale", "300", "--seed", "3", "--no-serve").stdout
    assert "already seeded" in second
    assert dict(re.findall(r"marts\.(\w+)\s+([\d,]+)", second)) == marts
    # Each run prints a new key for the demo client; the one before stops working.
    keys = [re.findall(r"^\s+(kho_[a-z0-9]{12}_\S+)$", out, re.MULTILINE)
            for out in (first, second)]
    assert len(keys[0]) == len(keys[1]) == 1 and keys[0] != keys[1]
    listing = deployment.kho("clients", "list").stdout
    assert keys[1][0].split("_")[1] in listing and keys[0][0].split("_")[1] not in listing
    assert {"audit", "steward", "civil_registry:personal"} <= set(re.split(r"[\s,;]+", listing))
