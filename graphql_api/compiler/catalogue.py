"""What the compiler knows of the graph: for each object type it compiles, the mart row it is
built from (the same source and columns its resolvers read), and for each relation it
follows, the rows it reads (the same conditions and order as the relation's DataLoader).
A field or relation not named here is not compiled: a document asking for it is answered by
the resolvers."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql_api.admin_units.types import ADMIN_UNIT_COLUMNS, ADMIN_UNIT_SOURCE
from graphql_api.core.asof import happened_by, in_force
from graphql_api.land import dataloaders as land
from graphql_api.land.types import (
    LAND_PARCEL_COLUMNS,
    LAND_PARCEL_SOURCE,
    LAND_RIGHT_COLUMNS,
    LAND_RIGHT_SOURCE,
)
from graphql_api.organizations.types import (
    ENTERPRISE_ROLE_COLUMNS,
    ENTERPRISE_ROLE_SOURCE,
    ORGANIZATION_COLUMNS,
    ORGANIZATION_SOURCE,
)
from graphql_api.persons.types import PERSON_COLUMNS, PERSON_SOURCE

# The JSON of a field whose value is not a column of the row (a found row is ACTIVE; a
# parcel read without asOf has none).
ACTIVE = "'\"ACTIVE\"'"
NULL = "'null'"


@dataclass(frozen=True)
class Table:
    """An object type's rows: ``select <columns> from <source>``, found by ``key``."""

    source: str
    columns: str
    key: str
    # The output column naming the person whose personal data a row is (the access log's).
    subject: str | None = None
    constants: dict[str, str] = field(default_factory=dict)  # python name -> JSON SQL

    def column_names(self) -> frozenset[str]:
        return frozenset(_output_name(item) for item in _split(self.columns))


@dataclass(frozen=True)
class Relation:
    """A relation as its DataLoader reads it: the target's rows whose ``key`` equals the
    parent row's ``parent`` column (or SQL of the parent ``{row}``), under
    ``condition(day)``, in ``order_by`` (a list)."""

    target: str
    key: str
    parent: str
    many: bool = False
    order_by: str | None = None
    condition: Callable[[datetime.date | None], tuple[str, list[Any]]] | None = None
    # The day when no asOf is given: None (all rows), or "today" (the holders in force).
    default_day: str | None = None
    reached_via: str | None = None  # the dataset whose relation leads to a person


TABLES = {
    "Person": Table(PERSON_SOURCE, PERSON_COLUMNS, "person_id", subject="id",
                    constants={"record_status": ACTIVE}),
    "LandParcel": Table(LAND_PARCEL_SOURCE, LAND_PARCEL_COLUMNS, "land_parcel_id",
                        constants={"as_of": NULL}),
    "LandRight": Table(LAND_RIGHT_SOURCE, LAND_RIGHT_COLUMNS, "land_right_id",
                       subject="person_id"),
    "EnterpriseRole": Table(ENTERPRISE_ROLE_SOURCE, ENTERPRISE_ROLE_COLUMNS,
                            "enterprise_role_id", subject="person_id"),
    "AdminUnit": Table(ADMIN_UNIT_SOURCE, ADMIN_UNIT_COLUMNS, "admin_unit_id"),
    "Organization": Table(ORGANIZATION_SOURCE, ORGANIZATION_COLUMNS, "organization_id",
                          constants={"record_status": ACTIVE, "as_of": NULL}),
}

_RIGHTS = {"target": "LandRight", "many": True, "order_by": land.RIGHTS_ORDER,
           "condition": in_force(end_is_inclusive=False)}
RELATIONS = {
    "Person.landRights": Relation(key="person_id", parent="id", **_RIGHTS),
    "Person.enterpriseRoles": Relation(
        "EnterpriseRole", "person_id", "id", many=True,
        order_by="registered_on, enterprise_role_id", condition=happened_by("registered_on")),
    "LandParcel.holders": Relation(key="land_parcel_id", parent="id", default_day="today",
                                   **_RIGHTS),
    "LandParcel.rights": Relation(key="land_parcel_id", parent="id", **_RIGHTS),
    "LandRight.landParcel": Relation("LandParcel", "land_parcel_id", "land_parcel_id"),
    "LandRight.person": Relation("Person", "person_id", "person_id", reached_via="land"),
    "LandRight.organization": Relation("Organization", "organization_id", "organization_id"),
    "EnterpriseRole.organization": Relation("Organization", "organization_id",
                                            "organization_id"),
    # An admin unit by its ID, generation:level:code (``Loaders.admin_unit``).
    **{coordinate: Relation("AdminUnit", "admin_unit_id",
                            f"'{generation}:commune:' || {{row}}.{column}")
       for coordinate, generation, column in (
           ("LandParcel.commune", "current", "current_commune_code"),
           ("LandParcel.legacyCommune", "legacy", "legacy_commune_code"),
           ("Organization.commune", "current", "current_commune_code"),
           ("Person.birthCommune", "current", "birth_current_commune_code"),
           ("Person.birthLegacyCommune", "legacy", "birth_legacy_commune_code"))},
    "EnterpriseRole.person": Relation("Person", "person_id", "person_id",
                                      reached_via="enterprise"),
}


def _split(columns: str) -> list[str]:
    """A select list's items (commas inside parentheses kept)."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(columns):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(columns[start:index].strip())
            start = index + 1
    items.append(columns[start:].strip())
    return items


def _output_name(item: str) -> str:
    return item.rsplit(" as ", 1)[1].strip() if " as " in item else item.strip()


def order_items(order_by: str) -> list[tuple[str, str]]:
    """``"valid_from nulls first, land_right_id"`` as (expression, direction) pairs."""
    pairs = []
    for item in _split(order_by):
        words = item.split()
        index = next((i for i, w in enumerate(words)
                      if w.lower() in ("asc", "desc", "nulls")), len(words))
        pairs.append((" ".join(words[:index]), " ".join(words[index:])))
    return pairs
