"""Per-request context: the request's session and fresh DataLoaders (never shared between
requests, so nothing one caller read is served to another), what its caller may see, and
the province's "today"."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import strawberry

from graphql_api.access.caller import Caller
from graphql_api.access.field_rules import Access
from graphql_api.access.log_writer import AccessLog
from graphql_api.core.database import Database, Session

if TYPE_CHECKING:
    from graphql_api.loaders import Loaders

PROVINCE_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Context:
    session: Session
    loaders: Loaders
    access: Access
    # "Today" is the province's date, whatever the server's clock zone.
    today: datetime.date = field(
        default_factory=lambda: datetime.datetime.now(PROVINCE_TIME_ZONE).date())
    cost: int | None = None
    access_log: AccessLog | None = None  # when the server keeps one
    request_state: Any = None  # the HTTP request's state, which learns the entry was written
    compiler: bool = False  # whether the compiled executor may answer
    executor: dict | None = None  # which executor answered (``extensions.executor``)
    operation_name_sent: str | None = None  # the request's operationName, as sent

    @property
    def logged(self) -> bool:
        return bool(self.request_state is not None and getattr(self.request_state, "logged",
                                                               False))

    @logged.setter
    def logged(self, value: bool) -> None:
        if self.request_state is not None:
            self.request_state.logged = value

    @classmethod
    def for_request(cls, database: Database, caller: Caller | None,
                    make_loaders: Callable[[Session, Caller], Loaders]) -> Context:
        """A fresh session and fresh DataLoaders; ``make_loaders`` is ``Loaders``, passed in
        because it joins the domains, which the core does not import."""
        session = Session(database)
        caller = caller or Caller()
        return cls(session=session, loaders=make_loaders(session, caller),
                   access=Access(caller))

    @property
    def caller(self) -> Caller:
        return self.access.caller


Info = strawberry.Info[Context, None]
