"""Types and helpers every domain shares: the Node interface, provenance, master-ID status,
admin-unit references in filters, and aggregate rows."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

import strawberry

from graphql_api.core.errors import BAD_USER_INPUT, NOT_FOUND, CodedError


def row_fields(row: dict) -> dict:
    """A row's columns a type is built from: those not private to the query (``_key``, the
    cursor keys ``_k0``, ...)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


@strawberry.interface(description="An object with a stable kho ID, refetchable with `node(id)`.")
class Node:
    id: strawberry.ID


@strawberry.enum(description="Where a master ID stands in kho's ID registry.")
class RecordStatus(enum.Enum):
    ACTIVE = "active"
    MERGED = "merged"
    RETIRED = "retired"


@strawberry.type(description="Where a master attribute's value comes from.")
class Provenance:
    attribute: str = strawberry.field(description="The GraphQL field the value is shown in.")
    source_system: str | None = strawberry.field(
        description="The agency system the value was taken from (land, enterprise, "
                    "civil_registry, cadre, reference).")
    updated_at: datetime.datetime | None = strawberry.field(
        description="When the source last changed the record the value comes from.")


def provenance(source_system: str | None, updated_at: datetime.datetime | None,
               *attributes: str) -> list[Provenance]:
    return [Provenance(attribute=a, source_system=source_system, updated_at=updated_at)
            for a in attributes]


@strawberry.enum(description="Pre-2025 (three levels, 63 provinces) or current (two levels, "
                             "34 provinces, since 1 July 2025).")
class AdminUnitGeneration(enum.Enum):
    LEGACY = "legacy"
    CURRENT = "current"


@strawberry.enum
class AdminUnitLevel(enum.Enum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


CODE_LENGTH_LEVEL = {2: AdminUnitLevel.PROVINCE, 3: AdminUnitLevel.DISTRICT,
                     5: AdminUnitLevel.COMMUNE}


@strawberry.input(description="An administrative unit by its code in one generation: a "
                              "province (2 digits), a legacy district (3) or a commune (5). "
                              "Filters include everything under it.")
class AdminUnitRef:
    code: str
    generation: AdminUnitGeneration = AdminUnitGeneration.CURRENT

    def admin_unit_id(self) -> str:
        code = self.code.strip()
        level = CODE_LENGTH_LEVEL.get(len(code)) if code.isdigit() else None
        if level is None or (level is AdminUnitLevel.DISTRICT
                             and self.generation is AdminUnitGeneration.CURRENT):
            raise CodedError(
                f"{code!r} is not a {self.generation.value} admin-unit code (a province has 2 "
                f"digits, a legacy district 3, a commune 5)", BAD_USER_INPUT)
        return f"{self.generation.value}:{level.value}:{code}"


@dataclass(frozen=True)
class CommuneSet:
    """The communes under an admin unit, as a condition on a table's commune columns."""

    generation: AdminUnitGeneration
    level: AdminUnitLevel
    code: str

    def condition(self, legacy_column: str, current_column: str) -> tuple[str, list]:
        column = (legacy_column if self.generation is AdminUnitGeneration.LEGACY
                  else current_column)
        if self.level is AdminUnitLevel.COMMUNE:
            return f"{column} = %s", [self.code]
        if self.level is AdminUnitLevel.DISTRICT:
            return (f"{column} in (select admin_unit_code from marts.dim_admin_unit "
                    f"where parent_admin_unit_id = %s)", [f"legacy:district:{self.code}"])
        return (f"{column} in (select admin_unit_code from marts.dim_admin_unit where "
                f"generation = %s and level = 'commune' and province_code = %s)",
                [self.generation.value, self.code])


def unchecked_commune_set(ref: AdminUnitRef) -> tuple[CommuneSet, str]:
    """The communes under the ref and the admin unit's ID, not yet checked against the
    admin units kho knows."""
    unit_id = ref.admin_unit_id()
    return (CommuneSet(ref.generation, AdminUnitLevel(unit_id.split(":")[1]), ref.code.strip()),
            unit_id)


async def commune_set(loaders, ref: AdminUnitRef) -> CommuneSet:
    """The ref checked against the admin units kho knows: a code that names none is
    NOT_FOUND (a filter on it would silently match nothing)."""
    communes, unit_id = unchecked_commune_set(ref)
    row = await loaders.admin_unit_by_id.load(unit_id)
    if row is None:
        raise CodedError(f"no {ref.generation.value} admin unit has the code {ref.code!r}",
                         NOT_FOUND)
    return communes


def date_range(start: datetime.date | None, end: datetime.date | None, what: str) -> None:
    if start is not None and end is not None and start > end:
        raise CodedError(f"{what}: the start {start} is after the end {end}", BAD_USER_INPUT)


def day_after(day: datetime.date) -> datetime.datetime:
    """Versions are valid from a timestamp: as of a date means at the end of that day."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())


MAX_NAME_WORDS = 8


def name_condition(column: str, text: str) -> tuple[str, list]:
    """Accent-, case- and tone-insensitive: every word of the text is contained in the name,
    in any order ("cong ty sao mai" finds "Công ty TNHH Thương mại Sao Mai"); each word is
    served by the column's trigram index. LIKE's own characters are escaped after the text is
    normalised: unaccent turns full-width ``％`` into ``%``."""
    words = text.split()
    if len("".join(words)) < 2:
        raise CodedError("a name search needs at least 2 characters", BAD_USER_INPUT)
    if len(words) > MAX_NAME_WORDS:
        raise CodedError(f"a name search takes at most {MAX_NAME_WORDS} words",
                         BAD_USER_INPUT)
    escaped = (r"replace(replace(replace(util.name_key(%s), '\', '\\'), '%%', '\%%'), "
               r"'_', '\_')")
    contains = " and ".join(f"{column} like '%%' || {escaped} || '%%'" for _ in words)
    return f"({contains})", words
