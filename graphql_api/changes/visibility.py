"""What a caller may see of a change event: no more than the record itself would show them.

An event is about one record of a type of the graph (``Person``, ``LandRight``, ...); its
attributes are named as that type's fields. The caller sees the event only if they may see
objects of that type, and each attribute only under the field's own rule in the domain's
classification (``<domain>/permissions.py``): withheld without its grant (a personal field
also without a declared purpose), masked where the field would be masked. A person's
personal fields follow a personal grant on a dataset that mentions the person, as at the
root. An update whose every changed attribute is withheld is not shown at all, and a masked
attribute counts as changed only if its masked value changed: an event never says that
something changed which the record would not show. The API's ``changes`` and the webhook
deliverer both read the feed through :func:`visible`.

A data-quality issue is an agency's business: its events are shown, as ``dataQualityIssues``
shows the issue, only under a shared grant on the dataset of the agency whose record it is
(the event's ``datasets``), and the values in conflict only under a personal one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql_api.access.caller import Caller
from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import ANY, THROUGH, DataClass, Need
from graphql_api.admin_units import permissions as admin_units
from graphql_api.cadre import permissions as cadre
from graphql_api.land import permissions as land
from graphql_api.organizations import permissions as organizations
from graphql_api.persons import permissions as persons
from graphql_api.quality import permissions as quality
from kho.quality_issues import ISSUE_TYPE

# Entity type in the feed -> the graph's type and the classification it is declared in.
TYPES: dict[str, tuple[str, Classification]] = {
    "admin_unit": ("AdminUnit", admin_units.CLASSIFICATION),
    "person": ("Person", persons.CLASSIFICATION),
    "organization": ("Organization", organizations.CLASSIFICATION),
    "land_parcel": ("LandParcel", land.CLASSIFICATION),
    "land_right": ("LandRight", land.CLASSIFICATION),
    "enterprise_role": ("EnterpriseRole", organizations.CLASSIFICATION),
    "employment": ("Employment", cadre.CLASSIFICATION),
    ISSUE_TYPE: ("DataQualityIssue", quality.CLASSIFICATION),
}
# Entity types whose events a caller sees only under this class of grant on a dataset the
# event names (its datasets): an agency's data-quality issues.
SCOPED: dict[str, DataClass] = {ISSUE_TYPE: DataClass.SHARED}


@dataclass(frozen=True)
class VisibleEvent:
    """An event as one caller may see it."""

    cursor: int
    publication_id: int
    entity_type: str
    master_id: str
    kind: str
    related_id: str | None
    changed_attributes: list[str]
    attributes: dict[str, Any]
    previous: dict[str, Any]
    # Whether it shows personal data, and whose (for the access log).
    personal: bool
    released_person: str | None


def type_need(entity_type: str) -> Need:
    type_name, classification = TYPES[entity_type]
    return classification.types[type_name]


def visible_types(caller: Caller) -> list[str]:
    """The entity types whose records the caller may see at all."""
    return [t for t in TYPES if caller.holds(type_need(t))
            and (t not in SCOPED or caller.holds(Need(ANY, SCOPED[t])))]


def scope_params(caller: Caller) -> dict[str, list[str]]:
    """The parameters ``EVENTS_AFTER`` scopes the events of ``SCOPED`` types with."""
    return {"scoped": list(SCOPED),
            "scope_datasets": list(caller.datasets_held(DataClass.SHARED))}


def _rule(entity_type: str, attribute: str) -> Rule:
    type_name, classification = TYPES[entity_type]
    return classification.fields.get(f"{type_name}.{attribute}",
                                      Rule(classification.types[type_name]))


def _refused(caller: Caller, need: Need, datasets: tuple[str, ...], what: str) -> bool:
    if need.dataset == THROUGH:
        return caller.refusal_through(need, datasets, what) is not None
    return caller.refusal(need, what) is not None


def visible(caller: Caller, event: Mapping[str, Any]) -> VisibleEvent | None:
    """The event (a row of ``changes.events``) as ``caller`` may see it; None when they may
    not see it at all."""
    entity_type = event["entity_type"]
    if not caller.holds(type_need(entity_type)):
        return None
    datasets = tuple(event["datasets"] or ())
    if entity_type in SCOPED and not any(caller.holds(Need(dataset, SCOPED[entity_type]))
                                         for dataset in datasets):
        return None
    type_name = TYPES[entity_type][0]
    payload, previous = event["payload"] or {}, event["previous"] or {}
    shown: dict[str, Any] = {}
    shown_previous: dict[str, Any] = {}
    personal = False
    for attribute, value in payload.items():
        rule = _rule(entity_type, attribute)
        what = f"{type_name}.{attribute}"
        if not _refused(caller, rule.need, datasets, what):
            shown[attribute] = value
            if attribute in previous:
                shown_previous[attribute] = previous[attribute]
            personal = personal or rule.need.data_class is DataClass.PERSONAL
        elif rule.masked is not None and not _refused(caller, rule.masked, datasets, what):
            masked = rule.masker(value)
            if attribute in previous:
                before = rule.masker(previous[attribute])
                if before == masked:
                    continue
                shown_previous[attribute] = before
            shown[attribute] = masked
    changed = [a for a in event["changed_attributes"] if a in shown]
    if event["kind"] == "updated" and not changed:
        return None
    return VisibleEvent(
        cursor=event["cursor"], publication_id=event["publication_id"],
        entity_type=entity_type, master_id=event["master_id"], kind=event["kind"],
        related_id=event["related_id"], changed_attributes=changed, attributes=shown,
        previous=shown_previous, personal=personal,
        released_person=str(event["person_id"]) if personal and event["person_id"] else None)


# The events of SCOPED types are narrowed in SQL too, to the datasets the caller holds the
# grant on (scope_params), so a page is not filled with events visible() would drop.
SCOPE = "(e.entity_type <> all(%(scoped)s) or e.datasets && %(scope_datasets)s::text[])"
# The columns of changes.events that visible() reads, with the publication's time.
EVENT_COLUMNS = ("e.cursor, e.publication_id, p.published_at, e.entity_type, e.master_id, "
                 "e.kind, e.related_id, e.changed_attributes, e.payload, e.previous, "
                 "e.person_id, e.datasets")
EVENTS_AFTER = f"""
select {EVENT_COLUMNS}
from changes.events e join kho_meta.publications p using (publication_id)
where e.cursor > %(after)s and e.entity_type = any(%(types)s) and {SCOPE}
order by e.cursor
limit %(limit)s
"""
