from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.cadre.types import EMPLOYMENT_COLUMNS, EMPLOYMENT_SOURCE, Employment
from graphql_api.core.asof import in_force
from graphql_api.core.batching import many_per_key
from graphql_api.core.database import Session
from graphql_api.core.pagination import Order, pages_per_key

STAFF_ORDER = Order("staff_by_name", (("coalesce(full_name, '')", "text"),
                                      ("employment_id", "uuid")))
# For callers who may not see civil servants' names: a cursor holds the keys it orders by,
# so a page ordered by name would hand them the names.
STAFF_ORDER_BY_ID = Order("staff_by_id", (("employment_id", "uuid"),))


def employment_by_person(session: Session) -> DataLoader:
    return many_per_key(session, EMPLOYMENT_SOURCE, EMPLOYMENT_COLUMNS, "person_id",
                        "valid_from nulls first, employment_id", in_force(end_is_inclusive=True))


def staff_pages(session: Session) -> DataLoader:
    return _staff_pages(session, STAFF_ORDER)


def staff_pages_by_id(session: Session) -> DataLoader:
    return _staff_pages(session, STAFF_ORDER_BY_ID)


def _staff_pages(session: Session, order: Order) -> DataLoader:
    return pages_per_key(session, EMPLOYMENT_SOURCE, EMPLOYMENT_COLUMNS, "organization_id",
                         "uuid", order, in_force(end_is_inclusive=True), Employment.from_row)
