from __future__ import annotations

import asyncio
import datetime
import enum
import re

import strawberry

from graphql_api.access.grants import ANY, DataClass, personal
from graphql_api.core import prefetch
from graphql_api.core.batching import settle
from graphql_api.core.common import AdminUnitRef, commune_set, date_range, name_condition
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError, parse_uuid
from graphql_api.core.pagination import Connection, Filtered, Order, fetch_page
from graphql_api.persons.types import PERSON_COLUMNS, PERSON_SOURCE, Person

ID_NUMBER = re.compile(r"^(\d{9}|\d{12})$")
# Filters on personal attributes: only for callers who may see those attributes.
PERSONAL_FILTERS = ("name", "sex", "birth_date_from", "birth_date_to", "is_deceased",
                    "birth_admin_unit")
# A person mentioned by one of the datasets given: those whose personal grants show them.
MENTIONED_BY = "source_systems && %s::text[]"


@strawberry.enum
class PersonOrder(enum.Enum):
    ID = Order("person_id", (("person_id", "uuid"),))
    FULL_NAME = Order("person_full_name", (("coalesce(full_name_key, '')", "text"),
                                           ("person_id", "uuid")))
    BIRTH_DATE = Order("person_birth_date", (("coalesce(birth_date, '0001-01-01'::date)", "date"),
                                             ("person_id", "uuid")))


@strawberry.input
class PersonFilter:
    name: str | None = strawberry.field(
        default=None, description="Words of the full name (each contained, in any order), with "
                                  "or without diacritics.")
    sex: str | None = strawberry.field(default=None, description="male or female.")
    birth_date_from: datetime.date | None = None
    birth_date_to: datetime.date | None = None
    is_deceased: bool | None = None
    birth_admin_unit: AdminUnitRef | None = strawberry.field(
        default=None, description="Born in this admin unit (or anywhere under it).")
    source_system: str | None = strawberry.field(
        default=None, description="Mentioned by this agency system.")


async def resolve_person(info: Info, person_id) -> Person | None:
    """A person by ID, following the registry for an ID that is no longer in the marts."""
    person = await settle(info.context.loaders.person(person_id, None))
    if person is not None:
        return person
    status = await info.context.loaders.person_id_status.load(person_id)
    if status is None:
        return None
    record_status, merged_into = status
    return Person.tombstone(str(person_id), record_status, merged_into)


@strawberry.type
class PersonQueries:
    @strawberry.field(description="A person by kho ID; null when there is none. An ID merged "
                                  "into another person answers with recordStatus MERGED and "
                                  "mergedInto.")
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        person_id = parse_uuid(id, "id")
        # The relations asked for are read alongside the person, not after: one round trip
        # to the warehouse fewer (for an ID that is not a person they come back empty).
        person, _ = await asyncio.gather(
            resolve_person(info, person_id),
            prefetch.persons(info.context, [person_id], prefetch.selection(info),
                             loaded=True))
        return person

    @strawberry.field(description="A person by a 12-digit personal ID number or a 9-digit "
                                  "identity card (CMND) number, among the persons mentioned "
                                  "by the datasets the caller holds personal grants on; null "
                                  "when there is none.")
    async def person_by_id_number(self, info: Info, number: str) -> Person | None:
        digits = re.sub(r"[\s.-]", "", number)
        if not ID_NUMBER.match(digits):
            raise CodedError("number must be a 12-digit personal ID or a 9-digit identity "
                             "card number", BAD_USER_INPUT)
        column = "personal_id_number" if len(digits) == 12 else "id_card_number"
        # Only where the caller could read the number: a person of another dataset stays
        # unknown, as reaching them would show nothing personal.
        row = await info.context.session.fetch_one(
            f"select {PERSON_COLUMNS} from {PERSON_SOURCE} where {column} = %s "
            f"and {MENTIONED_BY} order by person_id limit 1",
            [digits, list(info.context.caller.datasets_held(DataClass.PERSONAL))])
        if row is None:
            return None
        # Finding a person by their number discloses whose number it is, whatever fields
        # the caller then reads.
        info.context.access.release([row["id"]])
        return Person.from_row(row)

    @strawberry.field(description="Persons matching a filter, in a stable order. Filtered "
                                  "or ordered by personal values, only persons mentioned by "
                                  "the datasets the caller holds personal grants on.")
    async def persons(self, info: Info, filter: PersonFilter | None = None,
                      order_by: PersonOrder = PersonOrder.ID, first: int | None = None,
                      after: str | None = None) -> Connection[Person] | None:
        access = info.context.access
        personal_filter = filter is not None and any(
            getattr(filter, name) is not None for name in PERSONAL_FILTERS)
        if personal_filter:
            access.caller.require(personal(ANY), "filtering persons by "
                                  + ", ".join(n for n in PERSONAL_FILTERS
                                              if getattr(filter, n) is not None))
        if order_by is not PersonOrder.ID:
            access.caller.require(personal(ANY), f"ordering persons by {order_by.name}")
        query = Filtered(PERSON_SOURCE, PERSON_COLUMNS)
        if personal_filter or order_by is not PersonOrder.ID:
            # Matched (or placed) by personal values only where the caller may read them.
            query.add(MENTIONED_BY, list(access.caller.datasets_held(DataClass.PERSONAL)))
        if filter is not None:
            if filter.name is not None:
                query.add_condition(name_condition("full_name_key", filter.name))
            if filter.sex is not None:
                if filter.sex not in ("male", "female"):
                    raise CodedError("sex must be male or female", BAD_USER_INPUT)
                query.add("sex = %s", filter.sex)
            date_range(filter.birth_date_from, filter.birth_date_to, "birth date")
            if filter.birth_date_from is not None:
                query.add("birth_date >= %s", filter.birth_date_from)
            if filter.birth_date_to is not None:
                query.add("birth_date <= %s", filter.birth_date_to)
            if filter.is_deceased is not None:
                query.add("is_deceased = %s", filter.is_deceased)
            if filter.birth_admin_unit is not None:
                communes = await commune_set(info.context.loaders, filter.birth_admin_unit)
                query.add_condition(communes.condition("birth_legacy_commune_code",
                                                       "birth_current_commune_code"))
            if filter.source_system is not None:
                query.add("%s = any(source_systems)", filter.source_system)
        page = await fetch_page(info.context.session, query, order_by.value, first, after,
                                Person.from_row)
        if personal_filter or order_by is not PersonOrder.ID:
            # Matching a personal filter (or a place in a personal order) says something
            # about each person on the page.
            access.release(p.id for p in page.nodes)
        await prefetch.persons(info.context, [p.id for p in page.nodes],
                               prefetch.selection(info).nodes(), loaded=True)
        return page
