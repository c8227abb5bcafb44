"""What a caller sees of a change event (graphql_api/changes/visibility.py), on events made
up here: no more than the record itself would show them."""

from __future__ import annotations

from graphql_api.access.caller import Caller
from graphql_api.access.grants import DataClass
from graphql_api.changes.visibility import visible, visible_types

PERSON = "5d0b5a1e-0000-0000-0000-000000000001"


def event(kind="updated", entity_type="person", **values):
    return {"cursor": 7, "publication_id": 2, "entity_type": entity_type,
            "master_id": PERSON, "kind": kind, "related_id": None,
            "changed_attributes": values.pop("changed", []), "payload": values.pop("payload", {}),
            "previous": values.pop("previous", {}), "person_id": PERSON,
            "datasets": values.pop("datasets", ["civil_registry", "land"])}


def caller(purpose="tests", **grants) -> Caller:
    return Caller(client_id="c", client_name="c", purpose=purpose,
                  grants={k: DataClass[v.upper()] for k, v in grants.items()})


DEATH = event(changed=["deathDate", "isDeceased"],
              payload={"deathDate": "2026-03-01", "isDeceased": True},
              previous={"deathDate": None, "isDeceased": False})


def test_an_update_of_personal_attributes_only_is_not_shown_without_a_personal_grant():
    assert visible(caller(land="shared"), DEATH) is None
    assert visible(caller(land="personal", purpose=None), DEATH) is None
    shown = visible(caller(land="personal"), DEATH)
    assert shown.changed_attributes == ["deathDate", "isDeceased"]
    assert shown.released_person == PERSON


def test_personal_attributes_follow_a_grant_on_a_dataset_that_mentions_the_person():
    assert visible(caller(cadre="personal"), DEATH) is None  # cadre does not mention them
    assert visible(caller(cadre="personal", civil_registry="personal"), DEATH) is not None


def test_a_masked_number_counts_as_changed_only_when_its_mask_changed():
    middle = event(changed=["personalIdNumber"], payload={"personalIdNumber": "080123456789"},
                   previous={"personalIdNumber": "080123999789"})
    assert visible(caller(land="shared"), middle) is None
    assert visible(caller(land="personal"), middle).attributes == {
        "personalIdNumber": "080123456789"}
    tail = event(changed=["personalIdNumber"], payload={"personalIdNumber": "080123456789"},
                 previous={"personalIdNumber": "080123456700"})
    shown = visible(caller(land="shared"), tail)
    assert shown.attributes == {"personalIdNumber": "080*******89"}
    assert shown.previous == {"personalIdNumber": "080*******00"}
    assert shown.released_person is None


def test_records_of_a_type_the_caller_may_not_see_are_not_shown_at_all():
    right = event(kind="created", entity_type="land_right",
                  payload={"holderName": "Lê Văn A", "ownershipShare": 1})
    assert visible(Caller(), right) is None
    assert visible(caller(enterprise="personal"), right) is None
    assert visible(caller(land="shared"), right).attributes == {"ownershipShare": 1}
    parcel = event(kind="created", entity_type="land_parcel",
                   payload={"areaM2": 120.5, "certificateSerial": "CS 01"})
    assert visible(Caller(), parcel).attributes == {"areaM2": 120.5}


ISSUE_CREATED = event(kind="created", entity_type="data_quality_issue", datasets=["cadre"],
                      payload={"kind": "deceased_still_active", "status": "open",
                               "sourceSystem": "cadre", "attribute": "still_employed",
                               "sourceValue": "active since 2020-01-01",
                               "masterValue": "deceased on 2026-03-01"})


def test_an_agency_s_issues_are_shown_under_a_grant_on_its_own_dataset_only():
    assert visible(Caller(), ISSUE_CREATED) is None
    assert "data_quality_issue" not in visible_types(Caller())
    # Personal grants on every other dataset do not reach the cadre agency's issues.
    others = caller(land="personal", enterprise="personal", civil_registry="personal")
    assert "data_quality_issue" in visible_types(others)
    assert visible(others, ISSUE_CREATED) is None
    shared = visible(caller(cadre="shared"), ISSUE_CREATED)
    assert not {"sourceValue", "masterValue"} & set(shared.attributes)
    assert shared.attributes["status"] == "open" and not shared.personal
    full = visible(caller(cadre="personal"), ISSUE_CREATED)
    assert full.attributes["masterValue"] == "deceased on 2026-03-01"
    assert full.released_person == PERSON
    # Without a purpose the values stay withheld; an update of only them is not shown.
    assert "sourceValue" not in visible(caller(cadre="personal", purpose=None),
                                        ISSUE_CREATED).attributes
    new_value = event(entity_type="data_quality_issue", datasets=["cadre"],
                      changed=["masterValue"], payload={"masterValue": "deceased on 2026-03-02"},
                      previous={"masterValue": "deceased on 2026-03-01"})
    assert visible(caller(cadre="shared"), new_value) is None
    assert visible(caller(cadre="personal"), new_value).changed_attributes == ["masterValue"]
