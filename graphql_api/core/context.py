"""Per-request context: the request's session and fresh DataLoaders (never shared between
requests, so nothing one caller read is served to another)."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import strawberry
from strawberry.dataloader import DataLoader

from graphql_api.access.caller import Caller
from graphql_api.access.field_rules import Access
from graphql_api.core.database import Database, Session

PROVINCE_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Loaders:
    """Every relation's DataLoader for one request, made on first use."""

    def __init__(self, session: Session, caller: Caller):
        self.session = session
        self.caller = caller
        self._made: dict[str, DataLoader] = {}

    def __getattr__(self, name: str) -> DataLoader:
        from graphql_api.dataloaders import FACTORIES

        if name not in FACTORIES:
            raise AttributeError(name)
        loader = self._made.get(name)
        if loader is None:
            loader = self._made[name] = FACTORIES[name](self.session)
        return loader

    # The related record of a kind by its ID, as a resolver returns it: at once when a parent
    # already primed the loader (graphql_api.core.prefetch), else awaitable.

    def person(self, person_id: Any):
        from graphql_api.persons.types import Person

        if person_id is None:
            return None
        return resolved(self.person_by_id.load(_uuid(person_id)), _or_none(Person.from_row))

    def organization(self, organization_id: Any):
        from graphql_api.organizations.types import Organization

        if organization_id is None:
            return None
        return resolved(self.organization_by_id.load(_uuid(organization_id)),
                        _or_none(Organization.from_row))

    def land_parcel(self, land_parcel_id: Any):
        from graphql_api.land.types import LandParcel

        if land_parcel_id is None:
            return None
        return resolved(self.land_parcel_by_id.load(_uuid(land_parcel_id)),
                        _or_none(LandParcel.from_row))

    def land_parcels(self, ids: list[Any]):
        from graphql_api.land.types import LandParcel

        return resolved(self.land_parcel_by_id.load_many([_uuid(i) for i in ids]),
                        lambda rows: [LandParcel.from_row(row) for row in rows if row])

    def admin_unit(self, generation: str, code: str | None):
        from graphql_api.admin_units.types import AdminUnit

        if code is None:
            return None
        return resolved(self.admin_unit_by_id.load(f"{generation}:commune:{code}"),
                        _or_none(AdminUnit.from_row))

    @property
    def staff_by_name(self) -> bool:
        """Staff pages go by name only for callers who may see the names."""
        from graphql_api.access.grants import personal

        return self.caller.refusal(personal("cadre"), "staff names") is None

    def staff_page(self, organization_id: Any, day: datetime.date, first: int | None,
                   after: str | None):
        from graphql_api.cadre.dataloaders import STAFF_ORDER, STAFF_ORDER_BY_ID
        from graphql_api.core.pagination import decode_cursor, page_size

        by_name = self.staff_by_name
        page_size(first)  # a bad page of one parent must not fail its siblings' batch
        if after is not None:
            decode_cursor(STAFF_ORDER if by_name else STAFF_ORDER_BY_ID, after)
        loader = self.staff_pages if by_name else self.staff_pages_by_id
        return loader.load((_uuid(organization_id), day, first, after))


def resolved(answer: Awaitable, convert: Callable[[Any], Any]) -> Any:
    """``convert(answer)`` now if the loader already has the answer (no task, no await for
    graphql-core to schedule), else an awaitable of it."""
    if isinstance(answer, asyncio.Future) and answer.done():
        return convert(answer.result())
    return _converted(answer, convert)


async def _converted(answer: Awaitable, convert: Callable[[Any], Any]) -> Any:
    return convert(await answer)


def each(build: Callable[[dict], Any]) -> Callable[[list[dict]], list]:
    return lambda rows: [build(row) for row in rows]


def _or_none(build: Callable[[dict], Any]) -> Callable[[dict | None], Any]:
    return lambda row: build(row) if row else None


async def settle(value: Any) -> Any:
    """What a resolver-style value comes to, for code that awaits it."""
    return await value if inspect.isawaitable(value) else value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class Context:
    session: Session
    loaders: Loaders
    access: Access
    # "Today" is the province's date, whatever the server's clock zone.
    today: datetime.date = field(
        default_factory=lambda: datetime.datetime.now(PROVINCE_TIME_ZONE).date())
    cost: int | None = None
    access_log: Any = None  # access.log_writer.AccessLog, when the server keeps one
    request_state: Any = None  # the HTTP request's state, which learns the entry was written

    @property
    def logged(self) -> bool:
        return bool(self.request_state is not None and getattr(self.request_state, "logged",
                                                               False))

    @logged.setter
    def logged(self, value: bool) -> None:
        if self.request_state is not None:
            self.request_state.logged = value

    @classmethod
    def for_request(cls, database: Database, caller: Caller | None = None) -> Context:
        session = Session(database)
        caller = caller or Caller()
        return cls(session=session, loaders=Loaders(session, caller), access=Access(caller))

    @property
    def caller(self) -> Caller:
        return self.access.caller


Info = strawberry.Info[Context, None]
